"""Streaming batch screening on DuckDB: any number of rows in bounded memory.

The input is read a chunk of rows at a time (:mod:`.io`).  A worker thread validates the
rows of chunk k+1 and resolves their policies (:class:`.chunks.Preparer`, Python) while
DuckDB, which releases the GIL, decides chunk k (:class:`.chunks.Engine`); the queue
between them holds one chunk.  The rows leave in input order, error rows interleaved: one
output row per input row, whatever happens to a row or to a policy's query.  Nothing is
kept per row from one chunk to the next.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import IO, TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from ..errors import ArgumentError
from . import io
from .duckdb import Chunk, Engine, Preparer, fail_chunk, internal_row
from .rows import DecisionHook, HookError, error_row, screen_one
from .summary import Summary

if TYPE_CHECKING:
    from ..screening.policyset import PolicySet

ENGINES = ("python", "duckdb")
_DONE = object()


# ---- the pipeline ---------------------------------------------------------------------------


class _Progress:
    """Two bars on standard error: rows validated (the worker) and rows screened."""

    def __init__(self, total: int | None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self.validated = self.bar.add_task("校验 / validated", total=total)
        self.screened = self.bar.add_task("审核 / screened", total=total)
        self.bar.start()

    def close(self) -> None:
        self.bar.stop()


@attrs.frozen
class _Options:
    item: str | None
    all_items: bool
    as_of: date | None
    engine: str
    chunk_size: int
    progress: bool
    on_decisions: DecisionHook | None = None


class _Run:
    """A run on DuckDB: a worker thread prepares chunks (bounded queue of one), the calling
    thread decides them; :meth:`close` stops the worker and removes the temporary files."""

    def __init__(self, ps: PolicySet, source: Any, opts: _Options, summary: Summary):
        self.opts, self.summary = opts, summary
        self.tmpdir = tempfile.mkdtemp(prefix="yktrules-")
        self.source: io.Source | None = None
        self.engine: Engine | None = None
        self.progress: _Progress | None = None
        self.stop = threading.Event()
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.thread: threading.Thread | None = None
        try:
            self.source = io.open_source(source, batch_size=min(opts.chunk_size, 10_000))
            self.engine = Engine(ps, self.tmpdir)
            self.progress = _Progress(self.source.total) if opts.progress else None
            prep = Preparer(ps, opts.item, opts.all_items, opts.as_of, self.tmpdir)
            self.thread = threading.Thread(
                target=self._produce,
                args=(prep, self.source),
                name="yktrules-validate",
                daemon=True,
            )
            self.thread.start()
        except BaseException:
            self.close()
            raise

    def _produce(self, prep: Preparer, source: io.Source) -> None:
        try:
            rows = _reading(source.rows)
            while not self.stop.is_set():
                c = prep.chunk(itertools.islice(rows, self.opts.chunk_size), self.stop)
                if not c.lines:
                    os.unlink(c.path)
                    break
                if self.progress is not None:
                    self.progress.bar.advance(self.progress.validated, len(c.lines))
                if not self._put(c):
                    os.unlink(c.path)
                    return
            self._put(_DONE)
        except BaseException as e:  # the source itself failed: the caller reports it
            self._put(e)

    def _put(self, x: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(x, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def chunks(self) -> Iterator[Chunk]:
        while True:
            try:
                x = self.queue.get(timeout=0.5)
            except queue.Empty:
                if self.thread is not None and not self.thread.is_alive():
                    raise io.InputError("内部错误 / internal error: the worker stopped") from None
                continue
            if x is _DONE:
                return
            if isinstance(x, io.InputError):
                raise x
            if isinstance(x, BaseException):  # not a row: the worker itself (disk full…)
                raise RuntimeError(
                    f"校验线程失败 / the validating worker failed: {type(x).__name__}: {x}"
                ) from x
            self.summary.validate_seconds += x.seconds
            try:
                yield x
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(x.path)
            if self.progress is not None:
                self.progress.bar.advance(self.progress.screened, len(x.lines))

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            with contextlib.suppress(queue.Empty):
                while True:
                    self.queue.get_nowait()
            self.thread.join(timeout=30)  # it stops within a row, unless its source blocks
        if self.progress is not None:
            self.progress.close()
        if self.engine is not None:
            self.engine.close()
        if self.source is not None:
            self.source.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def decided(self, json_text: bool) -> Iterator[tuple[Chunk, Iterator[pa.RecordBatch]]]:
        """Each chunk, decided, with the reader of its decisions (to be read before the
        next chunk)."""
        assert self.engine is not None
        batch = max(1, min(self.opts.chunk_size, 2048))
        for c in self.chunks():
            t0 = time.perf_counter()
            batches: Iterator[pa.RecordBatch] = iter(())
            try:
                self.engine.decide(c, self.summary, json_text)
                batches = self.engine.results(batch)
            except Exception as e:  # not one group: the chunk (only) fails, as error rows
                fail_chunk(c, e)
            self.summary.engine_seconds += time.perf_counter() - t0
            yield c, self._timed(c, batches)

    def _timed(self, c: Chunk, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The batches, timed; a failure ends them (the rows left without their decisions
        then become error rows)."""
        while True:
            t0 = time.perf_counter()
            try:
                b = next(batches, None)
            except Exception as e:
                c.failure = f"{type(e).__name__}: {e}"
                b = None
            self.summary.engine_seconds += time.perf_counter() - t0
            if b is None:
                return
            yield b

    def count(self, c: Chunk) -> None:
        s = self.summary
        s.rows += len(c.lines)
        s.screened += len(c.lines) - len(c.errors)
        for e in c.errors.values():
            s.errors[e["error"]["type"]] += 1


def _reading(rows: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    """The source's rows; a source that fails is an InputError saying after which row."""
    n = 0
    try:
        for row in rows:
            n = row[0]
            yield row
    except io.InputError:
        raise
    except Exception as e:
        raise io.InputError(
            f"读取输入时出错（第 {n} 行之后）/ cannot read the input after row {n}: "
            f"{type(e).__name__}: {e}"
        ) from e


def _lost(c: Chunk, i: int, got: int) -> dict[str, Any]:
    msg = (
        f"内部错误 / internal error: 引擎给出 {got} 个决定，应为 {c.expected[i]} 个 / "
        f"the engine returned {got} decisions instead of {c.expected[i]}"
    )
    if c.failure:
        msg += f" ({c.failure})"
    return error_row(c.lines[i], c.apps[i], "internal", [{"path": "", "message": msg}])


def _by_row(
    batches: Iterator[pa.RecordBatch], find_pii: bool
) -> Iterator[tuple[int, list[str], bool]]:
    """(row, its decisions' JSON texts, whether a message may hold an ID or card number
    (when `find_pii`, checked a batch at a time)) from the stream sorted by row."""
    row: int = -1
    parts: list[str] = []
    pii = False
    for b in batches:
        texts = b.column(1)
        flags = io.message_digits(texts) if find_pii else [False] * len(texts)
        for r, text, f in zip(b.column(0).to_pylist(), texts.to_pylist(), flags, strict=True):
            if r != row:
                if parts:
                    yield row, parts, pii
                row, parts, pii = r, [], False
            parts.append(text)
            pii = pii or bool(f)
    if parts:
        yield row, parts, pii


def _json_rows(
    c: Chunk, batches: Iterator[pa.RecordBatch], find_pii: bool = False
) -> Iterator[dict[str, Any] | tuple[int, Any, str, bool]]:
    """The chunk's rows in order: an error row, or (line, application, decisions as a JSON
    array, whether they may hold personal data).  A screened row without exactly its
    groups' number of decisions is an error."""
    it = _by_row(batches, find_pii)
    nxt = next(it, None)
    for i in range(len(c.lines)):
        parts: list[str] = []
        pii = False
        while nxt is not None and nxt[0] <= i:
            if nxt[0] == i:
                parts, pii = nxt[1], nxt[2]
            nxt = next(it, None)
        err = c.errors.get(i)
        if err is None and len(parts) != c.expected[i]:
            err = c.errors[i] = _lost(c, i, len(parts))
        if err is not None:
            yield err
        else:
            yield c.lines[i], c.apps[i], "[" + ",".join(parts) + "]", pii
    for _ in it:  # drain the reader
        pass


def _arrow_table(c: Chunk, batches: Iterator[pa.RecordBatch]) -> pa.Table:
    """The chunk's rows in order as a table with :data:`io.OUTPUT_SCHEMA`: the sorted
    decisions become the values of one list array, cut by row."""
    bs = list(batches)
    counts = [0] * len(c.lines)
    for b in bs:
        for r in b.column(0).to_pylist():
            counts[r] += 1
    offsets, mask, at = [0], [], 0
    for i, n in enumerate(counts):
        if i not in c.errors and n != c.expected[i]:
            c.errors[i] = _lost(c, i, n)
        at += n
        offsets.append(at)
        mask.append(i in c.errors)
    if bs:
        values = pa.concat_arrays([b.column(1) for b in bs]).cast(io.DECISION_TYPE)
    else:
        values = pa.array([], io.DECISION_TYPE)
    decisions = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), values, mask=pa.array(mask, pa.bool_())
    )
    errors = [c.errors[i]["error"] if i in c.errors else None for i in range(len(counts))]
    return pa.Table.from_arrays(
        [
            pa.array(c.lines, pa.int64()),
            pa.array([io.application_text(a) for a in c.apps], pa.string()),
            pa.array(errors, io.ERROR_TYPE),
            decisions,
        ],
        schema=io.OUTPUT_SCHEMA,
    )


# ---- the API -----------------------------------------------------------------------------


def _options(
    item: str | None,
    all_items: bool,
    as_of: date | str | None,
    engine: str,
    chunk_size: int,
    progress: bool,
) -> _Options:
    if engine not in ENGINES:
        raise ArgumentError(f"engine 须为 {' 或 '.join(ENGINES)}，而不是 {engine!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ArgumentError(f"chunk_size 须为正整数，而不是 {chunk_size!r}")
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of) if len(as_of) == 10 else date.fromisoformat("x")
        except ValueError:
            raise ArgumentError(f"as_of 须为日期 YYYY-MM-DD，而不是 {as_of!r}") from None
    elif as_of is not None and (type(as_of) is not date):
        raise ArgumentError(f"as_of 须为 datetime.date 或 YYYY-MM-DD，而不是 {as_of!r}")
    return _Options(item, all_items, as_of, engine, chunk_size, progress)


def _python_rows(
    ps: PolicySet, source: Any, opts: _Options, summary: Summary
) -> Iterator[dict[str, Any]]:
    """The Python engine over the same sources: `batch.screen_one` row by row."""
    src = io.open_source(source, batch_size=min(opts.chunk_size, 10_000))
    progress = _Progress(src.total) if opts.progress else None
    t0 = time.perf_counter()
    kw: dict[str, Any] = {"item": opts.item, "as_of": opts.as_of, "all_items": opts.all_items}
    try:
        for n, raw in _reading(src.rows):
            try:
                row = screen_one(ps, n, raw, **kw, on_decisions=opts.on_decisions)
            except HookError:
                raise
            except Exception as e:  # a bug must not lose the row, nor stop the batch
                row = internal_row(n, None, e)
            summary.add_row(row)
            if progress is not None and summary.rows % 100 == 0:
                progress.bar.update(progress.validated, completed=summary.rows)
                progress.bar.update(progress.screened, completed=summary.rows)
            yield row
    finally:
        summary.engine_seconds = time.perf_counter() - t0
        if progress is not None:
            progress.close()
        src.close()


def _duckdb_dicts(
    ps: PolicySet, source: Any, opts: _Options, summary: Summary
) -> Iterator[dict[str, Any]]:
    run = _Run(ps, source, opts, summary)
    try:
        for c, batches in run.decided(json_text=True):
            for r in _json_rows(c, batches):
                if isinstance(r, dict):
                    yield r
                else:
                    yield {"line": r[0], "application": r[1], "decisions": json.loads(r[2])}
            run.count(c)
    finally:
        run.close()


def screen_batch(
    policy_set: PolicySet,
    source: Any,
    *,
    item: str | None = None,
    all_items: bool = False,
    as_of: date | str | None = None,
    engine: str = "duckdb",
    chunk_size: int = 100_000,
    progress: bool = False,
) -> Iterator[dict[str, Any]]:
    """Screen every row of `source`, yielding one result row per input row, in order: the
    rows of :func:`yktrules.batch.rows.screen_rows` (``{"line", "application", "decisions"}``
    or ``{"line", "application", "error": {"type", "errors"}}``).

    `source` is a path (``.jsonl``/``.json``/``.ndjson`` JSON Lines, ``.parquet``), a
    pyarrow Table or RecordBatchReader, a pandas or polars DataFrame, or an iterable of
    dicts, JSON texts or facts models.  Each row is screened for `item` if given, else for
    its ``application.item``, else for every item in force (`all_items` forces that).
    The input is read `chunk_size` rows at a time; memory does not grow with its length.
    Raises :class:`~yktrules.batch.io.InputError` when the source cannot be read at all."""
    opts = _options(item, all_items, as_of, engine, chunk_size, progress)
    _check(source)
    summary = Summary()
    if opts.engine == "python":
        return _python_rows(policy_set, source, opts, summary)
    return _duckdb_dicts(policy_set, source, opts, summary)


def _check(source: Any) -> None:
    """Fail early (not at the first row) for a file that does not exist."""
    if isinstance(source, str | os.PathLike) and not os.path.isfile(source):
        raise io.InputError(f"文件不存在 / no such file: {os.fspath(source)}")


def screen_to_file(
    policy_set: PolicySet,
    source: Any,
    out: str | os.PathLike[str] | IO[Any],
    *,
    format: str | None = None,
    item: str | None = None,
    all_items: bool = False,
    as_of: date | str | None = None,
    engine: str = "duckdb",
    chunk_size: int = 100_000,
    progress: bool = False,
    unmask: bool = False,
    on_decisions: DecisionHook | None = None,
) -> Summary:
    """Screen `source` (as :func:`screen_batch`) into `out`: a path, or an open file (text
    for JSON Lines, binary for Parquet).  The format is `format` (``jsonl`` or ``parquet``)
    or else follows `out`'s suffix.  ID and card numbers in messages are masked
    (:func:`yktrules.facts.privacy.mask_row`) unless `unmask`.  `on_decisions` (Python engine
    only) is called with each row's facts and decisions as they are made, e.g. to append
    them to a :class:`~yktrules.DecisionLog`.  Returns the run's :class:`Summary`."""
    opts = _options(item, all_items, as_of, engine, chunk_size, progress)
    if on_decisions is not None:
        if opts.engine != "python":
            raise ArgumentError("on_decisions 只能用于 engine='python' / needs the Python engine")
        opts = attrs.evolve(opts, on_decisions=on_decisions)
    _check(source)
    path = os.fspath(out) if isinstance(out, str | os.PathLike) else None
    fmt = io.output_format(path, format)
    summary = Summary()
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        f: IO[Any]
        if path is not None:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            mode, encoding = ("wb", None) if fmt == "parquet" else ("w", "utf-8")
            f = stack.enter_context(open(path, mode, encoding=encoding))
        else:
            assert not isinstance(out, str | os.PathLike)
            f = out
        if fmt == "parquet":
            pw = io.ParquetWriter(f, unmask=unmask)
            stack.callback(pw.close)
            for table in _tables(policy_set, source, opts, summary):
                t1 = time.perf_counter()
                pw.write(table)
                summary.write_seconds += time.perf_counter() - t1
        else:
            _write_jsonl(policy_set, source, opts, summary, io.JsonlWriter(f, unmask=unmask))
    summary.seconds = time.perf_counter() - t0
    return summary


def _write_jsonl(
    ps: PolicySet, source: Any, opts: _Options, summary: Summary, w: io.JsonlWriter
) -> None:
    if opts.engine == "python":
        for row in _python_rows(ps, source, opts, summary):
            w.row(row)
        w.close()
        return
    run = _Run(ps, source, opts, summary)
    try:
        for c, batches in run.decided(json_text=True):
            t = 0.0
            for r in _json_rows(c, batches, find_pii=not w.unmask):
                t1 = time.perf_counter()
                if isinstance(r, dict):
                    w.row(r)
                else:
                    w.screened(*r)
                t += time.perf_counter() - t1
            summary.write_seconds += t
            run.count(c)
        w.close()
    finally:
        run.close()


def _tables(ps: PolicySet, source: Any, opts: _Options, summary: Summary) -> Iterator[pa.Table]:
    """The results as one table (OUTPUT_SCHEMA) per chunk."""
    if opts.engine == "python":
        rows: list[dict[str, Any]] = []
        for row in _python_rows(ps, source, opts, summary):
            rows.append(row)
            if len(rows) == opts.chunk_size:
                yield io.rows_table(rows)
                rows = []
        if rows:
            yield io.rows_table(rows)
        return
    run = _Run(ps, source, opts, summary)
    try:
        for c, batches in run.decided(json_text=False):
            table = _arrow_table(c, batches)
            run.count(c)
            yield table
    finally:
        run.close()


def screen_frame(
    policy_set: PolicySet,
    frame: Any,
    *,
    item: str | None = None,
    all_items: bool = False,
    as_of: date | str | None = None,
    engine: str = "duckdb",
    chunk_size: int = 100_000,
    progress: bool = False,
) -> pa.Table:
    """Screen a frame (a pandas or polars DataFrame, an Arrow table; any source of
    :func:`screen_batch`) and return the results as one Arrow table with the columns
    ``line``, ``application``, ``error`` and ``decisions`` (see :data:`io.OUTPUT_SCHEMA`).
    Convert with ``.to_pandas()`` or ``polars.from_arrow(...)``."""
    opts = _options(item, all_items, as_of, engine, chunk_size, progress)
    _check(frame)
    tables = list(_tables(policy_set, frame, opts, Summary()))
    if not tables:
        return io.OUTPUT_SCHEMA.empty_table()
    return pa.concat_tables(tables)
