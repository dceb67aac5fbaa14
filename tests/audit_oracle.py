"""An independent detector for the eight standard audits, in plain Python over dicts and
sets.  It knows nothing of the policy language or its evaluators: it implements the table
in docs/audits.md directly, so that the synthetic roster's expected findings and the audit
engines can both be checked against it.

A finding is ``(audit code, frozenset of payment ids)``.  ``deaths``/``agents`` of None
mean the registry was not supplied: AUD-04/AUD-02 then flag nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

Found = set[tuple[str, frozenset[str]]]
StandardFn = Callable[[str, str, date], Decimal | None]

EXCLUSIVE_SETS = (
    {"SC-MZ-001", "SC-MZ-002"},
    {"SC-MZ-020", "SC-MZ-021", "NJ-MZ-032"},
    {"SC-CL-001", "SC-MZ-010"},
)


def _day(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def _pid(v: Any) -> str:
    return str(v).upper()


def _groups(rows: Iterable[dict[str, Any]], *fields: str) -> dict[tuple[Any, ...], list[dict]]:
    out: dict[tuple[Any, ...], list[dict]] = defaultdict(list)
    for r in rows:
        out[tuple(r[f] for f in fields)].append(r)
    return out


def _ids(rows: Iterable[dict[str, Any]]) -> frozenset[str]:
    return frozenset(r["id"] for r in rows)


def detect(
    payments: list[dict[str, Any]],
    deaths: list[dict[str, Any]] | None,
    agents: list[dict[str, Any]] | None,
    standard: StandardFn,
) -> Found:
    """Every finding of AUD-01 … AUD-08 on ``payments``."""
    rows = [
        dict(
            r,
            period=_day(r["period"]),
            beneficiary_id=_pid(r["beneficiary_id"]),
            card_holder_id=_pid(r["card_holder_id"]),
            amount=Decimal(str(r["amount"])),
        )
        for r in payments
    ]
    found: Found = set()

    # AUD-01 一卡多人
    for group in _groups(rows, "card_no", "period").values():
        if len({r["beneficiary_id"] for r in group}) >= 2:
            found.add(("AUD-01", _ids(group)))

    # AUD-02 人卡分离
    if agents is not None:
        allowed = {(_pid(a["beneficiary_id"]), _pid(a["agent_id"])) for a in agents}
        for (ben, _card), group in _groups(rows, "beneficiary_id", "card_no").items():
            if any(
                r["card_holder_id"] != ben and (ben, r["card_holder_id"]) not in allowed
                for r in group
            ):
                found.add(("AUD-02", _ids(group)))

    # AUD-03 重复发放
    for group in _groups(rows, "beneficiary_id", "item", "period").values():
        if len(group) >= 2:
            found.add(("AUD-03", _ids(group)))

    # AUD-04 死亡后仍发放
    if deaths is not None:
        died: dict[str, list[date]] = defaultdict(list)
        for d in deaths:
            died[_pid(d["id_number"])].append(_day(d["death_date"]))
        for r in rows:
            if any(day < r["period"] for day in died.get(r["beneficiary_id"], [])):
                found.add(("AUD-04", frozenset([r["id"]])))

    # AUD-05 超标准发放
    for r in rows:
        std = standard(r["item"], r["region"], r["period"])
        if std is not None and r["amount"] > std:
            found.add(("AUD-05", frozenset([r["id"]])))

    # AUD-06 互斥项目同期发放
    for group in _groups(rows, "beneficiary_id", "period").values():
        items = {r["item"] for r in group}
        if any(len(items & s) >= 2 for s in EXCLUSIVE_SETS):
            found.add(("AUD-06", _ids(group)))

    # AUD-07 审核发放同一人
    for (_batch, approver, disburser), group in _groups(
        rows, "batch", "approved_by", "disbursed_by"
    ).items():
        if approver == disburser:
            found.add(("AUD-07", _ids(group)))

    # AUD-08 固定卡组轮换姓名领取
    cards_of: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        cards_of[r["beneficiary_id"]].add(r["card_no"])
    for group in _groups(rows, "card_no").values():
        people = {r["beneficiary_id"] for r in group}
        by_period: dict[date, set[str]] = defaultdict(set)
        for r in group:
            by_period[r["period"]].add(r["beneficiary_id"])
        if (
            len(people) >= 3
            and len(by_period) >= 3
            and all(len(p) == 1 for p in by_period.values())
            and all(len(cards_of[p]) >= 2 for p in people)
        ):
            found.add(("AUD-08", _ids(group)))

    return found
