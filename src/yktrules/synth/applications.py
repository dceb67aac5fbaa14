"""Synthetic applications: realistic Neijiang (and nearby) households as facts dicts,
deterministic by seed.  Used by the benchmarks, the tests and `yktrules synth`; never by
screening itself.

Usage::

    from yktrules.synth import population, write_jsonl
    for doc in population(1000, seed=7):          # facts dicts, the same for the same seed
        ...
    write_jsonl("population.jsonl", 1000, seed=7)  # one JSON document a line

    $ yktrules synth 1000 --seed 7 --out population.jsonl --unknown 0.05

What a household looks like:

- 1 to 6 members (本人, 配偶, 子女, 父母, 孙子女, 兄弟姐妹, 祖父母) with ages that fit
  their relation; one applicant in 25 is a child living with grandparents (孤儿, 困境儿童);
- filed in 2024; nine in ten in a Neijiang county (市中区 511002, 东兴区 511011,
  威远县 511024, 资中县 511025, 隆昌市 511083), the rest in 仁寿县 511421 or elsewhere in
  Sichuan; mostly rural hukou; incomes by employment; homes, vehicles, businesses;
- about 6% of people hold a 残疾人证 (grades and categories distributed); rural
  households have farmland, grain, forest and 退耕还林 areas;
- ``records.benefits`` uses the catalogue's item codes consistently (低保 SC-MZ-001 for
  some poor households, 高龄津贴 SC-MZ-005 for people of 80 and more, 重度残疾人护理补贴
  SC-CL-001 for grade 1-2 disability …); ``records.applications`` holds earlier ones;
- ID numbers encode each person's hukou region, birth date and gender and are unique
  within a household.

``p_unknown`` is the chance that each optional fact is absent (unknown).  The random stream
does not depend on it: the same seed gives the same households for every ``p_unknown``,
only with different facts left out.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from ..facts.ids import make_id_number

__all__ = ["NEIJIANG", "REGIONS", "application", "population", "write_jsonl"]

T = TypeVar("T")

#: Neijiang's districts and counties: 市中区, 东兴区, 威远县, 资中县, 隆昌市.
NEIJIANG = ("511002", "511011", "511024", "511025", "511083")
#: Where applications are filed, with weights: Neijiang, 仁寿县 (Meishan), other Sichuan.
_REGION_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("511002", 20),
    ("511011", 19),
    ("511024", 17),
    ("511025", 18),
    ("511083", 16),
    ("511421", 5),
    ("510104", 1),
    ("510722", 1),
    ("511502", 1),
    ("510681", 1),
    ("512021", 1),
)
REGIONS = tuple(code for code, _ in _REGION_WEIGHTS)
_URBAN_DISTRICTS = frozenset({"511002", "511011", "510104"})

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林曾邓谢唐冯钟彭蒋廖"
_GIVEN_M = "建国志强德明军永福家豪伟勇俊杰宇浩文华平刚海波涛林"
_GIVEN_F = "秀英桂兰玉梅春花丽娟淑珍雨欣芳敏静婷霞琴燕红萍"
_BIZ = ("便利店", "农家乐", "五金店", "养殖场", "餐馆", "理发店", "家庭农场", "运输部")

_EMPLOYMENT_INCOME = {  # monthly income range (yuan, step 50) by employment
    "就业": (1800, 7500),
    "灵活就业": (800, 3600),
    "务农": (150, 1200),
    "失业登记": (0, 300),
    "无": (0, 0),
}


def _pick(r: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    x = r.random() * sum(w for _, w in weighted)
    for value, w in weighted:
        x -= w
        if x < 0:
            return value
    return weighted[-1][0]


def _money(r: random.Random, lo: int, hi: int, step: int = 1) -> str:
    return str(r.randrange(lo, hi + 1, step) if hi > lo else lo)


def _mu(r: random.Random, lo: float, hi: float) -> str:
    return str(Decimal(r.randint(round(lo * 10), round(hi * 10))) / 10)


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _birth(r: random.Random, filed: date, age: int) -> date:
    """A birth date at which the person is exactly `age` on `filed`."""
    latest = _years_before(filed, age)
    earliest = _years_before(filed, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=r.randint(0, (latest - earliest).days))


class _Facts:
    """Sets optional facts, each absent with probability `p_unknown`.  One draw per fact
    whatever `p_unknown` is, so the households do not depend on it."""

    def __init__(self, r: random.Random, p_unknown: float) -> None:
        self.r = r
        self.p = p_unknown

    def put(self, d: dict[str, Any], key: str, value: Any) -> None:
        if self.r.random() >= self.p and value is not None:
            d[key] = value


# --- the household's people -----------------------------------------------------------


def _applicant_age(r: random.Random) -> int:
    band = _pick(r, (((3, 17), 4), ((18, 35), 17), ((36, 59), 38), ((60, 79), 27), ((80, 100), 14)))
    return r.randint(*band)


def _relations(r: random.Random, size: int, age: int) -> list[tuple[str, int]]:
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


def _name(r: random.Random, gender: str, surname: str | None = None) -> str:
    given = _GIVEN_M if gender == "男" else _GIVEN_F
    first = surname or r.choice(_SURNAMES)
    return first + r.choice(given) + (r.choice(given) if r.random() < 0.7 else "")


def _employment(r: random.Random, age: int, rural: bool, poor: bool) -> str:
    if age < 16:
        return "无"
    if age >= 60:
        return _pick(r, (("务农", 45 if rural else 2), ("灵活就业", 4), ("无", 50)))
    return _pick(
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
        return _pick(r, (("学前", 90), ("未在学", 10)))
    if age < 12:
        return "小学"
    if age < 15:
        return "初中"
    if age < 18:
        return _pick(r, (("普通高中", 58), ("中职", 32), ("未在学", 10)))
    if age < 23:
        return _pick(r, (("高校", 48), ("中职", 4), ("未在学", 48)))
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
    category = _pick(
        r,
        (("肢体", 45), ("视力", 10), ("听力", 10), ("言语", 2), ("智力", 10), ("精神", 13)),
    )
    if r.random() < 0.1:
        category = "多重"
    return {
        "certified": True,
        "category": category,
        "grade": _pick(r, ((1, 15), (2, 25), (3, 30), (4, 30))),
    }


def _family_planning(r: random.Random, age: int, relation: str, rural: bool) -> str:
    if relation not in ("本人", "配偶") or age < 30:
        return "无"
    return _pick(
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
    return _pick(
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


def _person(
    f: _Facts,
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
    birth = _birth(r, filed, age)
    hukou = hh["hukou"]
    schooling = _schooling(r, age)
    employment = "无" if schooling != "未在学" else _employment(r, age, rural, hh["poor"])
    lo, hi = _EMPLOYMENT_INCOME[employment]
    income = int(_money(r, lo, hi, 50)) if hi else 0
    if hh["poor"]:
        income //= 2
    pension = 0
    if age >= 60:
        if not rural and r.random() < 0.55:
            pension = int(_money(r, 1800, 4500, 10))
        elif r.random() < 0.9:
            pension = int(_money(r, 120, 320, 5))
    public_servant = employment == "就业" and not hh["poor"] and r.random() < 0.08
    disability = _disability(r, age)
    alive = not (relation == "本人" and hh["deceased"]) and r.random() >= 0.002
    p: dict[str, Any] = {
        "id_number": make_id_number(hukou, birth, seq, gender),
        "name": _name(r, gender, surname),
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
        guardianship = _pick(r, tuple(zip(kinds, odds, strict=True)))
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


# --- the household's assets -----------------------------------------------------------


def _properties(f: _Facts, hh: dict[str, Any]) -> list[dict[str, Any]]:
    r = f.r
    kinds: list[str] = []
    if hh["rural"]:
        if r.random() < 0.92:
            kinds.append("宅基地房")
        if r.random() < (0.05 if hh["poor"] else 0.25):
            kinds.append("住房")
    else:
        if r.random() < (0.6 if hh["poor"] else 0.88):
            kinds.append("住房")
        if not hh["poor"] and r.random() < 0.15:
            kinds.append("住房")
    if not hh["poor"]:
        kinds += [k for k, p in (("商铺", 0.04), ("车库", 0.06), ("其他", 0.01)) if r.random() < p]
    area = {"宅基地房": (80, 260), "住房": (45, 160), "商铺": (20, 150), "车库": (12, 30)}
    out: list[dict[str, Any]] = []
    for kind in kinds:
        prop: dict[str, Any] = {"kind": kind}
        f.put(prop, "area", _money(r, *area.get(kind, (10, 100))))
        f.put(prop, "region", hh["region"] if r.random() < 0.9 else r.choice(NEIJIANG))
        out.append(prop)
    return out


def _vehicles(f: _Facts, hh: dict[str, Any], disabled: bool) -> list[dict[str, Any]]:
    r = f.r
    rural, poor = hh["rural"], hh["poor"]
    odds = (
        ("小型汽车", 0.03 if poor else 0.4, (30_000, 250_000)),
        ("摩托车", 0.2 if poor else (0.35 if rural else 0.1), (2_000, 12_000)),
        ("农用车", 0.04 if poor else (0.12 if rural else 0.0), (5_000, 60_000)),
        ("货车", 0.0 if poor else 0.04, (40_000, 300_000)),
        ("残疾人代步车", 0.25 if disabled else 0.0, (3_000, 15_000)),
    )
    out: list[dict[str, Any]] = []
    for kind, p, (lo, hi) in odds:
        if r.random() < p:
            v: dict[str, Any] = {"kind": kind}
            f.put(v, "value", _money(r, lo, hi, 500))
            f.put(v, "commercial", r.random() < (0.5 if kind == "货车" else 0.02))
            out.append(v)
    return out


def _businesses(f: _Facts, hh: dict[str, Any], filed: date) -> list[dict[str, Any]]:
    r = f.r
    out: list[dict[str, Any]] = []
    if hh["poor"] and r.random() >= 0.02:
        return out
    for role, p in (("个体工商户", 0.09), ("法定代表人", 0.025), ("股东", 0.02)):
        if r.random() < p:
            b: dict[str, Any] = {"role": role}
            f.put(b, "name", r.choice(_SURNAMES) + "记" + r.choice(_BIZ))
            f.put(b, "registered_on", (filed - timedelta(days=r.randint(30, 4000))).isoformat())
            f.put(b, "employees", r.choice([0, 0, 1, 2, 3, 5, 8, 12]))
            out.append(b)
    return out


# --- records ----------------------------------------------------------------------------


def _benefit(
    f: _Facts, filed: date, item: str, amount: int | None, card: str, ended: bool = False
) -> dict[str, Any]:
    r = f.r
    since = filed - timedelta(days=r.randint(60, 2000))
    b: dict[str, Any] = {"item": item, "since": since.isoformat()}
    if ended:  # stopped a while before this application
        b["until"] = (filed - timedelta(days=r.randint(1, 400))).isoformat()
    if amount is not None:
        f.put(b, "monthly_amount", str(amount))
    f.put(b, "card_no", card)
    return b


def _records(
    f: _Facts, filed: date, hh: dict[str, Any], people: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    r = f.r
    card = people[0]["card"]
    benefits: list[dict[str, Any]] = []
    size = len(people)
    per_capita = sum(p["income"] for p in people) / size
    line = 560 if hh["rural"] else 740
    if hh["poor"] and per_capita < line * 1.1:
        alone_elder = size == 1 and people[0]["age"] >= 60 and people[0]["income"] < 400
        if alone_elder and r.random() < 0.35:
            benefits.append(_benefit(f, filed, "SC-MZ-002", 1100, card))
        elif r.random() < 0.6:
            gap = max(50, round((line - per_capita) * size / 10) * 10)
            benefits.append(_benefit(f, filed, "SC-MZ-001", gap, card))
    for p in people:
        age, dis = p["age"], p["disability"]
        if age >= 80 and r.random() < 0.85:
            benefits.append(_benefit(f, filed, "SC-MZ-005", 50 if age < 90 else 100, p["card"]))
        if dis is not None and dis.get("grade", 4) <= 2 and r.random() < 0.6:
            benefits.append(_benefit(f, filed, "SC-CL-001", 80, p["card"]))
        if dis is not None and hh["poor"] and r.random() < 0.6:
            benefits.append(_benefit(f, filed, "SC-CL-002", 80, p["card"]))
        if p["veteran"] == "农村籍退役士兵" and age >= 60 and r.random() < 0.7:
            benefits.append(_benefit(f, filed, "SC-TY-002", 200, p["card"]))
        elif p["veteran"] not in ("无", "农村籍退役士兵") and r.random() < 0.7:
            benefits.append(_benefit(f, filed, "SC-TY-001", 800, p["card"]))
        if p["guardianship"] == "父母双亡" and r.random() < 0.7:
            benefits.append(_benefit(f, filed, "SC-MZ-020", 1300, card))
        elif p["guardianship"] == "事实无人抚养" and r.random() < 0.5:
            benefits.append(_benefit(f, filed, "SC-MZ-021", 1300, card))
    if hh["rural"] and r.random() < 0.3:
        benefits.append(_benefit(f, filed, "SC-NY-001", None, card))
    if hh["rural"] and r.random() < 0.02:
        benefits.append(_benefit(f, filed, "NJ-RS-001", 1000, card))
    if hh["disaster"] != "无" and r.random() < 0.3:
        benefits.append(_benefit(f, filed, "SC-YJ-001", None, card))
    if r.random() < 0.06:  # something that has already ended
        item = r.choice(["SC-MZ-001", "SC-MZ-003", "NJ-RS-002", "SC-CL-002"])
        benefits.append(_benefit(f, filed, item, 300, card, ended=True))

    applications: list[dict[str, Any]] = []
    for b in benefits:
        if r.random() < 0.3:
            applications.append({"item": b["item"], "date": b["since"], "status": "已批准"})
    if r.random() < 0.15:
        applications.append(
            {
                "item": r.choice(_ITEMS),
                "date": (filed - timedelta(days=r.randint(20, 900))).isoformat(),
                "status": _pick(r, (("已驳回", 60), ("已批准", 25), ("审核中", 15))),
            }
        )
    return benefits, applications


_ITEMS = (
    "SC-MZ-001", "SC-MZ-002", "SC-MZ-003", "SC-MZ-005", "SC-CL-001", "SC-CL-002", "SC-NY-001",
    "SC-NY-002", "SC-ZJ-001", "SC-YJ-001", "SC-JY-001", "NJ-RS-005", "NJ-YB-001", "NJ-MZ-034",
)  # fmt: skip


def _item(r: random.Random, hh: dict[str, Any], people: list[dict[str, Any]]) -> str:
    """The item the household applies for: mostly one its circumstances suggest."""
    a = people[0]
    fits = []
    if a["age"] >= 80:
        fits.append("SC-MZ-005")
    if hh["poor"]:
        fits += ["SC-MZ-001", "SC-MZ-003"]
    if a["disability"] is not None:
        fits += ["SC-CL-001", "SC-CL-002"]
    if hh["rural"]:
        fits += ["SC-NY-001", "SC-NY-002"]
    if hh["deceased"]:
        fits = ["NJ-MZ-031"]
    return r.choice(fits) if fits and r.random() < 0.7 else r.choice(_ITEMS)


# --- one application --------------------------------------------------------------------


def application(r: random.Random, n: int, p_unknown: float = 0.03) -> dict[str, Any]:
    """Application number `n`, drawn from `r`; `p_unknown` is the chance that each optional
    fact is absent."""
    f = _Facts(r, p_unknown)
    filed = date(2024, 1, 1) + timedelta(days=r.randint(0, 330))
    region = _pick(r, _REGION_WEIGHTS)
    hukou = region if r.random() < 0.94 else r.choice(NEIJIANG)
    rural = r.random() < (0.45 if region in _URBAN_DISTRICTS else 0.78)
    poor = r.random() < (0.2 if rural else 0.12)
    hh: dict[str, Any] = {
        "region": region,
        "hukou": hukou,
        "rural": rural,
        "poor": poor,
        "poverty_registered": rural and (r.random() < (0.35 if poor else 0.02)),
        "deceased": r.random() < 0.01,
        "disaster": _pick(
            r,
            (
                ("无", 92),
                ("房屋一般损坏", 3),
                ("房屋严重损坏", 1.5),
                ("房屋倒塌", 0.5),
                ("因灾生活困难", 3),
            ),
        ),
    }
    age = _applicant_age(r)
    hh["adult_applicant"] = age >= 18
    size = _pick(r, ((1, 14), (2, 25), (3, 22), (4, 20), (5, 12), (6, 7)))
    if (age >= 80 and size > 3) or (age < 18 and size == 1):
        size = r.randint(2, 3)
    gender = r.choice("男女")
    surname = r.choice(_SURNAMES)
    members: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    for i, (relation, a) in enumerate([("本人", age), *_relations(r, size, age)]):
        if relation == "本人":
            g = gender
        elif relation == "配偶":
            g = "女" if gender == "男" else "男"
        else:
            g = r.choice("男女")
        own = relation in ("本人", "子女", "孙子女", "兄弟姐妹") or (
            relation in ("父母", "祖父母") and g == "男"
        )
        m, known = _person(
            f, filed, hh, relation, a, g, surname if own else None, (n * 6 + i) % 500
        )
        members.append(m)
        people.append(known)

    disabled = any(p["disability"] is not None for p in people)
    household: dict[str, Any] = {"members": members}
    f.put(household, "monthly_income", str(sum(p["income"] for p in people)))
    f.put(household, "properties", _properties(f, hh))
    f.put(household, "vehicles", _vehicles(f, hh, disabled))
    f.put(household, "businesses", _businesses(f, hh, filed))
    deposits = _money(r, 0, 15_000, 100) if poor else _money(r, 2_000, 300_000, 500)
    f.put(household, "deposits", deposits)
    farmland = _mu(r, 0.6 * size, 1.5 * size) if rural else "0"
    f.put(household, "farmland_mu", farmland)
    scale = rural and not poor and r.random() < 0.04
    grain = (
        _mu(r, 50, 300)
        if scale
        else str((Decimal(farmland) * Decimal(r.choice([0, 4, 6, 8, 10])) / 10).normalize())
    )
    f.put(household, "grain_mu", grain if rural else "0")
    machinery = (
        _money(r, 3_000, 80_000, 100) if rural and r.random() < (0.5 if scale else 0.04) else "0"
    )
    f.put(household, "machinery_spend", machinery)
    premium = _money(r, 20, 2_000, 10) if rural and r.random() < 0.3 else "0"
    f.put(household, "insurance_premium", premium)
    f.put(household, "returned_farmland_mu", _mu(r, 0.5, 5) if rural and r.random() < 0.1 else "0")
    f.put(household, "public_forest_mu", _mu(r, 5, 200) if rural and r.random() < 0.08 else "0")
    f.put(
        household, "reservoir_migrant", rural and r.random() < (0.1 if region == "511083" else 0.03)
    )
    safety = (
        (("A", 40), ("B", 35), ("C", 17), ("D", 8))
        if poor
        else (("A", 60), ("B", 33), ("C", 5), ("D", 2))
        if rural
        else (("A", 80), ("B", 18), ("C", 2), ("D", 0))
    )
    f.put(household, "house_safety", _pick(r, safety))
    f.put(household, "disaster", hh["disaster"])
    sick = disabled or any(p["age"] >= 65 for p in people)
    medical = _money(r, 200, 60_000, 10) if r.random() < (0.7 if sick else 0.35) else "0"
    f.put(household, "medical_self_paid", medical)
    f.put(
        household, "emergency_expense", _money(r, 2_000, 50_000, 100) if r.random() < 0.06 else "0"
    )

    benefits, prior = _records(f, filed, hh, people)
    records: dict[str, Any] = {}
    f.put(records, "benefits", benefits)
    f.put(records, "applications", prior)
    doc: dict[str, Any] = {
        "application": {
            "id": f"APP-{n:08d}",
            "date": filed.isoformat(),
            "region": region,
            "item": _item(r, hh, people),
        },
        "applicant": members[0],
        "household": household,
    }
    f.put(doc, "records", records)
    return doc


def population(size: int, seed: int = 0, p_unknown: float = 0.03) -> Iterator[dict[str, Any]]:
    """`size` applications, the same for the same seed."""
    r = random.Random(seed)
    for n in range(size):
        yield application(r, n, p_unknown)


def write_jsonl(path: str | Path, size: int, seed: int = 0, p_unknown: float = 0.03) -> int:
    """Write `population(size, seed, p_unknown)` to `path`, one JSON document a line (UTF-8);
    returns the number of lines written."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for doc in population(size, seed, p_unknown):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
            count += 1
    return count
