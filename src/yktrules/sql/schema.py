"""The facts document as SQL column types, derived from the pydantic models.

Each model becomes a STRUCT of its fields (English names), a list a LIST, a number
``DECIMAL(38,10)``, text and enumerations VARCHAR (Spark: STRING), a date DATE, a boolean
BOOLEAN.  With these explicit types ``read_json`` keeps a null (unknown) struct, field or
list as NULL and an empty list as ``[]``, the distinction the three-valued logic depends on."""

from __future__ import annotations

from pydantic import BaseModel

from ..ir import types as T
from .dialects.duckdb import DEC, DUCKDB, Dialect


def field_type(t: T.Type, dialect: Dialect = DUCKDB) -> str:
    if t == T.NUMBER:
        return DEC
    if T.is_stringy(t) or isinstance(t, T.AnyT):
        return dialect.string  # AnyT: a field the language cannot read (a timestamp…)
    if t == T.DATE:
        return "DATE"
    if t == T.BOOLEAN:
        return "BOOLEAN"
    if isinstance(t, T.ListT):
        return dialect.list_type(field_type(t.elem, dialect))
    if isinstance(t, T.RecordT):
        return struct_type(t, dialect)
    raise TypeError(f"no SQL type for {t.show()}")


def struct_type(rec: T.RecordT, dialect: Dialect = DUCKDB) -> str:
    return dialect.struct_type(
        [(name, field_type(f.type, dialect)) for name, f in rec.fields.items()]
    )


def facts_columns(schema: type[BaseModel], dialect: Dialect = DUCKDB) -> dict[str, str]:
    """The ``columns`` argument of ``read_json`` for a facts schema's top-level parts."""
    rec = T.record_type(schema)
    return {name: field_type(f.type, dialect) for name, f in rec.fields.items()}
