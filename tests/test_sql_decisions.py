"""The SQL decision documents equal the Python ones: every policy of the library, compiled
by `compile_decisions` and run on DuckDB, gives for every generated applicant the document
`Decision.to_dict()` gives — outcome, reasons with their rendered messages, unknown rules
with their sorted missing paths and errors, the amount — with parameters read per row from
the ``__params`` column, and inlined as literals."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb")

import yktrules  # noqa: E402
from yktrules.batch.io import dumps  # noqa: E402
from yktrules.sql import compile_decisions  # noqa: E402
from yktrules.sql.compiler import as_of_column  # noqa: E402
from yktrules.sql.decisions import PolicySQL, layered, params_json, params_type  # noqa: E402
from yktrules.sql.schema import facts_columns  # noqa: E402
from yktrules.synth.applications import application  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LIB = yktrules.load(ROOT / "policies")
TYPES = {name: LIB.params.decls[name].lang_type for name in LIB.params.decls}


def _population() -> list[Any]:
    docs = []
    r = random.Random(20261126)
    for k, p_unknown in enumerate([0.0, 0.03, 0.3, 0.8] * 40):
        docs.append(LIB.parse_facts(application(r, k, p_unknown)))
    return docs


DOCS = _population()


def _columns(extra: dict[str, str]) -> str:
    cols = {**facts_columns(LIB.schema), "__row": "BIGINT", "__as_of": "DATE", **extra}
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in cols.items()) + "}"


def _normal(doc: dict[str, Any]) -> dict[str, Any]:
    """The documented differences: SQL always has amount_missing, amount_errors, errors."""
    doc = dict(doc)
    doc.setdefault("amount_missing", None)
    doc.setdefault("amount_errors", [])
    doc["unknown"] = [{"errors": [], **u} for u in doc["unknown"]]
    return doc


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("facts") / "facts.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, doc in enumerate(DOCS):
            line = json.loads(doc.model_dump_json())
            line.update(__row=i, __as_of=doc.application.date.isoformat())
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    c = duckdb.connect()
    c.execute(
        f"CREATE TABLE allfacts AS SELECT * FROM read_json('{path}', "
        f"columns = {_columns({})}, format = 'newline_delimited')"
    )
    yield c
    c.close()


def _params_relation(code: str, tmp_path: Path) -> str:
    """`allfacts` with each row's ``__params`` and ``__version`` for policy `code`."""
    p = LIB.policies[code]
    params_path = tmp_path / "params.jsonl"
    with open(params_path, "w", encoding="utf-8") as f:
        for i, doc in enumerate(DOCS):
            day, region = doc.application.date, doc.application.region
            values = {n: LIB._param(n, region, day) for n in p.params}
            row = {"__row": i, "__version": LIB._version(code, region, day)}
            if p.params:
                row["__params"] = params_json(values)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    extra = {"__row": "BIGINT", "__version": "VARCHAR"}
    if p.params:
        extra["__params"] = params_type(p, TYPES)
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in extra.items()) + "}"
    return (
        f"(SELECT * FROM allfacts JOIN read_json('{params_path}', columns = "
        f"{cols}, format = 'newline_delimited') USING (__row))"
    )


@pytest.mark.parametrize("code", sorted(LIB.policies))
def test_sql_json_text_is_the_python_engine_text(code: str, con: Any, tmp_path: Path) -> None:
    """The JSON text of each decision, byte for byte as the Python engine writes it; the
    policy computed under a prefix and a guard (every other row), as in a batch."""
    p = LIB.policies[code]
    sql = PolicySQL(p, None, None, prefix="p7_", guard="__on")
    rel = f"(SELECT *, __row % 2 = 0 AS __on FROM {_params_relation(code, tmp_path)})"
    rel = layered(rel, [[as_of_column()], *sql.layers()])
    rows = con.execute(f"SELECT __row, {sql.json()} FROM {rel} ORDER BY __row").fetchall()
    assert len(rows) == len(DOCS)
    for i, text in rows:
        if i % 2:
            assert text is None
            continue
        doc = LIB.evaluate(code, DOCS[i], DOCS[i].application.date).to_dict()
        assert text == dumps(doc), (code, i)


@pytest.mark.parametrize("code", sorted(LIB.policies))
def test_sql_documents_equal_python_documents(code: str, con: Any, tmp_path: Path) -> None:
    p = LIB.policies[code]
    expected: dict[int, dict[str, Any]] = {}
    params_path = tmp_path / "params.jsonl"
    with open(params_path, "w", encoding="utf-8") as f:
        for i, doc in enumerate(DOCS):
            day, region = doc.application.date, doc.application.region
            expected[i] = _normal(LIB.evaluate(code, doc, day).to_dict())
            values = {n: LIB._param(n, region, day) for n in p.params}
            row = {"__row": i, "__version": LIB._version(code, region, day)}
            if p.params:
                row["__params"] = params_json(values)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    extra = {"__row": "BIGINT", "__version": "VARCHAR"}
    if p.params:
        extra["__params"] = params_type(p, TYPES)
    cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in extra.items()) + "}"
    facts = (
        f"WITH facts AS (SELECT * FROM allfacts JOIN read_json('{params_path}', columns = "
        f"{cols}, format = 'newline_delimited') USING (__row)) "
    )
    rows = con.execute(
        facts + f"SELECT __row, to_json(decision) FROM ({compile_decisions(p, None, None)})"
    ).fetchall()
    assert len(rows) == len(DOCS)
    for i, text in rows:
        assert json.loads(text) == expected[i], (code, i)


def test_inlined_parameters_give_the_same_documents(con: Any) -> None:
    """A (policy, region, day) group with its parameters inlined as literals."""
    for code in ("SC-MZ-001", "NJ-MZ-002", "SC-NY-001"):
        p = LIB.policies[code]
        doc = DOCS[0]
        day, region = doc.application.date, doc.application.region
        values = {n: LIB._param(n, region, day) for n in p.params}
        sql = compile_decisions(p, values, LIB._version(code, region, day))
        rows = con.execute(
            "WITH facts AS (SELECT * FROM allfacts WHERE application.region = ? "
            f"AND __as_of = ?) SELECT __row, to_json(decision) FROM ({sql})",
            [region, day],
        ).fetchall()
        assert rows
        for i, text in rows:
            want = _normal(LIB.evaluate(code, DOCS[i], day).to_dict())
            assert json.loads(text) == want


def test_the_population_reaches_every_kind_of_result() -> None:
    """The comparison above is not vacuous: unknown rules with missing paths, rendered
    messages with values, amounts and every outcome occur."""
    seen: set[str] = set()
    for doc in DOCS:
        for d in LIB.screen_all(doc):
            seen.add(d.outcome.value)
            if any(u.missing for u in d.unknown):
                seen.add("missing")
            if d.amount is not None:
                seen.add("amount")
            if d.amount_missing is not None:
                seen.add("amount_missing")
    assert seen >= {"eligible", "ineligible", "review", "missing", "amount", "amount_missing"}
