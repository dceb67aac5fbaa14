"""Population impact: screen the same applications under two policy sets and count how
applicants move between outcomes, item by item.

Every application is screened with `screen_all` on both sides: one decision per item in force
for its region and date.  Screening every item, rather than only `application.item`, is what
makes a change to any item show, whatever the applicants asked for: a population is a sample
of households, and the question is which of them each item would now admit or turn away.
An item in force on one side only gives a transition from or to `not_in_force`; an item in
force on neither side for an application is not counted for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from ..batch.rows import peek_id as _peek_id
from ..errors import ArgumentError, FactsError
from ..screening.decision import Decision
from ..screening.policyset import PolicySet

NOT_IN_FORCE = "not_in_force"
OUTCOMES = ("eligible", "review", "ineligible", NOT_IN_FORCE)
OUTCOME_ZH = {
    "eligible": "符合",
    "review": "需复核",
    "ineligible": "不符合",
    NOT_IN_FORCE: "无在效政策",
}
PERIOD_ZH = {"monthly": "每月", "yearly": "每年", "once": "一次性"}
# how many of a period's payments make a year (an amount paid once has no yearly figure)
PER_YEAR = {"monthly": 12, "yearly": 1}
MAX_INVALID_LISTED = 50
ZERO = Decimal(0)


def _money(d: Decimal) -> str:
    return format(d, "f")


@attrs.frozen
class Side:
    """What one decision said, as far as a transition example needs it."""

    policy: str
    outcome: str
    reasons: tuple[str, ...]  # rule names, in source order
    unknown: tuple[str, ...]
    amount: Decimal | None
    period: str
    pays: bool  # the policy has an `amount` (known or not) for this applicant

    @classmethod
    def of(cls, d: Decision) -> Side:
        return cls(
            d.policy,
            d.outcome.value,
            tuple(r.rule for r in d.reasons),
            tuple(u.rule for u in d.unknown),
            d.amount,
            d.period,
            d.amount is not None or d.amount_missing is not None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "unknown": list(self.unknown),
            "amount": None if self.amount is None else _money(self.amount),
        }


def _differs(old: Side | None, new: Side | None) -> bool:
    if old is None or new is None:
        return old is not new
    return (old.policy, old.outcome, old.reasons, old.unknown, old.amount) != (
        new.policy,
        new.outcome,
        new.reasons,
        new.unknown,
        new.amount,
    )


@attrs.frozen
class Example:
    """One applicant of a transition: what each side decided."""

    line: int
    application: str
    old: Side | None  # None: no policy of the item in force
    new: Side | None

    @property
    def reasons_added(self) -> tuple[str, ...]:
        before = set(self.old.reasons) if self.old else set()
        return tuple(r for r in (self.new.reasons if self.new else ()) if r not in before)

    @property
    def reasons_removed(self) -> tuple[str, ...]:
        after = set(self.new.reasons) if self.new else set()
        return tuple(r for r in (self.old.reasons if self.old else ()) if r not in after)

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "application": self.application,
            "old": None if self.old is None else self.old.to_dict(),
            "new": None if self.new is None else self.new.to_dict(),
            "reasons_added": list(self.reasons_added),
            "reasons_removed": list(self.reasons_removed),
        }


@attrs.define
class Cell:
    """Applicants who went from one outcome to another.  `changed` counts those whose
    decision differs at all (policy, reasons, unknown rules or amount): on the diagonal it
    is the applicants who kept their outcome for other reasons; off it, everyone."""

    count: int = 0
    changed: int = 0
    examples: list[Example] = attrs.Factory(list)


@attrs.define
class AmountStats:
    """Amounts of one item and period.  `stayed` applicants are eligible on both sides;
    `old_total`/`new_total` sum their amounts where both are known, and `difference` is the
    sum of their differences.  `old_all`/`new_all` sum every eligible applicant's known amount
    on each side (so they include those who became or stopped being eligible)."""

    period: str
    stayed: int = 0
    changed: int = 0
    increased: int = 0
    decreased: int = 0
    unknown: int = 0  # stayed eligible, but an amount is unknown (or not paid) on some side
    period_changed: int = 0  # stayed eligible, but the item is paid per another period now
    old_total: Decimal = ZERO
    new_total: Decimal = ZERO
    old_all: Decimal = ZERO
    new_all: Decimal = ZERO

    @property
    def difference(self) -> Decimal:
        return self.new_total - self.old_total

    @property
    def all_difference(self) -> Decimal:
        return self.new_all - self.old_all

    @property
    def per_year(self) -> int | None:
        return PER_YEAR.get(self.period)

    def to_dict(self) -> dict[str, Any]:
        k = self.per_year
        return {
            "period": self.period,
            "stayed_eligible": self.stayed,
            "changed": self.changed,
            "increased": self.increased,
            "decreased": self.decreased,
            "unknown": self.unknown,
            "period_changed": self.period_changed,
            "old_total": _money(self.old_total),
            "new_total": _money(self.new_total),
            "difference": _money(self.difference),
            "yearly_difference": None if k is None else _money(self.difference * k),
            "old_all_eligible_total": _money(self.old_all),
            "new_all_eligible_total": _money(self.new_all),
            "all_eligible_difference": _money(self.all_difference),
            "all_eligible_yearly_difference": (
                None if k is None else _money(self.all_difference * k)
            ),
        }


@attrs.define
class ItemImpact:
    item: str
    title: str
    cells: dict[tuple[str, str], Cell] = attrs.Factory(dict)
    amounts: dict[str, AmountStats] = attrs.Factory(dict)

    def cell(self, old: str, new: str) -> Cell:
        return self.cells.get((old, new)) or Cell()

    @property
    def applicants(self) -> int:
        return sum(c.count for c in self.cells.values())

    @property
    def moved(self) -> int:
        return sum(c.count for (a, b), c in self.cells.items() if a != b)

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.cells.values())

    def transitions(self) -> list[tuple[str, str, Cell]]:
        """The non-empty cells, off-diagonal first, each in outcome order."""
        order = {o: i for i, o in enumerate(OUTCOMES)}
        cells = [(a, b, c) for (a, b), c in self.cells.items() if c.count]
        return sorted(cells, key=lambda t: (t[0] == t[1], order[t[0]], order[t[1]]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "title": self.title,
            "applicants": self.applicants,
            "moved": self.moved,
            "changed": self.changed,
            "matrix": {a: {b: self.cell(a, b).count for b in OUTCOMES} for a in OUTCOMES},
            "transitions": [
                {
                    "from": a,
                    "to": b,
                    "count": c.count,
                    "changed": c.changed,
                    "examples": [e.to_dict() for e in c.examples],
                }
                for a, b, c in self.transitions()
            ],
            "amounts": [self.amounts[p].to_dict() for p in sorted(self.amounts)],
        }


@attrs.frozen
class InvalidRow:
    """An input line that was not screened: `kind` is `empty`, `encoding` (not UTF-8),
    `facts` (validation; the errors carry JSON paths) or `internal` (a bug, reported rather
    than raised)."""

    line: int
    application: Any
    kind: str
    errors: tuple[dict[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "application": self.application,
            "type": self.kind,
            "errors": [dict(e) for e in self.errors],
        }


@attrs.define
class Impact:
    """The transitions of a population, per item."""

    as_of: date | None
    examples: int
    rows: int = 0
    screened: int = 0
    moved: int = 0  # applications with at least one item whose outcome changed
    changed: int = 0  # applications with at least one decision that differs at all
    invalid: Counter[str] = attrs.Factory(Counter)
    invalid_rows: list[InvalidRow] = attrs.Factory(list)
    items: dict[str, ItemImpact] = attrs.Factory(dict)

    @property
    def invalid_count(self) -> int:
        return sum(self.invalid.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "rows": self.rows,
            "screened": self.screened,
            "moved": self.moved,
            "changed": self.changed,
            "invalid": {
                "count": self.invalid_count,
                "by_type": {k: self.invalid[k] for k in sorted(self.invalid)},
                "rows": [r.to_dict() for r in self.invalid_rows],
                "rows_not_listed": max(self.invalid_count - len(self.invalid_rows), 0),
            },
            "items": [self.items[k].to_dict() for k in sorted(self.items)],
        }

    # ------------------------------------------------------------ accumulation
    def _reject(self, line: int, app: Any, kind: str, errors: list[dict[str, str]]) -> None:
        self.invalid[kind] += 1
        if len(self.invalid_rows) < MAX_INVALID_LISTED:
            self.invalid_rows.append(InvalidRow(line, app, kind, tuple(errors)))

    def _add(
        self,
        line: int,
        app_id: str,
        old: list[Decision],
        new: list[Decision],
        titles: dict[str, str],
    ) -> None:
        self.screened += 1
        by_old = {d.item: d for d in old}
        by_new = {d.item: d for d in new}
        moved = changed = False
        for item in sorted(by_old.keys() | by_new.keys()):
            od, nd = by_old.get(item), by_new.get(item)
            o = Side.of(od) if od else None
            n = Side.of(nd) if nd else None
            a = o.outcome if o else NOT_IN_FORCE
            b = n.outcome if n else NOT_IN_FORCE
            imp = self.items.get(item)
            if imp is None:
                imp = self.items[item] = ItemImpact(item, titles.get(item, item))
            cell = imp.cells.get((a, b))
            if cell is None:
                cell = imp.cells[(a, b)] = Cell()
            cell.count += 1
            differs = _differs(o, n)
            moved = moved or a != b
            changed = changed or differs
            if differs:
                cell.changed += 1
                if len(cell.examples) < self.examples:
                    cell.examples.append(Example(line, app_id, o, n))
            _amounts(imp, o, n)
        self.moved += moved
        self.changed += changed


def _stats(imp: ItemImpact, period: str) -> AmountStats:
    s = imp.amounts.get(period)
    if s is None:
        s = imp.amounts[period] = AmountStats(period)
    return s


def _amounts(imp: ItemImpact, o: Side | None, n: Side | None) -> None:
    if o is not None and o.outcome == "eligible" and o.amount is not None:
        _stats(imp, o.period).old_all += o.amount
    if n is not None and n.outcome == "eligible" and n.amount is not None:
        _stats(imp, n.period).new_all += n.amount
    if o is None or n is None or o.outcome != "eligible" or n.outcome != "eligible":
        return
    if not (o.pays or n.pays):  # a policy without `amount`: nothing to add up
        return
    s = _stats(imp, n.period)
    s.stayed += 1
    if o.period != n.period:
        s.period_changed += 1
        return
    if o.amount is None or n.amount is None:
        s.unknown += 1
        s.changed += o.amount != n.amount
        return
    s.old_total += o.amount
    s.new_total += n.amount
    if n.amount != o.amount:
        s.changed += 1
        s.increased += n.amount > o.amount
        s.decreased += n.amount < o.amount


def population_impact(
    old: PolicySet,
    new: PolicySet,
    lines: Iterable[str | bytes],
    *,
    as_of: date | None = None,
    examples: int = 5,
) -> Impact:
    """Screen every JSON Lines row (text, or UTF-8 bytes) with both policy sets (`screen_all`;
    `as_of` overrides each application's date on both sides) and count the transitions per
    item, keeping up to `examples` applicants per transition.  Rows that cannot be screened
    are counted and listed, never raised."""
    if examples < 0:
        raise ArgumentError(f"examples 须为 0 或正整数，而不是 {examples!r}")
    titles = {code: p.title for code, p in old.policies.items() if code in old.items}
    titles |= {code: p.title for code, p in new.policies.items() if code in new.items}
    impact = Impact(as_of, examples)
    same_schema = old.validation_schema is new.validation_schema
    for n, raw in enumerate(lines, 1):
        impact.rows += 1
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                msg = f"不是 UTF-8 编码 / not UTF-8 ({e.reason} at byte {e.start} of the line)"
                impact._reject(n, None, "encoding", [{"path": "", "message": msg}])
                continue
        else:
            line = raw
        if n == 1:
            line = line.removeprefix("\ufeff")
        if not line.strip():
            impact._reject(n, None, "empty", [{"path": "", "message": "空行 / empty line"}])
            continue
        try:
            doc_old = old.parse_facts(line)
            doc_new = doc_old if same_schema else new.parse_facts(line)
        except FactsError as e:
            impact._reject(n, _peek_id(line), "facts", e.errors)
            continue
        app_id = str(doc_old.application.id)
        try:
            decisions_old = old.screen_all(doc_old, as_of)
            decisions_new = new.screen_all(doc_new, as_of)
        except Exception as e:  # a bug must not lose the row, nor stop the run
            msg = f"内部错误 / internal error: {type(e).__name__}: {e}"
            impact._reject(n, app_id, "internal", [{"path": "", "message": msg}])
            continue
        impact._add(n, app_id, decisions_old, decisions_new, titles)
    return impact
