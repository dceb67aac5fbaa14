"""Rule and condition coverage of case files (`yktrules test --coverage`).

Every case that the runner screens is replayed on the reference interpreter
(:class:`~yktrules.evaluate.interpreter.Interpreter`, through a recording subclass; the
compiled path that hosts use is untouched) with the policy that resolution picked.  For
that policy it records

- each rule's value: true, false or unknown;
- each **condition**: an operand of an ``and``/``or``, in the rule's condition or in a let
  the condition uses (directly or through other lets).  A chain ``a and b and c`` is one
  junction of three operands; a junction of the other kind inside it (``a and (b or c)``)
  is an operand itself and its own operands are conditions too.  An operand inside a
  filter or a quantifier is evaluated once per element; it counts as seen true when it was
  true for some element.

Counts are numbers of cases.  Policies are counted separately, each with its resolved
rules (a city policy's inherited rules are its rules too), and a policy that no case
reached counts with all its rules and conditions unseen.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from fractions import Fraction
from typing import Any

import attrs

from .. import ir
from ..errors import Span
from ..evaluate.interpreter import Interpreter, Param
from ..ir.functions import Function
from ..screening.decision import Decision
from ..screening.policyset import PolicySet

OUTCOMES = ("true", "false", "unknown")
REQUIRED = ("true", "false")  # what "covered" asks for; unknown is reported only


def outcome(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    return "unknown"


# ---------------------------------------------------------------- the report
@attrs.frozen
class Counts:
    """In how many cases a rule or condition was true, false and unknown."""

    true: int = 0
    false: int = 0
    unknown: int = 0

    @property
    def evaluated(self) -> bool:
        return bool(self.true or self.false or self.unknown)

    @property
    def missing(self) -> tuple[str, ...]:
        """The required outcomes ("true", "false") never seen."""
        return tuple(o for o in REQUIRED if not getattr(self, o))

    @property
    def covered(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, int]:
        return {"true": self.true, "false": self.false, "unknown": self.unknown}


def _missing_text(c: Counts) -> str:
    if not c.evaluated:
        return "never evaluated"
    return ", ".join(f"never {m}" for m in c.missing)


@attrs.frozen
class RuleCoverage:
    name: str
    kind: str
    source: str  # file:line where the rule (or its override) is written
    counts: Counts


@attrs.frozen
class ConditionCoverage:
    source: str  # file:line:col of the operand
    text: str  # the operand as written (re-sliced from the source)
    owner: str  # "rule NAME" or "let NAME": where the operand is written
    rules: tuple[str, ...]  # the rules whose condition reaches it
    counts: Counts


@attrs.frozen
class Gap:
    """A rule or condition not seen both true and false."""

    policy: str
    kind: str  # "rule" | "condition"
    source: str
    what: str  # the rule's name, or the condition's text
    missing: tuple[str, ...]  # required outcomes never seen
    detail: str  # "never true", "never false", "never true, never false", "never evaluated"

    def __str__(self) -> str:
        what = self.what if self.kind == "rule" else f"`{self.what}`"
        return f"{self.source} {what}: {self.detail}"


def _percent(num: int, den: int) -> float | None:
    return None if den == 0 else round(float(Fraction(100 * num, den)), 2)


@attrs.frozen
class PolicyCoverage:
    code: str
    title: str
    file: str
    cases: int  # cases that this policy screened
    rules: tuple[RuleCoverage, ...]
    conditions: tuple[ConditionCoverage, ...]

    @property
    def rules_covered(self) -> int:
        return sum(r.counts.covered for r in self.rules)

    @property
    def outcomes_seen(self) -> int:
        """Condition outcomes (true, false) seen, over 2 per condition."""
        return sum(len(REQUIRED) - len(c.counts.missing) for c in self.conditions)

    @property
    def outcomes_total(self) -> int:
        return len(REQUIRED) * len(self.conditions)

    @property
    def rule_percent(self) -> float | None:
        """None when the policy has no rules."""
        return _percent(self.rules_covered, len(self.rules))

    @property
    def condition_percent(self) -> float | None:
        """None when no rule uses an `and`/`or`."""
        return _percent(self.outcomes_seen, self.outcomes_total)

    def gaps(self) -> list[Gap]:
        out = [
            Gap(self.code, "rule", r.source, r.name, r.counts.missing, _missing_text(r.counts))
            for r in self.rules
            if not r.counts.covered
        ]
        out += [
            Gap(self.code, "condition", c.source, c.text, c.counts.missing, _missing_text(c.counts))
            for c in self.conditions
            if not c.counts.covered
        ]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "source": self.file,
            "cases": self.cases,
            "rule_coverage": {
                "covered": self.rules_covered,
                "total": len(self.rules),
                "percent": self.rule_percent,
            },
            "condition_coverage": {
                "seen": self.outcomes_seen,
                "total": self.outcomes_total,
                "percent": self.condition_percent,
            },
            "rules": {
                r.name: {
                    "kind": r.kind,
                    "source": r.source,
                    **r.counts.to_dict(),
                    "covered": r.counts.covered,
                }
                for r in self.rules
            },
            "conditions": [
                {
                    "source": c.source,
                    "text": c.text,
                    "in": c.owner,
                    "rules": list(c.rules),
                    **c.counts.to_dict(),
                    "covered": c.counts.covered,
                }
                for c in self.conditions
            ],
        }


@attrs.frozen
class CoverageReport:
    policies: tuple[PolicyCoverage, ...]

    @property
    def cases(self) -> int:
        return sum(p.cases for p in self.policies)

    @property
    def rules_covered(self) -> int:
        return sum(p.rules_covered for p in self.policies)

    @property
    def rules_total(self) -> int:
        return sum(len(p.rules) for p in self.policies)

    @property
    def outcomes_seen(self) -> int:
        return sum(p.outcomes_seen for p in self.policies)

    @property
    def outcomes_total(self) -> int:
        return sum(p.outcomes_total for p in self.policies)

    @property
    def rule_percent(self) -> float:
        """Total rule coverage; 100 when there is no rule at all."""
        pct = _percent(self.rules_covered, self.rules_total)
        return 100.0 if pct is None else pct

    @property
    def condition_percent(self) -> float:
        """Total condition coverage; 100 when no rule uses `and`/`or`."""
        pct = _percent(self.outcomes_seen, self.outcomes_total)
        return 100.0 if pct is None else pct

    @property
    def untouched(self) -> list[PolicyCoverage]:
        """The policies that no case reached (0%)."""
        return [p for p in self.policies if p.cases == 0]

    def below(self, percent: float | str) -> bool:
        """True when total rule coverage is below `percent` (compared exactly)."""
        if not self.rules_total:
            return False
        want = Fraction(str(percent))
        return Fraction(100 * self.rules_covered, self.rules_total) < want

    def gaps(self) -> list[Gap]:
        """Every rule, then every condition, not seen both true and false, policy by
        policy (untouched policies included: their gaps are "never evaluated")."""
        return [g for p in self.policies for g in p.gaps()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": {
                "cases": self.cases,
                "rule_coverage": {
                    "covered": self.rules_covered,
                    "total": self.rules_total,
                    "percent": self.rule_percent,
                },
                "condition_coverage": {
                    "seen": self.outcomes_seen,
                    "total": self.outcomes_total,
                    "percent": self.condition_percent,
                },
                "untouched": [p.code for p in self.untouched],
            },
            "policies": [p.to_dict() for p in self.policies],
        }


# ---------------------------------------------------------------- what to watch
@attrs.frozen
class _Operand:
    span: Span
    owner: str
    rules: tuple[str, ...]


class _Plan:
    """For one policy: its conditions in source order, and which IR nodes are which."""

    def __init__(self, policy: ir.CheckedPolicy):
        self.policy = policy
        found: dict[tuple[Any, ...], tuple[str, list[ir.Node]]] = {}
        reach: dict[int, set[str]] = {}  # let index -> rules that use it

        def collect(root: ir.Node, owner: str) -> set[int]:
            lets: set[int] = set()
            stack = [root]
            while stack:
                n = stack.pop()
                if isinstance(n, ir.LetRef):
                    lets.add(n.index)
                    continue
                if isinstance(n, ir.And | ir.Or):
                    for op in _chain(n):
                        s = op.span
                        key = (s.file, s.line, s.col, s.end_line, s.end_col)
                        found.setdefault(key, (owner, []))[1].append(op)
                        stack.append(op)
                    continue
                stack.extend(_children(n))
            return lets

        let_uses = {i: collect(let.expr, f"let {let.name}") for i, let in enumerate(policy.lets)}
        for rule in policy.rules:
            todo = list(collect(rule.cond, f"rule {rule.name}"))
            seen: set[int] = set()
            while todo:
                i = todo.pop()
                if i in seen:
                    continue
                seen.add(i)
                reach.setdefault(i, set()).add(rule.name)
                todo += let_uses[i]
        used = {f"let {policy.lets[i].name}": tuple(sorted(r)) for i, r in reach.items()}
        keys = [
            k
            for k, (owner, _) in found.items()
            if owner.startswith("rule ") or owner in used  # lets no rule uses do not count
        ]
        keys.sort(key=lambda k: (k[0], k[1], k[2], -k[3], -k[4]))  # outer before inner
        self.operands: list[_Operand] = []
        self.watch: dict[int, int] = {}  # id(IR node) -> index into operands
        self.nodes: list[ir.Node] = []  # keeps the watched nodes (and so their ids) alive
        for idx, k in enumerate(keys):
            owner, nodes = found[k]
            rules = (owner[5:],) if owner.startswith("rule ") else used[owner]
            self.operands.append(_Operand(nodes[0].span, owner, rules))
            for node in nodes:
                self.watch[id(node)] = idx
                self.nodes.append(node)


def _chain(n: ir.And | ir.Or) -> Iterator[ir.Node]:
    """The operands of a chain of one kind: `a and b and c` gives a, b, c."""
    for side in (n.left, n.right):
        if type(side) is type(n):
            yield from _chain(side)  # type: ignore[arg-type]
        else:
            yield side


def _children(n: ir.Node) -> Iterator[ir.Node]:
    for f in attrs.fields(type(n)):
        if f.name in ("type", "span"):
            continue
        v = getattr(n, f.name)
        if isinstance(v, ir.Node):
            yield v
        elif isinstance(v, tuple):
            yield from (x for x in v if isinstance(x, ir.Node))


class _Recording(Interpreter):
    """The reference interpreter, noting the outcome of every watched node it evaluates."""

    def __init__(
        self,
        policy: ir.CheckedPolicy,
        funcs: dict[str, Function],
        facts: Any,
        as_of: date,
        param: Param,
        watch: dict[int, int],
    ):
        super().__init__(policy, funcs, facts, as_of, param)
        self._watch = watch
        self.seen: dict[int, set[str]] = {}

    def eval(self, n: ir.Node, env: dict[int, Any]) -> Any:
        v = super().eval(n, env)
        i = self._watch.get(id(n))
        if i is not None:
            self.seen.setdefault(i, set()).add(outcome(v))
        return v


# ---------------------------------------------------------------- collecting
class _Tally:
    def __init__(self, plan: _Plan):
        self.plan = plan
        self.cases = 0
        self.rules: dict[str, Counter[str]] = {r.name: Counter() for r in plan.policy.rules}
        self.conditions: list[Counter[str]] = [Counter() for _ in plan.operands]


class Coverage:
    """Collects coverage while a :class:`~yktrules.tester.runner.Runner` runs cases.

    ``Runner(coverage=Coverage())``; after the run, :meth:`report`."""

    def __init__(self) -> None:
        self._sets: dict[int, tuple[PolicySet, dict[str, _Tally]]] = {}

    def add_set(self, ps: PolicySet) -> None:
        """Count every policy of `ps`, whether or not a case reaches it."""
        if id(ps) not in self._sets:
            self._sets[id(ps)] = (ps, {c: _Tally(_Plan(p)) for c, p in ps.policies.items()})

    def record(self, ps: PolicySet, doc: Any, decision: Decision) -> None:
        """Replay one screened case (validated facts `doc`) on the reference interpreter."""
        self.add_set(ps)
        tally = self._sets[id(ps)][1][decision.policy]
        region = doc.application.region
        day = decision.as_of

        def param(name: str) -> Any:
            return ps._param(name, region, day)

        interp = _Recording(tally.plan.policy, ps._funcs, doc, day, param, tally.plan.watch)
        tally.cases += 1
        for rule, value in interp.rules():
            tally.rules[rule.name][outcome(value)] += 1
        for i, outcomes in interp.seen.items():
            tally.conditions[i].update(outcomes)

    def report(self) -> CoverageReport:
        out: list[PolicyCoverage] = []
        for ps, tallies in self._sets.values():
            texts = dict(ps.sources.policies)
            for code in sorted(tallies):
                t = tallies[code]
                p = t.plan.policy
                rules = tuple(
                    RuleCoverage(r.name, r.kind, r.span.short, _counts(t.rules[r.name]))
                    for r in p.rules
                )
                conds = tuple(
                    ConditionCoverage(
                        str(op.span), _slice(texts, op.span), op.owner, op.rules, _counts(c)
                    )
                    for op, c in zip(t.plan.operands, t.conditions, strict=True)
                )
                out.append(PolicyCoverage(code, p.title, p.file, t.cases, rules, conds))
        return CoverageReport(tuple(out))


def _counts(c: Counter[str]) -> Counts:
    return Counts(c["true"], c["false"], c["unknown"])


def _slice(texts: dict[str, str], span: Span) -> str:
    """The source text of `span`, on one line."""
    text = texts.get(span.file)
    if text is None:
        return "?"
    lines = text.splitlines()
    if not 1 <= span.line <= span.end_line <= len(lines):
        return "?"
    if span.line == span.end_line:
        part = lines[span.line - 1][span.col - 1 : span.end_col - 1]
    else:
        part = "\n".join(
            [
                lines[span.line - 1][span.col - 1 :],
                *lines[span.line : span.end_line - 1],
                lines[span.end_line - 1][: span.end_col - 1],
            ]
        )
    return re.sub(r"\s*\n\s*", " ", part).strip()
