"""Masking of personal data (个人信息脱敏): ID numbers, names and card numbers.

Every default output of yktrules (explanations, CLI output, error rows, the decision log's
facts, audit findings) is masked; unmasking is an explicit opt-in (``unmask=True``,
``--unmask``).  Model fields that identify a person carry ``json_schema_extra["pii"]``, one of
:data:`KINDS`; :func:`mask_model` masks them, and :func:`mask_text` is the regex safety net for
free text (18-character ID numbers and 16-19 digit card numbers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

__all__ = [
    "KINDS",
    "LONG_DIGITS",
    "mask_card",
    "mask_document",
    "mask_id",
    "mask_model",
    "mask_name",
    "mask_row",
    "mask_text",
    "mask_value",
    "masked",
    "pii_kinds",
]

#: The kinds of personal data a field can be tagged with.
KINDS = ("id", "name", "card")


def mask_id(s: str) -> str:
    """An ID number: 18 characters keep the first 6 and last 4 (``511025********0226``);
    other lengths keep the first 3 and last 2 when longer than 6, else all ``*``."""
    n = len(s)
    if n == 18:
        return s[:6] + "*" * 8 + s[-4:]
    if n > 6:
        return s[:3] + "*" * (n - 5) + s[-2:]
    return "*" * n


def mask_name(s: str) -> str:
    """A name: first and last character kept (``张*英``, ``欧**娜``); two characters keep the
    first (``张*``); one character becomes ``*``."""
    n = len(s)
    if n <= 1:
        return "*" * n
    if n == 2:
        return s[0] + "*"
    return s[0] + "*" * (n - 2) + s[-1]


def mask_card(s: str) -> str:
    """A card or account number: first 4 and last 4 kept when longer than 8, else all ``*``."""
    n = len(s)
    if n > 8:
        return s[:4] + "*" * (n - 8) + s[-4:]
    return "*" * n


_MASKERS: dict[str, Callable[[str], str]] = {"id": mask_id, "name": mask_name, "card": mask_card}


def mask_value(kind: str, s: str) -> str:
    """``s`` masked as ``kind`` (``id``, ``name`` or ``card``)."""
    try:
        masker = _MASKERS[kind]
    except KeyError:
        raise ValueError(f"未知的个人信息类型 / unknown pii kind: {kind!r}") from None
    return masker(s)


# An ID number (17 digits and a digit or X) or a card number (16-19 digits), never part of a
# longer digit run.  The ID alternative is tried first, so an 18-character run is an ID.
_PII_RE = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{16,19})(?!\d)")


#: True of text that may hold something :func:`mask_text` masks (a cheap pre-check).
LONG_DIGITS = re.compile(r"\d{16}")


def _mask_match(m: re.Match[str]) -> str:
    s = m.group(0)
    return mask_id(s) if len(s) == 18 else mask_card(s)


def masked(text: str, unmask: bool) -> str:
    """`text` as the CLI prints it: ID and card numbers masked unless `unmask`."""
    return text if unmask else mask_text(text)


def mask_text(text: str) -> str:
    """Free text with every 18-character ID number and every 16-19 digit run masked."""
    if len(text) < 16:
        return text
    return _PII_RE.sub(_mask_match, text)


def _mask_strings(v: Any) -> Any:
    if isinstance(v, str):
        return mask_text(v)
    if isinstance(v, dict):
        return {k: _mask_strings(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_mask_strings(x) for x in v]
    return v


def mask_document(doc: Any) -> Any:
    """A decision document (or any JSON value holding some) with :func:`mask_text` applied
    to every ``message`` and to every string of a ``trace``: the only places where a value
    from the facts can appear.  Codes, versions, sources and paths are left as they are."""
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for k, v in doc.items():
            if k == "message" and isinstance(v, str):
                out[k] = mask_text(v)
            elif k == "trace":
                out[k] = _mask_strings(v)
            else:
                out[k] = mask_document(v)
        return out
    if isinstance(doc, list):
        return [mask_document(x) for x in doc]
    return doc


def mask_row(row: dict[str, Any]) -> dict[str, Any]:
    """A batch result row (``line``, ``application``, ``decisions`` or ``error``) with its
    messages masked by :func:`mask_document`.  The application id is the host's key for
    joining results back and is left as it is."""
    return {k: v if k in ("line", "application") else mask_document(v) for k, v in row.items()}


def _field_kind(extra: Any) -> str | None:
    if isinstance(extra, dict):
        kind = extra.get("pii")
        if isinstance(kind, str):
            return kind
    return None


def pii_kinds(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> pii kind for the fields of ``model`` tagged with ``json_schema_extra``."""
    out: dict[str, str] = {}
    for name, field in model.model_fields.items():
        kind = _field_kind(field.json_schema_extra)
        if kind is not None:
            out[name] = kind
    return out


def _mask_dumped(kind: str, v: Any) -> Any:
    if isinstance(v, str):
        return mask_value(kind, v)
    if isinstance(v, list):
        return [_mask_dumped(kind, x) for x in v]
    return v


def _mask_nested(value: Any, dumped: Any) -> Any:
    """``dumped`` (the JSON dump of ``value``) with the pii fields of any models in it masked."""
    if isinstance(value, BaseModel) and isinstance(dumped, dict):
        return _mask_into(value, dumped)
    if isinstance(value, list | tuple) and isinstance(dumped, list) and len(value) == len(dumped):
        return [_mask_nested(v, d) for v, d in zip(value, dumped, strict=True)]
    if isinstance(value, dict) and isinstance(dumped, dict):
        return {k: _mask_nested(value.get(k), d) for k, d in dumped.items()}
    return dumped


@lru_cache(maxsize=256)
def _kinds(model: type[BaseModel]) -> dict[str, str]:
    return pii_kinds(model)


def _mask_into(obj: BaseModel, dumped: dict[str, Any]) -> dict[str, Any]:
    out = dict(dumped)
    kinds = _kinds(type(obj))
    for name in type(obj).model_fields:
        if name not in out:
            continue
        kind = kinds.get(name)
        if kind is not None:
            out[name] = _mask_dumped(kind, out[name])
        else:
            out[name] = _mask_nested(getattr(obj, name), out[name])
    return out


def mask_model(obj: BaseModel, *, unmask: bool = False) -> dict[str, Any]:
    """``obj.model_dump(mode="json")`` with every pii-tagged field masked, recursively through
    nested models and lists of models; ``unmask=True`` gives the plain dump."""
    dumped = obj.model_dump(mode="json")
    if unmask:
        return dumped
    return _mask_into(obj, dumped)
