"""One citizen's facts document for the privacy, masking and decision-log tests: an ID
number, a card number and a name that no default output may show in full."""

from __future__ import annotations

from datetime import date
from typing import Any

from yktrules.facts import make_id_number

ID = make_id_number("511025", date(1950, 1, 2), 3, "女")  # 511025195001020064
CARD = "6217000012345678901"


def person(**changes: Any) -> dict[str, Any]:
    """李秀英 (ID, CARD), with `changes`."""
    return {
        "id_number": ID,
        "name": "李秀英",
        "gender": "女",
        "birth_date": "1950-01-02",
        "relation": "本人",
        "hukou_region": "511025",
        "card_no": CARD,
        **changes,
    }


def facts(
    app_id: str = "A1",
    *,
    me: dict[str, Any] | None = None,
    members: list[dict[str, Any]] | None = None,
    **application: Any,
) -> dict[str, Any]:
    """An application `app_id` of `me` (default :func:`person`), whose household is
    `members` (default just `me`); `application` adds keys to the application."""
    me = me or person()
    return {
        "application": {"id": app_id, "date": "2024-05-01", "region": "511025", **application},
        "applicant": me,
        "household": {"members": members or [me]},
    }
