"""Screening many applications: one result row per input row, in order, always.

A row is `{"line", "application", "decisions": [...]}` or, when the row cannot be screened,
`{"line", "application", "error": {"type", "errors": [{"path", "message"}]}}` with type
`empty`, `encoding` (a line that is not UTF-8), `facts` (validation), `no_policy` or
`internal` (a bug: reported, never raised).  Lines may be text or bytes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from .errors import FactsError, NoPolicyError
from .policyset import PolicySet


def _error(n: int, app: Any, kind: str, errors: list[dict[str, str]]) -> dict[str, Any]:
    return {"line": n, "application": app, "error": {"type": kind, "errors": errors}}


def screen_rows(
    ps: PolicySet,
    lines: Iterable[str | bytes],
    *,
    item: str | None = None,
    as_of: date | None = None,
    all_items: bool = False,
) -> Iterator[dict[str, Any]]:
    """Screen JSON Lines.  Each row is screened for `item` if given, else for the row's
    `application.item` if set, else for every item in force (`all_items` forces that)."""
    for n, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as e:
                msg = f"第 {n} 行不是 UTF-8 编码 / not UTF-8 ({e.reason} at byte {e.start})"
                yield _error(n, None, "encoding", [{"path": "", "message": msg}])
                continue
        else:
            line = raw
        if not line.strip():
            yield _error(n, None, "empty", [{"path": "", "message": "空行 / empty line"}])
            continue
        try:
            doc = ps.parse_facts(line)
        except FactsError as e:
            yield _error(n, peek_id(line), "facts", e.errors)
            continue
        app_id = doc.application.id  # type: ignore[attr-defined]
        wanted = None if all_items else item or doc.application.item  # type: ignore[attr-defined]
        try:
            decisions = [ps.screen(doc, wanted, as_of)] if wanted else ps.screen_all(doc, as_of)
        except NoPolicyError as e:
            yield _error(n, app_id, "no_policy", [{"path": "", "message": str(e)}])
            continue
        except Exception as e:  # a bug must not lose the row, nor stop the batch
            msg = f"内部错误 / internal error: {type(e).__name__}: {e}"
            yield _error(n, app_id, "internal", [{"path": "", "message": msg}])
            continue
        yield {"line": n, "application": app_id, "decisions": [d.to_dict() for d in decisions]}


def peek_id(line: str) -> Any:
    """The application id of a row that failed validation, if it can be read at all."""
    try:
        v = json.loads(line)
        return v.get("application", {}).get("id")
    except (ValueError, AttributeError):
        return None
