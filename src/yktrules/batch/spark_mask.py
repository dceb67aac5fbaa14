"""Masking the messages of Spark's decision documents, in Spark SQL.

The same result as :func:`yktrules.facts.privacy.mask_document` on each decision: every string
field named ``message``, at any depth, goes through :data:`MASK_STEPS`, Java regular
expressions that together do what :func:`yktrules.facts.privacy.mask_text` does (an 18-character
ID number keeps its first 6 and last 4 characters, a 16, 17 or 19 digit run its first and
last 4).  ``(?U)`` makes Java's ``\\d`` any decimal digit, as Python's is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column

__all__ = ["MASK_STEPS", "mask_messages"]

_B, _A = r"(?U)(?<!\d)", r"(?!\d)"

#: (Java regex, replacement), applied in order.  IDs first: after them no 18-digit run is
#: left, and each other step matches digit runs of exactly one length.
MASK_STEPS: tuple[tuple[str, str], ...] = (
    (_B + r"(\d{6})\d{8}(\d{3}[\dXx])" + _A, "$1********$2"),
    (_B + r"(\d{4})\d{11}(\d{4})" + _A, "$1***********$2"),
    (_B + r"(\d{4})\d{9}(\d{4})" + _A, "$1*********$2"),
    (_B + r"(\d{4})\d{8}(\d{4})" + _A, "$1********$2"),
)


def _mask_string(col: Column) -> Column:
    from pyspark.sql import functions as F

    for pattern, replacement in MASK_STEPS:
        col = F.regexp_replace(col, pattern, replacement)
    return col


def _has_message(t: Any) -> bool:
    from pyspark.sql.types import ArrayType, StringType, StructType

    if isinstance(t, ArrayType):
        return _has_message(t.elementType)
    if isinstance(t, StructType):
        return any(
            (f.name == "message" and isinstance(f.dataType, StringType)) or _has_message(f.dataType)
            for f in t.fields
        )
    return False


def mask_messages(col: Column, t: Any) -> Column:
    """`col` (of Spark type `t`) with every string field named ``message`` masked."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StringType, StructType

    if isinstance(t, ArrayType) and _has_message(t.elementType):
        return F.transform(col, lambda x: mask_messages(x, t.elementType))
    if isinstance(t, StructType):
        for f in t.fields:
            if f.name == "message" and isinstance(f.dataType, StringType):
                col = col.withField(f.name, _mask_string(col[f.name]))
            elif _has_message(f.dataType):
                col = col.withField(f.name, mask_messages(col[f.name], f.dataType))
    return col
