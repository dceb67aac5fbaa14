"""The boundaries a policy set draws: per fact path, the constants and parameter values it is
compared against, so that generated applicants land on, just below and just above them.

`targets_for(policy_set)` walks the checked rule trees (``yktrules.ir``) of the policies.  For each
comparison `a OP b` it works out the values the other side can take (a constant, every value
of a parameter, an arithmetic combination of those, `as_of`) and, when one side leads back
to a fact, records the values that fact must take for the comparison to flip:

- `household.deposits >= 5000`: `household.deposits` → 5000;
- `per_capita < line` with `per_capita = household.monthly_income / count(household.members)`:
  `household.monthly_income` → every value of `line` times 0…4 (the household sizes are not
  known statically, so each of the sizes the generator produces is tried);
- `age(applicant.birth_date) >= 80`: `applicant.birth_date` → 80 years before `as_of`;
- `months_between(a.date, as_of) < 12`: `records.applications.date` → 12 months before;
- `it.since <= as_of`: `records.benefits.since` → `as_of` itself;
- `kind == "住房"`, `b.item in ["SC-MZ-001", …]`: the strings;
- `count(household.properties[kind == "住房"]) >= 2`: lists of about 2 elements;
- `exists(household.businesses[…])`: empty lists and lists of one;
- `deny applicant_in_custody: applicant.in_custody`: `applicant.in_custody` is preferably
  false, `require alive: applicant.alive` preferably true — a yes/no fact that decides a
  rule leans to the value that lets the applicant pass it, so that applicants who pass
  every rule turn up too (the other value still comes up about one time in four).

What it does not do: it does not solve for two facts at once (in `a + b < K`, each of `a`
and `b` is aimed at `K` as if the other were 0), it does not follow host functions, and it
does not relate two facts to each other (`m.id_number != applicant.id_number`; the
generator handles the region relations `within` needs on its own).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from .. import ir
from ..errors import ArgumentError
from ..ir.types import BOOLEAN, ListT
from ..ir.values import DECIMAL_CONTEXT
from ..screening.policyset import PolicySet

__all__ = [
    "COUNT_VALUES",
    "Targets",
    "fact_paths",
    "param_values",
    "shift_date",
    "targets_for",
]

#: The element counts the generator gives a list; `count(L)` inside arithmetic is assumed to
#: be one of these when boundaries are worked back to a fact.
COUNT_VALUES: tuple[int, ...] = (0, 1, 2, 3, 4)

# How many boundary values one side of a comparison may contribute (products of parameter
# values can multiply quickly); beyond it an evenly spread subset is kept.
_MAX_VALUES = 64


@attrs.frozen(order=True)
class _Rel:
    """A date relative to `as_of`: `n` units before it (after it, when `n` is negative)."""

    unit: str
    n: int


_AS_OF = _Rel("days", 0)


def _freeze(d: Mapping[str, set[Any]]) -> dict[str, tuple[Any, ...]]:
    return {k: tuple(sorted(v)) for k, v in sorted(d.items()) if v}


@attrs.frozen
class Targets:
    """Per fact path (`household.monthly_income`, `household.members.birth_date`,
    `household.properties.kind`), the values worth generating.

    - `numbers`: the boundaries of numeric facts (the generator adds ±0.01 and ±1);
    - `strings`: strings and enum values compared against;
    - `dates`: absolute dates compared against (the generator adds ±1 day);
    - `relative`: dates as `(unit, n)`, `n` years/months/days before `as_of` (ages,
      `months_between(…, as_of)`, comparisons with `as_of`);
    - `lengths`: list sizes compared against (`count(...)`, `exists(...)`);
    - `booleans`: yes/no facts and the value that lets an applicant pass the rules that
      test them (both values when the rules disagree);
    - `as_of_dates`: days on which something changes (a parameter value, a policy's
      `effective`/`until`), good decision dates;
    - `codes`: the policy codes of the set (for item-code fields).
    """

    numbers: Mapping[str, tuple[Decimal, ...]] = attrs.field(factory=dict)
    strings: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    dates: Mapping[str, tuple[date, ...]] = attrs.field(factory=dict)
    relative: Mapping[str, tuple[tuple[str, int], ...]] = attrs.field(factory=dict)
    lengths: Mapping[str, tuple[int, ...]] = attrs.field(factory=dict)
    booleans: Mapping[str, tuple[bool, ...]] = attrs.field(factory=dict)
    as_of_dates: tuple[date, ...] = ()
    codes: tuple[str, ...] = ()

    @property
    def paths(self) -> list[str]:
        """Every fact path that has a target."""
        maps = (self.numbers, self.strings, self.dates, self.relative, self.lengths, self.booleans)
        return sorted({p for m in maps for p in m})

    def merged(self, other: Targets) -> Targets:
        """The targets of both."""

        def union(a: Mapping[str, tuple[Any, ...]], b: Mapping[str, tuple[Any, ...]]) -> Any:
            out: dict[str, set[Any]] = {}
            for m in (a, b):
                for k, v in m.items():
                    out.setdefault(k, set()).update(v)
            return _freeze(out)

        return Targets(
            union(self.numbers, other.numbers),
            union(self.strings, other.strings),
            union(self.dates, other.dates),
            union(self.relative, other.relative),
            union(self.lengths, other.lengths),
            union(self.booleans, other.booleans),
            tuple(sorted(set(self.as_of_dates) | set(other.as_of_dates))),
            tuple(sorted(set(self.codes) | set(other.codes))),
        )

    def describe(self) -> list[str]:
        """One line per fact path, for people: what will be aimed at."""
        zh = {"years": "周岁", "months": "个月", "days": "天"}
        lines: list[str] = []
        for p in self.paths:
            parts: list[str] = []
            if p in self.numbers:
                parts.append("数值 " + ", ".join(_num(v) for v in self.numbers[p]))
            if p in self.strings:
                parts.append("取值 " + ", ".join(self.strings[p]))
            if p in self.dates:
                parts.append("日期 " + ", ".join(d.isoformat() for d in self.dates[p]))
            if p in self.relative:
                parts.append("基准日前 " + ", ".join(f"{n}{zh[u]}" for u, n in self.relative[p]))
            if p in self.lengths:
                parts.append("元素个数 " + ", ".join(str(n) for n in self.lengths[p]))
            if p in self.booleans:
                parts.append("倾向 " + "/".join("是" if b else "否" for b in self.booleans[p]))
            lines.append(f"{p}: " + "；".join(parts))
        return lines


def _num(v: Decimal) -> str:
    s = format(v, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def targets_for(policy_set: PolicySet, code: str | None = None) -> Targets:
    """The targets of one policy (`code`) or, without a code, of every policy in the set."""
    if code is not None and code not in policy_set.policies:
        known = "、".join(sorted(policy_set.policies))
        raise ArgumentError(f"没有政策 {code} / no such policy; 已加载的政策：{known}")
    codes = [code] if code is not None else sorted(policy_set.policies)
    w = _Walker(policy_set)
    for c in codes:
        w.policy(policy_set.policies[c])
    return Targets(
        _freeze(w.numbers),
        _freeze(w.strings),
        _freeze(w.dates),
        {k: tuple((r.unit, r.n) for r in sorted(v)) for k, v in sorted(w.relative.items())},
        _freeze(w.lengths),
        _freeze(w.booleans),
        tuple(sorted(w.as_of_dates)),
        tuple(sorted(policy_set.policies)),
    )


def fact_paths(policy: ir.CheckedPolicy) -> set[str]:
    """Every fact path a policy reads (`applicant.alive`, `household.members.in_custody`),
    with `application.date` and `application.region`, which decide `as_of` and the
    parameters."""
    out = {"application.date", "application.region"}
    roots: list[ir.Node] = [let.expr for let in policy.lets]
    roots += [r.cond for r in policy.rules]
    roots += [m.value for r in policy.rules for m in r.message if m.value is not None]
    if policy.amount is not None:
        roots.append(policy.amount)
    for root in roots:
        for n in _nodes(root):
            if isinstance(n, ir.GetField | ir.Var) and n.path:
                out.add(n.path)
            elif isinstance(n, ir.Root):
                out.add(n.name)
    return out


def param_values(policy_set: PolicySet, name: str) -> list[Any]:
    """Every value a parameter takes, in any region and at any date."""
    decl = policy_set.params.get(name)
    if decl is None:
        return []
    return [v for series in decl.values.values() for _, v in series]


# ------------------------------------------------------------------ the walk
class _Walker:
    def __init__(self, policy_set: PolicySet):
        self.ps = policy_set
        self.numbers: dict[str, set[Decimal]] = {}
        self.strings: dict[str, set[str]] = {}
        self.dates: dict[str, set[date]] = {}
        self.relative: dict[str, set[_Rel]] = {}
        self.lengths: dict[str, set[int]] = {}
        self.booleans: dict[str, set[bool]] = {}
        self.as_of_dates: set[date] = set()
        self.p: ir.CheckedPolicy | None = None
        self._active: set[int] = set()  # lets being followed (guards against cycles)

    def policy(self, p: ir.CheckedPolicy) -> None:
        self.p = p
        self.as_of_dates.add(p.effective)
        if p.until is not None:
            self.as_of_dates.add(p.until)
        for name in p.params:
            decl = self.ps.params.get(name)
            if decl is not None:
                self.as_of_dates.update(d for series in decl.values.values() for d, _ in series)
        roots: list[ir.Node] = [let.expr for let in p.lets]
        roots += [r.cond for r in p.rules]
        roots += [m.value for r in p.rules for m in r.message if m.value is not None]
        if p.amount is not None:
            roots.append(p.amount)
        for root in roots:
            for n in _nodes(root):
                self.visit(n)
        for r in p.rules:
            self.polarity(r.cond, r.kind == "require")

    def polarity(self, n: ir.Node, passing: bool) -> None:
        """Record the value of each yes/no fact that makes `n` come out `passing`."""
        if isinstance(n, ir.Not):
            self.polarity(n.operand, not passing)
        elif isinstance(n, ir.And | ir.Or):
            self.polarity(n.left, passing)
            self.polarity(n.right, passing)
        elif isinstance(n, ir.Quant):
            self.polarity(n.body, passing)
        elif isinstance(n, ir.If):
            self.polarity(n.then, passing)
            self.polarity(n.else_, passing)
        elif isinstance(n, ir.Coalesce):
            self.polarity(n.left, passing)
        elif isinstance(n, ir.LetRef) and n.index not in self._active:
            self._active.add(n.index)
            try:
                self.polarity(self.let_expr(n), passing)
            finally:
                self._active.discard(n.index)
        elif isinstance(n, ir.GetField | ir.Var) and n.path and n.type == BOOLEAN:
            self.booleans.setdefault(n.path, set()).add(passing)

    def let_expr(self, n: ir.LetRef) -> ir.Node:
        assert self.p is not None
        return self.p.lets[n.index].expr

    # -------------------------------------------------------------- per node
    def visit(self, n: ir.Node) -> None:
        if isinstance(n, ir.Cmp):
            self.compare(n)
        elif isinstance(n, ir.Call) and n.func == "exists":
            path = self.list_path(n.args[0])
            if path:
                self.lengths.setdefault(path, set()).update((0, 1))

    def compare(self, n: ir.Cmp) -> None:
        if n.op in ("==", "!=", "<", "<=", ">", ">="):
            for side, other in ((n.left, n.right), (n.right, n.left)):
                vals = self.values(other)
                if vals:
                    self.solve(side, vals)
        elif n.op in ("in", "not in"):
            elems = self.elements(n.right)
            if elems:
                self.solve(n.left, elems)
        elif n.op == "within":
            vals = self.values(n.right)
            if vals:
                self.solve(n.left, vals)

    # -------------------------------------------------------------- values of a side
    def values(self, n: ir.Node) -> set[Any] | None:
        """The values an expression can take when it does not depend on facts; None when
        it does (or they cannot be listed)."""
        if isinstance(n, ir.Const):
            v = n.value
            return {v} if isinstance(v, Decimal | str | date | bool) else None
        if isinstance(n, ir.Param):
            vals = param_values(self.ps, n.name)
            return set(vals) or None
        if isinstance(n, ir.AsOf):
            return {_AS_OF}
        if isinstance(n, ir.PolicyAttr):
            assert self.p is not None
            return {self.p.code if n.name == "code" else self.p.region}
        if isinstance(n, ir.LetRef):
            return self._follow(n, self.values)
        if isinstance(n, ir.If | ir.Coalesce):
            a, b = (n.then, n.else_) if isinstance(n, ir.If) else (n.left, n.right)
            va, vb = self.values(a), self.values(b)
            if va is None and vb is None:
                return None
            return (va or set()) | (vb or set())
        if isinstance(n, ir.Neg):
            v = self.values(n.operand)
            return {-x for x in v if isinstance(x, Decimal)} if v else None
        if isinstance(n, ir.Arith):
            left, right = self.values(n.left), self.values(n.right)
            if not left or not right:
                return None
            return _combine(n.op, _numbers(left), _numbers(right))
        if isinstance(n, ir.Call) and n.func == "count":
            return {Decimal(k) for k in COUNT_VALUES}
        if isinstance(n, ir.Call) and n.func == "abs":
            v = self.values(n.args[0])
            return {abs(x) for x in v if isinstance(x, Decimal)} if v else None
        return None

    def elements(self, n: ir.Node) -> set[Any] | None:
        """The values of the elements of a list that does not depend on facts."""
        if isinstance(n, ir.ListLit):
            out: set[Any] = set()
            for item in n.items:
                out |= self.values(item) or set()
            return out or None
        if isinstance(n, ir.LetRef):
            return self._follow(n, self.elements)
        return None

    def _follow(self, n: ir.LetRef, fn: Callable[[ir.Node], set[Any] | None]) -> set[Any] | None:
        if n.index in self._active:
            return None
        self._active.add(n.index)
        try:
            return fn(self.let_expr(n))
        finally:
            self._active.discard(n.index)

    # -------------------------------------------------------------- working back to facts
    def solve(self, n: ir.Node, vals: set[Any]) -> None:
        """Record that expression `n` is worth making equal to each of `vals`."""
        if not vals:
            return
        if isinstance(n, ir.GetField | ir.Var | ir.Root):
            path = n.name if isinstance(n, ir.Root) else n.path
            if path is not None and not isinstance(n.type, ListT):
                self.record(path, vals)
            return
        if isinstance(n, ir.LetRef):
            if n.index not in self._active:
                self._active.add(n.index)
                try:
                    self.solve(self.let_expr(n), vals)
                finally:
                    self._active.discard(n.index)
            return
        if isinstance(n, ir.Coalesce):
            self.solve(n.left, vals)
            self.solve(n.right, vals)
        elif isinstance(n, ir.If):
            self.solve(n.then, vals)
            self.solve(n.else_, vals)
        elif isinstance(n, ir.Neg):
            self.solve(n.operand, {-v for v in _numbers(vals)})
        elif isinstance(n, ir.Arith):
            self.arith(n, _numbers(vals))
        elif isinstance(n, ir.Call):
            self.call(n, vals)

    def arith(self, n: ir.Arith, vals: set[Decimal]) -> None:
        neutral = {Decimal(0)} if n.op in ("+", "-") else {Decimal(1)}
        left = _numbers(self.values(n.left) or neutral)
        right = _numbers(self.values(n.right) or neutral)
        inverse_left = {"+": "-", "-": "+", "*": "/", "/": "*"}[n.op]
        self.solve(n.left, _combine(inverse_left, vals, right))
        if n.op in ("+", "*"):
            self.solve(n.right, _combine(inverse_left, vals, left))
        else:  # l - r = v → r = l - v;  l / r = v → r = l / v
            self.solve(n.right, _combine(n.op, left, vals))

    def call(self, n: ir.Call, vals: set[Any]) -> None:
        whole = {int(v) for v in _numbers(vals) if v == v.to_integral_value()}
        if n.func == "count":
            path = self.list_path(n.args[0])
            if path:
                self.lengths.setdefault(path, set()).update(k for k in whole if k >= 0)
        elif n.func in ("sum", "min", "max", "avg"):
            self.solve(n.args[0], vals)  # a projected list: aim its elements at the value
        elif n.func == "abs":
            nums = _numbers(vals)
            self.solve(n.args[0], nums | {-v for v in nums})
        elif n.func == "age":
            self.solve(n.args[0], {_Rel("years", k) for k in whole})
        elif n.func in ("years_between", "months_between", "days_between"):
            unit = n.func.split("_")[0]
            d1, d2 = n.args
            for base, fact, sign in ((d2, d1, 1), (d1, d2, -1)):
                anchors = self.values(base) or set()
                if _AS_OF in anchors:
                    self.solve(fact, {_Rel(unit, sign * k) for k in whole})
                for a in anchors:
                    if isinstance(a, date):
                        self.solve(fact, {shift_date(a, unit, sign * k) for k in whole} - {None})

    def record(self, path: str, vals: set[Any]) -> None:
        for v in vals:
            if isinstance(v, bool):
                continue
            if isinstance(v, Decimal):
                if v.is_finite():
                    self.numbers.setdefault(path, set()).add(_canonical(v))
            elif isinstance(v, str):
                self.strings.setdefault(path, set()).add(v)
            elif isinstance(v, _Rel):
                self.relative.setdefault(path, set()).add(v)
            elif isinstance(v, date):
                self.dates.setdefault(path, set()).add(v)

    def list_path(self, n: ir.Node) -> str | None:
        if isinstance(n, ir.GetField | ir.Var):
            return n.path
        if isinstance(n, ir.Root):
            return n.name
        if isinstance(n, ir.Filter):
            return self.list_path(n.obj)
        if isinstance(n, ir.LetRef) and n.index not in self._active:
            self._active.add(n.index)
            try:
                return self.list_path(self.let_expr(n))
            finally:
                self._active.discard(n.index)
        return None


# ------------------------------------------------------------------ helpers
def _nodes(n: ir.Node) -> Iterator[ir.Node]:
    """`n` and every node below it."""
    stack = [n]
    while stack:
        x = stack.pop()
        yield x
        for f in attrs.fields(type(x)):
            v = getattr(x, f.name)
            if isinstance(v, ir.Node):
                stack.append(v)
            elif isinstance(v, tuple):
                stack.extend(e for e in v if isinstance(e, ir.Node))


def _canonical(v: Decimal) -> Decimal:
    """One spelling per number: `5000`, `0.5` (never `5E+3` or `0.50`)."""
    if v == v.to_integral_value():
        return v.quantize(Decimal(1))
    return v.normalize()


def _numbers(vals: Iterable[Any]) -> set[Decimal]:
    return {v for v in vals if isinstance(v, Decimal) and not isinstance(v, bool)}


def _combine(op: str, a: Iterable[Decimal], b: Iterable[Decimal]) -> set[Any]:
    out: set[Decimal] = set()
    fn = {
        "+": DECIMAL_CONTEXT.add,
        "-": DECIMAL_CONTEXT.subtract,
        "*": DECIMAL_CONTEXT.multiply,
        "/": DECIMAL_CONTEXT.divide,
    }[op]
    for x, y in itertools.product(sorted(a), sorted(b)):
        if op == "/" and y == 0:
            continue
        try:
            out.add(fn(x, y))
        except (InvalidOperation, ArithmeticError):
            continue
    if len(out) > _MAX_VALUES:
        ordered = sorted(out)
        step = len(ordered) / _MAX_VALUES
        return {ordered[int(i * step)] for i in range(_MAX_VALUES)}
    return set(out)


def shift_date(d: date, unit: str, n: int) -> date | None:
    """`n` years, months or days (`unit`) before `d`; after it when `n` is negative.  A day
    that does not exist in the target month becomes its last day (29 February → 28
    February); None outside the calendar."""
    try:
        if unit == "days":
            return date.fromordinal(d.toordinal() - n)
        months = d.year * 12 + d.month - 1 - (n * 12 if unit == "years" else n)
        y, m = divmod(months, 12)
        day = min(d.day, _month_length(y, m + 1))
        return date(y, m + 1, day)
    except (ValueError, OverflowError):
        return None


def _month_length(y: int, m: int) -> int:
    if m == 12:
        return 31
    return (date(y, m + 1, 1) - date(y, m, 1)).days
