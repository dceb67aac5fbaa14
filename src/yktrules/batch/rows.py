"""Screening many applications: one result row per input row, in order, always.

A row is `{"line", "application", "decisions": [...]}` or, when the row cannot be screened,
`{"line", "application", "error": {"type", "errors": [{"path", "message"}]}}` with type
`empty`, `encoding` (a line that is not UTF-8), `facts` (validation), `no_policy` or
`internal` (a bug: reported, never raised).  Lines may be text or bytes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from ..errors import FactsError, NoPolicyError
from ..screening.decision import Decision
from ..screening.policyset import PolicySet

#: Called with a row's validated facts and its decisions as they are made (`screen_one`).
DecisionHook = Callable[[Any, list[Decision]], None]


class HookError(Exception):
    """The `on_decisions` hook failed: the batch stops (a row is not an error row)."""


def error_row(n: int, app: Any, kind: str, errors: list[dict[str, str]]) -> dict[str, Any]:
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
        yield screen_one(ps, n, raw, item=item, as_of=as_of, all_items=all_items)


def screen_one(
    ps: PolicySet,
    n: int,
    raw: Any,
    *,
    item: str | None = None,
    as_of: date | None = None,
    all_items: bool = False,
    on_decisions: DecisionHook | None = None,
) -> dict[str, Any]:
    """The result row of input row `n`: a line (text or bytes), a dict or a facts model.
    `on_decisions` is called with the facts and the decisions before the row is returned;
    its failure raises :class:`HookError`."""
    if isinstance(raw, str | bytes):
        line = line_text(n, raw)
        if not isinstance(line, str):
            return line
        raw = line
    try:
        doc = ps.parse_facts(raw)
    except FactsError as e:
        return error_row(n, peek_id(raw), "facts", e.errors)
    app_id = doc.application.id
    wanted = None if all_items else item or doc.application.item
    try:
        decisions = [ps.screen(doc, wanted, as_of)] if wanted else ps.screen_all(doc, as_of)
    except NoPolicyError as e:
        return error_row(n, app_id, "no_policy", [{"path": "", "message": str(e)}])
    except Exception as e:  # a bug must not lose the row, nor stop the batch
        return error_row(n, app_id, "internal", [{"path": "", "message": internal_message(e)}])
    if on_decisions is not None:
        try:
            on_decisions(doc, decisions)
        except Exception as e:
            raise HookError(str(e)) from e
    return {"line": n, "application": app_id, "decisions": [d.to_dict() for d in decisions]}


def line_text(n: int, raw: str | bytes) -> str | dict[str, Any]:
    """Line `n` (1-based) as text, or the error row when it is not UTF-8 or is blank.  The
    first line may start with a byte order mark."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError as e:
            msg = f"第 {n} 行不是 UTF-8 编码 / not UTF-8 ({e.reason} at byte {e.start})"
            return error_row(n, None, "encoding", [{"path": "", "message": msg}])
    if not raw.strip():
        return error_row(n, None, "empty", [{"path": "", "message": "空行 / empty line"}])
    return raw


def internal_message(e: BaseException) -> str:
    """The message of an `internal` error row for an unexpected exception."""
    return f"内部错误 / internal error: {type(e).__name__}: {e}"


def peek_id(raw: Any) -> Any:
    """The application id of a row that failed validation (a JSON text or a dict), if it
    can be read at all."""
    try:
        v = json.loads(raw) if isinstance(raw, str | bytes) else raw
        return v.get("application", {}).get("id")
    except (ValueError, AttributeError, TypeError, RecursionError):
        return None
