"""What the names of an audit stand for: the scope models its rules are checked against.

A **row audit** (no ``group``) sees ``row`` (本条, one payment); a **group audit** sees
``key`` (分组, the group's key fields) and ``rows`` (本组, the group's payments).  Both see
``roster`` (花名册) and ``registry.deaths``/``registry.agents`` (登记表), which may only be
joined by key (:mod:`.lookup`), ``param`` (row audits) and ``as_of``.  A group audit's
row-level lets (those that mention ``row``) become fields of each element of ``rows``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, create_model

from ..ir import types as T
from ..roster.models import Payment, Registries

ROW, ROWS, KEY, ROSTER, REGISTRY = "row", "rows", "key", "roster", "registry"
ZH = {ROW: "本条", ROWS: "本组", KEY: "分组", ROSTER: "花名册", REGISTRY: "登记表"}
ROW_NAMES = (ROW, ZH[ROW])


def _field(zh: str, default: Any = ...) -> Any:
    return Field(default, json_schema_extra={"zh": zh, "source": None})


def row_scope() -> type[BaseModel]:
    """The names of a row audit and of a group audit's row-level lets."""
    return create_model(
        "AuditRowScope",
        row=(Payment, _field(ZH[ROW])),
        roster=(list[Payment], _field(ZH[ROSTER])),
        registry=(Registries, _field(ZH[REGISTRY])),
    )


def key_model(fields: list[str]) -> type[BaseModel]:
    """The record of a group's key: the named payment fields, with their types."""
    spec: dict[str, Any] = {}
    for name in fields:
        info = Payment.model_fields[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        spec[name] = (info.annotation, Field(None, json_schema_extra=dict(extra)))
    return create_model("AuditKey", **spec)


def row_model(lets: dict[str, T.Type]) -> type[BaseModel]:
    """A payment with a group audit's row-level lets as extra fields."""
    if not lets:
        return Payment
    spec: dict[str, Any] = {
        name: (_annotation(t) | None, Field(None, json_schema_extra={"zh": None}))
        for name, t in lets.items()
    }
    return create_model("AuditRow", __base__=Payment, **spec)


def group_scope(key: type[BaseModel], row: type[BaseModel]) -> type[BaseModel]:
    return create_model(
        "AuditGroupScope",
        key=(key, _field(ZH[KEY])),
        rows=(list[row], _field(ZH[ROWS])),  # type: ignore[valid-type]
        roster=(list[Payment], _field(ZH[ROSTER])),
        registry=(Registries, _field(ZH[REGISTRY])),
    )


def _annotation(t: T.Type) -> Any:
    if t == T.NUMBER:
        return Decimal
    if t == T.DATE:
        return date
    if t == T.BOOLEAN:
        return bool
    if isinstance(t, T.ListT):
        return list[_annotation(t.elem)]  # type: ignore[misc]
    if isinstance(t, T.RecordT):
        return t.model
    return str
