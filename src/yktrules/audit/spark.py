"""Running compiled audits on Spark: the same SQL as DuckDB's (:mod:`.sql`) in the Spark
dialect, over temporary views of the roster, registries and resolved parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..checker.audit_scope import ROSTER
from ..checker.audits import CheckedAudit
from ..params import ParamTable
from ..roster.models import TABLES, Payment
from ..sql.dialects.spark import SPARK
from .duckdb import Row, arrow_table, outcome, params_table
from .result import AuditOutcome
from .sql import compile_audit, table_name

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def run_spark(
    audits: Sequence[CheckedAudit],
    rows: Sequence[Row],
    registries: Mapping[str, Sequence[Any] | None],
    params: ParamTable,
    as_of: date,
    *,
    spark: SparkSession | None = None,
    master: str | None = None,
    unmask: bool = False,
) -> list[AuditOutcome]:
    """Like :func:`yktrules.audit.duckdb.run_duckdb`, on `spark` (or a session for `master`,
    default ``local[*]``).  The session's settings are restored afterwards."""
    from ..batch.spark_session import yktrules_session

    with yktrules_session(spark, master) as session:
        return _run(session, audits, rows, registries, params, as_of, unmask)


def _run(
    session: SparkSession,
    audits: Sequence[CheckedAudit],
    rows: Sequence[Row],
    registries: Mapping[str, Sequence[Any] | None],
    params: ParamTable,
    as_of: date,
    unmask: bool,
) -> list[AuditOutcome]:
    views: list[str] = []

    def view(name: str, table: Any) -> None:
        session.createDataFrame(table).createOrReplaceTempView(name)
        views.append(name)

    try:
        payments = [p for _, p in rows]
        view(table_name(ROSTER), arrow_table(Payment, payments, {"__rid": list(range(len(rows)))}))
        supplied: set[str] = set()
        for name, model in TABLES.items():
            data = registries.get(name)
            if data is not None:
                supplied.add(name)
                view(table_name(name), arrow_table(model, data, {}))
        pt = params_table(audits, rows, params)
        if pt is not None:
            view("__t_params", pt)
        tables: dict[str, type[BaseModel]] = {ROSTER: Payment, **TABLES}
        as_of_sql = f"DATE '{as_of.isoformat()}'"
        out: list[AuditOutcome] = []
        for a in audits:
            df = session.sql(compile_audit(a, supplied, tables, as_of_sql, SPARK))
            names = list(df.columns)
            found = [tuple(r) for r in df.collect()]
            if a.group:
                keys = ", ".join(SPARK.ident(f) for f in a.group)
                subjects = session.sql(
                    f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {table_name(ROSTER)})"
                ).collect()[0][0]
            else:
                subjects = len(rows)
            out.append(outcome(a, names, found, rows, supplied, subjects, unmask))
        return out
    finally:
        for v in views:
            session.catalog.dropTempView(v)
