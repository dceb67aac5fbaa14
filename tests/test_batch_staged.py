"""Staged DuckDB runs (yktrules.batch.staged): a library too large for one query is decided
a group of policies at a time, with the results put back together row by row.  Whatever the
grouping, the output is the Python engine's, byte for byte, and no row falls back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import yktrules
from yktrules.batch import duckdb as sql_engine
from yktrules.batch import plan, screen_to_file, staged
from yktrules.batch.summary import Summary
from yktrules.synth import applications as synth

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ps() -> yktrules.PolicySet:
    return yktrules.load(ROOT / "policies")


def _text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, default=str)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    docs = list(synth.population(300, seed=41))
    doc = docs[0]
    lines = [_text(d) for d in docs]
    bad_id = dict(doc, applicant=dict(doc["applicant"], id_number="123"))
    outside = dict(doc, application=dict(doc["application"], id="BJ", region="110101"))
    no_item = dict(doc, application=dict(doc["application"], id="NO", item="XX-999"))
    for k, bad in enumerate(["{broken", "", _text(bad_id), _text(outside), _text(no_item)]):
        lines.insert(7 + 50 * k, bad)
    d = tmp_path_factory.mktemp("staged")
    jsonl = d / "in.jsonl"
    jsonl.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    parquet = d / "in.parquet"
    synth.write_parquet(parquet, 300, seed=43)
    return {"jsonl": jsonl, "parquet": parquet}


def test_a_small_budget_stages_the_library(ps: yktrules.PolicySet) -> None:
    p = plan.build(
        ps, "__source", source="json", schema=None, item=None, all_items=True, as_of=None,
        output="jsonl", budget=20_000,
    )  # fmt: skip
    assert not p.sql and p.stage0 and len(p.stages) > 5
    # every policy in exactly one stage, in item order
    assert [u.prefix for s in p.stages for u in s.uses] == [u.prefix for u in p.uses]
    whole = plan.build(
        ps, "__source", source="json", schema=None, item="SC-MZ-001", all_items=False,
        as_of=None, output="jsonl",
    )  # fmt: skip
    assert whole.sql and not whole.stages  # one item fits in one query


@pytest.mark.parametrize(("source", "budget"), [("jsonl", 15_000), ("parquet", 60_000)])
@pytest.mark.parametrize(
    ("fmt", "layout"), [("jsonl", "documents"), ("parquet", "documents"), ("parquet", "decisions")]
)
def test_staged_runs_write_the_python_engines_output(
    ps: yktrules.PolicySet,
    inputs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    budget: int,
    source: str,
    fmt: str,
    layout: str,
) -> None:
    monkeypatch.setattr(plan, "STAGE_BUDGET", budget)
    a, b = tmp_path / f"py.{fmt}", tmp_path / f"dk.{fmt}"
    screen_to_file(ps, inputs[source], a, engine="python", layout=layout, all_items=True)
    s = screen_to_file(ps, inputs[source], b, engine="duckdb", layout=layout, all_items=True)
    assert s.fallback == ""  # the staged queries ran: nothing fell back to Python
    assert s.python_rows == sum(s.errors.values())  # only error rows went to Python
    if fmt == "jsonl":
        assert a.read_bytes() == b.read_bytes()
    else:
        ta, tb = pq.read_table(a), pq.read_table(b)
        assert ta.schema.equals(tb.schema) and ta.to_pylist() == tb.to_pylist()


def test_a_staged_run_of_one_item_keeps_no_policy_rows(
    ps: yktrules.PolicySet, inputs: dict[str, Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Each row's own item, staged: rows whose item has no policy, or none in force where
    the applicant lives, are the Python engine's error rows."""
    monkeypatch.setattr(plan, "STAGE_BUDGET", 10_000)
    a, b = tmp_path / "py.jsonl", tmp_path / "dk.jsonl"
    screen_to_file(ps, inputs["jsonl"], a, engine="python")
    s = screen_to_file(ps, inputs["jsonl"], b, engine="duckdb")
    assert s.fallback == "" and s.errors["no_policy"] >= 2
    assert a.read_bytes() == b.read_bytes()


def test_a_read_once_source_survives_a_failing_stage(
    ps: yktrules.PolicySet, inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage fails after the rows were read: an iterator cannot be read again, but the
    staged run kept its rows, so the Python engine decides every one of them."""
    from yktrules.batch import screen_batch
    from yktrules.batch.rows import screen_rows

    monkeypatch.setattr(plan, "STAGE_BUDGET", 30_000)
    lines = inputs["jsonl"].read_text(encoding="utf-8").splitlines()
    real = staged.execute

    def failing(con: Any, p: Any, folder: str, summary: Summary, done: list[Path]) -> None:
        real(con, attrs_evolve(p, stages=p.stages[:1]), folder, summary, done)
        raise RuntimeError("DuckDB fell over")

    monkeypatch.setattr(staged, "execute", failing)
    got = list(screen_batch(ps, iter(lines), all_items=True))
    want = list(screen_rows(ps, lines, all_items=True))
    assert got == want


def attrs_evolve(p: plan.Plan, **changes: Any) -> plan.Plan:
    import attrs

    return attrs.evolve(p, **changes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.lists(st.integers(0, 99), max_size=3), min_size=1, max_size=4),
        min_size=1,
        max_size=4,
    ),
    st.data(),
)
def test_lists_side_by_side(groups: list[list[list[int]]], data: st.DataObject) -> None:
    """Row by row, the stages' lists one after the other; a row not screened is NULL."""
    n = min(len(g) for g in groups)
    groups = [g[:n] for g in groups]
    screened = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    groups = [[row if ok else [] for row, ok in zip(g, screened, strict=True)] for g in groups]
    arrays = [pa.array(g, pa.list_(pa.int64())) for g in groups]
    got = staged._lists(arrays, pa.array(screened)).to_pylist()
    want = [[x for g in groups for x in g[i]] if ok else None for i, ok in enumerate(screened)]
    assert got == want


def test_the_plan_query_runs_without_python(
    ps: yktrules.PolicySet, inputs: dict[str, Path]
) -> None:
    """Run.results on a staged plan: every good row is decided by DuckDB."""
    run = sql_engine.Run(
        ps, inputs["parquet"], item=None, all_items=True, as_of=None, output="compact",
        batch_size=64, summary=Summary(),
    )  # fmt: skip
    try:
        assert run.plan.stages or run.plan.sql
        rows = sum(b.num_rows for b, _ in run.results(inputs["parquet"]) if b is not None)
    finally:
        run.close()
    assert rows == 300 and run.summary.python_rows == 0 and not run.failure


def test_stage_files_are_read_in_bounded_memory(tmp_path: Path) -> None:
    """Reading a file a batch at a time holds about one row group, not every one read so
    far (pyarrow's ``pre_buffer`` kept them all: a 10-million-row run grew past 2 GB)."""
    import numpy as np

    from yktrules.batch import io as batch_io

    rng = np.random.default_rng(3)
    path = tmp_path / "wide.parquet"
    table = pa.table({f"c{i}": rng.integers(0, 2**62, 300_000) for i in range(40)})
    pq.write_table(table, path, row_group_size=16_384, write_statistics=False)
    del table
    pool = pa.default_memory_pool()
    base, held = pool.bytes_allocated(), 0
    f = batch_io.parquet_file(path)
    for b in f.iter_batches(batch_size=5_000, use_threads=False):
        held = max(held, pool.bytes_allocated() - base)
        del b
    f.close()
    assert held < 30 * 2**20  # the file holds 96 MB of values
