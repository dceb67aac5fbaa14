"""Columns the run's policies have in common, computed once.

Policies repeat each other: an item's local variants copy the province's rules, and many
items test the same facts (local hukou, custody, the number of homes).  Each policy's
columns are its own (``__p3_let1``, ``__p3_r0``…), computed where its guard holds; here a
let, rule or amount whose expression is the same as an earlier policy's — once the columns
it reads are themselves shared, and its parameters are the run's (:func:`global_params`) —
becomes that earlier column, computed where either guard holds, and every reference to it is
renamed.  One column over most rows instead of several over a part each: DuckDB pays an
expression per batch of 2,048 rows whatever the rows its guard selects.

The columns are then put in layers by their dependencies (each one layer after the deepest
column it reads), which :func:`..sql.decisions.pruned` turns into nested projections.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from ..sql.decisions import _column_name, _tokens

_GUARDED = re.compile(r'CASE WHEN "(__p\d+_on)" THEN (.*) END AS "(__p\d+_[a-z]+\d*)"', re.S)
_SHAREABLE = re.compile(r"__p\d+_(let\d+|r\d+|amount)")
_REF = re.compile(r'"(__p\d+_[a-z]+\d*)"')
_PARAM = re.compile(r'\("__p\d+_params"\)\."([^"]+)"')
_LOCAL = re.compile(r"\b__[tv]\d+\b")


def param_column(name: str) -> str:
    """The column of a parameter's value for the row (its region and day)."""
    return f'"__prm_{name}"'


def global_params(uses: Sequence[Any], cells: int) -> dict[str, list[Any]]:
    """The parameters whose value depends only on the row's (class, epoch) — the same (type
    and value) for every policy in force there that reads it — with their value per (class,
    epoch) index (None where no policy reads it).  `uses`: :class:`.plan.PolicyUse`."""
    values: dict[str, list[Any]] = {}
    mixed: set[str] = set()

    def eq(a: Any, b: Any) -> bool:
        return type(a) is type(b) and a == b

    for u in uses:
        for ce, which in enumerate(u.which):
            if not which:
                continue
            for name, v in u.params[which - 1].items():
                row = values.setdefault(name, [_UNSET] * cells)
                if row[ce] is _UNSET:
                    row[ce] = v
                elif not eq(row[ce], v):
                    mixed.add(name)
    return {
        n: [None if v is _UNSET else v for v in row] for n, row in values.items() if n not in mixed
    }


_UNSET = object()


def shared(
    policies: Sequence[Sequence[Sequence[str]]], params: Iterable[str]
) -> tuple[list[list[str]], Mapping[str, str]]:
    """The policies' layers of columns (``<expr> AS "<name>"``, each policy's in order) as
    one list of layers, common columns computed once; and the renaming to apply to anything
    else that reads them (a column's name -> the column that now holds its value).
    `params`: the parameters read from their own columns (:func:`param_column`)."""
    glob = frozenset(params)
    rename: dict[str, str] = {}
    first: dict[str, str] = {}  # canonical expression -> the column that computes it
    guards: dict[str, list[str]] = {}
    bodies: dict[str, str] = {}
    order: list[str] = []  # every column, in a valid order
    texts: dict[str, str] = {}  # the columns not shared

    for layers in policies:
        for layer in layers:
            for column in layer:
                text = renamed(column, rename, glob)
                m = _GUARDED.fullmatch(text)
                if m is None or not _SHAREABLE.fullmatch(m.group(3)):
                    name = _column_name(text)
                    texts[name] = text
                    order.append(name)
                    continue
                guard, body, name = m.groups()
                key = _canonical(body)
                if key in first:
                    rename[name] = first[key]
                    guards[first[key]].append(guard)
                    continue
                first[key] = name
                guards[name] = [guard]
                bodies[name] = body
                order.append(name)
    for name, body in bodies.items():
        on = guards[name]
        cond = f'"{on[0]}"' if len(on) == 1 else "(" + " OR ".join(f'"{g}"' for g in on) + ")"
        texts[name] = f'CASE WHEN {cond} THEN {body} END AS "{name}"'
    return _layered(order, texts), rename


def renamed(text: str, rename: Mapping[str, str], params: Collection[str]) -> str:
    """`text` reading the shared columns (and parameters) instead of its own."""
    text = _REF.sub(lambda m: f'"{rename.get(m.group(1), m.group(1))}"', text)
    return _PARAM.sub(
        lambda m: param_column(m.group(1)) if m.group(1) in params else m.group(0), text
    )


def _canonical(body: str) -> str:
    """The expression with its lambda and temporary names numbered from the start (two
    policies' compilers number them on from their own earlier expressions)."""
    names: dict[str, str] = {}
    return _LOCAL.sub(lambda m: names.setdefault(m.group(0), f"__l{len(names)}"), body)


def _layered(order: list[str], texts: Mapping[str, str]) -> list[list[str]]:
    """Each column one layer after the deepest of the columns it reads."""
    depth: dict[str, int] = {}
    for name in order:
        text = texts[name]
        reads = {r for r in _tokens(text.rsplit(" AS ", 1)[0]) if r in depth}
        depth[name] = 1 + max((depth[r] for r in reads), default=-1)
    layers: list[list[str]] = [[] for _ in range(1 + max(depth.values(), default=-1))]
    for name in order:
        layers[depth[name]].append(texts[name])
    return layers
