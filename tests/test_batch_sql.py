"""The streaming DuckDB batch screener (yktrules.batch.runner) against the Python engine
(yktrules.batch.rows.screen_rows): the same output rows, one per input row, in order, whatever
the source, the output format, the chunking or a failing query."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import yktrules
from yktrules.batch import InputError, plan, screen_batch, screen_frame, screen_to_file
from yktrules.batch import duckdb as sql_engine
from yktrules.batch.rows import screen_rows
from yktrules.cli import cli
from yktrules.errors import ArgumentError
from yktrules.synth import applications as synth

ROOT = Path(__file__).resolve().parents[1]

#: Compare whole decision documents (compile_decisions is the backend).  With False only
#: outcome, reason and unknown rule names, amount, policy and version are compared.
FULL_DOCUMENTS = True


@pytest.fixture(scope="module")
def ps() -> yktrules.PolicySet:
    return yktrules.load(ROOT / "policies")


def _text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, default=str)


def _bad_rows() -> list[str | bytes]:
    """Each kind of row the Python engine turns into an error row, or screens oddly."""
    doc = next(synth.population(1, seed=99))
    bad_id = dict(doc, applicant=dict(doc["applicant"], id_number="123"))
    no_item = dict(doc, application=dict(doc["application"], id="NO-ITEM", item="XX-999"))
    outside = dict(doc, application=dict(doc["application"], id="BEIJING", region="110101"))
    return [
        "{broken",  # invalid JSON
        "",  # empty line
        b'{"application": "\xff\xfe"}',  # not UTF-8
        _text(bad_id),  # a facts error
        _text(no_item),  # an item with no policy
        _text(outside),  # no policy in force where the applicant lives
        "   ",  # blank
        "[1, 2]",  # not an object
    ]


def _lines(n: int, seed: int = 7) -> list[str | bytes]:
    lines: list[str | bytes] = [_text(d) for d in synth.population(n, seed=seed)]
    for k, bad in enumerate(_bad_rows()):
        lines.insert(min(len(lines), 1 + k * (n // 8 + 1)), bad)
    return lines


LINES = _lines(3000)


def _view(row: dict[str, Any]) -> Any:
    """What is compared of a result row."""
    if FULL_DOCUMENTS or "error" in row:
        return row
    return {
        "line": row["line"],
        "application": row["application"],
        "decisions": [
            (
                d["item"],
                d["policy"],
                d["version"],
                d["outcome"],
                sorted(r["rule"] for r in d["reasons"]),
                sorted(u["rule"] for u in d["unknown"]),
                d["amount"],
            )
            for d in row["decisions"]
        ],
    }


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert _view(g) == _view(w), (w["line"], w.get("application"))


@pytest.mark.parametrize(
    "selection",
    [{"item": "SC-MZ-001"}, {}, {"all_items": True}],
    ids=["item", "own-item", "all-items"],
)
def test_duckdb_gives_the_rows_of_the_python_engine(
    ps: yktrules.PolicySet, selection: dict[str, Any]
) -> None:
    want = list(screen_rows(ps, LINES, **selection))
    got = list(screen_batch(ps, LINES, chunk_size=1200, **selection))
    _same(got, want)
    kinds = {r["error"]["type"] for r in got if "error" in r}
    assert {"facts", "empty", "encoding"} <= kinds
    if "all_items" not in selection:
        assert "no_policy" in kinds
    outcomes = {d["outcome"] for r in got if "decisions" in r for d in r["decisions"]}
    assert outcomes == {"eligible", "ineligible", "review"}


def test_chunk_boundaries_change_nothing(ps: yktrules.PolicySet) -> None:
    lines = _lines(42, seed=3)
    assert len(lines) == 50
    whole = list(screen_batch(ps, lines))
    assert [r["line"] for r in whole] == list(range(1, 51))
    assert list(screen_batch(ps, lines, chunk_size=7)) == whole
    assert list(screen_batch(ps, lines, chunk_size=1)) == whole
    _same(whole, list(screen_rows(ps, lines)))


def test_rows_in_equal_rows_out(ps: yktrules.PolicySet) -> None:
    def rows() -> Any:  # a generator (no length, read once) of texts, bytes and dicts
        for k, line in enumerate(_lines(200, seed=13)):
            try:
                yield json.loads(line) if k % 3 == 0 else line
            except ValueError:
                yield line

    got = list(screen_batch(ps, rows(), chunk_size=90, all_items=True))
    assert [r["line"] for r in got] == list(range(1, 209))
    assert sum("error" in r for r in got) + sum("decisions" in r for r in got) == 208


def test_a_failing_query_leaves_its_rows_to_the_python_engine(
    ps: yktrules.PolicySet, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The query fails after some rows: the rest are screened by the Python engine, each as
    the Python engine screens it; none is lost (a file is read again from the failure)."""
    lines = _lines(120, seed=21)
    path = tmp_path / "apps.jsonl"
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines))
    want = list(screen_rows(ps, lines, all_items=True))
    real = sql_engine.Run._batches

    def breaking(self: Any) -> Any:
        it = real(self)
        yield next(it)
        it.close()
        raise RuntimeError("DuckDB fell over")

    monkeypatch.setattr(sql_engine.Run, "_batches", breaking)
    monkeypatch.setattr(plan, "STAGE_BUDGET", 10**9)  # one query (staged: test_batch_staged)
    got = list(screen_batch(ps, path, all_items=True, chunk_size=16))
    _same(got, want)
    # an iterator cannot be read again: its undelivered rows are internal error rows
    got = list(screen_batch(ps, iter(lines), all_items=True, chunk_size=16))
    assert [g["line"] for g in got] == [w["line"] for w in want]
    broken = [g for g in got if "error" in g and g["error"]["type"] == "internal"]
    assert broken and all("DuckDB fell over" in g["error"]["errors"][0]["message"] for g in broken)
    _same(got[:16], want[:16])


def test_a_number_the_sql_does_not_take_is_decided_by_python(ps: yktrules.PolicySet) -> None:
    """A deposit of 1e30 (written as text) is not a decimal the SQL reads: that row goes to
    the Python engine and gets exactly its row; its neighbours are decided in SQL."""
    docs = list(synth.population(30, seed=5))
    huge = dict(docs[17], household=dict(docs[17]["household"], deposits="1e30"))
    lines = [_text(d) for d in docs[:17]] + [_text(huge)] + [_text(d) for d in docs[18:]]
    got = list(screen_batch(ps, lines, item="SC-MZ-001"))
    want = list(screen_rows(ps, lines, item="SC-MZ-001"))
    _same(got, want)
    assert got[17] == want[17]


# ---- sources and outputs -----------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    docs = list(synth.population(40, seed=17))
    d = tmp_path_factory.mktemp("small")
    jsonl = d / "apps.jsonl"
    jsonl.write_text("".join(_text(x) + "\n" for x in docs), encoding="utf-8")
    table = pa.Table.from_pylist(docs)
    parquet = d / "apps.parquet"
    pq.write_table(table, parquet, row_group_size=9)
    return {"docs": docs, "jsonl": jsonl, "parquet": parquet, "table": table, "dir": d}


def _table_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Output-table rows back in the shape of screen_rows' rows."""
    out = []
    for r in table.to_pylist():
        row = {"line": r["line"], "application": r["application"]}
        if r["error"] is not None:
            row["error"] = r["error"]
        else:
            row["decisions"] = [_document(d) for d in r["decisions"]]
        out.append(row)
    return out


def _document(d: dict[str, Any]) -> dict[str, Any]:
    d = dict(d, as_of=d["as_of"].isoformat())
    if d["amount_missing"] is None:
        del d["amount_missing"]
    if not d["amount_errors"]:
        del d["amount_errors"]
    d["unknown"] = [{k: v for k, v in u.items() if k != "errors" or v} for u in d["unknown"]]
    return d


def test_jsonl_and_parquet_inputs_and_outputs_round_trip(
    ps: yktrules.PolicySet, small: dict[str, Any]
) -> None:
    want = list(screen_rows(ps, small["jsonl"].read_bytes().splitlines()))
    d: Path = small["dir"]
    for src in (small["jsonl"], small["parquet"]):
        assert list(screen_batch(ps, src, chunk_size=16)) == want
        s = screen_to_file(ps, src, d / "out.jsonl", chunk_size=16)
        assert s.rows == 40 and s.screened == 40 and not s.errors
        assert sum(s.decisions.values()) == sum(len(r["decisions"]) for r in want)
        lines = (d / "out.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(x) for x in lines] == want
        s = screen_to_file(ps, src, d / "out.parquet", chunk_size=16)
        meta = pq.ParquetFile(d / "out.parquet").metadata
        assert meta.num_rows == 40 and meta.num_row_groups == 3  # one per chunk
        assert _table_rows(pq.read_table(d / "out.parquet")) == want
    # the output's own format can be forced, whatever the suffix
    screen_to_file(ps, small["jsonl"], d / "out.data", format="parquet")
    assert pq.read_table(d / "out.data").num_rows == 40


def test_python_engine_writes_the_same_files(ps: yktrules.PolicySet, small: dict[str, Any]) -> None:
    d: Path = small["dir"]
    for fmt in ("jsonl", "parquet"):
        a, b = d / f"py.{fmt}", d / f"dk.{fmt}"
        screen_to_file(ps, small["parquet"], a, engine="python", chunk_size=16)
        screen_to_file(ps, small["parquet"], b, engine="duckdb", chunk_size=16)
        if fmt == "parquet":
            assert pq.read_table(a).equals(pq.read_table(b))
        else:  # byte for byte
            assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("selection", [{"all_items": True}, {"item": "SC-MZ-001"}, {}])
def test_both_engines_write_the_same_bytes_and_compact_rows(
    ps: yktrules.PolicySet, tmp_path: Path, selection: dict[str, Any]
) -> None:
    """JSON Lines with every kind of row (errors, no policy, masked messages): the same bytes
    from both engines; the compact Parquet layout: the same table."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in LINES))
    for fmt, layout in (("jsonl", "documents"), ("parquet", "decisions")):
        a, b = tmp_path / f"py.{fmt}", tmp_path / f"dk.{fmt}"
        for engine, out in (("python", a), ("duckdb", b)):
            screen_to_file(ps, src, out, engine=engine, layout=layout, **selection)
        if fmt == "jsonl":
            assert a.read_bytes() == b.read_bytes()
        else:
            ta, tb = pq.read_table(a), pq.read_table(b)
            assert ta.schema.equals(tb.schema) and ta.to_pylist() == tb.to_pylist()
            kinds = set(ta.column("error_type").to_pylist())
            assert {"facts", "empty", "encoding"} <= kinds


def test_frames_arrow_pandas_and_polars(ps: yktrules.PolicySet, small: dict[str, Any]) -> None:
    want = list(screen_rows(ps, [_text(x) for x in small["docs"]]))
    table: pa.Table = small["table"]
    sources: list[Any] = [table, table.to_reader(max_chunksize=11), small["docs"]]
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    sources += [table.to_pandas(), pd.DataFrame(small["docs"]), pl.from_arrow(table)]
    for src in sources:
        got = screen_frame(ps, src, chunk_size=16)
        assert got.num_rows == 40, type(src)
        assert _table_rows(got) == want, type(src)
    frame = screen_frame(ps, table).to_pandas()
    assert list(frame.columns) == ["line", "application", "error", "decisions"]
    assert pl.from_arrow(screen_frame(ps, pl.from_arrow(table))).height == 40
    py = screen_frame(ps, table.to_pandas(), engine="python")
    assert py.equals(screen_frame(ps, table.to_pandas()))


def test_bad_arguments_and_sources_are_clear_errors(ps: yktrules.PolicySet, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        screen_batch(ps, tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="unsupported source"):
        list(screen_batch(ps, 42))
    with pytest.raises(ArgumentError):
        screen_batch(ps, [], engine="spark-ish")
    with pytest.raises(ArgumentError):
        screen_batch(ps, [], chunk_size=0)
    with pytest.raises(ArgumentError):
        screen_batch(ps, [], as_of="2024-02-30")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="Parquet"):
        list(screen_batch(ps, tmp_path / "bad.parquet"))

    def failing() -> Any:
        yield from [_text(d) for d in synth.population(3, seed=1)]
        raise ValueError("the host's reader broke")

    with pytest.raises(InputError, match="host's reader broke"):
        list(screen_batch(ps, failing()))
    assert list(screen_batch(ps, [])) == []
    assert screen_frame(ps, []).num_rows == 0


def test_progress_bar_goes_to_stderr(
    ps: yktrules.PolicySet, small: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    rows = list(screen_batch(ps, small["jsonl"], progress=True, chunk_size=16))
    assert len(rows) == 40
    out, err = capsys.readouterr()
    assert out == "" and "screened" in err


# ---- the command line --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_cli_engines_agree(small: dict[str, Any], tmp_path: Path, fmt: str) -> None:
    src = tmp_path / "in.jsonl"
    lines = small["jsonl"].read_bytes().splitlines()[:12]
    src.write_bytes(b"\n".join([*lines, b"{bad", b"", b""]))  # 14 lines, the last empty
    outs = {}
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.{fmt}"
        r = CliRunner().invoke(
            cli,
            ["screen", str(src), "--engine", engine, "--out", str(out), "--all-items"],
            catch_exceptions=False,
        )
        assert r.exit_code == 0, r.output
        assert "Traceback" not in r.output
        assert "14 行" in r.output and "个决定/秒" in r.output  # the summary
        outs[engine] = out
    if fmt == "parquet":
        assert pq.read_table(outs["python"]).equals(pq.read_table(outs["duckdb"]))
    else:
        py = [json.loads(x) for x in outs["python"].read_text(encoding="utf-8").splitlines()]
        dk = [json.loads(x) for x in outs["duckdb"].read_text(encoding="utf-8").splitlines()]
        assert py == dk and len(py) == 14 and py[-1]["error"]["type"] == "empty"


def test_cli_parquet_input_stdout_and_errors(small: dict[str, Any], tmp_path: Path) -> None:
    r = CliRunner().invoke(
        cli,
        ["screen", str(small["parquet"]), "--engine", "duckdb", "--no-summary"],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["line"] for x in rows] == list(range(1, 41))
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 nonsense")
    r = CliRunner().invoke(cli, ["screen", str(bad), "--engine", "duckdb"])
    assert r.exit_code == 2 and "Parquet" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["screen", str(small["jsonl"]), "--engine", "spark"])
    assert r.exit_code == 2
    r = CliRunner().invoke(cli, ["screen", str(small["jsonl"]), "--chunk-size", "0"])
    assert r.exit_code == 2


def test_a_broken_json_line_is_the_same_error_row_in_both_engines(
    ps: yktrules.PolicySet, tmp_path: Path
) -> None:
    """A line the JSON parser rejects points at the same column in both engines: the line's
    own text, without its newline (an unterminated string is not an illegal control
    character)."""
    src = tmp_path / "broken.jsonl"
    src.write_bytes(b'{"broken\n{"application": 1}\r\n[1,\n')
    rows = {e: list(screen_batch(ps, src, engine=e)) for e in ("python", "duckdb")}
    assert rows["python"] == rows["duckdb"]
    assert "第 1 行第 2 列" in rows["python"][0]["error"]["errors"][0]["message"]


def test_a_population_written_by_other_tools_is_decided_in_sql_alike(
    ps: yktrules.PolicySet, tmp_path: Path
) -> None:
    """Facts written as other tools write them — decimals as JSON numbers, so doubles in a
    Parquet file made with ``pa.Table.from_pylist``; pandas categories — give both engines'
    bytes, and the SQL validates them itself (no row goes to Python)."""
    docs = list(synth.population(60, seed=23))
    money = {"monthly_income", "pension_monthly", "deposits", "area", "value", "grain_mu"}

    def numbers(v: Any, key: str | None = None) -> Any:
        if isinstance(v, dict):
            return {k: numbers(x, k) for k, x in v.items()}
        if isinstance(v, list):
            return [numbers(x, key) for x in v]
        return float(v) if key in money and isinstance(v, str) else v

    table = pa.Table.from_pylist([numbers(d) for d in docs])
    assert pa.types.is_float64(table.schema.field("household").type.field("deposits").type)
    src = tmp_path / "other.parquet"
    pq.write_table(table, src)
    a, b = tmp_path / "py.jsonl", tmp_path / "dk.jsonl"
    screen_to_file(ps, src, a, engine="python", all_items=True)
    s = screen_to_file(ps, src, b, engine="duckdb", all_items=True)
    assert a.read_bytes() == b.read_bytes()
    assert s.python_rows == 0 and s.screened == 60
    lines = tmp_path / "numbers.jsonl"  # the same documents as JSON Lines with numbers
    lines.write_text("".join(_text(numbers(d)) + "\n" for d in docs), encoding="utf-8")
    screen_to_file(ps, lines, a, engine="python", all_items=True)
    s = screen_to_file(ps, lines, b, engine="duckdb", all_items=True)
    assert a.read_bytes() == b.read_bytes()
    assert s.python_rows == 0


def test_a_line_over_a_megabyte_is_decided_by_python_alike(ps: yktrules.PolicySet) -> None:
    """A document of thousands of members (a line over json_validation.MAX_LINE) is left to
    Python, which gives the Python engine's row; its neighbours are decided in SQL."""
    from yktrules.sql.json_validation import MAX_LINE

    docs = list(synth.population(12, seed=9))
    big = next(d for d in docs if d["household"].get("members"))
    members = big["household"]["members"]
    big["household"]["members"] = members * (MAX_LINE // len(_text(members[0])) + 1)
    lines = [_text(d) for d in docs]
    assert max(len(x.encode()) for x in lines) > MAX_LINE
    got = list(screen_batch(ps, lines, item="SC-MZ-001"))
    want = list(screen_rows(ps, lines, item="SC-MZ-001"))
    _same(got, want)
