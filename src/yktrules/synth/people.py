"""The people of a synthetic household: relations and ages that fit, names, schooling,
employment and income, disability, family planning and veteran status, each person's ID
number; and the seeded helpers every synthetic generator draws with.  Deterministic by the
``random.Random`` passed in."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from ..facts.ids import make_id_number

T = TypeVar("T")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林曾邓谢唐冯钟彭蒋廖"
_GIVEN_M = "建国志强德明军永福家豪伟勇俊杰宇浩文华平刚海波涛林"
_GIVEN_F = "秀英桂兰玉梅春花丽娟淑珍雨欣芳敏静婷霞琴燕红萍"

_EMPLOYMENT_INCOME = {  # monthly income range (yuan, step 50) by employment
    "就业": (1800, 7500),
    "灵活就业": (800, 3600),
    "务农": (150, 1200),
    "失业登记": (0, 300),
    "无": (0, 0),
}


def pick(r: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    x = r.random() * sum(w for _, w in weighted)
    for value, w in weighted:
        x -= w
        if x < 0:
            return value
    return weighted[-1][0]


def money(r: random.Random, lo: int, hi: int, step: int = 1) -> str:
    return str(r.randrange(lo, hi + 1, step) if hi > lo else lo)


def mu(r: random.Random, lo: float, hi: float) -> str:
    return str(Decimal(r.randint(round(lo * 10), round(hi * 10))) / 10)


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def birth_date(r: random.Random, filed: date, age: int) -> date:
    """A birth date at which the person is exactly `age` on `filed`."""
    latest = _years_before(filed, age)
    earliest = _years_before(filed, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=r.randint(0, (latest - earliest).days))


class Facts:
    """Sets optional facts, each absent with probability `p_unknown`.  One draw per fact
    whatever `p_unknown` is, so the households do not depend on it."""

    def __init__(self, r: random.Random, p_unknown: float) -> None:
        self.r = r
        self.p = p_unknown

    def put(self, d: dict[str, Any], key: str, value: Any) -> None:
        if self.r.random() >= self.p and value is not None:
            d[key] = value


# --- the household's people -----------------------------------------------------------


def applicant_age(r: random.Random) -> int:
    band = pick(r, (((3, 17), 4), ((18, 35), 17), ((36, 59), 38), ((60, 79), 27), ((80, 100), 14)))
    return r.randint(*band)


def relations(r: random.Random, size: int, age: int) -> list[tuple[str, int]]:
    """(relation, age) of the members besides the applicant."""
    out: list[tuple[str, int]] = []
    if age < 18:  # a child applying (孤儿, 困境儿童 …): living with grandparents and siblings
        while len(out) < size - 1:
            if len(out) < 2 and r.random() < 0.8:
                out.append(("祖父母", min(100, age + r.randint(45, 70))))
            else:
                out.append(("兄弟姐妹", max(0, age + r.randint(-6, 6))))
        return out
    if size > 1 and age >= 20 and r.random() < 0.85:
        out.append(("配偶", max(20, min(100, age + r.randint(-5, 5)))))
    parents = 0
    while len(out) < size - 1:
        if age < 60 and parents < 2 and (age < 25 or r.random() < 0.3):
            parent_age = age + r.randint(22, 34)
            if parent_age <= 100:
                out.append(("父母", parent_age))
                parents += 1
                continue
        if age >= 45 and r.random() < 0.4:
            out.append(("孙子女", r.randint(0, min(17, age - 42))))
        elif age >= 20:
            out.append(("子女", max(0, age - r.randint(22, 36))))
        else:
            out.append(("兄弟姐妹", max(0, age + r.randint(-6, 6))))
    return out


def person_name(r: random.Random, gender: str, surname: str | None = None) -> str:
    given = _GIVEN_M if gender == "男" else _GIVEN_F
    first = surname or r.choice(SURNAMES)
    return first + r.choice(given) + (r.choice(given) if r.random() < 0.7 else "")


def _employment(r: random.Random, age: int, rural: bool, poor: bool) -> str:
    if age < 16:
        return "无"
    if age >= 60:
        return pick(r, (("务农", 45 if rural else 2), ("灵活就业", 4), ("无", 50)))
    return pick(
        r,
        (
            ("就业", 12 if poor else 38),
            ("灵活就业", 18),
            ("务农", (35 if poor else 25) if rural else 1),
            ("失业登记", 14 if poor else 5),
            ("无", 21 if poor else 7),
        ),
    )


def _schooling(r: random.Random, age: int) -> str:
    if age < 3:
        return "未在学"
    if age < 6:
        return pick(r, (("学前", 90), ("未在学", 10)))
    if age < 12:
        return "小学"
    if age < 15:
        return "初中"
    if age < 18:
        return pick(r, (("普通高中", 58), ("中职", 32), ("未在学", 10)))
    if age < 23:
        return pick(r, (("高校", 48), ("中职", 4), ("未在学", 48)))
    return "未在学"


def _graduation(r: random.Random, filed: date, age: int, schooling: str) -> date | None:
    if schooling == "高校":
        if r.random() < 0.3:  # final year: the expected graduation, as NJ-RS-008 reads it
            year = filed.year if filed.month < 7 else filed.year + 1
        else:  # the latest graduation so far: from high school
            year = filed.year - r.randint(0, min(3, max(0, age - 18)))
            year = min(year, filed.year - 1) if filed.month < 7 else year
        return date(year, 6, r.randint(20, 30))
    if schooling == "未在学" and 18 <= age <= 30 and r.random() < 0.6:
        back = r.randint(0, min(8, age - 18))
        year = filed.year - back if filed.month > 7 else filed.year - max(back, 1)
        return date(year, 6, r.randint(20, 30))
    return None


def _disability(r: random.Random, age: int) -> dict[str, Any]:
    p = 0.03 if age < 18 else 0.05 if age < 60 else 0.095
    if r.random() >= p:
        return {"certified": False}
    category = pick(
        r,
        (("肢体", 45), ("视力", 10), ("听力", 10), ("言语", 2), ("智力", 10), ("精神", 13)),
    )
    if r.random() < 0.1:
        category = "多重"
    return {
        "certified": True,
        "category": category,
        "grade": pick(r, ((1, 15), (2, 25), (3, 30), (4, 30))),
    }


def _family_planning(r: random.Random, age: int, relation: str, rural: bool) -> str:
    if relation not in ("本人", "配偶") or age < 30:
        return "无"
    return pick(
        r,
        (
            ("独生子女父母", 14),
            ("农村二女户", 4 if rural and age >= 45 else 0),
            ("独生子女伤残", 1.5 if age >= 45 else 0),
            ("独生子女死亡", 1.5 if age >= 45 else 0),
            ("无", 79),
        ),
    )


def _veteran(r: random.Random, age: int, gender: str, rural: bool) -> str:
    if age < 35 or r.random() >= (0.05 if gender == "男" else 0.006):
        return "无"
    return pick(
        r,
        (
            ("农村籍退役士兵", 40 if rural and age >= 60 else 5),
            ("在乡复员军人", 8 if age >= 75 else 0),
            ("伤残军人", 12),
            ("带病回乡退伍军人", 8),
            ("参战参试退役人员", 8 if age >= 55 else 0),
            ("烈士遗属", 3),
            ("因公牺牲军人遗属", 2),
            ("病故军人遗属", 4),
        ),
    )


def make_person(
    f: Facts,
    filed: date,
    hh: dict[str, Any],
    relation: str,
    age: int,
    gender: str,
    surname: str | None,
    seq: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The person's facts dict and what the generator knows about them (always complete)."""
    r = f.r
    rural: bool = hh["rural"]
    birth = birth_date(r, filed, age)
    hukou = hh["hukou"]
    schooling = _schooling(r, age)
    employment = "无" if schooling != "未在学" else _employment(r, age, rural, hh["poor"])
    lo, hi = _EMPLOYMENT_INCOME[employment]
    income = int(money(r, lo, hi, 50)) if hi else 0
    if hh["poor"]:
        income //= 2
    pension = 0
    if age >= 60:
        if not rural and r.random() < 0.55:
            pension = int(money(r, 1800, 4500, 10))
        elif r.random() < 0.9:
            pension = int(money(r, 120, 320, 5))
    public_servant = employment == "就业" and not hh["poor"] and r.random() < 0.08
    disability = _disability(r, age)
    alive = not (relation == "本人" and hh["deceased"]) and r.random() >= 0.002
    p: dict[str, Any] = {
        "id_number": make_id_number(hukou, birth, seq, gender),
        "name": person_name(r, gender, surname),
        "gender": gender,
        "birth_date": birth.isoformat(),
        "relation": relation,
    }
    f.put(p, "hukou_region", hukou)
    f.put(p, "hukou_type", "农村" if rural else "城镇")
    f.put(p, "alive", alive)
    f.put(p, "in_custody", age >= 16 and r.random() < 0.004)
    f.put(p, "public_servant", public_servant)
    f.put(p, "monthly_income", str(income))
    f.put(p, "pension_monthly", str(pension))
    shown = dict(disability)
    if disability["certified"]:
        for key in ("category", "grade"):
            if r.random() < f.p:
                del shown[key]
    f.put(p, "disability", shown)
    f.put(p, "poverty_registered", hh["poverty_registered"])
    card = "6217" + "".join(str(r.randint(0, 9)) for _ in range(15))
    f.put(p, "card_no", card if age >= 16 and r.random() < 0.92 else None)
    f.put(p, "employment", employment)
    f.put(p, "schooling", schooling)
    f.put(p, "graduation_date", _iso(_graduation(r, filed, age, schooling)))
    guardianship = None
    if age < 18:
        odds = (94, 1.5, 2.5, 2) if hh["adult_applicant"] else (50, 20, 25, 5)
        kinds = ("父母健在", "父母双亡", "事实无人抚养", "其他")
        guardianship = pick(r, tuple(zip(kinds, odds, strict=True)))
    f.put(p, "guardianship", guardianship)
    f.put(p, "family_planning", _family_planning(r, age, relation, rural))
    veteran = _veteran(r, age, gender, rural)
    f.put(p, "veteran", veteran)
    f.put(p, "pension_insured", age >= 16 and schooling == "未在学" and r.random() < 0.88)
    known = {
        "age": age,
        "income": income + pension,
        "disability": disability if disability["certified"] else None,
        "veteran": veteran,
        "guardianship": guardianship,
        "card": card,
    }
    return p, known


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()
