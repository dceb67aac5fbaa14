"""The structural diff of two policy sets: policies added and removed, and per policy the
metadata, rules, dropped rules, lets and amount that changed; parameter declarations and
every value that changed, per region and date.

Policies are compared as the checker resolved them (a child's inherited rules included, each
with the code of the policy that wrote it), so a change to a provincial rule also shows in
every city and county policy that inherits it.  Conditions, lets and amounts are compared by
their source text, re-sliced from the policy files through the spans the checker kept, and
normalised: the text is re-read with the language's own lexer, comments and layout dropped,
Chinese and English keywords taken as the same word, `600` and `600.0` as the same number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from lark import Token
from lark.exceptions import LarkError

from .. import ir
from ..errors import Span
from ..lang.grammar import lark_parser
from ..params import ParamDecl
from ..screening.policyset import PolicySet

# the metadata compared, in the order they are reported
META_KEYS = (
    "title",
    "extends",
    "region",
    "effective",
    "until",
    "department",
    "basis",
    "hotline",
    "period",
)
META_ZH = {
    "title": "名称",
    "extends": "继承",
    "region": "地区",
    "effective": "生效日期",
    "until": "失效日期",
    "department": "部门",
    "basis": "依据",
    "hotline": "咨询电话",
    "period": "发放周期",
}
PARAM_FIELDS = ("title", "unit", "type")


# ------------------------------------------------------------------ source text
class SourceText:
    """The text of one policy set's files, sliced by span and normalised for comparison."""

    def __init__(self, ps: PolicySet):
        self._files: dict[str, list[str]] = {
            path: text.splitlines(keepends=True) for path, text in ps.sources.policies
        }

    def slice(self, span: Span) -> str:
        lines = self._files.get(span.file)
        if lines is None or not 0 < span.line <= span.end_line <= len(lines):
            return ""
        first, last = span.line - 1, span.end_line - 1
        if first == last:
            return lines[first][span.col - 1 : span.end_col - 1]
        middle = "".join(lines[first + 1 : last])
        return lines[first][span.col - 1 :] + middle + lines[last][: span.end_col - 1]

    def after_header(self, span: Span, separator: str) -> Code:
        """The expression of an item (`rule … : EXPR`, `let NAME = EXPR`): the item's text
        after its first `separator` token (`_COLON` or `_EQ`)."""
        return Code.of(self.slice(span), after=separator)

    def expr(self, span: Span) -> Code:
        return Code.of(self.slice(span))


@attrs.frozen
class Code:
    """A piece of policy source: `text` for people (one line, comments dropped, single spaces
    where the author left any space) and `key` for comparison."""

    text: str
    key: tuple[str, ...]

    @classmethod
    def of(cls, source: str, after: str | None = None) -> Code:
        try:
            tokens = list(lark_parser().lex(source))
        except LarkError:  # the set checked, so this is not expected; compare the raw text
            words = source.split()
            return cls(" ".join(words), tuple(words))
        if after is not None:
            cut = next((i for i, t in enumerate(tokens) if t.type == after), None)
            tokens = tokens[cut + 1 :] if cut is not None else tokens
        parts: list[str] = []
        key: list[str] = []
        prev: Token | None = None
        for t in tokens:
            if prev is not None and (t.start_pos or 0) > (prev.end_pos or 0):
                parts.append(" ")
            parts.append(str(t))
            key.extend(_token_key(t))
            prev = t
        return cls("".join(parts), tuple(key))


def _token_key(t: Token) -> list[str]:
    kind = t.type
    if kind == "NOT_IN_ZH":  # `不属于` is `not in`
        return ["_NOT", "IN"]
    if kind.endswith(("_EN", "_ZH")):  # a keyword: either spelling
        return [kind[:-3]]
    if kind == "NUMBER":
        return ["NUMBER:" + format(Decimal(str(t)).normalize(), "f")]
    if kind in ("NAME", "STRING", "DATE"):
        return [f"{kind}:{t}"]
    return [kind]  # punctuation: `(` and `（` are the same


# ------------------------------------------------------------------ results
def show(v: Any) -> Any:
    """A metadata or parameter value as JSON: dates as YYYY-MM-DD, decimals as strings."""
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return format(v, "f")
    return v


@attrs.frozen
class Change:
    """One field whose value differs (`None` when the field is absent on that side)."""

    key: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "old": show(self.old), "new": show(self.new)}


@attrs.frozen
class RuleView:
    kind: str
    message: str
    condition: Code
    source: str  # file:line where the rule (or its override) is written
    origin: str  # the code of the policy that wrote the condition

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "condition": self.condition.text,
            "origin": self.origin,
            "source": self.source,
        }


@attrs.frozen
class RuleChange:
    """A rule added (`old` None), removed (`new` None) or changed; `fields` names what
    changed: kind, message, condition, origin."""

    name: str
    old: RuleView | None
    new: RuleView | None

    @property
    def status(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    @property
    def fields(self) -> tuple[str, ...]:
        if self.old is None or self.new is None:
            return ()
        o, n = self.old, self.new
        out = [
            k
            for k, a, b in (
                ("kind", o.kind, n.kind),
                ("message", o.message, n.message),
                ("condition", o.condition.key, n.condition.key),
                ("origin", o.origin, n.origin),
            )
            if a != b
        ]
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name}
        if self.status == "changed":
            d["fields"] = list(self.fields)
        if self.old is not None:
            d["old"] = self.old.to_dict()
        if self.new is not None:
            d["new"] = self.new.to_dict()
        return d


@attrs.frozen
class LetChange:
    name: str
    old: Code | None
    new: Code | None
    old_source: str | None
    new_source: str | None

    @property
    def status(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "old": None if self.old is None else self.old.text,
            "new": None if self.new is None else self.new.text,
            "old_source": self.old_source,
            "new_source": self.new_source,
        }


@attrs.frozen
class DropChange:
    """A `drop` added, removed, or given another justification."""

    name: str
    old: str | None  # the justification
    new: str | None

    @property
    def status(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "old": self.old, "new": self.new}


@attrs.frozen
class AmountChange:
    old: Code | None
    new: Code | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": None if self.old is None else self.old.text,
            "new": None if self.new is None else self.new.text,
        }


@attrs.frozen
class PolicySummary:
    code: str
    title: str
    item: str
    region: str
    effective: date
    until: date | None
    file: str

    @classmethod
    def of(cls, p: ir.CheckedPolicy) -> PolicySummary:
        return cls(p.code, p.title, p.item, p.region, p.effective, p.until, p.file)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "item": self.item,
            "region": self.region,
            "effective": self.effective.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "file": self.file,
        }


@attrs.frozen
class PolicyChange:
    """What changed in one policy present in both sets."""

    code: str
    title: str
    metadata: tuple[Change, ...]
    rules: tuple[RuleChange, ...]
    dropped: tuple[DropChange, ...]
    lets: tuple[LetChange, ...]
    amount: AmountChange | None

    @property
    def is_empty(self) -> bool:
        return not (self.metadata or self.rules or self.dropped or self.lets or self.amount)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "metadata": [c.to_dict() for c in self.metadata],
            "rules": _by_status(self.rules),
            "dropped": _by_status(self.dropped),
            "lets": _by_status(self.lets),
            "amount": None if self.amount is None else self.amount.to_dict(),
        }


def _by_status(changes: Iterable[RuleChange | LetChange | DropChange]) -> dict[str, Any]:
    out: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "changed": []}
    for c in changes:
        out[c.status].append(c.to_dict())
    return out


@attrs.frozen
class ValueChange:
    """One dated value of a parameter, for one region key: added, removed or changed."""

    region: str
    date: date
    old: Any  # None when absent
    new: Any

    @property
    def status(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "date": self.date.isoformat(),
            "status": self.status,
            "old": show(self.old),
            "new": show(self.new),
        }


@attrs.frozen
class ParamSummary:
    name: str
    title: str
    unit: str | None
    type: str
    used_by: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "unit": self.unit,
            "type": self.type,
            "used_by": list(self.used_by),
        }


@attrs.frozen
class ParamChange:
    name: str
    title: str
    fields: tuple[Change, ...]  # title, unit, type
    values: tuple[ValueChange, ...]
    used_by: tuple[str, ...]  # policies (of either set) that read the parameter

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "fields": [c.to_dict() for c in self.fields],
            "values": [v.to_dict() for v in self.values],
            "used_by": list(self.used_by),
        }


@attrs.frozen
class StructureDiff:
    policies_added: tuple[PolicySummary, ...]
    policies_removed: tuple[PolicySummary, ...]
    policies_changed: tuple[PolicyChange, ...]
    params_added: tuple[ParamSummary, ...]
    params_removed: tuple[ParamSummary, ...]
    params_changed: tuple[ParamChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (
            self.policies_added
            or self.policies_removed
            or self.policies_changed
            or self.params_added
            or self.params_removed
            or self.params_changed
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": not self.is_empty,
            "policies": {
                "added": [p.to_dict() for p in self.policies_added],
                "removed": [p.to_dict() for p in self.policies_removed],
                "changed": [p.to_dict() for p in self.policies_changed],
            },
            "params": {
                "added": [p.to_dict() for p in self.params_added],
                "removed": [p.to_dict() for p in self.params_removed],
                "changed": [p.to_dict() for p in self.params_changed],
            },
        }


# ------------------------------------------------------------------ comparing
def diff_structure(old: PolicySet, new: PolicySet) -> StructureDiff:
    """Everything that differs between two checked policy sets, in code and name order."""
    old_text, new_text = SourceText(old), SourceText(new)
    added = sorted(new.policies.keys() - old.policies.keys())
    removed = sorted(old.policies.keys() - new.policies.keys())
    changed: list[PolicyChange] = []
    for code in sorted(old.policies.keys() & new.policies.keys()):
        c = _policy(old.policies[code], new.policies[code], old_text, new_text)
        if not c.is_empty:
            changed.append(c)
    o_decls, n_decls = old.params.decls, new.params.decls
    users = _param_users(old, new)
    p_changed: list[ParamChange] = []
    for name in sorted(o_decls.keys() & n_decls.keys()):
        pc = _param(o_decls[name], n_decls[name], users.get(name, ()))
        if pc.fields or pc.values:
            p_changed.append(pc)
    return StructureDiff(
        policies_added=tuple(PolicySummary.of(new.policies[c]) for c in added),
        policies_removed=tuple(PolicySummary.of(old.policies[c]) for c in removed),
        policies_changed=tuple(changed),
        params_added=tuple(
            _param_summary(n_decls[n], users.get(n, ()))
            for n in sorted(n_decls.keys() - o_decls.keys())
        ),
        params_removed=tuple(
            _param_summary(o_decls[n], users.get(n, ()))
            for n in sorted(o_decls.keys() - n_decls.keys())
        ),
        params_changed=tuple(p_changed),
    )


def _meta(p: ir.CheckedPolicy) -> dict[str, Any]:
    return {
        "title": p.title,
        "extends": p.parent,
        "region": p.region,
        "effective": p.effective,
        "until": p.until,
        "department": p.department,
        "basis": p.basis,
        "hotline": p.hotline,
        "period": p.period,
    }


def _rule_view(r: ir.CheckedRule, text: SourceText) -> RuleView:
    return RuleView(
        r.kind, r.message_text, text.after_header(r.span, "_COLON"), r.span.short, r.origin
    )


def _policy(
    o: ir.CheckedPolicy, n: ir.CheckedPolicy, o_text: SourceText, n_text: SourceText
) -> PolicyChange:
    om, nm = _meta(o), _meta(n)
    metadata = tuple(Change(k, om[k], nm[k]) for k in META_KEYS if om[k] != nm[k])

    o_rules = {r.name: _rule_view(r, o_text) for r in o.rules}
    n_rules = {r.name: _rule_view(r, n_text) for r in n.rules}
    rules = [
        c
        for name in _merged_order(o_rules, n_rules)
        if (c := RuleChange(name, o_rules.get(name), n_rules.get(name))).status != "changed"
        or c.fields
    ]

    o_drop, n_drop = dict(o.dropped), dict(n.dropped)
    dropped = [
        DropChange(name, o_drop.get(name), n_drop.get(name))
        for name in _merged_order(o_drop, n_drop)
        if o_drop.get(name) != n_drop.get(name)
    ]

    o_lets = {x.name: (o_text.after_header(x.span, "_EQ"), x.span.short) for x in o.lets}
    n_lets = {x.name: (n_text.after_header(x.span, "_EQ"), x.span.short) for x in n.lets}
    lets: list[LetChange] = []
    for name in _merged_order(o_lets, n_lets):
        a, b = o_lets.get(name), n_lets.get(name)
        if a is not None and b is not None and a[0].key == b[0].key:
            continue
        lets.append(
            LetChange(
                name,
                a[0] if a else None,
                b[0] if b else None,
                a[1] if a else None,
                b[1] if b else None,
            )
        )

    o_amt = o_text.expr(o.amount.span) if o.amount is not None else None
    n_amt = n_text.expr(n.amount.span) if n.amount is not None else None
    same = (o_amt.key if o_amt else None) == (n_amt.key if n_amt else None)
    return PolicyChange(
        code=n.code,
        title=n.title,
        metadata=metadata,
        rules=tuple(rules),
        dropped=tuple(dropped),
        lets=tuple(lets),
        amount=None if same else AmountChange(o_amt, n_amt),
    )


def _merged_order(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Names in the new order, then those only in the old (source order is how people read
    a policy)."""
    return [*new, *(k for k in old if k not in new)]


def _param_users(old: PolicySet, new: PolicySet) -> dict[str, tuple[str, ...]]:
    users: dict[str, set[str]] = {}
    for ps in (old, new):
        for p in ps.policies.values():
            for name in p.params:
                users.setdefault(name, set()).add(p.code)
    return {k: tuple(sorted(v)) for k, v in users.items()}


def _param_summary(d: ParamDecl, used_by: tuple[str, ...]) -> ParamSummary:
    return ParamSummary(d.name, d.title, d.unit, d.type, used_by)


def _param(o: ParamDecl, n: ParamDecl, used_by: tuple[str, ...]) -> ParamChange:
    fields = tuple(
        Change(k, getattr(o, k), getattr(n, k))
        for k in PARAM_FIELDS
        if getattr(o, k) != getattr(n, k)
    )
    values: list[ValueChange] = []
    for region in sorted(o.values.keys() | n.values.keys()):
        a, b = dict(o.values.get(region, ())), dict(n.values.get(region, ()))
        for day in sorted(a.keys() | b.keys()):
            va, vb = a.get(day), b.get(day)
            if not _same_value(va, vb):
                values.append(ValueChange(region, day, va, vb))
    return ParamChange(n.name, n.title, fields, tuple(values), used_by)


def _same_value(a: Any, b: Any) -> bool:
    """Equal and of the same kind (`True` is not `1`; `600` is `600.00`)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return type(a) is type(b) and a == b
