"""Where batch rows come from and where results go (:mod:`yktrules.batch.runner`).

Readers turn a source into numbered input rows, in order and a record batch at a time (a
file is never read whole): a JSON Lines path (raw byte lines: an undecodable or empty line
becomes an error row exactly as in :func:`yktrules.batch.rows.screen_rows`), a Parquet path
(one facts document per row, its columns the document's top-level parts), a pyarrow
``Table`` or ``RecordBatchReader``, a pandas or polars ``DataFrame`` (recognised by their
module, so importing yktrules imports neither), or any iterable of dicts, JSON texts or
facts models.

Writers take each chunk's results: JSON Lines (one object a line, the rows of
``screen_rows``) or Parquet (one row group per chunk, the fixed :data:`OUTPUT_SCHEMA`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sized
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyarrow as pa

from ..facts.privacy import LONG_DIGITS, mask_row, mask_text

if TYPE_CHECKING:
    import pyarrow.parquet as pq

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".pq")
FORMATS = ("jsonl", "parquet")

# ---- JSON text -----------------------------------------------------------------------------

# a \u00xx escape (not an escaped backslash followed by "u00xx")
_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([0-9a-f]{2})")


def dumps(obj: Any) -> str:
    """One JSON Lines row as every engine writes it, byte for byte: compact separators,
    non-ASCII characters as they are, control characters as ``\\u001F`` (upper case, as
    DuckDB writes them)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if "\\u00" in text:
        text = _ESCAPE.sub(lambda m: m.group(1) + "\\u00" + m.group(2).upper(), text)
    return text


# ---- the output schema -------------------------------------------------------------------

_S = pa.string()
_MESSAGE = pa.struct([("message", _S), ("source", _S)])
REASON_TYPE = pa.struct([("rule", _S), ("kind", _S), ("message", _S), ("source", _S)])
UNKNOWN_TYPE = pa.struct(
    [
        ("rule", _S),
        ("kind", _S),
        ("missing", pa.list_(_S)),
        ("message", _S),
        ("source", _S),
        ("errors", pa.list_(_MESSAGE)),
    ]
)
#: One decision (the keys of ``Decision.to_dict()``), as an Arrow struct.
DECISION_TYPE = pa.struct(
    [
        ("item", _S),
        ("policy", _S),
        ("title", _S),
        ("version", _S),
        ("as_of", pa.date32()),
        ("outcome", _S),
        ("reasons", pa.list_(REASON_TYPE)),
        ("unknown", pa.list_(UNKNOWN_TYPE)),
        ("amount", _S),
        ("period", _S),
        ("amount_missing", pa.list_(_S)),
        ("amount_errors", pa.list_(_MESSAGE)),
    ]
)
ERROR_TYPE = pa.struct(
    [("type", _S), ("errors", pa.list_(pa.struct([("path", _S), ("message", _S)])))]
)
#: The result rows as Parquet / Arrow: ``error`` is NULL for a screened row, ``decisions``
#: NULL for an error row.
OUTPUT_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("application", _S),
        ("error", ERROR_TYPE),
        ("decisions", pa.list_(DECISION_TYPE)),
    ]
)


#: The compact layout (``layout="decisions"``): one row per decision — its line and
#: application, item, policy, version, date, outcome, amount, and the names of the rules that
#: are reasons and of those that are unknown — and one row for an input row with no decision
#: (``item`` null) or with an error (``error_type``, ``errors``).  No messages.
DECISIONS_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("application", _S),
        ("item", _S),
        ("policy", _S),
        ("version", _S),
        ("as_of", pa.date32()),
        ("outcome", _S),
        ("amount", pa.decimal128(38, 2)),
        ("reasons", pa.list_(_S)),
        ("unknown", pa.list_(_S)),
        ("error_type", _S),
        ("errors", pa.list_(pa.struct([("path", _S), ("message", _S)]))),
    ]
)
LAYOUTS = ("documents", "decisions")


def _sql_type(t: pa.DataType) -> str:
    if pa.types.is_struct(t):
        fields = ", ".join(
            f'"{t.field(i).name}" {_sql_type(t.field(i).type)}' for i in range(t.num_fields)
        )
        return f"STRUCT({fields})"
    if pa.types.is_list(t):
        return _sql_type(t.value_type) + "[]"
    if pa.types.is_date32(t):
        return "DATE"
    return "VARCHAR"


#: The same decision as a DuckDB type (the group queries' results are cast to it).
DECISION_SQL = _sql_type(DECISION_TYPE)


class InputError(Exception):
    """A source that cannot be read at all (not one bad row: those are error rows)."""


# ---- readers -----------------------------------------------------------------------------


class Source:
    """Numbered input rows ``(line, value)``, in order: `value` is raw bytes (a JSON Lines
    line), a JSON text, a dict or a model.  `total` is the row count when it is known
    cheaply, for a progress bar."""

    def __init__(self, rows: Iterator[tuple[int, Any]], total: int | None, close: Any = None):
        self.rows = rows
        self.total = total
        self._close = close

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


def input_format(path: str | Path, fmt: str | None = None) -> str:
    """``jsonl`` or ``parquet``: `fmt` when given, else from the file's suffix (default
    JSON Lines)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"未知格式 / unknown format {fmt!r}（jsonl 或 parquet）")
        return fmt
    return "parquet" if Path(path).suffix.lower() in PARQUET_SUFFIXES else "jsonl"


def open_source(source: Any, *, batch_size: int = 10_000, fmt: str | None = None) -> Source:
    """A :class:`Source` for any accepted source (see the module's docstring)."""
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"文件不存在 / no such file: {source}")
        if input_format(path, fmt) == "parquet":
            return _parquet(path, batch_size)
        return _jsonl(path)
    if isinstance(source, pa.Table):
        return Source(_arrow_rows(source.to_batches(batch_size)), source.num_rows)
    if isinstance(source, pa.RecordBatchReader):
        return Source(_arrow_rows(source), None)
    if isinstance(source, pa.RecordBatch):
        return Source(_arrow_rows([source]), source.num_rows)
    module = type(source).__module__.split(".")[0]
    if module == "pandas" and type(source).__name__ == "DataFrame":
        return Source(_pandas_rows(source, batch_size), len(source))
    if module == "polars" and type(source).__name__ == "DataFrame":
        return Source(_arrow_rows(source.to_arrow().to_batches(batch_size)), len(source))
    if module in ("pandas", "polars") and type(source).__name__ == "LazyFrame":
        raise InputError("请先 collect() 惰性的 polars LazyFrame / collect the LazyFrame first")
    if isinstance(source, bytes | bytearray | dict) or not isinstance(source, Iterable):
        raise InputError(
            "不能读取的输入 / unsupported source: "
            f"{type(source).__name__}（路径、Arrow 表、DataFrame 或事实文档的可迭代对象）"
        )
    total = len(source) if isinstance(source, Sized) else None
    return Source(enumerate(source, 1), total)


def reading(rows: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    """The source's rows; a source that fails is an InputError saying after which row."""
    n = 0
    try:
        for row in rows:
            n = row[0]
            yield row
    except InputError:
        raise
    except Exception as e:
        raise InputError(
            f"读取输入时出错（第 {n} 行之后）/ cannot read the input after row {n}: "
            f"{type(e).__name__}: {e}"
        ) from e


def _jsonl(path: Path) -> Source:
    """Raw byte lines, as they are (decoded row by row: a bad line is an error row)."""
    try:
        f = open(path, "rb")  # noqa: SIM115 -- closed by Source.close
    except OSError as e:
        raise InputError(f"无法读取 / cannot read {path}: {e.strerror or e}") from None
    return Source(_file_lines(f, path), _count_lines(path), f.close)


def _file_lines(f: IO[bytes], path: Path) -> Iterator[tuple[int, bytes]]:
    """Each line without its ``\n`` (as the DuckDB engine cuts them: a JSON error's column
    is the same in both engines)."""
    try:
        for n, line in enumerate(f, 1):
            yield n, line[:-1] if line.endswith(b"\n") else line
    except OSError as e:
        raise InputError(f"无法读取 / cannot read {path}: {e.strerror or e}") from None


def _count_lines(path: Path) -> int | None:
    """The number of lines (a last line without a newline counts), read in blocks."""
    try:
        n, last = 0, b"\n"
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                n += block.count(b"\n")
                last = block[-1:]
        return n + (last != b"\n")
    except OSError:
        return None


def parquet_file(path: str | Path) -> pq.ParquetFile:
    """A Parquet file to read a batch at a time in bounded memory: without ``pre_buffer``
    (pyarrow's default for ``ParquetFile``), ``iter_batches`` keeps every row group it has
    read buffered until the end (about 0.13 MB per 1,000 rows of 100 integer columns: a
    run of 3 million rows every item grew 0.2 GB putting its stage files together)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path, pre_buffer=False)


def _parquet(path: Path, batch_size: int) -> Source:
    try:
        f = parquet_file(path)
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"无法读取 Parquet 文件 / cannot read {path}: {e}") from None
    return Source(_parquet_rows(f, path, batch_size), f.metadata.num_rows, f.close)


def _parquet_rows(f: pq.ParquetFile, path: Path, batch_size: int) -> Iterator[tuple[int, Any]]:
    batches = f.iter_batches(batch_size=batch_size)
    n = 0
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as e:
            raise InputError(f"无法读取 Parquet 文件 / cannot read {path}: {e}") from None
        for row in batch.to_pylist():
            n += 1
            yield n, row


def _arrow_rows(batches: Iterable[pa.RecordBatch]) -> Iterator[tuple[int, Any]]:
    n = 0
    for batch in batches:
        for row in batch.to_pylist():
            n += 1
            yield n, row


def _pandas_rows(df: Any, batch_size: int) -> Iterator[tuple[int, Any]]:
    n = 0
    for start in range(0, len(df), batch_size):
        for row in df.iloc[start : start + batch_size].to_dict("records"):
            n += 1
            yield n, {str(k): _plain(v) for k, v in row.items()}


def _plain(v: Any) -> Any:
    """A pandas cell as plain Python, undoing pandas' own representation: numpy arrays
    become lists and numpy scalars Python ones; NaN, NaT and NA (missing) become None, and
    a whole float (an integer column with missing values) an int."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if type(v).__module__ == "numpy":
        v = v.tolist() if hasattr(v, "tolist") else v
        if isinstance(v, list):
            return [_plain(x) for x in v]
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return int(v) if v.is_integer() else v
    if type(v).__name__ in ("NAType", "NaTType") and type(v).__module__.startswith("pandas"):
        return None
    return v


# ---- writers -----------------------------------------------------------------------------


def output_format(out: str | Path | None, fmt: str | None = None) -> str:
    """``jsonl`` or ``parquet``: `fmt` when given, else from `out`'s suffix (JSON Lines
    for standard output or any other suffix)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"未知格式 / unknown format {fmt!r}（jsonl 或 parquet）")
        return fmt
    if out is not None and Path(out).suffix.lower() in PARQUET_SUFFIXES:
        return "parquet"
    return "jsonl"


def _digits(text: Any) -> bool:
    return isinstance(text, str) and len(text) >= 16 and LONG_DIGITS.search(text) is not None


def row_may_hold_pii(row: Mapping[str, Any]) -> bool:
    """Whether :func:`yktrules.facts.privacy.mask_row` may change a result row: one of its
    messages holds 16 digits in a row (or a decision has a trace)."""
    err = row.get("error")
    if err is not None:
        return any(_digits(e.get("message")) for e in err.get("errors") or ())
    for d in row.get("decisions") or ():
        if "trace" in d:
            return True
        for r in d.get("reasons") or ():
            if _digits(r.get("message")):
                return True
        for u in d.get("unknown") or ():
            if _digits(u.get("message")) or any(
                _digits(e.get("message")) for e in u.get("errors") or ()
            ):
                return True
        if any(_digits(e.get("message")) for e in d.get("amount_errors") or ()):
            return True
    return False


# a message value (JSON text) with 16 digits in a row; RE2's \p{Nd} is Python's \d
_MESSAGE_DIGITS = r'"message": ?"(?:[^"\\]|\\.)*\p{Nd}{16}'


def message_digits(texts: pa.Array) -> list[bool]:
    """For each JSON text (a decision document), whether one of its messages holds 16 digits
    in a row: what :func:`yktrules.facts.privacy.mask_row` may mask.  One vectorised pass."""
    import pyarrow.compute as pc

    return [bool(x) for x in pc.match_substring_regex(texts, _MESSAGE_DIGITS).to_pylist()]


class JsonlWriter:
    """One JSON object a line, in the one byte format of :func:`dumps`.  Rows come whole
    (:meth:`row`, masked here unless `unmask`) or as finished lines (:meth:`lines`, from the
    DuckDB engine, which masks as it goes)."""

    def __init__(self, f: IO[str], *, unmask: bool = False):
        self.f = f
        self.unmask = unmask

    def row(self, row: dict[str, Any]) -> None:
        """A whole row (an error row, or any row of the Python engine)."""
        if not self.unmask and row_may_hold_pii(row):
            row = mask_row(row)
        self.f.write(dumps(row) + "\n")

    def lines(self, lines: list[str]) -> None:
        if lines:
            self.f.write("\n".join(lines) + "\n")

    def close(self) -> None:
        self.f.flush()


class ParquetWriter:
    """One row group per chunk, all with :data:`OUTPUT_SCHEMA` (or `schema`, the compact
    :data:`DECISIONS_SCHEMA`); messages masked as by :class:`JsonlWriter` unless `unmask`."""

    def __init__(
        self,
        where: str | Path | IO[bytes],
        *,
        unmask: bool = False,
        schema: pa.Schema | None = None,
    ):
        import pyarrow.parquet as pq

        self.w = pq.ParquetWriter(where, schema or OUTPUT_SCHEMA, compression="zstd")
        self.unmask = unmask

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            if not self.unmask:
                table = mask_table(table)
            self.w.write_table(table, row_group_size=table.num_rows)

    def close(self) -> None:
        self.w.close()


def _messages(arr: pa.Array) -> Iterator[pa.Array]:
    """Every string array under a struct field named ``message``, at any depth."""
    t = arr.type
    if pa.types.is_list(t):
        yield from _messages(arr.flatten())
    elif pa.types.is_struct(t):
        for i in range(t.num_fields):
            child = arr.field(i)
            if t.field(i).name == "message" and pa.types.is_string(t.field(i).type):
                yield child
            else:
                yield from _messages(child)


def mask_table(table: pa.Table) -> pa.Table:
    """A table of result rows (:data:`OUTPUT_SCHEMA`) with its messages masked as by
    :func:`yktrules.facts.privacy.mask_row`; untouched (and not copied) when no message holds 16
    digits in a row."""
    import pyarrow.compute as pc

    # RE2's \d is ASCII only; \p{Nd} is Python's \d (any decimal digit)
    hit = any(
        pc.any(pc.match_substring_regex(m, r"\p{Nd}{16}")).as_py()
        for name in ("error", "decisions", "errors")
        if name in table.schema.names
        for chunk in table.column(name).chunks
        for m in _messages(chunk)
        if len(m)
    )
    if not hit:
        return table
    if "errors" in table.schema.names:  # the compact layout: messages only in errors
        rows = table.to_pylist()
        for r in rows:
            if r["errors"]:
                r["errors"] = [dict(e, message=mask_text(e["message"])) for e in r["errors"]]
        return pa.Table.from_pylist(rows, schema=table.schema)
    rows = [mask_row(r) for r in table.to_pylist()]
    return pa.Table.from_pylist(rows, schema=table.schema)


def document(d: Mapping[str, Any]) -> dict[str, Any]:
    """A decision as an Arrow struct gives it (every key, ``as_of`` a date) as
    ``Decision.to_dict()`` gives it."""
    out = {k: d[k] for k in DECISION_TYPE.names if k not in ("amount_missing", "amount_errors")}
    out["as_of"] = d["as_of"].isoformat() if isinstance(d["as_of"], date) else d["as_of"]
    out["unknown"] = [{k: v for k, v in u.items() if k != "errors" or v} for u in d["unknown"]]
    if d.get("amount_missing") is not None:
        out["amount_missing"] = d["amount_missing"]
    if d.get("amount_errors"):
        out["amount_errors"] = d["amount_errors"]
    return out


def batch_table(b: pa.RecordBatch, finished: Mapping[int, dict[str, Any]]) -> pa.Table:
    """A DuckDB engine's output batch as a table with :data:`OUTPUT_SCHEMA`, the rows
    Python finished (by position) in their places."""
    n = b.num_rows
    decisions = b.column("__out").cast(pa.list_(DECISION_TYPE))
    table = pa.Table.from_arrays(
        [
            b.column("__line"),
            b.column("__app").cast(pa.string()),
            pa.nulls(n, ERROR_TYPE),
            decisions,
        ],
        schema=OUTPUT_SCHEMA,
    )
    if not finished:
        return table
    import numpy as np

    extra = rows_table([finished[i] for i in sorted(finished)])
    order = np.arange(n)
    for k, i in enumerate(sorted(finished)):
        order[i] = n + k
    return pa.concat_tables([table, extra]).take(pa.array(order))


def decision_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Result rows (dicts, as the Python engine gives them) in the compact layout."""
    out: list[dict[str, Any]] = []
    for r in rows:
        base = {"line": r["line"], "application": application_text(r["application"])}
        if "error" in r:
            out.append({**base, "error_type": r["error"]["type"], "errors": r["error"]["errors"]})
            continue
        if not r["decisions"]:
            out.append(base)
        for d in r["decisions"]:
            out.append(
                {
                    **base,
                    "item": d["item"],
                    "policy": d["policy"],
                    "version": d["version"],
                    "as_of": date.fromisoformat(d["as_of"]),
                    "outcome": d["outcome"],
                    "amount": None if d["amount"] is None else Decimal(d["amount"]),
                    "reasons": [x["rule"] for x in d["reasons"]],
                    "unknown": [x["rule"] for x in d["unknown"]],
                }
            )
    return out


def application_text(app: Any) -> str | None:
    """An application id for the Parquet column: text as it is, anything else as JSON."""
    if app is None or isinstance(app, str):
        return app
    return json.dumps(app, ensure_ascii=False, default=str)


def rows_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Result rows (dicts) as a table with :data:`OUTPUT_SCHEMA`."""
    return pa.Table.from_arrays(
        [
            pa.array([r["line"] for r in rows], pa.int64()),
            pa.array([application_text(r["application"]) for r in rows], pa.string()),
            pa.array([r.get("error") for r in rows], ERROR_TYPE),
            pa.array(
                [
                    [_arrow_decision(d) for d in r["decisions"]] if "decisions" in r else None
                    for r in rows
                ],
                pa.list_(DECISION_TYPE),
            ),
        ],
        schema=OUTPUT_SCHEMA,
    )


def _arrow_decision(d: Mapping[str, Any]) -> dict[str, Any]:
    """A decision document with every key of the Arrow struct (``as_of`` a date)."""
    out = {k: d.get(k) for k in DECISION_TYPE.names}
    out["as_of"] = date.fromisoformat(d["as_of"])
    out["amount_errors"] = d.get("amount_errors", [])
    out["unknown"] = [dict(u, errors=u.get("errors", [])) for u in d["unknown"]]
    return out
