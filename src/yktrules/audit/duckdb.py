"""Running compiled audits on DuckDB: the roster, registries and resolved parameters become
Arrow tables, each audit one query; findings are assembled in Python from the few rows the
queries return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from ..checker.audit_scope import ROSTER
from ..checker.audits import CheckedAudit
from ..ir import types as T
from ..ir.values import Unknown
from ..params import ParamTable
from ..roster.models import TABLES, Payment
from .result import AuditOutcome, Finding, Record, make_finding
from .sql import compile_audit, table_name

Row = tuple[Record, Payment]
_DEC = pa.decimal128(38, 10)


def _arrow_type(t: T.Type) -> pa.DataType:
    if t == T.NUMBER:
        return _DEC
    if t == T.DATE:
        return pa.date32()
    if t == T.BOOLEAN:
        return pa.bool_()
    return pa.string()


def arrow_table(
    model: type[BaseModel], rows: Sequence[Any], extra: dict[str, list[Any]]
) -> pa.Table:
    """Model instances as an Arrow table with the language's column types."""
    rec = T.record_type(model)
    dicts = [vars(r) for r in rows]  # a pydantic model's field values, without getattr
    cols: dict[str, pa.Array] = {}
    for name, f in rec.fields.items():
        vals = [d[name] for d in dicts]
        cols[name] = _column(vals, _arrow_type(f.type))
    for name, vals in extra.items():
        cols[name] = pa.array(vals)
    return pa.table(cols)


def _column(vals: list[Any], typ: pa.DataType) -> pa.Array:
    try:
        return pa.array(vals, type=typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        if typ != _DEC:
            raise
    # a number with more than 10 decimal places: round it to the column's scale
    q = Decimal("1E-10")
    return pa.array([None if v is None else Decimal(v).quantize(q) for v in vals], type=typ)


def params_table(
    audits: Sequence[CheckedAudit], rows: Sequence[Row], params: ParamTable
) -> pa.Table | None:
    names = sorted({p for a in audits for p in a.params})
    if not names:
        return None
    decls = {n: params.get(n) for n in names}
    triples = sorted({(p.item, p.region, p.period) for _, p in rows})
    values: dict[str, list[Any]] = {n: [] for n in names}
    for item, region, period in triples:
        for n in names:
            d = decls[n]
            hit = d.resolve(region, period, item) if d else None
            v = None if hit is None or isinstance(hit[2], Unknown) else hit[2]
            if isinstance(v, Decimal):
                v = v.quantize(Decimal("1E-10"))
            values[n].append(v)
    types = {n: _arrow_type(d.lang_type) if d else pa.string() for n, d in decls.items()}
    struct = pa.StructArray.from_arrays(
        [pa.array(values[n], type=types[n]) for n in names],
        names=names,
    )
    return pa.table(
        {
            "item": pa.array([t[0] for t in triples], type=pa.string()),
            "region": pa.array([t[1] for t in triples], type=pa.string()),
            "period": pa.array([t[2] for t in triples], type=pa.date32()),
            "__params": struct,
        }
    )


def run_duckdb(
    audits: Sequence[CheckedAudit],
    rows: Sequence[Row],
    registries: Mapping[str, Sequence[Any] | None],
    params: ParamTable,
    as_of: date,
    *,
    unmask: bool = False,
    threads: int | None = None,
) -> list[AuditOutcome]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    payments = [p for _, p in rows]
    con.register("__a_roster", arrow_table(Payment, payments, {"__rid": list(range(len(rows)))}))
    con.execute(f"CREATE TEMP TABLE {table_name(ROSTER)} AS SELECT * FROM __a_roster")
    con.unregister("__a_roster")  # DuckDB holds its own copy: let the Arrow one go
    supplied: set[str] = set()
    for name, model in TABLES.items():
        data = registries.get(name)
        if data is None:
            continue
        supplied.add(name)
        con.register(f"__a_{name}", arrow_table(model, data, {}))
        con.execute(f"CREATE TEMP TABLE {table_name(name)} AS SELECT * FROM __a_{name}")
        con.unregister(f"__a_{name}")
    pt = params_table(audits, rows, params)
    if pt is not None:
        con.register("__a_params", pt)
        con.execute("CREATE TEMP TABLE __t_params AS SELECT * FROM __a_params")
    tables: dict[str, type[BaseModel]] = {ROSTER: Payment, **TABLES}
    as_of_sql = f"DATE '{as_of.isoformat()}'"
    out: list[AuditOutcome] = []
    for a in audits:
        sql = compile_audit(a, supplied, tables, as_of_sql)
        res = con.execute(sql)
        names = [c[0] for c in res.description]
        found = res.fetchall()
        if a.group:
            keys = ", ".join(f'"{f}"' for f in a.group)
            subjects = con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {table_name(ROSTER)})"
            ).fetchone()[0]  # type: ignore[index]
        else:
            subjects = len(rows)
        out.append(outcome(a, names, found, rows, supplied, subjects, unmask))
    con.close()
    return out


def outcome(
    a: CheckedAudit,
    names: list[str],
    found: list[tuple[Any, ...]],
    rows: Sequence[Row],
    supplied: set[str],
    subjects: int,
    unmask: bool,
) -> AuditOutcome:
    findings: list[Finding] = []
    undetermined = 0
    idx = {n: i for i, n in enumerate(names)}
    # in roster order, as the reference evaluation finds them: by each subject's first row
    for r in sorted(found, key=lambda r: min(r[0]) if a.group else r[0]):
        ids = r[0] if a.group else [r[0]]
        members = [rows[i] for i in ids]
        hits = [(i, rule) for i, rule in enumerate(a.alerts) if r[idx[f"__a{i}"]] is True]
        if not hits:
            undetermined += 1
            continue
        p0 = members[0][1]
        key = {f: getattr(p0, f) for f in a.group} if a.group else None
        for i, rule in hits:
            nvals = sum(1 for p in rule.message if p.value is not None)
            vals = [r[idx[f"__m{i}_{k}"]] for k in range(nvals)]
            vals = [Unknown() if v is None else v for v in vals]
            findings.append(make_finding(a, rule, vals, key, members, unmask=unmask))
    return AuditOutcome(
        audit=a.code,
        title=a.title,
        subjects=subjects,
        findings=tuple(findings),
        undetermined=undetermined,
        missing_tables=tuple(t for t in a.tables if t != ROSTER and t not in supplied),
    )
