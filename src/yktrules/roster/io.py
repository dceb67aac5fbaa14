"""Reading and writing rosters and registries: CSV, JSON Lines and Parquet (docs/roster.md).

    from yktrules.roster.io import read_table, write_table
    table = read_table("roster-2025-03.csv", Payment)   # every row: validated or an error
    for line, payment in table.rows: ...
    for err in table.errors: print(err.source, err.line, err.errors)
    write_table("roster.parquet", payments)

Every input row ends up either in ``rows`` (with its line or record number) or in
``errors``; none is dropped.  A file that cannot be read at all (unknown extension, I/O
error, a CSV header without a required column) raises :class:`InputError`.

Formats, by extension:

- ``.csv``: UTF-8 (with or without BOM) or GB18030 (Chinese Excel), judged on the first
  MiB (a row with bytes the encoding cannot decode is an error row); the header row names
  the columns in English or Chinese; an empty cell is absent; the header is line 1.
- ``.jsonl`` / ``.ndjson``: one JSON object a line, UTF-8; numbers with a fraction are read
  as exact decimals; blank lines are skipped; line numbers are physical lines.
- ``.parquet``: the record number is the row index + 1; null is absent.

Written values are exact: a ``Decimal`` is a string in CSV and JSON Lines and a
``decimal128(38, s)`` in Parquet (``s`` the most decimal places in the column, at least 2);
dates are ISO ``YYYY-MM-DD`` (``date32`` in Parquet).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import gc
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import attrs
from pydantic import AliasChoices, BaseModel, ValidationError

from ..errors import FactsError, YktError
from ..facts.validate import _loads, translate_errors

__all__ = ["FORMATS", "InputError", "RowError", "Table", "read_table", "write_table"]

M = TypeVar("M", bound=BaseModel)

#: File extensions read and written, and the format each one means.
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}

_PARQUET_BATCH = 65_536


class InputError(YktError):
    """A roster or registry file that cannot be read at all; the message names the file."""

    def __init__(self, path: str | Path, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.message))


@attrs.frozen
class RowError:
    """An input row that did not validate: its file, line (or record number), every error
    as ``{"path": column, "message": Chinese message}``, and the row's raw text."""

    source: str
    line: int
    errors: list[dict[str, str]]
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "errors": self.errors, "text": self.text}

    def masked_errors(self, unmask: bool = False) -> list[dict[str, str]]:
        """The errors as a command prints them: ID and card numbers in the messages masked
        unless `unmask` (the raw text is never printed)."""
        from ..facts.privacy import masked

        return [{"path": x["path"], "message": masked(x["message"], unmask)} for x in self.errors]


@attrs.frozen
class Table(Generic[M]):
    """A file read with a row model: ``rows`` are ``(line, model)``, ``errors`` the rest."""

    rows: list[tuple[int, M]]
    errors: list[RowError]


# --- columns --------------------------------------------------------------------------------


@attrs.frozen
class _Columns:
    """A row model's columns: every accepted header (English or Chinese) -> field name."""

    keys: dict[str, str]
    zh: dict[str, str]  # field name -> Chinese name
    required: tuple[str, ...]


def _columns(model: type[BaseModel]) -> _Columns:
    keys: dict[str, str] = {}
    zh: dict[str, str] = {}
    for name, field in model.model_fields.items():
        keys[name] = name
        va = field.validation_alias
        if isinstance(va, AliasChoices):
            for c in va.choices:
                if isinstance(c, str):
                    keys.setdefault(c, name)
        extra = field.json_schema_extra
        if isinstance(extra, dict) and isinstance(extra.get("zh"), str):
            zh[name] = str(extra["zh"])
    required = tuple(n for n, f in model.model_fields.items() if f.is_required())
    return _Columns(keys, zh, required)


def _label(cols: _Columns, name: str) -> str:
    return f"{name}（{cols.zh[name]}）" if name in cols.zh else name


def _header_fields(path: str, header: Sequence[str], model: type[BaseModel]) -> list[str | None]:
    """The field each header cell names (None: a column the model does not read); raises
    :class:`InputError` when a required column is missing or a field is named twice."""
    cols = _columns(model)
    fields: list[str | None] = []
    seen: dict[str, str] = {}
    for cell in header:
        name = cols.keys.get(cell.strip().lstrip("\ufeff"))
        if name is not None and name in seen:
            raise InputError(
                path,
                f"文件 {path} 的表头中“{seen[name]}”和“{cell}”是同一列 {_label(cols, name)}，"
                f"请删去其中一列 / column {name} appears twice",
            )
        if name is not None:
            seen[name] = cell
        fields.append(name)
    missing = [n for n in cols.required if n not in seen]
    if missing:
        raise InputError(path, _missing_message(path, header, fields, missing, cols))
    return fields


def _missing_message(
    path: str,
    header: Sequence[str],
    fields: Sequence[str | None],
    missing: Sequence[str],
    cols: _Columns,
) -> str:
    unknown = [c.strip() for c, f in zip(header, fields, strict=True) if f is None and c.strip()]
    wanted = {k: n for k, n in cols.keys.items() if n in missing}
    hints: list[str] = []
    for cell in unknown:
        close = difflib.get_close_matches(cell, list(wanted), n=1, cutoff=0.6)
        if close:
            hints.append(f"表头中的“{cell}”是否应为“{close[0]}”？")
    every = "、".join(_label(cols, n) for n in cols.keys.values() if n == cols.keys[n])
    msg = (
        f"文件 {path} 缺少必需的列：{'、'.join(_label(cols, n) for n in missing)} / "
        f"missing required column(s): {', '.join(missing)}。"
    )
    msg += "".join(hints)
    return msg + f"应有的列（英文或中文列名均可）：{every}"


# --- reading ------------------------------------------------------------------------------


def read_table(path: str | Path, model: type[M]) -> Table[M]:
    """Read and validate every row of ``path`` (.csv, .jsonl/.ndjson or .parquet) with
    ``model``.  Raises :class:`InputError` for a file that cannot be read at all."""
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputError(
            p,
            f"无法识别文件 {p} 的格式（扩展名 {p.suffix or '无'}）；支持 "
            f"{'、'.join(FORMATS)} / unknown file type",
        )
    try:
        with _gc_paused():
            if fmt == "csv":
                return _read_csv(str(p), model)
            if fmt == "jsonl":
                return _read_jsonl(str(p), model)
            return _read_parquet(str(p), model)
    except OSError as e:
        raise InputError(p, f"无法读取文件 {p}：{e.strerror or e} / cannot read") from None


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while rows pile up: every model read is kept, so the
    collector's passes over them find nothing and cost a third of the reading time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _validate(model: type[M], data: dict[str, Any]) -> M | list[dict[str, str]]:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        return translate_errors(exc, model)


_SNIFF = 1 << 20


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _encoding(path: str) -> str:
    """UTF-8 (BOM or not) or GB18030, judged on the first MiB; InputError for neither.

    UTF-8 is tried first: GB18030 text is almost never valid UTF-8, whereas UTF-8 text does
    decode (garbled) as GB18030.  A few bad bytes among many good characters (a corrupt
    file) keep the encoding; their rows become error rows."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF)
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        text = decoder.decode(head, final=len(head) < _SNIFF)
        bad = text.count("\ufffd")
        if bad == 0 or len(_NON_ASCII.findall(text)) - bad >= 4 * bad:
            return encoding
    raise InputError(path, f"文件 {path} 既不是 UTF-8 也不是 GB18030 编码 / unknown text encoding")


def _tee(f: IO[str], buf: list[str]) -> Iterator[str]:
    """The lines of `f`, each also kept in `buf` (the raw text of the current record)."""
    for line in f:
        buf.append(line)
        yield line


def _read_csv(path: str, model: type[M]) -> Table[M]:
    encoding = _encoding(path)
    undecodable = f"本行含有不是 {'UTF-8' if encoding == 'utf-8-sig' else 'GB18030'} 编码的字节"
    rows: list[tuple[int, M]] = []
    errors: list[RowError] = []
    # Bytes the encoding cannot decode become U+FFFD and make their row an error row.
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        buf: list[str] = []
        reader = csv.reader(_tee(f, buf))
        header = next(reader, None)
        if header is None:
            raise InputError(path, f"文件 {path} 是空的，没有表头 / empty file, no header row")
        if any("\ufffd" in c for c in header):
            raise InputError(path, f"文件 {path} 的表头{undecodable[2:]} / undecodable header")
        fields = _header_fields(path, header, model)
        width = len(fields)
        pairs = [(i, n) for i, n in enumerate(fields) if n is not None]
        validate = model.model_validate
        line = reader.line_num + 1  # where the next record starts
        buf.clear()
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not cells:  # a blank line is not a row
                buf.clear()
                continue
            problem = None
            if len(cells) > width:
                problem = f"本行有 {len(cells)} 列，表头只有 {width} 列"
            elif any("\ufffd" in raw for raw in buf):
                problem = undecodable
            if problem is not None:
                errors.append(_row_error(path, start, [{"path": "", "message": problem}], buf))
                continue
            n = len(cells)
            data = {name: cells[i] for i, name in pairs if i < n and cells[i] != ""}
            try:
                rows.append((start, validate(data)))
            except ValidationError as exc:
                errors.append(_row_error(path, start, translate_errors(exc, model), buf))
            buf.clear()
    return Table(rows, errors)


def _row_error(path: str, line: int, errs: list[dict[str, str]], buf: list[str]) -> RowError:
    text = "".join(buf).rstrip("\r\n")
    buf.clear()
    return RowError(path, line, errs, text)


def _read_jsonl(path: str, model: type[M]) -> Table[M]:
    rows: list[tuple[int, M]] = []
    errors: list[RowError] = []
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                msg = "本行不是有效的 UTF-8 编码"
                errors.append(RowError(path, number, [{"path": "", "message": msg}], text))
                continue
            if not text.strip() or (number == 1 and text == "\ufeff"):
                continue
            try:
                data = _loads(text)
            except FactsError as e:
                errors.append(RowError(path, number, e.errors, text))
                continue
            if not isinstance(data, dict):
                msg = f"每行应为一个 JSON 对象，实际为{_kind(data)}"
                errors.append(RowError(path, number, [{"path": "", "message": msg}], text))
                continue
            got = _validate(model, data)
            if isinstance(got, list):
                errors.append(RowError(path, number, got, text))
            else:
                rows.append((number, got))
    return Table(rows, errors)


def _kind(v: object) -> str:
    if v is None:
        return "空值（null）"
    if isinstance(v, bool):
        return "布尔值"
    if isinstance(v, int | float | Decimal):
        return "数字"
    if isinstance(v, list):
        return "数组"
    return "字符串" if isinstance(v, str) else type(v).__name__


def _read_parquet(path: str, model: type[M]) -> Table[M]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path, pre_buffer=False)  # read by batches: none kept
    except (pa.ArrowInvalid, pa.ArrowIOError) as e:
        raise InputError(path, f"无法读取 Parquet 文件 {path}：{e} / not a Parquet file") from None
    names = list(pf.schema_arrow.names)
    fields = _header_fields(path, names, model)
    keep = [(c, n) for c, n in zip(names, fields, strict=True) if n is not None]
    columns = [c for c, _ in keep]
    rows: list[tuple[int, M]] = []
    errors: list[RowError] = []
    number = 0
    for batch in pf.iter_batches(batch_size=_PARQUET_BATCH, columns=columns):
        for rec in batch.to_pylist():
            number += 1
            data = {n: rec[c] for c, n in keep if rec[c] is not None}
            got = _validate(model, data)
            if isinstance(got, list):
                errors.append(RowError(path, number, got, _record_text(rec)))
            else:
                rows.append((number, got))
    return Table(rows, errors)


def _record_text(rec: Mapping[str, Any]) -> str:
    return json.dumps(dict(rec), ensure_ascii=False, default=_plain)


# --- writing --------------------------------------------------------------------------------


def _plain(v: Any) -> Any:
    """A value as JSON/CSV text: Decimal exactly (never via float), dates ISO."""
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    raise TypeError(f"cannot write a {type(v).__name__}: {v!r}")


def _as_dict(row: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    if isinstance(row, BaseModel):
        return row.model_dump()
    return dict(row)


def write_table(
    path: str | Path,
    rows: Iterable[Mapping[str, Any] | BaseModel],
    *,
    columns: Sequence[str] | None = None,
) -> int:
    """Write ``rows`` (dicts or models) to ``path`` by its extension; returns the number of
    rows.  ``columns`` (default: the first row's keys) fixes the columns and their order;
    a row without a column leaves it empty (null)."""
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputError(
            p, f"无法识别文件 {p} 的格式（扩展名 {p.suffix or '无'}）；支持 {'、'.join(FORMATS)}"
        )
    it = (_as_dict(r) for r in rows)
    if fmt == "parquet":
        return _write_parquet(p, it, columns)
    first = next(it, None)
    cols = list(columns) if columns is not None else list(first or {})
    n = 0
    with open(p, "w", encoding="utf-8", newline="") as f:
        if fmt == "csv":
            w = csv.writer(f, lineterminator="\n")
            w.writerow(cols)
            for d in _chain(first, it):
                _check_keys(d, cols)
                w.writerow(["" if (v := d.get(c)) is None else _cell(v) for c in cols])
                n += 1
        else:
            for d in _chain(first, it):
                _check_keys(d, cols)
                f.write(json.dumps({c: d.get(c) for c in cols}, ensure_ascii=False, default=_plain))
                f.write("\n")
                n += 1
    return n


def _chain(
    first: dict[str, Any] | None, rest: Iterator[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    if first is not None:
        yield first
    yield from rest


def _check_keys(d: Mapping[str, Any], cols: Sequence[str]) -> None:
    extra = [k for k in d if k not in cols]
    if extra:
        raise ValueError(f"row has keys not among the columns {list(cols)}: {extra}")


def _cell(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, Decimal | date | bytes):
        return str(_plain(v))
    return str(v)


def _write_parquet(p: Path, it: Iterator[dict[str, Any]], columns: Sequence[str] | None) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = list(it)
    cols = list(columns) if columns is not None else list(data[0] if data else {})
    for d in data:
        _check_keys(d, cols)
    arrays = [_arrow_column([d.get(c) for d in data], pa) for c in cols]
    table = pa.Table.from_arrays(arrays, names=cols) if cols else pa.table({})
    pq.write_table(table, p)
    return len(data)


def _arrow_column(values: list[Any], pa: Any) -> Any:
    """A typed Arrow array: decimal128 for Decimals, date32 for dates, else inferred."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, Decimal) for v in present):
        scale = max(2, *(max(0, -int(v.as_tuple().exponent)) for v in present))
        q = Decimal(1).scaleb(-scale)
        exact = [None if v is None else v.quantize(q) for v in values]
        if any(len(v.as_tuple().digits) > 38 for v in exact if v is not None):
            raise ValueError(f"a decimal needs more than 38 digits at scale {scale}")
        return pa.array(exact, type=pa.decimal128(38, scale))
    if present and all(isinstance(v, date) for v in present):
        return pa.array(values, type=pa.date32())
    if present and all(isinstance(v, str) for v in present):
        return pa.array(values, type=pa.string())
    if not present:
        return pa.array(values, type=pa.string())
    return pa.array(values)
