"""A batch source as a relation DuckDB scans: rows numbered from 1 (``__line``), in input
order, read as the query asks for them (never a whole file in memory).

- a Parquet file: DuckDB reads it (``read_parquet``); its columns are the document's parts;
- an Arrow table, record batch or reader, a polars frame: scanned as Arrow, zero copy;
- a JSON Lines file: read in blocks and cut into lines here (line numbers count every line,
  blank ones too), each line's text (``__text``) then parsed by DuckDB; a line that is not
  UTF-8 carries its error row instead (``__error``);
- a pandas frame or any iterable of dicts, JSON texts or models: each row validated here in
  Python, the valid ones as canonical JSON text, the others as their error rows.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from ..errors import FactsError
from . import io
from .rows import error_row, line_text, peek_id

if TYPE_CHECKING:
    import duckdb

    from ..screening.policyset import PolicySet

#: The columns of a text source.
TEXT_SCHEMA = pa.schema([("__line", pa.int64()), ("__text", pa.string()), ("__error", pa.string())])
_BLOCK = 1 << 22  # bytes of JSON Lines read at a time


@attrs.define
class Relation:
    """A source registered on a connection: `name` to select from, `kind` ``json`` (text
    lines) or ``typed`` (the document's parts as columns, `schema`)."""

    name: str
    kind: str
    schema: pa.Schema | None
    total: int | None
    close: Callable[[], None] = lambda: None
    #: for a source read once (an iterator): the last row handed to DuckDB, and the rows
    #: after it, still unread
    consumed: list[int] = attrs.Factory(lambda: [0])
    rest: Iterator[tuple[int, Any]] | None = None
    error: BaseException | None = None  # why the source could not be read, if it could not

    def guard(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The batches; a failure to read them is kept here (DuckDB, which reads them, would
        only report it as its own error)."""
        try:
            yield from batches
        except BaseException as e:
            self.error = e
            raise


def register(
    con: duckdb.DuckDBPyConnection, ps: PolicySet, source: Any, batch_size: int
) -> Relation:
    """Register `source` on `con` as the relation ``__source``."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise io.InputError(f"文件不存在 / no such file: {source}")
        if io.input_format(path) == "parquet":
            return _parquet(con, path)
        total = io._count_lines(path)
        try:
            f = open(path, "rb")  # noqa: SIM115 -- closed by Relation.close
        except OSError as e:
            raise io.InputError(f"无法读取 / cannot read {path}: {e.strerror or e}") from None
        reader = pa.RecordBatchReader.from_batches(TEXT_SCHEMA, _jsonl_batches(f, path))
        return _arrow(con, reader, "json", total, f.close)
    if isinstance(source, pa.Table):
        return _arrow(
            con, _numbered(source.schema, source.to_batches(batch_size)), "typed", source.num_rows
        )
    if isinstance(source, pa.RecordBatch):
        return _arrow(con, _numbered(source.schema, [source]), "typed", source.num_rows)
    if isinstance(source, pa.RecordBatchReader):
        consumed = [0]
        rel = _arrow(con, _numbered(source.schema, source, consumed), "typed", None)
        rel.consumed = consumed
        rel.rest = _reader_rows(source, consumed)
        return rel
    module = type(source).__module__.split(".")[0]
    if module == "polars" and type(source).__name__ == "DataFrame":
        table = source.to_arrow()
        return _arrow(
            con, _numbered(table.schema, table.to_batches(batch_size)), "typed", len(source)
        )
    # pandas frames and Python iterables: validated row by row here
    src = io.open_source(source, batch_size=batch_size)
    consumed = [0]
    batches = _python_batches(ps, io.reading(src.rows), batch_size, consumed)
    reader = pa.RecordBatchReader.from_batches(TEXT_SCHEMA, batches)
    rel = _arrow(con, reader, "json", src.total, src.close)
    rel.consumed = consumed
    rel.rest = src.rows
    return rel


def _parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Relation:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        total = pq.ParquetFile(path).metadata.num_rows
    except (pa.ArrowException, OSError) as e:
        raise io.InputError(f"无法读取 Parquet 文件 / cannot read {path}: {e}") from None
    literal = "'" + str(path).replace("'", "''") + "'"
    con.execute(
        "CREATE OR REPLACE TEMP VIEW __source AS SELECT file_row_number + 1 AS __line, "
        f"* EXCLUDE (file_row_number) FROM read_parquet({literal}, file_row_number = true)"
    )
    return Relation("__source", "typed", schema, total)


def _arrow(
    con: duckdb.DuckDBPyConnection,
    data: pa.RecordBatchReader,
    kind: str,
    total: int | None,
    close: Callable[[], None] = lambda: None,
) -> Relation:
    schema = data.schema if kind == "typed" else None
    rel = Relation("__source", kind, schema, total, close)
    con.register("__source", pa.RecordBatchReader.from_batches(data.schema, rel.guard(data)))
    return rel


def _numbered(
    schema: pa.Schema, batches: Iterable[pa.RecordBatch], consumed: list[int] | None = None
) -> pa.RecordBatchReader:
    """The batches with a first column ``__line`` (1, 2, …)."""
    out = pa.schema([("__line", pa.int64()), *[schema.field(i) for i in range(len(schema))]])

    def gen() -> Iterator[pa.RecordBatch]:
        n = 0
        for b in batches:
            lines = pa.array(range(n + 1, n + 1 + b.num_rows), pa.int64())
            n += b.num_rows
            if consumed is not None:
                consumed[0] = n
            yield pa.RecordBatch.from_arrays([lines, *b.columns], schema=out)

    return pa.RecordBatchReader.from_batches(out, gen())


def _text_batch(
    lines: list[int], texts: Sequence[str | None], errors: Sequence[str | None]
) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array(lines, pa.int64()), pa.array(texts, pa.string()), pa.array(errors, pa.string())],
        schema=TEXT_SCHEMA,
    )


def _jsonl_batches(f: Any, path: Path) -> Iterator[pa.RecordBatch]:
    """The file's lines, a block at a time: text where it is UTF-8, else the error row."""
    n, rest = 0, b""
    while True:
        try:
            block = f.read(_BLOCK)
        except OSError as e:
            raise io.InputError(f"无法读取 / cannot read {path}: {e.strerror or e}") from None
        if not block:
            break
        parts = (rest + block).split(b"\n")
        rest = parts.pop()
        yield _lines_batch(n, parts)
        n += len(parts)
    if rest:
        yield _lines_batch(n, [rest])


def _lines_batch(n: int, raw: list[bytes]) -> pa.RecordBatch:
    lines = list(range(n + 1, n + 1 + len(raw)))
    if n == 0 and raw and raw[0].startswith(b"\xef\xbb\xbf"):
        raw = [raw[0][3:], *raw[1:]]
    try:
        text = b"\n".join(raw).decode("utf-8")
    except UnicodeDecodeError:
        texts: list[str | None] = []
        errors: list[str | None] = []
        for k, line in zip(lines, raw, strict=True):
            t = line_text(k, line)
            texts.append(t if isinstance(t, str) else None)
            errors.append(None if isinstance(t, str) else io.dumps(t))
        return _text_batch(lines, texts, errors)
    return _text_batch(lines, text.split("\n"), [None] * len(raw))


def _reader_rows(reader: pa.RecordBatchReader, consumed: list[int]) -> Iterator[tuple[int, Any]]:
    """The rows a record batch reader has not given yet."""
    n = consumed[0]
    for b in reader:
        for row in b.to_pylist():
            n += 1
            yield n, row


def _python_batches(
    ps: PolicySet, rows: Iterator[tuple[int, Any]], batch_size: int, consumed: list[int]
) -> Iterator[pa.RecordBatch]:
    """Rows of a Python source, validated here: canonical JSON text, or the error row."""
    it = iter(rows)
    while True:
        chunk = list(itertools.islice(it, batch_size))
        if not chunk:
            return
        consumed[0] = chunk[-1][0]
        lines: list[int] = []
        texts: list[str | None] = []
        errors: list[str | None] = []
        for n, raw in chunk:
            lines.append(n)
            value = raw
            if isinstance(value, str | bytes):
                t = line_text(n, value)
                if not isinstance(t, str):
                    texts.append(None)
                    errors.append(io.dumps(t))
                    continue
                value = t
            try:
                doc = ps.parse_facts(value)
            except FactsError as e:
                texts.append(None)
                errors.append(io.dumps(error_row(n, peek_id(value), "facts", e.errors)))
                continue
            except Exception as e:  # a bug must not lose the row
                texts.append(None)
                errors.append(
                    io.dumps(
                        error_row(
                            n,
                            None,
                            "internal",
                            [{"path": "", "message": f"{type(e).__name__}: {e}"}],
                        )
                    )
                )
                continue
            texts.append(doc.model_dump_json())
            errors.append(None)
        yield _text_batch(lines, texts, errors)
