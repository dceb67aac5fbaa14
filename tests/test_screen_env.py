"""The per-(region, epoch) screening environment gives exactly the decisions of the plain
way: resolution by a loop over the item's family, each parameter by `ParamDecl.resolve`,
the version hashed from the parameter hits, and the rules' values decided one by one.

Checked on the shipped library (synthetic applications, on their own dates and on days
around every change date) and on a small library with `until` dates, overlapping local
variants and parameters keyed at every region level."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import yktrules
from yktrules import ir
from yktrules.errors import NoPolicyError
from yktrules.ir import regions
from yktrules.ir.values import Unknown, render, round_amount
from yktrules.screening.decision import (
    Decision,
    EvaluationError,
    Outcome,
    Reason,
    UnknownRule,
    outcome_of,
)
from yktrules.synth.applications import population

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ the plain way
def _specificity(p: ir.CheckedPolicy) -> tuple[int, int]:
    return (len(regions.significant(p.region)), len(p.chain))


def old_resolve(ps: yktrules.PolicySet, code: str, region: str, day: date) -> ir.CheckedPolicy:
    p = ps.policies.get(code)
    if p is None:
        raise NoPolicyError(code, region, day, "没有这个项目代码 / unknown item code")
    best: ir.CheckedPolicy | None = None
    for cand in ps._family[p.item]:
        if not regions.within(region, cand.region):
            continue
        if cand.effective > day or (cand.until is not None and day > cand.until):
            continue
        if best is None or _specificity(cand) > _specificity(best):
            best = cand
    if best is None:
        raise NoPolicyError(p.item, region, day)
    return best


def old_param(ps: yktrules.PolicySet, name: str, region: str, day: date) -> Any:
    decl = ps.params.get(name)
    hit = decl.resolve(region, day) if decl else None
    return Unknown(frozenset({f"param.{name}"})) if hit is None else hit[2]


def old_version(ps: yktrules.PolicySet, code: str, region: str, day: date) -> str:
    p = ps.policies[code]
    h = hashlib.sha256(p.digest.encode())
    h.update(ps._environment.encode())
    for name in p.params:
        decl = ps.params.get(name)
        hit = decl.resolve(region, day) if decl else None
        h.update(f"\n{name}={hit[0]}@{hit[1]}:{hit[2]}".encode() if hit else f"\n{name}=?".encode())
    return "sha256:" + h.hexdigest()


def old_evaluate(ps: yktrules.PolicySet, code: str, doc: Any, day: date) -> Decision:
    comp = ps._compiled[code]
    p = comp.policy
    region = doc.application.region
    ctx = comp.context(doc, day, lambda name: old_param(ps, name, region, day))

    def message(rule: ir.CheckedRule) -> str:
        parts = comp.messages[rule.name]
        return "".join(x if isinstance(x, str) else render(x(ctx)) for x in parts)

    reasons: list[Reason] = []
    unknown: list[UnknownRule] = []
    for rule, fn in comp.rules:
        v = fn(ctx)
        if v is True:
            if rule.kind == "require":
                continue
        elif v is False:
            if rule.kind != "require":
                continue
        else:
            errs = tuple(EvaluationError(e.message, str(e.span)) for e in v.errors)
            missing = tuple(sorted(v.missing))
            unknown.append(
                UnknownRule(rule.name, rule.kind, missing, message(rule), rule.span.short, errs)
            )
            continue
        reasons.append(Reason(rule.name, rule.kind, message(rule), rule.span.short))
    outcome = outcome_of(reasons, unknown)
    amount: Decimal | None = None
    amount_missing: tuple[str, ...] | None = None
    amount_errors: tuple[EvaluationError, ...] = ()
    if comp.amount is not None and outcome is Outcome.ELIGIBLE:
        a = comp.amount(ctx)
        if isinstance(a, Unknown):
            amount_missing = tuple(sorted(a.missing))
            amount_errors = tuple(EvaluationError(e.message, str(e.span)) for e in a.errors)
        else:
            amount = round_amount(Decimal(a))
    return Decision(
        item=p.item,
        policy=p.code,
        title=p.title,
        version=old_version(ps, code, region, day),
        as_of=day,
        outcome=outcome,
        reasons=tuple(reasons),
        unknown=tuple(unknown),
        amount=amount,
        info=ps._info[code],
        amount_missing=amount_missing,
        amount_errors=amount_errors,
    )


def old_screen_all(ps: yktrules.PolicySet, doc: Any, day: date) -> list[Decision]:
    out = []
    for item in sorted(ps._family):
        try:
            p = old_resolve(ps, item, doc.application.region, day)
        except NoPolicyError:
            continue
        out.append(old_evaluate(ps, p.code, doc, day))
    return out


# ------------------------------------------------------------------ comparison
def _same(new: list[Decision], old: list[Decision]) -> None:
    assert new == old
    assert [d.info for d in new] == [d.info for d in old]
    assert [d.to_dict() for d in new] == [d.to_dict() for d in old]


def _outcome(fn: Callable[[], Decision]) -> Decision | tuple[Any, ...]:
    try:
        return fn()
    except NoPolicyError as e:
        return ("no policy", e.item, e.region, e.as_of, e.detail, str(e))


def _check_day(ps: yktrules.PolicySet, facts: dict[str, Any], day: date | None) -> None:
    doc = ps.parse_facts(facts)
    d = day or doc.application.date
    region = doc.application.region
    _same(ps.screen_all(facts, as_of=day), old_screen_all(ps, doc, d))
    assert ps.in_force(region, d) == [
        old_resolve(ps, p.code, region, d) for p in ps.in_force(region, d)
    ]
    for code in ps.policies:
        new = _outcome(lambda code=code: ps.screen(facts, code, as_of=day))  # type: ignore[misc]
        old = _outcome(
            lambda code=code: old_evaluate(ps, old_resolve(ps, code, region, d).code, doc, d)  # type: ignore[misc]
        )
        assert new == old
        assert ps.evaluate(code, doc, d) == old_evaluate(ps, code, doc, d)
        assert ps._version(code, region, d) == old_version(ps, code, region, d)


def _around(days: list[date]) -> list[date]:
    return sorted({d + timedelta(days=k) for d in days for k in (-1, 0, 1)})


@pytest.fixture(scope="module")
def library() -> yktrules.PolicySet:
    return yktrules.load(ROOT / "policies", cache=False)


def test_screen_all_on_application_dates(library: yktrules.PolicySet) -> None:
    apps = list(population(300, seed=7))
    for facts in apps:
        doc = library.parse_facts(facts)
        _same(library.screen_all(facts), old_screen_all(library, doc, doc.application.date))
    for facts in apps[:40]:
        _check_day(library, facts, None)


def test_screen_around_change_dates(library: yktrules.PolicySet) -> None:
    """Policies' effective dates and parameter values' dates, each ±1 day."""
    days = [p.effective for p in library.policies.values()]
    days += [
        d for decl in library.params.decls.values() for s in decl.values.values() for d, _ in s
    ]
    apps = list(population(12, seed=11))
    for i, day in enumerate(_around(days)):
        _check_day(library, apps[i % len(apps)], day)


SMALL_POLICIES = {
    "t.ykt": """
policy "T-001" "测试补贴" {
    region: "510000"
    effective: 2021-01-01
    period: monthly

    require low_income "家庭月收入{household.monthly_income}元，须低于{param.t_line}元":
        household.monthly_income < param.t_line

    review bonus "奖励{param.t_bonus}元": param.t_bonus > 0

    amount: param.t_line - household.monthly_income
}

policy "T-001-NJ" "测试补贴（内江）" extends "T-001" {
    region: "511000"
    effective: 2022-01-01
    until: 2023-12-31
}

policy "T-001-ZZ" "测试补贴（资中）" extends "T-001" {
    region: "511025"
    effective: 2023-03-15
}

policy "T-002" "另一项补贴" {
    region: "511000"
    effective: 2022-05-01
    until: 2022-06-30
    period: once

    deny rich "家庭月收入过高": household.monthly_income > param.t_line * 3
    amount: param.t_line
}
""",
    "t.params.yaml": """
t_line:
  type: decimal
  values:
    "510000":
      2021-01-01: 600
      2022-07-01: 650
    "511000":
      2022-03-01: 700
    "511025":
      2024-01-01: 800
t_bonus:
  type: decimal
  values:
    "511000":
      2022-09-01: 10
""",
}


def test_until_specificity_and_params_at_every_level(tmp_path: Path) -> None:
    for name, text in SMALL_POLICIES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    ps = yktrules.load(tmp_path, cache=False)
    assert ps._changes == tuple(
        sorted(
            {
                date(2021, 1, 1),
                date(2022, 7, 1),  # T-002's until + 1, and a t_line value
                date(2022, 1, 1),
                date(2024, 1, 1),  # T-001-NJ's until + 1, and a t_line value
                date(2023, 3, 15),
                date(2022, 5, 1),
                date(2022, 3, 1),
                date(2022, 9, 1),
            }
        )
    )
    days = _around([*ps._changes, date(2022, 6, 30), date(2023, 12, 31)]) + [date(2020, 1, 1)]
    apps = list(population(30, seed=3))
    for i, day in enumerate(days):
        for facts in (apps[i % len(apps)], apps[(i * 7 + 3) % len(apps)]):
            _check_day(ps, facts, day)
    regions_seen = {ps.parse_facts(a).application.region for a in apps}
    assert {"511025"} < regions_seen  # a county variant and the municipal one both matter
    zz = next(a for a in apps if ps.parse_facts(a).application.region == "511025")
    assert ps.screen(zz, "T-001", as_of="2022-06-30").policy == "T-001-NJ"
    assert ps.screen(zz, "T-001", as_of="2023-03-15").policy == "T-001-ZZ"
    with pytest.raises(NoPolicyError):
        ps.screen(zz, "T-001", as_of="2020-12-31")
    other = next(a for a in apps if ps.parse_facts(a).application.region != "511025")
    assert ps.screen(other, "T-001", as_of="2023-12-31").policy == "T-001-NJ"
    assert ps.screen(other, "T-001", as_of="2024-01-01").policy == "T-001"  # `until` + 1
    assert ps.screen(other, "T-002", as_of="2022-06-30").policy == "T-002"
    with pytest.raises(NoPolicyError):
        ps.screen(other, "T-002", as_of="2022-07-01")
    assert [p.code for p in ps.in_force("511011", date(2022, 6, 1))] == ["T-001-NJ", "T-002"]
    assert [p.code for p in ps.in_force("510100", date(2022, 6, 1))] == ["T-001"]
