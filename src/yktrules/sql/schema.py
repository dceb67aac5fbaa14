"""The facts document as DuckDB column types, derived from the pydantic models.

Each model becomes a STRUCT of its fields (English names), a list a LIST, a number
``DECIMAL(38,10)``, text and enumerations VARCHAR, a date DATE, a boolean BOOLEAN.  With
these explicit types ``read_json`` keeps a null (unknown) struct, field or list as NULL and
an empty list as ``[]``, the distinction the three-valued logic depends on."""

from __future__ import annotations

from pydantic import BaseModel

from .. import types as T


def field_type(t: T.Type) -> str:
    if t == T.NUMBER:
        return "DECIMAL(38,10)"  # compiler.DEC
    if T.is_stringy(t) or isinstance(t, T.AnyT):
        return "VARCHAR"  # AnyT: a field the language cannot read (a timestamp…)
    if t == T.DATE:
        return "DATE"
    if t == T.BOOLEAN:
        return "BOOLEAN"
    if isinstance(t, T.ListT):
        return field_type(t.elem) + "[]"
    if isinstance(t, T.RecordT):
        return struct_type(t)
    raise TypeError(f"no DuckDB type for {t.show()}")


def struct_type(rec: T.RecordT) -> str:
    fields = ", ".join(
        '"' + name.replace('"', '""') + '" ' + field_type(f.type) for name, f in rec.fields.items()
    )
    return f"STRUCT({fields})"


def facts_columns(schema: type[BaseModel]) -> dict[str, str]:
    """The ``columns`` argument of ``read_json`` for a facts schema's top-level parts."""
    rec = T.record_type(schema)
    return {name: field_type(f.type) for name, f in rec.fields.items()}
