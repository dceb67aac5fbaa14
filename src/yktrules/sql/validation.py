"""Facts validation in SQL: the facts models' checks (FACTS.md) as expressions DuckDB (or
Spark) runs on every row, so a batch validates without Python per row.

The checks are derived from the pydantic models themselves (:func:`model_spec`), so a host's
subclass with more fields is checked too.  They are *conservative*: a row they accept is a
row :func:`yktrules.parse_facts` accepts, with the same values; a row they do not accept
(``b`` is TRUE) goes to the Python validator, which gives its errors with their paths and
messages — or, for the few valid documents the SQL does not decide (a Chinese key, a number
written as ``"1e3"``, a custom validator of a host's field), its decisions.  So a batch gives
every row exactly what the Python engine gives, and most rows never reach Python.

Two sources are compiled:

- JSON text (:mod:`.json_validation`): a JSON Lines line, parsed by DuckDB's JSON reader
  against an explicit structure derived from the model (``json_transform``, with
  ``json_keys`` and one scan of the text), so that a value of the wrong JSON type is seen,
  not cast;
- typed columns (:func:`typed_document`): Parquet or Arrow with the facts document's parts as
  columns; a column whose type is not the one the facts schema needs is checked in Python.

Each gives one SQL expression of type ``STRUCT(v STRUCT(<the document's parts>), b
BOOLEAN)``: the typed document (:func:`yktrules.sql.schema.facts_columns`) and whether the
row must be validated in Python.
"""

from __future__ import annotations

import itertools
import sys
import types as pytypes
import typing
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import annotated_types as at
import attrs
import pyarrow as pa
from pydantic import AliasChoices, BaseModel

from ..facts import models as fm
from ..facts.ids import ID_CHECK_CHARS, ID_WEIGHTS, PROVINCE_CODES
from ..ir import types as T
from .dialects.duckdb import DEC
from .schema import field_type

# ---- the schema as the checks see it -------------------------------------------------------


@attrs.frozen
class Leaf:
    """A scalar field.  `kind`: str, enum, region, id, text (not blank), bool, decimal, int,
    date, or python (a type or validator the SQL does not know: checked in Python)."""

    kind: str
    values: tuple[str, ...] = ()
    strict: bool = False
    bounds: tuple[tuple[str, Decimal], ...] = ()  # (">=", 0)…


@attrs.frozen
class ListOf:
    elem: Node


@attrs.frozen
class FieldSpec:
    name: str
    keys: tuple[str, ...]  # input keys, the one read first
    required: bool
    node: Node
    sql_type: str


@attrs.frozen
class Model:
    fields: tuple[FieldSpec, ...]
    python: bool = False  # model validators or forbidden extra keys: every row to Python


Node = Leaf | ListOf | Model

_PYTHON = Leaf("python")
_CHECKS: dict[Any, str] = {
    fm._check_region: "region",
    fm._check_id_number: "id",
    fm._not_blank: "text",
}


@cache
def model_spec(model: type[BaseModel]) -> Model:
    """The checks of a facts model, field by field (cached per model class)."""
    decorators = model.__pydantic_decorators__
    python = bool(
        decorators.model_validators
        or decorators.field_validators
        or model.model_config.get("extra") == "forbid"
    )
    rec = T.record_type(model)
    fields = []
    for name, info in model.model_fields.items():
        keys: list[str] = []
        va = info.validation_alias
        if isinstance(va, AliasChoices):
            keys += [c for c in va.choices if isinstance(c, str)]
        elif isinstance(va, str):
            keys.append(va)
        if info.alias and info.alias not in keys:
            keys.append(info.alias)
        if name not in keys:
            keys.append(name)
        node = _node(info.annotation, tuple(info.metadata))
        if info.default is not None and not info.is_required():
            node = _PYTHON  # a default other than None: absent is not unknown
        # whole numbers stay BIGINT (a STRUCT of typed columns is then used as it is)
        typ = _int_type(node) or field_type(rec.fields[name].type)
        fields.append(FieldSpec(name, tuple(keys), info.is_required(), node, typ))
    return Model(tuple(fields), python)


def _int_type(node: Node) -> str | None:
    """The SQL type of a field of whole numbers (or a list of them), else None."""
    if isinstance(node, Leaf) and node.kind == "int":
        return "BIGINT"
    if isinstance(node, ListOf):
        inner = _int_type(node.elem)
        return None if inner is None else inner + "[]"
    return None


def _node(ann: Any, meta: tuple[Any, ...] = ()) -> Node:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        inner, *more = typing.get_args(ann)
        return _node(inner, (*meta, *more))
    if origin in (typing.Union, pytypes.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        return _node(args[0], meta) if len(args) == 1 else _PYTHON
    if origin is list:
        (elem,) = typing.get_args(ann) or (Any,)
        if meta or typing.get_origin(elem) in (typing.Union, pytypes.UnionType):
            return _PYTHON  # list constraints or None elements: not checked here
        return ListOf(_node(elem))
    if origin is typing.Literal:
        values = typing.get_args(ann)
        if meta or not all(type(v) is str for v in values):
            return _PYTHON
        return Leaf("enum", tuple(values))
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return _PYTHON if meta else model_spec(ann)
    return _leaf(ann, meta)


def _leaf(ann: Any, meta: tuple[Any, ...]) -> Leaf:
    kind = {str: "str", bool: "bool", int: "int", Decimal: "decimal", date: "date"}.get(ann)
    if kind is None:
        return _PYTHON
    strict = False
    bounds: list[tuple[str, Decimal]] = []
    for m in _flat(meta):
        if isinstance(m, at.Ge | at.Gt | at.Le | at.Lt):
            op, v = {
                at.Ge: (">=", "ge"),
                at.Gt: (">", "gt"),
                at.Le: ("<=", "le"),
                at.Lt: ("<", "lt"),
            }[type(m)]
            bounds.append((op, Decimal(getattr(m, v))))
        elif type(m).__name__ == "Strict":
            strict = getattr(m, "strict", True)
        elif type(m).__name__ == "AllowInfNan" and not m.allow_inf_nan:
            pass  # never infinite nor NaN in SQL
        elif isinstance(m, at.MinLen) and kind == "str" and m.min_length <= 1:
            pass  # "text" checks a character that is not white space
        elif type(m).__name__ == "AfterValidator" and kind == "str" and m.func in _CHECKS:
            kind = _CHECKS[m.func]
        elif (
            type(m).__name__ == "BeforeValidator" and kind == "date" and m.func is fm._parse_date
        ) or type(m).__name__ in ("WithJsonSchema", "_JsonSchemaExtra"):
            pass
        else:
            return _PYTHON
    if kind == "date" and not any(
        type(m).__name__ == "BeforeValidator" and m.func is fm._parse_date for m in _flat(meta)
    ):
        return _PYTHON  # pydantic's own date parsing accepts more than YYYY-MM-DD
    if kind in ("bool", "int") and not strict:
        return _PYTHON  # lax: "true", 1.0, "5" are accepted; only the strict forms here
    if kind == "str" and any(isinstance(m, at.MinLen) for m in _flat(meta)):
        kind = "text"  # not empty: a string of white space goes to Python, which accepts it
    if bounds and kind not in ("decimal", "int"):
        return _PYTHON
    return Leaf(kind, strict=strict, bounds=tuple(bounds))


def _flat(meta: tuple[Any, ...]) -> list[Any]:
    """Annotated metadata, with a `Field(...)`'s own metadata spread out."""
    out: list[Any] = []
    for m in meta:
        inner = getattr(m, "metadata", None)
        if type(m).__name__ == "FieldInfo" and isinstance(inner, list):
            out += inner
        else:
            out.append(m)
    return out


# ---- SQL pieces shared by both sources ------------------------------------------------------

_WS = "".join(chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace())
# a character that str.strip() keeps (RE2 class): "text" is not only white space
_NOT_BLANK = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in _WS) + "]"
#: A decimal written plainly that DECIMAL(38,10) holds exactly: at most 10 places (more, or an
#: exponent, and the row goes to Python, which keeps every digit).
_DECIMAL_TEXT = "[0-9]+([.][0-9]{1,10})?"
_counter = itertools.count()


def _fresh() -> str:
    return f"__x{next(_counter)}"


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _any(bads: list[str]) -> str:
    return "(" + " OR ".join(bads) + ")" if bads else "FALSE"


def _check_digit(v: str) -> str:
    """The GB 11643 check character of the first 17 characters of `v` (ASCII digits): the
    digits read as one BIGINT, weighted by integer arithmetic (no substring per digit)."""
    terms = " + ".join(f"((__id // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(ID_WEIGHTS))
    check = f"substr('{ID_CHECK_CHARS}', (({terms}) % 11) + 1, 1)"
    return f"list_transform([TRY_CAST(substr({v}, 1, 17) AS BIGINT)], lambda __id: {check})[1]"


def _province(code: str) -> str:
    """TRUE when the first two digits of `code` (6 ASCII digits) are a province-level code:
    as ranges of the two-digit number, not a list to search."""
    nums = sorted(int(p) for p in PROVINCE_CODES)
    ranges: list[tuple[int, int]] = []
    for n in nums:
        if ranges and ranges[-1][1] == n - 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    p = f"TRY_CAST(substr({code}, 1, 2) AS INTEGER)"
    tests = " OR ".join(f"__p BETWEEN {lo} AND {hi}" for lo, hi in ranges)
    return f"list_transform([{p}], lambda __p: {tests})[1]"


def _string_checks(kind: str, s: str, values: tuple[str, ...]) -> tuple[str, str]:
    """(value, bad) of a string leaf `s` (VARCHAR, not NULL)."""
    if kind == "str":
        return s, "FALSE"
    if kind == "enum":
        return s, f"NOT ({s} IN ({', '.join(_lit(v) for v in values)}))"
    if kind == "region":
        return (
            s,
            f"NOT (regexp_full_match({s}, '[0-9]{{6}}') AND {_province(s)})",
        )
    if kind == "id":  # a lowercase check letter (made upper case by the model) goes to Python
        ok = (
            f"regexp_full_match({s}, '[0-9]{{17}}[0-9X]') AND "
            f"substr({s}, 18, 1) = {_check_digit(s)}"
        )
        return s, f"NOT ({ok})"
    if kind == "text":
        return s, f"NOT regexp_matches({s}, '{_NOT_BLANK}')"
    if kind == "date":
        d = f"TRY_CAST({s} AS DATE)"
        shape = f"regexp_full_match({s}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')"
        ok = f"{shape} AND {s} >= '0001' AND {d} IS NOT NULL"
        return d, f"NOT ({ok})"
    raise ValueError(kind)


def _bounds(leaf: Leaf, v: str) -> str:
    return _any([f"NOT ({v} {op} CAST('{b}' AS {DEC}))" for op, b in leaf.bounds])


def _null(sql_type: str) -> str:
    return f"CAST(NULL AS {sql_type})"


# ---- typed columns (Parquet, Arrow) -------------------------------------------------------


def typed_document(
    model: type[BaseModel], schema: pa.Schema, prefix: str = ""
) -> tuple[list[str], str]:
    """For a row of typed columns with this Arrow `schema` (the document's top-level parts
    as columns, English or Chinese names; the fields of the STRUCT `obj` when given): the
    typed parts (``<expr> AS "<part>"``) and the expression that is TRUE when the row must
    go to the Python validator.  The columns are read as ``"<prefix><name>"``."""
    spec = model_spec(model)
    if spec.python:
        return [f'{_null(f.sql_type)} AS "{f.name}"' for f in spec.fields], "TRUE"
    fields = {schema.field(i).name: schema.field(i).type for i in range(len(schema))}
    values, bad = _typed_fields(spec, None, fields, prefix)
    return [f'{v} AS "{f.name}"' for f, v in zip(spec.fields, values, strict=True)], bad


def _typed_fields(
    spec: Model, obj: str | None, fields: dict[str, pa.DataType], prefix: str = ""
) -> tuple[list[str], str]:
    """Each field's value, and whether the model is bad, for a model whose fields are
    `obj`'s (a STRUCT value, not NULL), or the relation's columns when `obj` is None."""

    def ref(k: str) -> str:
        return f'"{prefix}{k}"' if obj is None else f'{obj}."{k}"'

    values, bads = [], []
    for f in spec.fields:
        bads += [f"{ref(k)} IS NOT NULL" for k in f.keys[1:] if k in fields]
        t = fields.get(f.keys[0])
        if t is None or pa.types.is_null(t):
            values.append(_null(f.sql_type))
            if f.required:
                bads.append("TRUE")
            continue
        x = ref(f.keys[0])
        v, b = _typed_node(f.node, x, t, f.sql_type)
        values.append(v)
        if f.required:
            bads.append(f"{x} IS NULL")
        if b != "FALSE":
            bads.append(f"({x} IS NOT NULL AND coalesce({b}, TRUE))")
    return values, _any(bads)


def _typed_node(node: Node, x: str, t: pa.DataType, sql_type: str) -> tuple[str, str]:
    """(value, bad) of a typed value `x` of Arrow type `t`; both meaningful where `x` is not
    NULL.  Where `t` is the type :func:`arrow_schema` gives, the value is `x` itself."""
    v, bad = _typed_value(node, x, t, sql_type)
    if t.equals(_arrow_type(node)):
        return x, bad
    return v, bad


def _typed_value(node: Node, x: str, t: pa.DataType, sql_type: str) -> tuple[str, str]:
    wrong = _null(sql_type), "TRUE"
    if pa.types.is_dictionary(t):  # DuckDB reads a dictionary as its values (pandas writes
        t = t.value_type  # categories so)
    if isinstance(node, Model):
        if not pa.types.is_struct(t):
            return wrong
        sub = {t.field(i).name: t.field(i).type for i in range(t.num_fields)}
        values, bad = _typed_fields(node, x, sub)
        names = [f.name for f in node.fields]
        struct = ", ".join(f'"{n}" := {v}' for n, v in zip(names, values, strict=True))
        return f"CASE WHEN {x} IS NOT NULL THEN struct_pack({struct}) END", bad
    if isinstance(node, ListOf):
        if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
            return wrong
        e = _fresh()
        ev, eb = _typed_node(node.elem, e, t.value_type, sql_type[: -len("[]")])
        value = f"list_transform({x}, lambda {e}: {ev})"
        elem_bad = f"{e} IS NULL OR coalesce({eb}, TRUE)"
        return value, f"coalesce(list_bool_or(list_transform({x}, lambda {e}: {elem_bad})), FALSE)"
    kind = node.kind
    is_text = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    is_int = pa.types.is_integer(t)
    if kind == "python":
        return wrong
    if kind == "bool":
        return (x, "FALSE") if pa.types.is_boolean(t) else wrong
    if kind == "int":
        if not is_int:
            return wrong
        v = f"TRY_CAST({x} AS BIGINT)"
        return v, f"({v} IS NULL OR {_bounds(node, v)})"
    if kind == "decimal":
        v = f"TRY_CAST({x} AS {DEC})"
        if pa.types.is_decimal(t) or is_int:
            exact = f" OR {v} <> {x}" if pa.types.is_decimal(t) and t.scale > 10 else ""
            return v, f"({v} IS NULL{exact} OR {_bounds(node, v)})"
        # a double is the decimal of its shortest repr, as in Python (DuckDB writes the
        # same digits); a float32 is not (Python widens it to a double first)
        text = x if is_text else f"CAST({x} AS VARCHAR)" if pa.types.is_float64(t) else None
        if text is not None:
            v = f"TRY_CAST({text} AS {DEC})"
            ok = f"regexp_full_match({text}, '{_DECIMAL_TEXT}') AND {v} IS NOT NULL"
            return v, f"(NOT ({ok}) OR {_bounds(node, v)})"
        return wrong
    if kind == "date" and (pa.types.is_date32(t) or pa.types.is_date64(t)):
        v = f"CAST({x} AS DATE)"
        return v, f"NOT ({v} BETWEEN DATE '0001-01-01' AND DATE '9999-12-31')"
    if not is_text:
        return wrong
    return _string_checks(kind, x, node.values)


# ---- the Parquet / Arrow schema the checks read without Python --------------------------

_ARROW_LEAVES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "enum": pa.string(),
    "region": pa.string(),
    "id": pa.string(),
    "text": pa.string(),
    "bool": pa.bool_(),
    "decimal": pa.decimal128(38, 10),
    "int": pa.int64(),
    "date": pa.date32(),
    "python": pa.string(),
}


def arrow_schema(model: type[BaseModel]) -> pa.Schema:
    """The Arrow (and Parquet) schema of facts documents that a batch validates entirely in
    SQL: the document's parts as columns, English names, decimals as ``decimal128(38, 10)``,
    whole numbers as ``int64``, dates as ``date32``."""
    spec = model_spec(model)
    return pa.schema([pa.field(f.name, _arrow_type(f.node)) for f in spec.fields])


def _arrow_type(node: Node) -> pa.DataType:
    if isinstance(node, Leaf):
        return _ARROW_LEAVES[node.kind]
    if isinstance(node, ListOf):
        return pa.list_(_arrow_type(node.elem))
    return pa.struct([pa.field(f.name, _arrow_type(f.node)) for f in node.fields])
