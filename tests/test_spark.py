"""Screening on Spark (yktrules.sql.dialects.spark, yktrules.batch.spark) against DuckDB and the
reference interpreter: the same decision documents, one output row per input line."""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("java is not on PATH (Spark needs Java 17)", allow_module_level=True)

import duckdb
from pyspark.sql import SparkSession

import yktrules
from yktrules.batch import spark as spark_runner
from yktrules.batch.rows import screen_rows
from yktrules.batch.spark import screen_spark
from yktrules.ir.values import Unknown
from yktrules.sql.decisions import compile_decisions
from yktrules.sql.dialects.duckdb import DEC, DUCKDB
from yktrules.sql.dialects.spark import SESSION_CONF, SPARK
from yktrules.sql.schema import facts_columns
from yktrules.synth import applications as synth

ROOT = Path(__file__).resolve().parent.parent
# pyspark checks the installed pandas when it starts; yktrules does not use pandas with Spark
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


@pytest.fixture(scope="module")
def ps() -> yktrules.PolicySet:
    return yktrules.load(ROOT / "policies")


# ------------------------------------------------------------------ the dialect
def _expr_values(spark: SparkSession, exprs: list[str]) -> list[Any]:
    return list(spark.sql("SELECT " + ", ".join(exprs)).collect()[0])


@pytest.mark.parametrize("ansi", ["true", "false"])
def test_exact_division_and_sums_whatever_the_session_says(spark: SparkSession, ansi: str) -> None:
    values = ["0", "1", "-1", "7", "-7", "2.5", "0.0000000001", "-0.00000000005", "0.3333333333"]
    values += ["12345678.9", "99999999999", "123456789012345.1234567891", "0.0000000003"]
    pairs = list(itertools.product(values, values))
    con = duckdb.connect()
    lit = "CAST('{}' AS " + DEC + ")"
    expected = [
        con.execute("SELECT " + DUCKDB.divide(lit.format(a), lit.format(b))).fetchone()[0]  # type: ignore[index]
        for a, b in pairs
    ]
    rows = ", ".join(f"({i}, '{a}', '{b}')" for i, (a, b) in enumerate(pairs))
    spark.sql(f"SELECT * FROM VALUES {rows} AS t(i, a, b)").createOrReplaceTempView("pairs")
    total = SPARK.list_sum(f"array(CAST('0.0000000001' AS {DEC}), CAST('2.0000000009' AS {DEC}))")
    for loss in ("true", "false"):
        with _conf(spark, {"spark.sql.ansi.enabled": ansi, **_LOSS(loss)}):
            q = SPARK.divide(f"CAST(a AS {DEC})", f"CAST(b AS {DEC})")
            got = dict(spark.sql(f"SELECT i, {q} FROM pairs ORDER BY i").collect())  # type: ignore[arg-type]
            for i, want in enumerate(expected):
                if want is not None and abs(want) >= 10**20:  # out of range: NULL
                    assert got[i] in (None, want), pairs[i]
                else:
                    assert got[i] == want, (pairs[i], loss, ansi)
            assert str(_expr_values(spark, [total])[0]) == "2.0000000010"


def _LOSS(v: str) -> dict[str, str]:
    return {"spark.sql.decimalOperations.allowPrecisionLoss": v}


class _conf:
    def __init__(self, spark: SparkSession, values: dict[str, str]):
        self.spark, self.values = spark, values

    def __enter__(self) -> None:
        self.old = {k: self.spark.conf.get(k, None) for k in self.values}
        for k, v in self.values.items():
            self.spark.conf.set(k, v)

    def __exit__(self, *a: Any) -> None:
        for k, v in self.old.items():
            if v is None:
                self.spark.conf.unset(k)
            else:
                self.spark.conf.set(k, v)


def test_list_functions_keep_duckdbs_null_semantics(spark: SparkSession) -> None:
    d = SPARK
    strings = d.list_type(d.string)
    with _conf(spark, SESSION_CONF):
        got = _expr_values(
            spark,
            [
                d.flatten(f"array(array('a'), CAST(NULL AS {strings}), array('b'))"),
                d.some_true("array(CAST(NULL AS BOOLEAN), FALSE)"),
                d.some_true("CAST(NULL AS ARRAY<BOOLEAN>)"),
                d.length(f"CAST(NULL AS {strings})"),
                d.length(d.empty_list(d.string)),
                d.distinct_sorted("array('b', 'a', 'b')"),
                d.string_lit("it's a \\ back\nslash"),
                d.struct([("x", "1"), ("y", d.string_lit("a"))]),
            ],
        )
    assert got[:6] == [["a", "b"], False, False, None, 0, ["a", "b"]]
    assert got[6] == "it's a \\ back\nslash"
    assert got[7].asDict() == {"x": 1, "y": "a"}


# ------------------------------------------------------------------ the differential test
def _hand_made() -> list[dict[str, Any]]:
    """Rows the generated population rarely has: many unknown facts, empty lists, an empty
    household (a per-capita income divides by zero)."""
    base = next(synth.population(1, seed=99))
    out = list(synth.population(12, seed=4, p_unknown=0.45))
    empty = copy.deepcopy(base)
    empty["application"]["id"] = "HAND-EMPTY-LISTS"
    for key in ("properties", "vehicles", "businesses"):
        empty["household"][key] = []
    empty["records"] = {"benefits": [], "applications": []}
    out.append(empty)
    zero = copy.deepcopy(base)
    zero["application"]["id"] = "HAND-NO-MEMBERS"
    zero["household"]["members"] = []
    out.append(zero)
    unknown = copy.deepcopy(base)
    unknown["application"]["id"] = "HAND-UNKNOWN"
    unknown["household"]["monthly_income"] = None
    unknown["applicant"]["hukou_type"] = None
    out.append(unknown)
    return out


POPULATION = list(synth.population(400, seed=11)) + _hand_made()


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    """A SQL decision document without the keys the Python document leaves out when empty
    (amount_missing: null, errors: [], amount_errors: [])."""
    d = dict(d)
    if d.get("amount_missing") is None:
        d.pop("amount_missing", None)
    if not d.get("amount_errors"):
        d.pop("amount_errors", None)
    d["unknown"] = [{k: v for k, v in u.items() if k != "errors" or v} for u in d["unknown"]]
    return d


def _duckdb_decisions(
    ps: yktrules.PolicySet, docs: list[Any], tmp: Path
) -> dict[tuple[int, str], dict[str, Any]]:
    """The lead's sketch: one DuckDB query per (policy, parameter values, version)."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    values: dict[tuple[str, str, str], dict[str, Any]] = {}
    path = tmp / "facts.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, doc in enumerate(docs):
            day, region = doc.application.date, doc.application.region
            for p in ps.in_force(region, day):
                params = {n: ps._param(n, region, day) for n in p.params}
                key = (p.code, repr(sorted(params.items())), ps._version(p.code, region, day))
                groups.setdefault(key, []).append(i)
                values[key] = params
            line = json.loads(doc.model_dump_json()) | {"__row": i, "__as_of": day.isoformat()}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    columns = {**facts_columns(ps.schema), "__row": "BIGINT", "__as_of": "DATE"}
    struct = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE allf AS SELECT * FROM read_json('{path}', columns = {struct}, "
        "format = 'newline_delimited')"
    )
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for key, rows in groups.items():
        code, _, version = key
        p = ps.policies[code]
        params = {n: None if isinstance(v, Unknown) else v for n, v in values[key].items()}
        sql = compile_decisions(p, params, version)
        facts = f"WITH facts AS (SELECT * FROM allf WHERE __row IN ({', '.join(map(str, rows))})) "
        for row, doc in con.execute(
            facts + f"SELECT __row, to_json(decision) FROM ({sql})"
        ).fetchall():
            out[row, p.item] = _plain(json.loads(doc))
    return out


def test_spark_duckdb_and_the_interpreter_decide_alike(
    spark: SparkSession, ps: yktrules.PolicySet, tmp_path: Path
) -> None:
    src = tmp_path / "population.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in POPULATION))
    out = tmp_path / "decisions.jsonl"
    summary = screen_spark(ps, str(src), str(out), all_items=True, spark=spark)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == list(range(1, len(POPULATION) + 1))
    assert summary["rows"] == len(POPULATION) and summary["failed"] == {}
    assert summary["policies"] >= 80  # nearly every policy of the library decided something

    docs = [ps.parse_facts(r) for r in POPULATION]
    by_duckdb = _duckdb_decisions(ps, docs, tmp_path)
    decided = 0
    outcomes: set[str] = set()
    for doc, row in zip(docs, rows, strict=True):
        assert "error" not in row, row
        day, region = doc.application.date, doc.application.region
        expected = []
        for p in ps.in_force(region, day):
            ref = ps.evaluate_reference(p.code, doc, day).to_dict()
            ref.pop("trace")
            expected.append(ref)
            assert by_duckdb[docs.index(doc), p.item] == ref, (doc.application.id, p.code)
        assert row["decisions"] == expected, doc.application.id
        decided += len(expected)
        outcomes |= {d["outcome"] for d in expected}
    assert decided > 15000 and outcomes == {"eligible", "ineligible", "review"}
    # the hand-made rows reach what they were made for
    last = {r["application"]: r["decisions"] for r in rows[-3:]}
    errors = [e for d in last["HAND-NO-MEMBERS"] for u in d["unknown"] for e in u.get("errors", [])]
    assert any("division by zero" in e["message"] for e in errors)
    assert any(u["missing"] for d in last["HAND-UNKNOWN"] for u in d["unknown"])
    assert summary["decisions"] == decided
    assert sum(sum(c.values()) for c in summary["items"].values()) == decided


# ------------------------------------------------------------------ rows in = rows out
def _lines(ps: yktrules.PolicySet) -> list[bytes]:
    good = [json.dumps(r, ensure_ascii=False).encode() for r in synth.population(6, seed=21)]
    outside = json.loads(good[1])
    outside["application"]["region"] = "110101"  # Beijing: no policy in force
    invalid = json.loads(good[2])
    invalid["application"]["date"] = "2024-02-30"
    return [
        b"\xef\xbb\xbf" + good[0],  # a byte order mark
        b"",
        b"{not json",
        json.dumps(invalid).encode(),
        good[3] + b"\r",
        json.dumps(outside, ensure_ascii=False).encode(),
        b'{"application": {"id": "\xff\xfe"}}',  # not UTF-8
        b"   ",
        good[4],
        good[5],
    ]


def _expected(ps: yktrules.PolicySet, lines: list[bytes], item: str) -> list[dict[str, Any]]:
    return list(screen_rows(ps, lines, item=item))


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("spark_screen", ROOT / "examples/spark_screen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_line_comes_out_once_in_order_as_json_lines(
    spark: SparkSession, ps: yktrules.PolicySet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _lines(ps)
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out" / "decisions.jsonl"
    # through the driver script of docs/spark.md, on the active session
    argv = [str(ROOT / "policies"), str(src), str(out), "--item", "SC-MZ-001"]
    assert _example().main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = _expected(ps, lines, "SC-MZ-001")
    assert got == json.loads(json.dumps(expected, ensure_ascii=False))
    kinds = [r["error"]["type"] if "error" in r else "ok" for r in got]
    assert kinds == [
        "ok",
        "empty",
        "facts",
        "facts",
        "ok",
        "no_policy",
        "encoding",
        "empty",
        "ok",
        "ok",
    ]
    assert summary["rows"] == len(lines)
    assert summary["errors"] == {"empty": 2, "encoding": 1, "facts": 2, "no_policy": 1}
    assert sum(summary["items"]["SC-MZ-001"].values()) == 4 == summary["screened"]


def test_parquet_part_files_keep_every_line(
    spark: SparkSession, ps: yktrules.PolicySet, tmp_path: Path
) -> None:
    lines = _lines(ps)
    src = tmp_path / "in"  # a folder: its files are numbered on in path order
    src.mkdir()
    (src / "b.jsonl").write_bytes(b"\n".join(lines[6:]))  # no final line break
    (src / "a.jsonl").write_bytes(b"\n".join(lines[:6]) + b"\n")
    out = tmp_path / "decisions.parquet"
    screen_spark(ps, str(src), str(out), item="SC-MZ-001", spark=spark, single_file=False)
    assert out.is_dir() and list(out.glob("part-*.parquet"))
    rows = spark.read.parquet(str(out)).orderBy("line").collect()
    expected = _expected(ps, lines, "SC-MZ-001")
    assert [r["line"] for r in rows] == list(range(1, len(lines) + 1))
    for r, e in zip(rows, expected, strict=True):
        assert r["application"] == e["application"]
        if "error" in e:
            assert r["decisions"] is None
            assert r["error"].asDict(recursive=True) == e["error"]
        else:
            assert r["error"] is None
            got = [_plain(_jsonable(d.asDict(recursive=True))) for d in r["decisions"]]
            assert got == e["decisions"]
    single = tmp_path / "single.parquet"
    screen_spark(ps, str(src), str(single), item="SC-MZ-001", spark=spark)
    assert single.is_file()
    assert spark.read.parquet(str(single)).count() == len(lines)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v.isoformat() if isinstance(v, date) else v


def test_a_failing_policy_query_turns_its_rows_into_internal_errors(
    spark: SparkSession, ps: yktrules.PolicySet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(policy: Any, params: Any, version: Any, dialect: Any) -> str:
        if policy.item == "SC-MZ-001":  # fails while running, not while planning
            return "SELECT __row, named_struct('item', raise_error('boom'), 'outcome', 'x') AS decision FROM facts"
        return compile_decisions(policy, params, version, dialect)

    monkeypatch.setattr(spark_runner, "compile_decisions", broken)
    lines = _lines(ps)
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    summary = screen_spark(ps, str(src), str(out), item="SC-MZ-001", spark=spark)
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in got] == list(range(1, len(lines) + 1))
    internal = [r for r in got if r.get("error", {}).get("type") == "internal"]
    assert len(internal) == 4 and summary["errors"]["internal"] == 4
    assert "boom" in internal[0]["error"]["errors"][0]["message"]
    assert "\n" not in internal[0]["error"]["errors"][0]["message"]
    assert summary["failed"] and {ps.policies[c].item for c in summary["failed"]} == {"SC-MZ-001"}


def test_a_missing_input_is_an_argument_error(
    spark: SparkSession, ps: yktrules.PolicySet, tmp_path: Path
) -> None:
    with pytest.raises(yktrules.errors.ArgumentError, match="cannot read"):
        screen_spark(ps, str(tmp_path / "nope.jsonl"), str(tmp_path / "out.jsonl"), spark=spark)


def test_the_environment_is_left_as_it_was(spark: SparkSession) -> None:
    assert spark.conf.get("spark.sql.decimalOperations.allowPrecisionLoss") == "true"
    assert not [v.name for v in spark.catalog.listTables() if v.name.startswith("__yk_")]


def test_the_cli_screens_on_spark_as_on_python(
    spark: SparkSession, ps: yktrules.PolicySet, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from yktrules.cli import cli

    lines = _lines(ps)
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    outs = {}
    for engine in ("spark", "python"):
        out = tmp_path / f"{engine}.jsonl"
        args = ["screen", "--policies", str(ROOT / "policies"), str(src), "--out", str(out)]
        res = CliRunner().invoke(cli, [*args, "--item", "SC-MZ-001", "--engine", engine])
        assert res.exit_code == 0, res.output
        assert f"{len(lines)} 行" in res.output
        outs[engine] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert outs["spark"] == outs["python"]  # the same rows, byte for byte as JSON
    # Spark writes files only
    res = CliRunner().invoke(cli, ["screen", str(src), "--engine", "spark"])
    assert res.exit_code == 2 and "--out" in res.output


def test_audits_on_spark_equal_duckdb(spark: SparkSession) -> None:
    """Roster audits through the same compiled SQL: planted frauds found exactly, and every
    finding, message and count equal to DuckDB's (docs/audits.md)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_audit import planted
    from yktrules.audit import load_audits

    audits = load_audits(ROOT / "audits")
    rows, deaths, agents, expected = planted()
    for regs in ({"deaths": deaths, "agents": agents}, {}):
        on = {
            engine: audits.run(
                rows,
                regs,
                engine=engine,
                spark=spark,
                as_of=date(2025, 6, 1),  # type: ignore[arg-type]
            )
            for engine in ("spark", "duckdb")
        }
        if regs:
            assert {(f.audit, f.ids) for f in on["spark"].findings} == expected
        for a, b in zip(on["spark"].outcomes, on["duckdb"].outcomes, strict=True):
            assert [f.to_dict() for f in a.findings] == [f.to_dict() for f in b.findings]
            assert (a.subjects, a.undetermined, a.missing_tables) == (
                b.subjects,
                b.undetermined,
                b.missing_tables,
            )
