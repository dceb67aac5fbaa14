"""Facts validation of JSON text in SQL: a JSON Lines line checked and typed by DuckDB's JSON
reader against an explicit structure derived from the facts model, with the same conservative
contract as :mod:`.validation` (a row the SQL accepts is one Python accepts with the same
values; any other row goes to Python, which gives its errors or its decisions).

The line is parsed twice and scanned once, whatever the model's depth:

- ``__jx``: ``json_transform`` to the model's structure (every key a field reads, aliases
  included), each leaf as JSON text, so that its JSON type is seen (a number where a string
  belongs is not cast to one); numbers as the reader writes them back (their value, not
  their text: see the scan);
- ``__jk``: the keys of every object below the top (``json_keys(line, '$.**')``): a duplicate
  key (DuckDB reads the first, Python the last) sends the row to Python;
- ``__jg``: one regular-expression scan of the line for what the two cannot see: a number
  with more than 10 places, an exponent or 16 significant digits (which a double or
  ``DECIMAL(38,10)`` would not keep), a duplicate key at the top, the key of a list or an
  object whose value is neither that nor null, a key written with escapes.

A list element that is not an object reads as an object whose fields are all NULL: such
elements (and ``{}``) go to Python too, as do lines over :data:`MAX_LINE` bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from .dialects.duckdb import DEC
from .validation import (
    _DECIMAL_TEXT,
    Leaf,
    ListOf,
    Model,
    Node,
    _any,
    _bounds,
    _fresh,
    _lit,
    _null,
    _string_checks,
    model_spec,
)

_STRINGS = ("str", "enum", "region", "id", "text", "date")

#: Lines longer than this (bytes) go to Python: the key lists of a document with thousands
#: of members would take much of DuckDB's memory for one row.
MAX_LINE = 1 << 20


def _structure(node: Node) -> Any:
    """The ``json_transform`` structure: leaves as JSON, every key of each field."""
    if isinstance(node, Leaf):
        return "JSON"
    if isinstance(node, ListOf):
        return [_structure(node.elem)]
    out: dict[str, Any] = {}
    for f in node.fields:
        out[f.keys[0]] = _structure(f.node)
        out.update((k, "JSON") for k in f.keys[1:])  # an alias: only whether it is there
    return out


def _keys_of(node: Node, kind: type, out: set[str]) -> set[str]:
    """The keys of every field below `node` whose values are of `kind` (lists, models)."""
    if isinstance(node, ListOf):
        _keys_of(node.elem, kind, out)
    elif isinstance(node, Model):
        for f in node.fields:
            if isinstance(f.node, kind):
                out.update(f.keys)
            _keys_of(f.node, kind, out)
    return out


def _guard(spec: Model) -> str:
    """The RE2 pattern of a line the two parses cannot check (see the module docstring)."""

    def key(k: str) -> str:
        return '"' + re.escape(k) + r'"\s*:'

    escaped = r'(?:[^"\\]|\\.)*'
    parts = [
        # a number: after ':', '[' or ',' (never a digit inside a string such as "\u5e74")
        r"[:\[,]\s*-?[0-9]+[.][0-9]{11}",  # more than 10 places
        r"[:\[,]\s*-?[0-9]+(?:[.][0-9]+)?[eE]",  # an exponent
        r"[:\[,]\s*-?(?:[0-9][.]?){16}",  # 16 significant digits
        f'"{escaped}\\\\{escaped}"\\s*:',  # a key with an escape
        *(f"{key(k)}.*{key(k)}" for f in spec.fields for k in f.keys),  # top-level twice
    ]
    for kind, opening in ((ListOf, "\\["), (Model, "{")):  # a list or object that is not one
        keys = sorted(_keys_of(spec, kind, set()))
        if keys:
            alts = "|".join(re.escape(k) for k in keys)
            parts.append(f'"(?:{alts})"\\s*:\\s*[^{opening}n\\s]')
    return "|".join(parts)


def json_layers(model: type[BaseModel], line: str) -> list[list[str]]:
    """The layers of columns :func:`json_document` reads, computed below it from the JSON
    text `line`: the line where it is valid JSON of at most :data:`MAX_LINE` bytes (checked
    once: a row that makes TRY catch an error has DuckDB evaluate the whole vector again row
    by row), then the two parses and the scan of it."""
    spec = model_spec(model)
    if spec.python:
        return []
    structure = json.dumps(_structure(spec), ensure_ascii=False)
    return [
        [f"CASE WHEN strlen({line}) <= {MAX_LINE} AND json_valid({line}) THEN {line} END AS __jv"],
        [
            f"TRY(json_transform(__jv, {_lit(structure)})) AS __jx",
            "json_keys(__jv, '$.**') AS __jk",
            f"regexp_matches(__jv, {_lit(_guard(spec))}) AS __jg",
        ],
    ]


def json_document(model: type[BaseModel], line: str) -> str:
    """``STRUCT(v, b)`` for a JSON text `line`: the typed document, and whether the row must
    go to the Python validator.  Reads the columns of :func:`json_layers`."""
    spec = model_spec(model)
    if spec.python:
        return f"struct_pack(v := {_null(_model_type(spec))}, b := TRUE)"
    k = _fresh()
    dup = _some("__jk", k, f"len({k}) <> len(list_distinct({k}))")
    values, bad = _fields(spec, "__jx")
    names = ", ".join(f'"{f.name}" := {v}' for f, v in zip(spec.fields, values, strict=True))
    bads = ["__jx IS NULL", "__jg", dup, _empty(spec, "__jx"), bad]
    return f"struct_pack(v := struct_pack({names}), b := coalesce({_any(bads)}, TRUE))"


def _some(values: str, x: str, test: str) -> str:
    """TRUE when `test` (of `x`) holds for one of the list `values` (FALSE for none, NULL)."""
    return f"coalesce(list_bool_or(list_transform({values}, lambda {x}: {test})), FALSE)"


def _model_type(spec: Model) -> str:
    return "STRUCT(" + ", ".join(f'"{f.name}" {f.sql_type}' for f in spec.fields) + ")"


def _empty(spec: Model, x: str) -> str:
    """Every field of the STRUCT `x` NULL: an empty object, or a value that is not one."""
    return "(" + " AND ".join(f'{x}."{k}" IS NULL' for f in spec.fields for k in f.keys) + ")"


def _fields(spec: Model, xj: str) -> tuple[list[str], str]:
    """Each field's value and whether the model is bad, for the model whose values (leaves
    as JSON text) are the fields of the STRUCT `xj`."""
    values, bads = [], []
    for f in spec.fields:
        x = f'{xj}."{f.keys[0]}"'
        v, b = _node(f.node, x)
        values.append(f"CASE WHEN {x} IS NOT NULL THEN {v} END")
        bads += [f'{xj}."{k}" IS NOT NULL' for k in f.keys[1:]]  # an alias: Python's choice
        if f.required:
            bads.append(f"{x} IS NULL")
        if b != "FALSE":
            bads.append(f"({x} IS NOT NULL AND coalesce({b}, TRUE))")
    return values, _any(bads)


def _node(node: Node, x: str) -> tuple[str, str]:
    """(value, bad) of the value `x` (not NULL): a STRUCT, a list, or a leaf's JSON text."""
    if isinstance(node, Model):
        values, bad = _fields(node, x)
        names = ", ".join(f'"{f.name}" := {v}' for f, v in zip(node.fields, values, strict=True))
        return f"struct_pack({names})", bad
    if isinstance(node, ListOf):
        e = _fresh()
        ev, eb = _node(node.elem, e)
        # an element that is not an object reads as one with every field NULL (so does {})
        empty = f" OR {_empty(node.elem, e)}" if isinstance(node.elem, Model) else ""
        return f"list_transform({x}, lambda {e}: {ev})", _some(
            x, e, f"{e} IS NULL{empty} OR coalesce({eb}, TRUE)"
        )
    return _leaf(node, f"CAST({x} AS VARCHAR)")


def _unquoted(j: str) -> str:
    """The string a JSON string's text `j` holds (parsed only when it has an escape)."""
    return (
        f"CASE WHEN contains({j}, '\\') THEN json_extract_string({j}, '$') "
        f"ELSE substr({j}, 2, length({j}) - 2) END"
    )


def _leaf(leaf: Leaf, j: str) -> tuple[str, str]:
    kind = leaf.kind
    string = f"starts_with({j}, '\"')"
    if kind == "python":
        return _null("VARCHAR"), "TRUE"
    if kind == "bool":
        return f"({j} = 'true')", f"({j} NOT IN ('true', 'false'))"
    if kind == "int":
        v = f"TRY_CAST({j} AS BIGINT)"
        return v, f"(NOT regexp_full_match({j}, '-?[0-9]{{1,18}}') OR {_bounds(leaf, v)})"
    if kind == "decimal":  # a number (as the reader wrote it back) or a string of digits
        text = f"CASE WHEN {string} THEN {_unquoted(j)} ELSE {j} END"
        v = f"TRY_CAST({text} AS {DEC})"
        ok = f"regexp_full_match({text}, '-?{_DECIMAL_TEXT}') AND {v} IS NOT NULL"
        return v, f"(NOT ({ok}) OR {_bounds(leaf, v)})"
    assert kind in _STRINGS, kind
    v, bad = _string_checks(kind, _unquoted(j), leaf.values)
    return f"CASE WHEN {string} THEN {v} END", f"(NOT {string} OR {bad})"
