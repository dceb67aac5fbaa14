"""Synthetic applications: realistic Neijiang (and nearby) households as facts dicts,
deterministic by seed.  Used by the benchmarks and the tests; never by screening itself."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .facts.ids import make_id_number

REGIONS = ["511002", "511011", "511024", "511025", "511083", "511421", "510104"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
_GIVEN = "建国秀英志强桂兰文华玉梅德明春花小军丽娟永福淑珍家豪雨欣"
_ITEMS = ["SC-MZ-001", "SC-MZ-002", "SC-CL-001", "SC-CL-002", "SC-MZ-005", "SC-NY-001"]


def _name(r: random.Random) -> str:
    return r.choice(_SURNAMES) + r.choice(_GIVEN) + (r.choice(_GIVEN) if r.random() < 0.6 else "")


def _maybe(r: random.Random, p_unknown: float, value: Any) -> Any:
    return None if r.random() < p_unknown else value


def _person(
    r: random.Random, region: str, relation: str, birth: date, seq: int, p_unknown: float
) -> dict[str, Any]:
    gender = r.choice("男女")
    income = Decimal(r.choice([0, 0, 0, 300, 600, 900, 1500, 2500, 4000]))
    disability: dict[str, Any] | None = {"certified": False}
    if r.random() < 0.08:
        disability = {
            "certified": True,
            "category": r.choice(["视力", "肢体", "智力", "精神"]),
            "grade": r.randint(1, 4),
        }
    return {
        "id_number": make_id_number(region, birth, seq, gender),
        "name": _name(r),
        "gender": gender,
        "birth_date": birth.isoformat(),
        "relation": relation,
        "hukou_region": _maybe(r, p_unknown, region),
        "hukou_type": _maybe(r, p_unknown, r.choice(["农村", "农村", "城镇"])),
        "alive": _maybe(r, p_unknown, True),
        "in_custody": _maybe(r, p_unknown, r.random() < 0.01),
        "public_servant": _maybe(r, p_unknown, r.random() < 0.03),
        "monthly_income": _maybe(r, p_unknown, str(income)),
        "pension_monthly": _maybe(r, p_unknown, str(Decimal(r.choice([0, 0, 150, 1200])))),
        "disability": _maybe(r, p_unknown, disability),
        "poverty_registered": _maybe(r, p_unknown, r.random() < 0.05),
    }


def application(r: random.Random, n: int, p_unknown: float = 0.03) -> dict[str, Any]:
    """One application; `p_unknown` is the chance that an optional fact is missing."""
    region = r.choice(REGIONS)
    filed = date(2024, 1, 1) + timedelta(days=r.randint(0, 330))
    age = r.choice([r.randint(18, 59), r.randint(60, 104)])
    birth = date(filed.year - age, r.randint(1, 12), r.randint(1, 28))
    applicant = _person(r, region, "本人", birth, n % 500, p_unknown)
    members = [applicant]
    for k in range(r.choice([0, 1, 1, 2, 2, 3, 4])):
        rel = r.choice(["配偶", "子女", "子女", "父母"])
        b = date(filed.year - r.randint(1, 85), r.randint(1, 12), r.randint(1, 28))
        members.append(_person(r, region, rel, b, (n + k + 1) % 500, p_unknown))
    props = [
        {
            "kind": r.choice(["住房", "住房", "宅基地房", "商铺"]),
            "area": str(r.randint(40, 160)),
            "region": region,
        }
        for _ in range(r.choice([0, 1, 1, 1, 2]))
    ]
    vehicles = [
        {
            "kind": r.choice(["小型汽车", "摩托车", "农用车", "货车"]),
            "value": str(r.randint(3, 200) * 1000),
            "commercial": False,
        }
        for _ in range(r.choice([0, 0, 0, 1]))
    ]
    total = sum((Decimal(m["monthly_income"] or 0) for m in members), Decimal(0))
    benefits = []
    if r.random() < 0.15:
        benefits.append(
            {
                "item": r.choice(_ITEMS),
                "since": "2022-01-01",
                "until": None,
                "monthly_amount": "300",
                "card_no": None,
            }
        )
    return {
        "application": {
            "id": f"APP-{n:08d}",
            "date": filed.isoformat(),
            "region": region,
            "item": r.choice(_ITEMS),
        },
        "applicant": applicant,
        "household": {
            "members": members,
            "monthly_income": _maybe(r, p_unknown, str(total)),
            "properties": _maybe(r, p_unknown, props),
            "vehicles": _maybe(r, p_unknown, vehicles),
            "businesses": _maybe(r, p_unknown, []),
            "deposits": _maybe(r, p_unknown, str(r.randint(0, 300) * 500)),
            "farmland_mu": _maybe(r, p_unknown, str(Decimal(r.randint(0, 80)) / 10)),
        },
        "records": {"benefits": benefits, "applications": []},
    }


def population(size: int, seed: int = 0, p_unknown: float = 0.03) -> Iterator[dict[str, Any]]:
    """`size` applications, the same for the same seed."""
    r = random.Random(seed)
    for n in range(size):
        yield application(r, n, p_unknown)
