"""A staged run (:class:`.plan.Plan` with stages): each stage's result written to a
Parquet file of its own, row for row in input order, then the files read side by side and a
row's outputs put together — the same batches as an unstaged run's one query gives.

Only one stage's query runs at a time, so DuckDB's working space is one group of policies',
whatever the size of the library; the files hold the rows in between.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import io
from .plan import Plan

#: Rows per row group of a stage's file.  DuckDB reads a file's row groups in parallel, but
#: each is metadata held while the files are read side by side (2,048-row groups: 1.0 GB
#: peak on a million rows, every item; 16,384: 0.8 GB, as fast).
ROW_GROUP = 16_384

if TYPE_CHECKING:
    import duckdb

    from .summary import Summary


def execute(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    folder: str,
    summary: Summary,
    done: list[Path],
    batch_size: int = 2048,
) -> None:
    """Run the stages, adding to `done` the file of each one's results as it is written:
    first the rows' own columns (:data:`HEAD`, what putting the outputs together reads of
    them), then each stage's.  The rows' facts, which the stages read, go to a file of their
    own that only DuckDB opens: a reader holds a file's footer, whose size grows with its
    row groups times its columns."""
    base = Path(folder)
    sqls = [plan.stage0, *(s.sql for s in plan.stages)]
    for k, sql in enumerate(sqls):
        t0 = time.perf_counter()
        path = base / f"stage{k}.parquet"
        # streamed (DuckDB's own COPY keeps the input order by buffering what its threads
        # finish early: gigabytes on a million rows)
        reader = con.sql(sql).to_arrow_reader(batch_size)
        try:
            if k == 0:
                head = [n for n in reader.schema.names if n in HEAD]
                facts = base / "facts.parquet"
                _write(reader, {facts: None, path: head})
                con.execute(
                    f"CREATE OR REPLACE VIEW __stage0 AS SELECT * FROM read_parquet('{facts}')"
                )
            else:
                _write(reader, {path: None})
        finally:
            reader.close()
        summary.engine_seconds += time.perf_counter() - t0
        done.append(path)


#: The columns of the rows themselves that putting the outputs together reads.
HEAD = ("__line", "__error", "__raw", "__ok", "__wanted", "__app", "__as_of", "__appjson")


def _write(reader: pa.RecordBatchReader, files: dict[Path, list[str] | None]) -> None:
    """The reader's batches into each file (its columns, or all), in row groups of about
    :data:`ROW_GROUP` rows, without statistics (nothing filters on them)."""
    schemas = {
        p: reader.schema if cols is None else pa.schema([reader.schema.field(c) for c in cols])
        for p, cols in files.items()
    }
    writers = {
        p: pq.ParquetWriter(p, schemas[p], compression="snappy", write_statistics=False)
        for p in files
    }
    try:
        held: list[pa.RecordBatch] = []
        rows = 0

        def flush() -> None:
            table = pa.Table.from_batches(held, schema=reader.schema)
            for p, cols in files.items():
                writers[p].write_table(table if cols is None else table.select(cols))

        for b in reader:
            held.append(b)
            rows += b.num_rows
            if rows >= ROW_GROUP:
                flush()
                held, rows = [], 0
        if held:
            flush()
    finally:
        for w in writers.values():
            w.close()


def combine(
    plan: Plan, paths: list[Path], output: str, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """The files side by side: batches with the columns of an unstaged run's query
    (``__line``, ``__error``, ``__raw``, ``__app``, ``__as_of``, ``__out``, ``__pii`` and
    every policy's outcome)."""
    # of the rows, only what the output needs (not the facts, which the stages read)
    readers = [_rows(p, batch_size) for p in paths]
    while True:
        parts = [next(r, None) for r in readers]
        if parts[0] is None:
            return
        head, groups = parts[0], parts[1:]
        assert all(g is not None and g.num_rows == head.num_rows for g in groups)
        yield _combine(head, groups, output)  # type: ignore[arg-type]


def _rows(path: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    """The file's rows in batches of exactly `batch_size` (the last one shorter), whatever
    its row groups."""
    f = io.parquet_file(path)
    pending: list[pa.RecordBatch] = []
    held = 0
    for b in f.iter_batches(batch_size=batch_size, use_threads=False):
        pending.append(b)
        held += b.num_rows
        while held >= batch_size:
            t = pa.Table.from_batches(pending).combine_chunks()
            yield t.slice(0, batch_size).to_batches()[0]
            rest = t.slice(batch_size)
            pending = rest.to_batches() if rest.num_rows else []
            held = rest.num_rows
    if held:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
    f.close()


def _combine(head: pa.RecordBatch, groups: list[pa.RecordBatch], output: str) -> pa.RecordBatch:
    n = head.num_rows
    ok = pc.fill_null(head.column("__ok"), False)
    on = pc.fill_null(groups[0].column("__on"), 0)
    for g in groups[1:]:
        on = pc.add(on, pc.fill_null(g.column("__on"), 0))
    nopolicy = pc.and_(pc.and_(ok, pc.is_valid(head.column("__wanted"))), pc.equal(on, 0))
    screened = pc.and_(ok, pc.invert(nopolicy))
    if output == "compact":  # the decisions are the policies' columns
        pii: pa.Array = pa.nulls(n, pa.bool_())
        out: pa.Array = pc.if_else(screened, True, pa.scalar(None, pa.bool_()))
    else:
        pii = groups[0].column("__pii")
        for g in groups[1:]:
            pii = pc.or_(pii, g.column("__pii"))
        out = _outputs(head, [g.column("__out") for g in groups], screened, output)
    raw = head.column("__raw")
    columns = {
        "__line": head.column("__line"),
        "__error": head.column("__error"),
        "__raw": pc.if_else(screened, pa.nulls(n, raw.type), raw),
        "__app": head.column("__app"),
        "__as_of": head.column("__as_of"),
        "__out": out,
        "__pii": pc.fill_null(pii, False),
    }
    for g in groups:
        for name in g.schema.names:
            if name not in ("__out", "__pii", "__on"):
                columns[name] = g.column(name)
    return pa.RecordBatch.from_pydict(columns)


def _outputs(
    head: pa.RecordBatch, outs: list[pa.Array], screened: pa.Array, output: str
) -> pa.Array:
    """The stages' outputs of each row put together: JSON text, or a list of STRUCTs."""
    if output != "jsonl":
        return _lists(outs, screened)
    # each stage's decisions with a comma before them (none: nothing), the first comma
    # dropped
    frags = []
    for o in outs:
        o = pc.fill_null(o, "")
        frags.append(pc.if_else(pc.equal(o, ""), "", pc.binary_join_element_wise(",", o, "")))
    docs = pc.utf8_slice_codeunits(pc.binary_join_element_wise(*frags, ""), 1)
    line = pc.cast(head.column("__line"), pa.string())
    text = pc.binary_join_element_wise(
        '{"line":', line, ',"application":', head.column("__appjson"),
        ',"decisions":[', docs, "]}", "",
    )  # fmt: skip
    return pc.if_else(screened, text, pa.scalar(None, pa.string()))


def _lists(lists: list[pa.Array], screened: pa.Array) -> pa.Array:
    """Row by row, the lists one after the other (NULL where not `screened`)."""
    n = len(screened)
    kind = lists[0].type
    values = [a.flatten() for a in lists]
    parents = [pc.list_parent_indices(a) for a in lists]
    lengths = pc.fill_null(pc.list_value_length(lists[0]), 0)
    for a in lists[1:]:
        lengths = pc.add(lengths, pc.fill_null(pc.list_value_length(a), 0))
    flat = pa.concat_arrays([v.cast(kind.value_type) for v in values])
    parent = pa.concat_arrays([pc.cast(p, pa.int64()) for p in parents])
    order = pc.sort_indices(parent)  # stable: within a row, the lists' order
    lengths = pc.if_else(screened, lengths, 0)
    offsets = pa.concat_arrays(
        [pa.array([0], pa.int64()), pc.cumulative_sum(pc.cast(lengths, pa.int64()))]
    )
    taken = pc.take(flat, order)
    mask = pc.invert(screened)
    if n == 0:
        return pa.array([], kind)
    return pa.ListArray.from_arrays(pc.cast(offsets, pa.int32()), taken, type=kind, mask=mask)
