"""Batch screening: any number of rows in bounded memory, rows in = rows out, in order.

The Python engine screens row by row (:mod:`.rows`); the DuckDB engine runs one query over
the whole source (:mod:`.duckdb`).  Both give the same rows, byte for byte as JSON Lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from datetime import date
from typing import IO, TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from ..errors import ArgumentError
from . import columnar, io
from .duckdb import Run
from .rows import DecisionHook, HookError, error_row, internal_message, screen_one
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

    def advance(self, n: int) -> None:
        self.bar.advance(self.validated, n)
        self.bar.advance(self.screened, n)

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
        for n, raw in io.reading(src.rows):
            try:
                row = screen_one(ps, n, raw, **kw, on_decisions=opts.on_decisions)
            except HookError:
                raise
            except Exception as e:  # a bug must not lose the row, nor stop the batch
                row = error_row(n, None, "internal", [{"path": "", "message": internal_message(e)}])
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


def _duckdb(
    ps: PolicySet, source: Any, opts: _Options, summary: Summary, output: str, unmask: bool
) -> Iterator[tuple[Run, pa.RecordBatch | None, dict[int, dict[str, Any]]]]:
    """The DuckDB engine's output batches, each with the rows Python finished."""
    run = Run(
        ps,
        source,
        item=opts.item,
        all_items=opts.all_items,
        as_of=opts.as_of,
        output=output,
        batch_size=min(opts.chunk_size, 2048),
        summary=summary,
        unmask=unmask,
    )
    progress = _Progress(run.total) if opts.progress else None
    if progress is not None:
        run.progress = progress.advance
    try:
        for b, finished in run.results(source):
            yield run, b, finished
    finally:
        if progress is not None:
            progress.close()
        run.close()


def _duckdb_dicts(
    ps: PolicySet, source: Any, opts: _Options, summary: Summary
) -> Iterator[dict[str, Any]]:
    for _run, b, finished in _duckdb(ps, source, opts, summary, "jsonl", True):
        if b is None:
            yield from finished.values()
            continue
        for i, text in enumerate(b.column("__out").to_pylist()):
            yield finished[i] if i in finished else json.loads(text)


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
    layout: str = "documents",
) -> Summary:
    """Screen `source` (as :func:`screen_batch`) into `out`: a path, or an open file (text
    for JSON Lines, binary for Parquet).  The format is `format` (``jsonl`` or ``parquet``)
    or else follows `out`'s suffix.  Parquet holds the rows of :data:`io.OUTPUT_SCHEMA`
    (``layout="documents"``: every decision document whole) or, with
    ``layout="decisions"``, one short row per decision (:data:`io.DECISIONS_SCHEMA`: no
    messages, no missing facts; the fastest).  ID and card numbers in messages are masked
    (:func:`yktrules.facts.privacy.mask_row`) unless `unmask`.  `on_decisions` (Python engine
    only) is called with each row's facts and decisions as they are made, e.g. to append
    them to a :class:`~yktrules.DecisionLog`.  Returns the run's :class:`Summary`."""
    opts = _options(item, all_items, as_of, engine, chunk_size, progress)
    if layout not in io.LAYOUTS:
        raise ArgumentError(f"layout 须为 {' 或 '.join(io.LAYOUTS)}，而不是 {layout!r}")
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
            # the DuckDB engine masks as it goes: its rows need no second look
            compact = layout == "decisions"
            schema = io.DECISIONS_SCHEMA if compact else io.OUTPUT_SCHEMA
            pw = io.ParquetWriter(f, unmask=unmask or opts.engine != "python", schema=schema)
            stack.callback(pw.close)
            for table in _tables(policy_set, source, opts, summary, unmask, compact):
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
    for _run, b, finished in _duckdb(ps, source, opts, summary, "jsonl", w.unmask):
        t0 = time.perf_counter()
        if b is None:
            w.lines([io.dumps(r) for r in finished.values()])
        else:
            lines = b.column("__out").to_pylist()
            for i, row in finished.items():
                lines[i] = io.dumps(row)
            w.lines(lines)
        summary.write_seconds += time.perf_counter() - t0
    w.close()


def _tables(
    ps: PolicySet,
    source: Any,
    opts: _Options,
    summary: Summary,
    unmask: bool = True,
    compact: bool = False,
) -> Iterator[pa.Table]:
    """The results as tables with :data:`io.OUTPUT_SCHEMA` (`compact`:
    :data:`io.DECISIONS_SCHEMA`)."""

    def of_rows(rows: list[dict[str, Any]]) -> pa.Table:
        if compact:
            return pa.Table.from_pylist(io.decision_rows(rows), schema=io.DECISIONS_SCHEMA)
        return io.rows_table(rows)

    if opts.engine == "python":
        rows: list[dict[str, Any]] = []
        for row in _python_rows(ps, source, opts, summary):
            rows.append(row)
            if len(rows) == opts.chunk_size:
                yield of_rows(rows)
                rows = []
        if rows:
            yield of_rows(rows)
        return
    pending: list[pa.Table] = []
    held = 0
    output = "compact" if compact else "arrow"
    assembler: columnar.Assembler | None = None
    for run, b, finished in _duckdb(ps, source, opts, summary, output, unmask):
        if b is None:
            table = of_rows(list(finished.values()))
        elif compact:
            if assembler is None:
                assembler = columnar.Assembler(columnar.specs(run.plan.uses))
            table = assembler.table(b, finished)
        else:
            table = io.batch_table(b, finished)
        pending.append(table)
        held += table.num_rows
        while held >= opts.chunk_size:  # tables of chunk_size rows: a row group each
            whole = pa.concat_tables(pending)
            yield whole.slice(0, opts.chunk_size)
            rest = whole.slice(opts.chunk_size)
            pending, held = ([rest] if rest.num_rows else []), rest.num_rows
    if held:
        yield pa.concat_tables(pending)


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
