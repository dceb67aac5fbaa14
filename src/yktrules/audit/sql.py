"""Audits compiled to SQL, with the policy compiler (:mod:`yktrules.sql.compiler`) and a
dialect (DuckDB by default; Spark's through the same code).

The relations it reads: ``__t_roster`` (the payments' columns, plus ``__rid``, a row id),
``__t_deaths``/``__t_agents`` (registries that were supplied) and, when the audit reads
parameters, ``__t_params`` (``item``, ``region``, ``period`` and ``__params``, a STRUCT of the
values resolved for them in Python).  A join (:class:`~.lookup.Lookup`) is a LEFT JOIN on the
table grouped by its key into a list of records: a key that is NULL gives NULL (unknown), a
key with no match ``[]``, a table not supplied NULL.

The query returns one row per subject (payment or group) for which some alert is TRUE or
unknown, with ``__rid`` (or ``__rids``), each alert's value ``__a0``… and the values its
message interpolates ``__m0_0``…; messages are rendered (and masked) in Python.
"""

from __future__ import annotations

from typing import Any

import attrs
from pydantic import BaseModel

from .. import ir
from ..checker.audit_scope import ROSTER
from ..checker.audits import CheckedAudit
from ..checker.lookup import Lookup, children, walk
from ..ir import types as T
from ..roster.models import Payment
from ..sql.compiler import Compiler, as_of_column, sql_type
from ..sql.dialects.duckdb import DUCKDB, Dialect

TABLE = {ROSTER: "__t_roster"}


def table_name(table: str) -> str:
    return TABLE.get(table, f"__t_{table}")


@attrs.frozen
class _Col(ir.Node):
    name: str


class AuditCompiler(Compiler):
    """The policy compiler plus joins: a Lookup reads the column its join added."""

    def __init__(self, stage: ir.CheckedPolicy, dialect: Dialect):
        super().__init__(stage, None, dialect)
        self.lookups: dict[Lookup, str] = {}

    def expr(self, n: ir.Node) -> str:
        if isinstance(n, _Col):
            return self.d.ident(n.name)
        if isinstance(n, Lookup):
            col = _Col(n.type, n.span, self.lookups[n])
            if n.rest is None:
                return self.expr(col)
            return self.expr(ir.Filter(n.type, n.span, col, n.slot, n.rest))
        return super().expr(n)


def _fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


class _Stage:
    """Builds one stage's relation: joins and lets, in dependency order."""

    def __init__(self, c: AuditCompiler, rel: str, supplied: set[str], tables: dict[str, Any]):
        self.c, self.rel, self.supplied, self.tables = c, rel, supplied, tables

    def joins(self, n: ir.Node) -> None:
        found = [x for x in walk(n) if isinstance(x, Lookup)]
        for lk in reversed(found):  # inner (key) lookups first
            if lk in self.c.lookups:
                continue
            self.joins(lk.key)
            col = f"__lk{len(self.c.lookups)}"
            d = self.c.d
            list_t = sql_type(lk.type, d)
            if lk.table not in self.supplied:
                self.rel = f"(SELECT *, CAST(NULL AS {list_t}) AS {d.ident(col)} FROM {self.rel})"
            else:
                key = self.c.expr(lk.key)
                model = self.tables[lk.table]
                rec = d.struct([(f, d.ident(f)) for f in _fields(model)])
                grouped = (
                    f"(SELECT {d.ident(lk.field)} AS __k, {d.collect_list(rec)} AS __v "
                    f"FROM {table_name(lk.table)} GROUP BY {d.ident(lk.field)})"
                )
                elem = sql_type(lk.type.elem, d)  # type: ignore[attr-defined]
                val = (
                    f"CASE WHEN ({key}) IS NULL THEN NULL "
                    f"ELSE coalesce(__j.__v, {d.empty_list(elem)}) END"
                )
                self.rel = (
                    f"(SELECT __r.*, {val} AS {d.ident(col)} FROM {self.rel} AS __r "
                    f"LEFT JOIN {grouped} AS __j ON __j.__k = ({key}))"
                )
            self.c.lookups[lk] = col

    def lets(self) -> None:
        for i, let in enumerate(self.c.policy.lets):
            self.joins(let.expr)
            self.rel = (
                f"(SELECT *, {self.c.expr(let.expr)} AS {self.c.let_column(i)} FROM {self.rel})"
            )

    def outputs(self, ids: str) -> str:
        """The subjects with some alert TRUE or unknown: ids, alert values, message values."""
        c = self.c
        cols = [ids]
        for i, r in enumerate(c.policy.rules):
            self.joins(r.cond)
            cols.append(f"{c.expr(r.cond)} AS __a{i}")
            k = 0
            for p in r.message:
                if p.value is not None:
                    self.joins(p.value)
                    cols.append(f"{c.expr(p.value)} AS __m{i}_{k}")
                    k += 1
        n = len(c.policy.rules)
        pending = " OR ".join(f"(__a{i} IS NULL OR __a{i})" for i in range(n))
        return f"SELECT * FROM (SELECT {', '.join(cols)} FROM {self.rel}) WHERE {pending}"


def compile_audit(
    audit: CheckedAudit,
    supplied: set[str],
    tables: dict[str, type[BaseModel]],
    as_of: str,
    dialect: Dialect = DUCKDB,
) -> str:
    """The audit's query; `as_of` is a SQL DATE literal, `supplied` the registries given."""
    d = dialect
    row_fields = _fields(Payment)
    row = d.struct([(f, f"__t.{d.ident(f)}") for f in row_fields])
    params = ""
    join_params = ""
    if audit.params:
        params = ", __p.__params AS __params"
        join_params = (
            " LEFT JOIN __t_params AS __p ON __p.item = __t.item "
            "AND __p.region = __t.region AND __p.period = __t.period"
        )
    base = (
        f"(SELECT __t.__rid, {row} AS {d.ident('row')}, {as_of} AS __as_of{params} "
        f"FROM {table_name(ROSTER)} AS __t{join_params})"
    )
    base = f"(SELECT *, {as_of_column()} FROM {base})"
    c = AuditCompiler(audit.row, d)
    st = _Stage(c, base, supplied | {ROSTER}, tables)
    st.lets()
    if audit.grouped is None:
        return st.outputs("__rid")
    keys = [d.field(d.ident("row"), f) for f in audit.group]
    key = d.struct(list(zip(audit.group, keys, strict=True)))
    used = element_fields(audit.grouped)  # type: ignore[arg-type]
    elem = d.struct(
        [(f, d.field(d.ident("row"), f)) for f in row_fields if used is None or f in used]
        + [
            (name, c.let_column(i))
            for i, name in enumerate(audit.row_lets)
            if used is None or name in used
        ]
        or [("id", d.field(d.ident("row"), "id"))]
    )
    grouped = (
        f"(SELECT {key} AS {d.ident('key')}, {d.ordered_list(elem, '__rid')} AS "
        f"{d.ident('rows')}, {d.ordered_list('__rid', '__rid')} AS __rids, "
        f"{as_of} AS __as_of FROM {st.rel} GROUP BY {', '.join(keys)})"
    )
    grouped = f"(SELECT *, {as_of_column()} FROM {grouped})"
    gc = AuditCompiler(audit.grouped, d)  # type: ignore[arg-type]
    gs = _Stage(gc, grouped, supplied | {ROSTER}, tables)
    gs.lets()
    return gs.outputs("__rids")


def _of_records(t: T.Type) -> bool:
    while isinstance(t, T.ListT):
        t = t.elem
    return isinstance(t, T.RecordT)


# where a record, or a list of records, may appear without needing all of its fields
_LENGTH_ONLY = frozenset({"count"})


def element_fields(stage: ir.CheckedPolicy) -> set[str] | None:
    """The record fields a group stage reads, so that ``rows`` carries only those; None
    when some record is used whole (compared, passed to a function, …): then every field.

    A record (or list of records) may only be the object of a field access, a filter or a
    join, the domain of a quantifier, the argument of ``count`` or a message value (a list
    renders as its length); each field access names a field it needs."""
    used: set[str] = set()
    tops = [let.expr for let in stage.lets] + [r.cond for r in stage.rules]
    tops += [p.value for r in stage.rules for p in r.message if p.value is not None]
    for top in tops:
        for n in walk(top):
            if isinstance(n, ir.GetField):
                used.add(n.field)
            for ch in children(n):
                if not _of_records(ch.type):
                    continue
                ok = (
                    (isinstance(n, ir.GetField | ir.Filter) and ch is n.obj)
                    or (isinstance(n, ir.Quant) and ch is n.iterable)
                    or (isinstance(n, ir.Call) and n.func in _LENGTH_ONLY)
                )
                if not ok:
                    return None
    return used
