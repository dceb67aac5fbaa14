"""Batch screening on DuckDB: validate each row, resolve its policy and parameters in
Python, then decide every row of a (policy, parameter values) group with one SQL query."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FactsError, NoPolicyError
from ..values import Unknown
from .decisions import compile_policy
from .schema import facts_columns

if TYPE_CHECKING:
    from ..policyset import PolicySet


def _rows(source: str | Path | Iterable[Any]) -> Iterator[Any]:
    """Facts documents from a JSON Lines file (one JSON text per line) or an iterable."""
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield line
    else:
        yield from source


def screen_duckdb(
    policy_set: PolicySet,
    source: str | Path | Iterable[Any],
    item: str,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """Screen every facts document of `source` (a JSON Lines path, or an iterable of dicts,
    JSON texts or model instances) for `item` on DuckDB.  One dict per input row, in
    order: ``row``, ``policy``, ``version``, ``outcome``, ``reasons`` and ``unknown``
    (rule names), ``amount`` (Decimal or None) and ``error`` (None, or why the row could
    not be screened: invalid facts or no policy in force)."""
    import duckdb

    out: list[dict[str, Any]] = []
    groups: dict[tuple[str, tuple[Any, ...]], int] = {}
    group_code: list[str] = []
    group_params: list[dict[str, Any]] = []
    fd, tmp = tempfile.mkstemp(suffix=".jsonl", prefix="yktrules-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for i, raw in enumerate(_rows(source)):
                row: dict[str, Any] = {"row": i, "policy": None, "version": None}
                out.append(row)
                try:
                    doc = policy_set.parse_facts(raw)
                    day = as_of or doc.application.date
                    region = doc.application.region
                    p = policy_set.resolve(item, region, day)
                except (FactsError, NoPolicyError) as e:
                    row.update(outcome=None, reasons=[], unknown=[], amount=None, error=str(e))
                    continue
                values = {n: policy_set._param(n, region, day) for n in p.params}
                values = {n: None if isinstance(v, Unknown) else v for n, v in values.items()}
                key = (p.code, tuple(repr(values[n]) for n in p.params))
                g = groups.setdefault(key, len(groups))
                if g == len(group_code):
                    group_code.append(p.code)
                    group_params.append(values)
                row.update(
                    policy=p.code, version=policy_set._version(p.code, region, day), error=None
                )
                line = doc.model_dump(mode="json")
                line.update(__row=i, __as_of=day.isoformat(), __group=g)
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
        columns = {
            **facts_columns(policy_set.schema),
            "__row": "BIGINT",
            "__as_of": "DATE",
            "__group": "INTEGER",
        }
        con = duckdb.connect()
        try:
            con.execute(
                "CREATE TABLE __all AS SELECT * FROM read_json(?, columns = "
                + _struct_literal(columns)
                + ", format = 'newline_delimited')",
                [tmp],
            )
            for g, code in enumerate(group_code):
                sql = compile_policy(policy_set.policies[code], group_params[g])
                query = f"WITH facts AS (SELECT * FROM __all WHERE __group = {g}) {sql}"
                for r, outcome, reasons, unknown, amount in con.execute(query).fetchall():
                    out[r].update(
                        outcome=outcome, reasons=list(reasons), unknown=list(unknown), amount=amount
                    )
        finally:
            con.close()
    finally:
        os.unlink(tmp)
    return out


def _struct_literal(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
