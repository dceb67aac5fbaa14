"""Joins to the roster and to registries, written as filters: ``registry.deaths[id_number ==
row.beneficiary_id]``.

A table may only be read through a filter with an equality between one of the element's
fields and an expression that does not depend on the filter's or a quantifier's variable:
the *key*.  The checker's filter node becomes a :class:`Lookup`, which the evaluators run as
an index lookup (Python) or a hash join (SQL), never as a scan per row.  Further conditions
in the same filter (``and`` …) stay as a filter over the matched records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

from .. import ir
from .audit_scope import REGISTRY, ROSTER
from .report import Reporter


@attrs.frozen
class Lookup(ir.Node):
    """The records of `table` whose `field` equals `key`, then filtered by `rest`."""

    table: str  # roster | deaths | agents
    field: str
    key: ir.Node
    slot: int  # the filter's element variable, for `rest`
    rest: ir.Node | None
    path: str  # roster | registry.deaths …


def children(n: ir.Node) -> Iterator[ir.Node]:
    for a in attrs.fields(type(n)):
        v = getattr(n, a.name)
        if isinstance(v, ir.Node):
            yield v
        elif isinstance(v, tuple):
            yield from (x for x in v if isinstance(x, ir.Node))


def walk(n: ir.Node) -> Iterator[ir.Node]:
    yield n
    for c in children(n):
        yield from walk(c)


def rebuild(n: ir.Node, f: Callable[[ir.Node], ir.Node]) -> ir.Node:
    """`n` with `f` applied bottom-up to every node."""
    changes: dict[str, Any] = {}
    for a in attrs.fields(type(n)):
        v = getattr(n, a.name)
        if isinstance(v, ir.Node):
            changes[a.name] = rebuild(v, f)
        elif isinstance(v, tuple) and any(isinstance(x, ir.Node) for x in v):
            changes[a.name] = tuple(rebuild(x, f) if isinstance(x, ir.Node) else x for x in v)
    return f(attrs.evolve(n, **changes) if changes else n)  # type: ignore[misc]


def table_of(n: ir.Node) -> tuple[str, str] | None:
    """(table, path) when `n` is `roster` or `registry.NAME`."""
    if isinstance(n, ir.Root) and n.name == ROSTER:
        return ROSTER, ROSTER
    if isinstance(n, ir.GetField) and isinstance(n.obj, ir.Root) and n.obj.name == REGISTRY:
        return n.field, f"{REGISTRY}.{n.field}"
    return None


def _conjuncts(n: ir.Node) -> list[ir.Node]:
    if isinstance(n, ir.And):
        return _conjuncts(n.left) + _conjuncts(n.right)
    return [n]


def _elem_field(n: ir.Node, slot: int) -> str | None:
    if (
        isinstance(n, ir.GetField)
        and not n.project
        and isinstance(n.obj, ir.Var)
        and n.obj.slot == slot
    ):
        return n.field
    return None


def _free_of_vars(n: ir.Node) -> bool:
    return not any(isinstance(x, ir.Var) for x in walk(n))


def to_lookup(n: ir.Filter) -> Lookup | str:
    """The lookup a filter over a table stands for, or why it can't be one."""
    tp = table_of(n.obj)
    assert tp is not None
    parts = _conjuncts(n.cond)
    for i, c in enumerate(parts):
        if not (isinstance(c, ir.Cmp) and c.op == "=="):
            continue
        for elem, key in ((c.left, c.right), (c.right, c.left)):
            field = _elem_field(elem, n.slot)
            if field is None or not _free_of_vars(key):
                continue
            rest_parts = parts[:i] + parts[i + 1 :]
            rest: ir.Node | None = None
            for r in rest_parts:
                rest = r if rest is None else ir.And(r.type, r.span, rest, r)
            return Lookup(n.type, n.span, tp[0], field, key, n.slot, rest, tp[1])
    return (
        f"`{tp[1]}` 须按字段相等来关联，且等号另一边不能用 any/all 或过滤中的变量，"
        f"例如 `{tp[1]}[id_number == row.beneficiary_id]` / a table is joined by an equality "
        "between one of its fields and a value of the row or group"
    )


def resolve_lookups(n: ir.Node, rep: Reporter) -> tuple[ir.Node, bool]:
    """`n` with every filter over a table turned into a Lookup; False if some use of a table
    is not a join (reported)."""
    ok = True

    def f(x: ir.Node) -> ir.Node:
        nonlocal ok
        if isinstance(x, ir.Filter) and table_of(x.obj) is not None:
            lk = to_lookup(x)
            if isinstance(lk, str):
                ok = False
                rep.error("E402", lk, x.span)
                return ir.Const(x.type, x.span, None)
            return lk
        return x

    out = rebuild(n, f)
    for x in walk(out):
        if isinstance(x, ir.Root) and x.name in (ROSTER, REGISTRY):
            ok = False
            rep.error(
                "E402",
                f"`{x.name}` 是整张表，只能写成 `{x.name}{'' if x.name == ROSTER else '.deaths'}"
                "[字段 == …]` 按键关联后使用 / a table can only be used through a join",
                x.span,
            )
    return out, ok
