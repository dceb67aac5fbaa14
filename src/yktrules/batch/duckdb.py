"""The DuckDB engine: a run is one query (:mod:`.plan`) over the source (:mod:`.sources`),
streamed out in input order a batch of rows at a time, in bounded memory.

DuckDB validates, resolves and decides every row the SQL accepts and writes its output
(JSON text, or the decisions as STRUCTs); the few rows it leaves — a row its validation does
not accept, a row with no policy in force, a row whose messages may hold an ID or card
number — are finished here in Python, exactly as the Python engine finishes them.  Should
the query itself fail (a value DuckDB cannot compute), the rows it has not delivered go to
the Python engine: no row is lost and none is decided differently.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ArgumentError
from ..facts.privacy import mask_row
from ..sql.compiler import UnsupportedError
from . import io, plan, sources, staged
from .rows import error_row, internal_message, screen_one
from .summary import Summary

if TYPE_CHECKING:
    import duckdb

    from ..screening.policyset import PolicySet


#: DuckDB's buffer memory in a run (a million rows, every item: peak 0.92 GB, where
#: without a limit reading wide Parquet row groups took it past 1 GB, no faster).
MEMORY_LIMIT = "512MB"
#: How much of the result DuckDB computes ahead of the host reading it.
STREAM_BUFFER = "64MB"
#: Decisions (rows × policies) per batch of a compact output.
COMPACT_CELLS = 262_144


@attrs.frozen
class _Ready:
    """A row already finished (the error row of a line that could not be read)."""

    row: dict[str, Any]


class Run:
    """One run on DuckDB: :meth:`jsonl` or :meth:`tables` stream its results once."""

    def __init__(
        self,
        ps: PolicySet,
        source: Any,
        *,
        item: str | None,
        all_items: bool,
        as_of: date | None,
        output: str,
        batch_size: int,
        summary: Summary,
        unmask: bool = True,
        progress: Any = None,
    ):
        import duckdb

        self.ps, self.item, self.all_items, self.as_of = ps, item, all_items, as_of
        self.output, self.summary, self.unmask = output, summary, unmask
        self.batch_size = max(1, min(batch_size, 100_000))
        self.progress = progress
        self.tmpdir = tempfile.mkdtemp(prefix="yktrules-")
        self.con: duckdb.DuckDBPyConnection = duckdb.connect(
            config={
                "threads": os.cpu_count() or 1,
                "temp_directory": self.tmpdir,
                "preserve_insertion_order": True,
            }
        )
        # The run's query is projections only, written to need no optimizing; optimizing
        # its large plan costs seconds, and an optimizer may turn an IN list of constants
        # into a join, which would reorder the rows.
        self.con.execute("PRAGMA disable_optimizer")
        self.con.execute("SET enable_progress_bar = false")  # stderr is the host's
        # what DuckDB may cache (Parquet pages it read, …); more is spilled to tmpdir
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        # results DuckDB may compute ahead of the reader: with the default (under 1 MB) it
        # computes little more than the batch asked for, and its threads wait on the host
        # (低保, 200,000 rows: 4.4 s -> 3.2 s)
        self.con.execute(f"SET streaming_buffer_size = '{STREAM_BUFFER}'")
        self.relation: sources.Relation | None = None
        self.staged: list[Path] = []  # a staged run's files, once written
        self.failure = ""
        try:
            self.relation = sources.register(self.con, ps, source, self.batch_size)
            try:
                self.plan = plan.build(
                    ps,
                    self.relation.name,
                    source=self.relation.kind,
                    schema=self.relation.schema,
                    item=item,
                    all_items=all_items,
                    as_of=as_of,
                    output=output,
                    keep_raw=self.relation.rest is not None,
                )
            except UnsupportedError as e:  # a host function: only Python can call it
                raise ArgumentError(
                    f"duckdb 引擎不能把这个政策集编译成 SQL（{e}），请用 engine='python' / "
                    f"the duckdb engine cannot compile this policy set ({e}): use the python engine"
                ) from None
        except BaseException:
            self.close()
            raise
        # rows per result batch: compact rows are short, and each batch is put together
        # with a few Arrow calls per policy (small batches: that overhead dominates)
        self.out_rows = self.batch_size
        if output == "compact":
            per = COMPACT_CELLS // max(1, len(self.plan.uses))
            self.out_rows = max(self.batch_size, min(65_536, per))

    @property
    def total(self) -> int | None:
        return self.relation.total if self.relation is not None else None

    def close(self) -> None:
        if self.relation is not None:
            self.relation.close()
        self.con.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    # ---------------------------------------------------------------- the stream
    def results(
        self, source: Any
    ) -> Iterator[tuple[pa.RecordBatch | None, dict[int, dict[str, Any]]]]:
        """Each output batch of the query with the rows of it that Python finishes (by
        position in the batch).  Should the query fail, the rows it has not delivered come
        after it (batch None, positions from 0), finished by the Python engine."""
        last = 0
        try:
            for b in self._batches():
                yield b, self._finish(b)
                if b.num_rows:
                    last = b.column("__line")[-1].as_py()
        except io.InputError:
            raise
        except Exception as e:  # the query failed: the rest goes to the Python engine
            if self.relation is not None and self.relation.error is not None:
                raise self.relation.error from None  # not DuckDB: the source
            self.failure = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
            self.summary.fallback = self.failure
            rows: dict[int, dict[str, Any]] = {}
            for n, raw in self._rows_after(source, last):
                rows[len(rows)] = self._python(n, raw)
                self._tally(rows[len(rows) - 1])
                if len(rows) >= self.batch_size:
                    yield None, rows
                    rows = {}
            if rows:
                yield None, rows

    def _batches(self) -> Iterator[pa.RecordBatch]:
        if self.plan.stages:
            staged.execute(self.con, self.plan, self.tmpdir, self.summary, self.staged)
            yield from staged.combine(self.plan, self.staged, self.output, self.out_rows)
            return
        t0 = time.perf_counter()
        reader = self.con.sql(self.plan.sql).to_arrow_reader(self.out_rows)
        self.summary.engine_seconds += time.perf_counter() - t0
        try:
            while True:
                t0 = time.perf_counter()
                try:
                    b = reader.read_next_batch()
                except StopIteration:
                    return
                finally:
                    self.summary.engine_seconds += time.perf_counter() - t0
                yield b
        finally:
            reader.close()

    def _rows_after(self, source: Any, line: int) -> Iterator[tuple[int, Any]]:
        """The source's rows after `line`: read again from the start when it can be; for a
        source read once, the rows DuckDB took but did not deliver are internal error rows
        and the rest are read on."""
        rel = self.relation
        if self.staged and rel is not None and rel.rest is not None:
            # a staged run keeps every row as it came: the source is read once
            f = io.parquet_file(self.staged[0])
            try:
                for b in f.iter_batches(columns=["__line", "__error", "__raw"]):
                    lines, errors, raws = (b.column(k).to_pylist() for k in range(3))
                    for n, error, raw in zip(lines, errors, raws, strict=True):
                        if n > line:  # a line that could not be read is its error row
                            yield n, raw if error is None else _Ready(json.loads(error))
            finally:
                f.close()
            yield from rel.rest
            return
        if rel is not None and rel.rest is not None:
            why = f"DuckDB 引擎失败 / the duckdb engine failed: {self.failure}"
            for n in range(line + 1, rel.consumed[0] + 1):
                yield n, {"__failed__": why}
            yield from rel.rest
            return
        src = io.open_source(source, batch_size=self.batch_size)
        try:
            for n, raw in src.rows:
                if n > line:
                    yield n, raw
        finally:
            src.close()

    def _python(self, n: int, raw: Any) -> dict[str, Any]:
        self.summary.python_rows += 1
        if isinstance(raw, _Ready):
            return raw.row
        if isinstance(raw, dict) and "__failed__" in raw:
            return error_row(n, None, "internal", [{"path": "", "message": raw["__failed__"]}])
        kw: dict[str, Any] = {"item": self.item, "as_of": self.as_of, "all_items": self.all_items}
        try:
            return screen_one(self.ps, n, raw, **kw)
        except Exception as e:  # a bug must not lose the row
            return error_row(n, None, "internal", [{"path": "", "message": internal_message(e)}])

    def _tally(self, row: dict[str, Any]) -> None:
        s = self.summary
        s.rows += 1
        if "error" in row:
            s.errors[row["error"]["type"]] += 1
        else:
            s.screened += 1
            for d in row["decisions"]:
                s.decisions[(d["item"], d["outcome"])] += 1

    def _finish(self, b: pa.RecordBatch) -> dict[int, dict[str, Any]]:
        """The rows of `b` that Python finishes: no output (an error row, facts the SQL did
        not accept, no policy in force) or messages to mask."""
        out = b.column("__out")
        need = pc.is_null(out)
        if not self.unmask:
            need = pc.or_(need, b.column("__pii"))
        rows: dict[int, dict[str, Any]] = {}
        for i in pc.indices_nonzero(need).to_pylist():
            if out[i].is_valid:  # finished in SQL, but a message may hold an ID number
                rows[i] = mask_row(self._row_of(b, i))
                continue
            err = b.column("__error")[i].as_py()
            if err is not None:
                rows[i] = json.loads(err)
            else:
                rows[i] = self._python(b.column("__line")[i].as_py(), b.column("__raw")[i].as_py())
        s = self.summary
        done = pc.invert(pc.is_null(out))
        s.rows += b.num_rows - len(rows)
        s.screened += b.num_rows - len(rows)
        for i, r in rows.items():
            if not self.unmask and io.row_may_hold_pii(r):
                rows[i] = mask_row(r)
            self._tally(r)
        keep = pc.and_(done, pc.invert(need))
        for u in self.plan.uses:
            counts = pc.value_counts(pc.filter(b.column(f"__{u.prefix}o"), keep))
            for x in counts.to_pylist():
                if x["values"] is not None:
                    s.decisions[(u.policy.item, x["values"])] += x["counts"]
        if self.progress is not None:
            self.progress(b.num_rows)
        return rows

    def _row_of(self, b: pa.RecordBatch, i: int) -> dict[str, Any]:
        """Row `i` of the batch, finished in SQL, as the Python engine's dict."""
        out = b.column("__out")[i].as_py()
        if self.output == "jsonl":
            return json.loads(out)  # type: ignore[no-any-return]
        return {
            "line": b.column("__line")[i].as_py(),
            "application": b.column("__app")[i].as_py(),
            "decisions": [io.document(d) for d in out],
        }
