"""The fast screening path: what a decision needs besides the facts, computed ahead.

Which policy screens an item, a policy's `version` and its parameter values depend only on
the region and the day, and change only on a finite set of *change dates*: every policy's
`effective` date, the day after every `until`, and every date of every parameter series.
Between two consecutive change dates (an *epoch*) they are constant, so a `PolicySet`
computes them once per (region, epoch) and keeps them in a `RegionEnv`.

A `Plan` holds what can be computed once per policy for `decide`: per rule, the value that
makes it a reason, whether such a reason refuses the application, its source position and,
when its message has no interpolation, the `Reason` itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs

from .. import ir
from ..evaluate.compiler import CompiledPolicy, Ctx, Fn
from ..ir.values import Unknown, render, round_amount
from ..params import ParamTable
from .decision import Decision, EvaluationError, Outcome, PolicyInfo, Reason, UnknownRule

BLOCKING_KINDS = ("require", "deny")  # a reason of these kinds makes the outcome ineligible


def change_dates(policies: Iterable[ir.CheckedPolicy], params: ParamTable) -> tuple[date, ...]:
    """The sorted days on which resolution, a version or a parameter value may change."""
    days: set[date] = set()
    for p in policies:
        days.add(p.effective)
        if p.until is not None and p.until < date.max:  # `until` is inclusive
            days.add(p.until + timedelta(days=1))
    for decl in params.decls.values():
        for series in decl.values.values():
            days.update(d for d, _ in series)
    return tuple(sorted(days))


def epoch_start(changes: tuple[date, ...], epoch: int) -> date:
    """A day of the epoch (its first): every day of it resolves the same way."""
    return changes[epoch - 1] if epoch else date.min


@attrs.frozen
class Step:
    """One rule, as `decide` runs it."""

    rule: ir.CheckedRule
    fn: Fn
    fires: bool  # the value that makes the rule a reason: False for require, True otherwise
    blocking: bool  # such a reason refuses the application (require, deny)
    source: str  # file:line
    parts: tuple[str | Fn, ...]  # the message, to interpolate
    text: str | None  # the message, when it has no interpolation
    reason: Reason | None  # the reason, when its message has no interpolation


@attrs.frozen
class Plan:
    """A compiled policy with its rules prepared for `decide`."""

    compiled: CompiledPolicy = attrs.field(eq=False)
    policy: ir.CheckedPolicy
    info: PolicyInfo
    steps: tuple[Step, ...]
    # (fn, fires, holds, blocking, index) per rule, for the loop: holds = not fires
    loop: tuple[tuple[Fn, bool, bool, bool, int], ...] = attrs.field(eq=False, repr=False)

    @classmethod
    def of(cls, compiled: CompiledPolicy, info: PolicyInfo) -> Plan:
        steps: list[Step] = []
        for rule, fn in compiled.rules:
            parts = tuple(compiled.messages[rule.name])
            texts = [p for p in parts if isinstance(p, str)]
            text = "".join(texts) if len(texts) == len(parts) else None  # no interpolation
            source = rule.span.short
            fires = rule.kind != "require"
            reason = None if text is None else Reason(rule.name, rule.kind, text, source)
            blocking = rule.kind in BLOCKING_KINDS
            steps.append(Step(rule, fn, fires, blocking, source, parts, text, reason))
        loop = tuple((s.fn, s.fires, not s.fires, s.blocking, i) for i, s in enumerate(steps))
        return cls(compiled, compiled.policy, info, tuple(steps), loop)


@attrs.frozen
class PolicyEnv:
    """One policy for one region and epoch: its plan, version and parameter values
    (`Unknown` for a parameter without a value)."""

    plan: Plan
    version: str
    params: Mapping[str, Any]
    lookup: Callable[[str], Any] = attrs.field(eq=False, repr=False)


@attrs.frozen
class RegionEnv:
    """For one region and epoch: the policy in force for each item, in item-code order."""

    entries: tuple[PolicyEnv, ...]
    by_item: Mapping[str, PolicyEnv]


def _message(parts: tuple[str | Fn, ...], ctx: Ctx) -> str:
    return "".join([p if isinstance(p, str) else render(p(ctx)) for p in parts])


def decide(env: PolicyEnv, doc: Any, as_of: date) -> Decision:
    """Outcome, reasons, unknowns and amount (LANGUAGE.md §6) on the compiled path; the same
    decision as `PolicySet._decide` gives from the rules' values."""
    plan = env.plan
    comp = plan.compiled
    ctx = comp.context(doc, as_of, env.lookup)
    steps = plan.steps
    reasons: list[Reason] = []
    unknown: list[UnknownRule] = []
    blocked = False
    for fn, fires, holds, blocking, i in plan.loop:
        v = fn(ctx)
        if v is holds:
            continue
        s = steps[i]
        if v is fires:
            r = s.reason
            if r is None:
                r = Reason(s.rule.name, s.rule.kind, _message(s.parts, ctx), s.source)
            reasons.append(r)
            if blocking:
                blocked = True
            continue
        errs = tuple(EvaluationError(e.message, str(e.span)) for e in v.errors)
        text = s.text if s.text is not None else _message(s.parts, ctx)
        unknown.append(
            UnknownRule(s.rule.name, s.rule.kind, tuple(sorted(v.missing)), text, s.source, errs)
        )
    if blocked:
        outcome = Outcome.INELIGIBLE
    elif reasons or unknown:
        outcome = Outcome.REVIEW
    else:
        outcome = Outcome.ELIGIBLE
    amount: Decimal | None = None
    amount_missing: tuple[str, ...] | None = None
    amount_errors: tuple[EvaluationError, ...] = ()
    if outcome is Outcome.ELIGIBLE and comp.amount is not None:
        a = comp.amount(ctx)
        if a.__class__ is Unknown:
            amount_missing = tuple(sorted(a.missing))
            amount_errors = tuple(EvaluationError(e.message, str(e.span)) for e in a.errors)
        else:
            amount = round_amount(Decimal(a))
    p = plan.policy
    return Decision(
        item=p.item,
        policy=p.code,
        title=p.title,
        version=env.version,
        as_of=as_of,
        outcome=outcome,
        reasons=tuple(reasons),
        unknown=tuple(unknown),
        amount=amount,
        info=plan.info,
        amount_missing=amount_missing,
        amount_errors=amount_errors,
    )
