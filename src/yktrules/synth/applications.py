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
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from .people import (
    SURNAMES,
    Facts,
    applicant_age,
    make_person,
    money,
    mu,
    pick,
    relations,
)

__all__ = ["NEIJIANG", "REGIONS", "application", "population", "write_jsonl", "write_parquet"]

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

_BIZ = ("便利店", "农家乐", "五金店", "养殖场", "餐馆", "理发店", "家庭农场", "运输部")


# --- the household's assets -----------------------------------------------------------


def _properties(f: Facts, hh: dict[str, Any]) -> list[dict[str, Any]]:
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
        f.put(prop, "area", money(r, *area.get(kind, (10, 100))))
        f.put(prop, "region", hh["region"] if r.random() < 0.9 else r.choice(NEIJIANG))
        out.append(prop)
    return out


def _vehicles(f: Facts, hh: dict[str, Any], disabled: bool) -> list[dict[str, Any]]:
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
            f.put(v, "value", money(r, lo, hi, 500))
            f.put(v, "commercial", r.random() < (0.5 if kind == "货车" else 0.02))
            out.append(v)
    return out


def _businesses(f: Facts, hh: dict[str, Any], filed: date) -> list[dict[str, Any]]:
    r = f.r
    out: list[dict[str, Any]] = []
    if hh["poor"] and r.random() >= 0.02:
        return out
    for role, p in (("个体工商户", 0.09), ("法定代表人", 0.025), ("股东", 0.02)):
        if r.random() < p:
            b: dict[str, Any] = {"role": role}
            f.put(b, "name", r.choice(SURNAMES) + "记" + r.choice(_BIZ))
            f.put(b, "registered_on", (filed - timedelta(days=r.randint(30, 4000))).isoformat())
            f.put(b, "employees", r.choice([0, 0, 1, 2, 3, 5, 8, 12]))
            out.append(b)
    return out


# --- records ----------------------------------------------------------------------------


def _benefit(
    f: Facts, filed: date, item: str, amount: int | None, card: str, ended: bool = False
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
    f: Facts, filed: date, hh: dict[str, Any], people: list[dict[str, Any]]
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
                "status": pick(r, (("已驳回", 60), ("已批准", 25), ("审核中", 15))),
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
    f = Facts(r, p_unknown)
    filed = date(2024, 1, 1) + timedelta(days=r.randint(0, 330))
    region = pick(r, _REGION_WEIGHTS)
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
        "disaster": pick(
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
    age = applicant_age(r)
    hh["adult_applicant"] = age >= 18
    size = pick(r, ((1, 14), (2, 25), (3, 22), (4, 20), (5, 12), (6, 7)))
    if (age >= 80 and size > 3) or (age < 18 and size == 1):
        size = r.randint(2, 3)
    gender = r.choice("男女")
    surname = r.choice(SURNAMES)
    members: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    for i, (relation, a) in enumerate([("本人", age), *relations(r, size, age)]):
        if relation == "本人":
            g = gender
        elif relation == "配偶":
            g = "女" if gender == "男" else "男"
        else:
            g = r.choice("男女")
        own = relation in ("本人", "子女", "孙子女", "兄弟姐妹") or (
            relation in ("父母", "祖父母") and g == "男"
        )
        m, known = make_person(
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
    deposits = money(r, 0, 15_000, 100) if poor else money(r, 2_000, 300_000, 500)
    f.put(household, "deposits", deposits)
    farmland = mu(r, 0.6 * size, 1.5 * size) if rural else "0"
    f.put(household, "farmland_mu", farmland)
    scale = rural and not poor and r.random() < 0.04
    grain = (
        mu(r, 50, 300)
        if scale
        else str((Decimal(farmland) * Decimal(r.choice([0, 4, 6, 8, 10])) / 10).normalize())
    )
    f.put(household, "grain_mu", grain if rural else "0")
    machinery = (
        money(r, 3_000, 80_000, 100) if rural and r.random() < (0.5 if scale else 0.04) else "0"
    )
    f.put(household, "machinery_spend", machinery)
    premium = money(r, 20, 2_000, 10) if rural and r.random() < 0.3 else "0"
    f.put(household, "insurance_premium", premium)
    f.put(household, "returned_farmland_mu", mu(r, 0.5, 5) if rural and r.random() < 0.1 else "0")
    f.put(household, "public_forest_mu", mu(r, 5, 200) if rural and r.random() < 0.08 else "0")
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
    f.put(household, "house_safety", pick(r, safety))
    f.put(household, "disaster", hh["disaster"])
    sick = disabled or any(p["age"] >= 65 for p in people)
    medical = money(r, 200, 60_000, 10) if r.random() < (0.7 if sick else 0.35) else "0"
    f.put(household, "medical_self_paid", medical)
    f.put(
        household, "emergency_expense", money(r, 2_000, 50_000, 100) if r.random() < 0.06 else "0"
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


def write_parquet(path: str | Path, size: int, seed: int = 0, p_unknown: float = 0.03) -> int:
    """Write `population(size, seed, p_unknown)` to `path` as Parquet with the schema a
    batch validates in SQL (:func:`yktrules.sql.validation.arrow_schema`): the documents of
    :func:`write_jsonl`, typed (written as JSON Lines first, then converted by DuckDB).
    Returns the number of rows written."""
    import tempfile

    import duckdb

    from ..facts.models import Application
    from ..sql.validation import arrow_schema

    with tempfile.TemporaryDirectory(prefix="yktrules-synth-") as tmp:
        jsonl = Path(tmp) / "population.jsonl"
        count = write_jsonl(jsonl, size, seed, p_unknown)
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        try:
            empty = con.from_arrow(arrow_schema(Application).empty_table())
            types = dict(zip(empty.columns, (str(t) for t in empty.types), strict=True))
            columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}"
            target = str(path).replace("'", "''")
            con.execute(
                f"COPY (SELECT * FROM read_json(?, format = 'newline_delimited', "
                f"columns = {columns})) TO '{target}' (FORMAT parquet, COMPRESSION zstd)",
                [str(jsonl)],
            )
        finally:
            con.close()
    return count


def write_jsonl(path: str | Path, size: int, seed: int = 0, p_unknown: float = 0.03) -> int:
    """Write `population(size, seed, p_unknown)` to `path`, one JSON document a line (UTF-8);
    returns the number of lines written."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for doc in population(size, seed, p_unknown):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
            count += 1
    return count
