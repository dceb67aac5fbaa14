"""yktrules.testing: generated applicants always validate (standard schema and a host's
subclass), look like the contract says (applicant among the members, consistent ID numbers,
JSON-like values, unknown vs empty lists), and land on the boundaries the policies test."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import yktrules
from yktrules.errors import ArgumentError
from yktrules.facts import Application, FactModel, Money, fact_field, parse_facts
from yktrules.facts.ids import id_birth_date, id_gender, is_valid_id_number
from yktrules.testing import Targets, applications, facts_for_policy, targets_for
from yktrules.testing.strategies import NEIJIANG_COUNTIES, policy_spec

ROOT = Path(__file__).resolve().parents[1]
LIB = yktrules.load(ROOT / "policies")
# derandomize: the boundary-hitting assertions below must not depend on the run's luck
FAST = settings(
    max_examples=150,
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _policy(tmp_path: Path, body: str, schema: Any = None) -> yktrules.PolicySet:
    text = 'policy "T-1" "测试" {\n    region: "510000"\n    effective: 2021-01-01\n'
    text += textwrap.indent(textwrap.dedent(body), "    ") + "}\n"
    (tmp_path / "t.ykt").write_text(text, encoding="utf-8")
    return yktrules.load(tmp_path, schema=schema)


def _leaves(obj: Any) -> list[Any]:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _leaves(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _leaves(v)]
    return [obj]


def _years_before(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year - n)
    except ValueError:  # 29 February
        return d.replace(year=d.year - n, day=28)


# ------------------------------------------------------------------ always valid
@settings(FAST, max_examples=300)
@given(applications(targets=targets_for(LIB)))
def test_standard_documents_validate_and_hang_together(doc: dict[str, Any]) -> None:
    facts = LIB.parse_facts(doc)  # raises FactsError on any invalid document
    # JSON-like: no floats, no Decimal or date objects
    for leaf in _leaves(doc):
        assert leaf is None or isinstance(leaf, str | int | bool), leaf
        assert not isinstance(leaf, float)
    as_of = facts.application.date
    members = facts.household.members
    assert members[0] == facts.applicant
    assert facts.applicant.relation == "本人"
    assert all(m.relation != "本人" for m in members[1:])
    for p in members:
        assert is_valid_id_number(p.id_number)
        assert id_birth_date(p.id_number) == p.birth_date
        assert id_gender(p.id_number) == p.gender
        assert _years_before(as_of, 106) < p.birth_date <= as_of
    for d in _leaves(doc["household"]):
        if isinstance(d, str) and d[:1].isdigit() and "." in d:
            assert len(d.split(".")[1]) <= 2, d  # money: at most two decimal places


@FAST
@given(facts_for_policy(LIB, "NJ-ZZ-MZ-001"))
def test_policy_documents_validate_and_stay_in_the_policy(doc: dict[str, Any]) -> None:
    facts = LIB.parse_facts(doc)
    assert facts.application.region == "511025"
    assert date(2022, 1, 1) <= facts.application.date


class Pet(FactModel):
    kind: Literal["猫", "狗"] = fact_field("kind", "种类", "宠物种类")
    weight: Money | None = fact_field("weight", "体重", "公斤", default=None)
    vaccinated: bool | None = fact_field("vaccinated", "已免疫", "是否免疫", default=None)


class HostApplication(Application):
    heating_cost: Decimal = fact_field("heating_cost", "取暖费", "每月取暖费（元）")
    pet: Pet | None = fact_field("pet", "宠物", "家中宠物", default=None)
    pets_seen: list[Pet] | None = fact_field("pets_seen", "宠物记录", "记录", default=None)
    visits: int | None = fact_field("visits", "走访次数", "走访次数", default=None)


def test_host_subclass_documents_validate(tmp_path: Path) -> None:
    ps = _policy(
        tmp_path,
        """
        deny warm "取暖费高": heating_cost > 300
        review pet "有宠物": known(pet) and pet.kind == "狗"
        """,
        schema=HostApplication,
    )
    seen: list[dict[str, Any]] = []

    @FAST
    @given(facts_for_policy(ps, "T-1"))
    def check(doc: dict[str, Any]) -> None:
        facts = parse_facts(doc, HostApplication)
        assert isinstance(facts, HostApplication)
        assert facts.heating_cost >= 0
        seen.append(doc)

    check()
    assert any(isinstance(d.get("pet"), dict) for d in seen)
    assert any(d.get("pet") is None for d in seen)
    costs = {Decimal(str(d["heating_cost"])) for d in seen}
    assert Decimal(300) in costs  # the host field is targeted too


def test_unsupported_host_field_is_named() -> None:
    class Odd(Application):
        extra: dict[str, int] = fact_field("extra", "额外", "额外")

    with pytest.raises(TypeError, match="extra"):
        applications(Odd)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"unknown_rate": 1.5}, "unknown_rate"),
        ({"region": "12"}, "region"),
        ({"region": []}, "region"),
        ({"as_of": (date(2022, 1, 1), date(2021, 1, 1))}, "as_of"),
        ({"as_of": "2021-01-01"}, "as_of"),
        ({"targets": {"x": 1}}, "targets"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ArgumentError, match=match):
        applications(**kwargs)


# ------------------------------------------------------------------ unknowns and lists
def test_unknown_rate_zero_and_one() -> None:
    spec_known = policy_spec(LIB, "SC-MZ-001", unknown_rate=0)
    spec_unknown = policy_spec(LIB, "SC-MZ-001", unknown_rate=1)
    import random

    rnd = random.Random(1)
    for _ in range(50):
        known = spec_known.sample(rnd)
        LIB.parse_facts(known)
        assert known["applicant"].get("alive") is not None
        assert known["household"].get("vehicles") is not None
        assert known.get("records") is not None
        unknown = spec_unknown.sample(rnd)
        LIB.parse_facts(unknown)
        assert unknown["applicant"].get("alive") is None
        assert unknown["household"].get("deposits") is None
        assert unknown.get("records") is None


def test_empty_and_null_lists_both_appear() -> None:
    seen: list[Any] = []

    @FAST
    @given(applications(unknown_rate=0.3))
    def check(doc: dict[str, Any]) -> None:
        seen.append(doc["household"].get("vehicles", "absent"))

    check()
    assert [] in seen
    assert None in seen or "absent" in seen
    assert any(isinstance(v, list) and v for v in seen)


@FAST
@given(applications(region="511000", as_of=date(2024, 2, 29)))
def test_region_and_as_of_are_honoured(doc: dict[str, Any]) -> None:
    assert doc["application"]["region"] in NEIJIANG_COUNTIES
    assert doc["application"]["date"] == "2024-02-29"


# ------------------------------------------------------------------ boundaries
def test_deposits_hit_both_sides_and_the_boundary(tmp_path: Path) -> None:
    ps = _policy(tmp_path, 'deny x "m": household.deposits >= 5000\n')
    targets = targets_for(ps)
    assert targets.numbers["household.deposits"] == (Decimal(5000),)
    values: list[Decimal] = []

    @settings(max_examples=200, database=None, suppress_health_check=list(HealthCheck))
    @given(applications(targets=targets))
    def collect(doc: dict[str, Any]) -> None:
        v = doc["household"].get("deposits")
        if v is not None:
            values.append(Decimal(str(v)))

    collect()
    assert any(v < 5000 for v in values)
    assert any(v > 5000 for v in values)
    assert Decimal(5000) in values
    assert Decimal("4999.99") in values or Decimal("5000.01") in values


def test_ages_become_birth_dates_around_the_birthday(tmp_path: Path) -> None:
    ps = _policy(tmp_path, 'require old "须年满80周岁": age(applicant.birth_date) >= 80\n')
    assert targets_for(ps).relative["applicant.birth_date"] == (("years", 80),)
    day = date(2023, 6, 15)
    births: set[str] = set()

    @settings(FAST, max_examples=1000)
    @given(applications(as_of=day, targets=targets_for(ps)))
    def collect(doc: dict[str, Any]) -> None:
        births.add(doc["applicant"]["birth_date"])

    collect()
    assert "1943-06-15" in births  # turns 80 that very day
    assert "1943-06-16" in births  # 79, one day short


def test_library_targets() -> None:
    t = targets_for(LIB)
    # per_capita < line: the household income is aimed at line × household size
    assert Decimal(900) in t.numbers["household.monthly_income"]  # 450 × 2
    assert Decimal(50) in t.numbers["household.farmland_mu"]
    assert ("months", 12) in t.relative["records.applications.date"]
    assert ("years", 80) in t.relative["applicant.birth_date"]
    assert ("years", 18) in t.relative["household.members.birth_date"]
    assert "SC-MZ-002" in t.strings["records.benefits.item"]
    assert "住房" in t.strings["household.properties.kind"]
    assert 2 in t.lengths["household.properties"]
    assert False in t.booleans["applicant.in_custody"]
    assert True in t.booleans["applicant.alive"]
    assert date(2024, 1, 1) in t.as_of_dates
    assert any(line.startswith("household.deposits:") for line in t.describe())
    one = targets_for(LIB, "SC-MZ-005")
    assert one.paths == ["applicant.alive", "applicant.birth_date"]
    merged = one.merged(Targets(numbers={"x.y": (Decimal(1),)}))
    assert "x.y" in merged.paths and "applicant.alive" in merged.paths
    with pytest.raises(ArgumentError, match="NO-SUCH"):
        targets_for(LIB, "NO-SUCH")


@settings(max_examples=30, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_sampled_documents_validate_too(data: st.DataObject) -> None:
    import random

    code = data.draw(st.sampled_from(sorted(LIB.policies)))
    seed = data.draw(st.integers(0, 10_000))
    LIB.parse_facts(policy_spec(LIB, code).sample(random.Random(seed)))
