"""``screen_duckdb``: the first DuckDB batch API, kept for its callers.  It screens one item
and returns a list; :func:`yktrules.batch.screen_batch` (streaming, any item selection, any
source) is what it runs on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .runner import screen_batch

if TYPE_CHECKING:
    from ..screening.policyset import PolicySet


def screen_duckdb(
    policy_set: PolicySet,
    source: str | Path | Iterable[Any],
    item: str,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """Screen every facts document of `source` (a JSON Lines path, or an iterable of dicts,
    JSON texts or model instances) for `item` on DuckDB.  One dict per input row, in
    order: ``row`` (from 0), ``policy``, ``version``, ``outcome``, ``reasons`` and
    ``unknown`` (rule names), ``amount`` (Decimal or None) and ``error`` (None, or why the
    row could not be screened: invalid facts, no policy in force…)."""
    out: list[dict[str, Any]] = []
    for i, row in enumerate(screen_batch(policy_set, source, item=item, as_of=as_of)):
        if "error" in row:
            why = "; ".join(
                f"{e['path']}: {e['message']}" if e["path"] else e["message"]
                for e in row["error"]["errors"]
            )
            out.append(
                {
                    "row": i,
                    "policy": None,
                    "version": None,
                    "outcome": None,
                    "reasons": [],
                    "unknown": [],
                    "amount": None,
                    "error": why,
                }
            )
            continue
        d = row["decisions"][0]
        out.append(
            {
                "row": i,
                "policy": d["policy"],
                "version": d["version"],
                "outcome": d["outcome"],
                "reasons": [r["rule"] for r in d["reasons"]],
                "unknown": [u["rule"] for u in d["unknown"]],
                "amount": None if d["amount"] is None else Decimal(d["amount"]),
                "error": None,
            }
        )
    return out
