"""The synthetic population (yktrules.synth and `yktrules synth`): deterministic by seed,
every row a valid facts document, households shaped like Neijiang's, and a population that
exercises the policy library."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import yktrules
from yktrules.cli import cli
from yktrules.facts.ids import id_birth_date, id_gender
from yktrules.synth.applications import NEIJIANG, application, population, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
ROWS = list(population(1000, seed=11))

_PERSON_OPTIONAL = {
    "hukou_region", "hukou_type", "alive", "in_custody", "public_servant", "monthly_income",
    "pension_monthly", "disability", "poverty_registered", "employment", "schooling",
    "family_planning", "veteran", "pension_insured",
}  # fmt: skip
_HOUSEHOLD_OPTIONAL = {
    "monthly_income", "properties", "vehicles", "businesses", "deposits", "farmland_mu",
    "grain_mu", "machinery_spend", "insurance_premium", "returned_farmland_mu",
    "public_forest_mu", "reservoir_migrant", "house_safety", "disaster", "medical_self_paid",
    "emergency_expense",
}  # fmt: skip


def _age(birth: str, on: str) -> int:
    b, d = date.fromisoformat(birth), date.fromisoformat(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def _items(row: dict[str, Any]) -> set[str]:
    return {b["item"] for b in row.get("records", {}).get("benefits", [])}


def _people(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(row, m) for row in rows for m in row["household"]["members"]]


def test_deterministic_by_seed() -> None:
    assert list(population(200, seed=11)) == ROWS[:200]
    assert list(population(50, seed=12)) != ROWS[:50]
    r1, r2 = random.Random(5), random.Random(5)
    assert [application(r1, n, 0.1) for n in range(20)] == [
        application(r2, n, 0.1) for n in range(20)
    ]


def test_unknown_rate_leaves_the_households_alone() -> None:
    full = list(population(100, seed=3, p_unknown=0.0))
    holes = list(population(100, seed=3, p_unknown=0.5))
    ids = [[m["id_number"] for m in a["household"]["members"]] for a in full]
    assert ids == [[m["id_number"] for m in a["household"]["members"]] for a in holes]
    for a in full:
        for m in a["household"]["members"]:
            assert m.keys() >= _PERSON_OPTIONAL
        assert a["household"].keys() >= _HOUSEHOLD_OPTIONAL
        assert {"benefits", "applications"} <= a["records"].keys()
    for a in population(100, seed=3, p_unknown=1.0):
        for m in a["household"]["members"]:
            assert not (m.keys() & _PERSON_OPTIONAL)
        assert set(a["household"]) == {"members"}
        assert "records" not in a
    missing = sum(len(_PERSON_OPTIONAL - m.keys()) for _, m in _people(holes))
    total = len(_PERSON_OPTIONAL) * len(_people(holes))
    assert 0.4 < missing / total < 0.6


def test_every_row_is_a_valid_facts_document() -> None:
    for row in ROWS:
        doc = yktrules.parse_facts(row)
        assert doc.application.id == row["application"]["id"]
    for row in population(200, seed=2, p_unknown=0.3):
        yktrules.parse_facts(row)


def test_applicant_is_in_members_and_ids_fit_the_person() -> None:
    for row in ROWS:
        members = row["household"]["members"]
        assert row["applicant"] in members
        assert [m["relation"] for m in members].count("本人") == 1
        assert row["applicant"]["relation"] == "本人"
        ids = [m["id_number"] for m in members]
        assert len(set(ids)) == len(ids)
        for m in members:
            assert id_birth_date(m["id_number"]) == date.fromisoformat(m["birth_date"])
            assert id_gender(m["id_number"]) == m["gender"]
            if "hukou_region" in m:
                assert m["id_number"][:6] == m["hukou_region"]


def test_household_shape() -> None:
    sizes = Counter(len(row["household"]["members"]) for row in ROWS)
    assert set(sizes) == {1, 2, 3, 4, 5, 6}
    assert all(sizes[k] >= 30 for k in range(1, 7))
    assert sizes[2] + sizes[3] + sizes[4] > 500
    regions = Counter(row["application"]["region"] for row in ROWS)
    share = sum(regions[c] for c in NEIJIANG) / len(ROWS)
    assert 0.8 < share < 0.97
    assert all(regions[c] >= 100 for c in NEIJIANG)
    assert regions["511421"] > 0
    assert all(c.startswith("51") for c in regions)
    hukou = Counter(m.get("hukou_type") for _, m in _people(ROWS))
    assert hukou["农村"] > 1.5 * hukou["城镇"]


def test_ages_fit_relations() -> None:
    for row, m in _people(ROWS):
        filed = row["application"]["date"]
        me = _age(row["applicant"]["birth_date"], filed)
        age = _age(m["birth_date"], filed)
        assert 0 <= age <= 110
        if m["relation"] == "本人":
            assert age >= 3
        elif m["relation"] == "祖父母":
            assert age >= me + 36
        elif m["relation"] == "父母":
            assert age >= me + 18
        elif m["relation"] in ("子女", "孙子女"):
            assert age <= me - 18
        elif m["relation"] == "配偶":
            assert age >= 18 and abs(age - me) <= 10
            assert m["gender"] != row["applicant"]["gender"]
        if "schooling" in m and m["schooling"] == "小学":
            assert 6 <= age < 12
        if age >= 18:
            assert "guardianship" not in m
        if m.get("employment") in ("就业", "灵活就业", "务农", "失业登记"):
            assert age >= 16


def test_disability_benefits_and_rural_land() -> None:
    people = _people(ROWS)
    certified = [m for _, m in people if m.get("disability", {}).get("certified")]
    assert 0.03 < len(certified) / len(people) < 0.09
    assert {m["disability"].get("grade") for m in certified} >= {1, 2, 3, 4}
    assert len({m["disability"].get("category") for m in certified}) >= 5

    old = [(row, m) for row, m in people if _age(m["birth_date"], row["application"]["date"]) >= 80]
    on_gaoling = [row for row, _ in old if "SC-MZ-005" in _items(row)]
    assert len(on_gaoling) > 0.6 * len(old)
    dibao = [r for r in ROWS if "SC-MZ-001" in _items(r)]
    assert 0.02 * len(ROWS) < len(dibao) < 0.2 * len(ROWS)
    for row in ROWS:
        h = row["household"]
        rural = row["applicant"].get("hukou_type") == "农村"
        if "farmland_mu" in h and rural:
            assert float(h["farmland_mu"]) > 0
        if not rural and row["applicant"].get("hukou_type") == "城镇":
            assert h.get("farmland_mu", "0") == "0"


def test_screening_reaches_every_outcome_without_errors() -> None:
    lib = yktrules.load(ROOT / "policies")
    outcomes: Counter[str] = Counter()
    errors = []
    for row in ROWS[:300]:
        for d in lib.screen_all(row):
            if d.item == "SC-MZ-001":
                outcomes[d.outcome.value] += 1
            for u in d.unknown:
                errors += [(d.policy, u.rule, e.to_dict()) for e in u.errors]
            errors += [(d.policy, "amount", e.to_dict()) for e in d.amount_errors]
    assert set(outcomes) == {"eligible", "ineligible", "review"}
    assert errors == []


def test_write_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "pop.jsonl"
    assert write_jsonl(path, 30, seed=11) == 30
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == ROWS[:30]


def test_cli_synth(tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    r = CliRunner().invoke(cli, ["synth", "25", "--seed", "11", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()] == ROWS[:25]
    r = CliRunner().invoke(cli, ["synth", "3", "--seed", "4", "--unknown", "0"])
    assert r.exit_code == 0
    assert [json.loads(x) for x in r.stdout.splitlines()] == list(population(3, 4, 0.0))


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["synth", "x"], "N"),
        (["synth", "3", "--unknown", "1.5"], "--unknown"),
        (["synth", "3", "--out", "/nonexistent-dir/p.jsonl"], "/nonexistent-dir/p.jsonl"),
    ],
)
def test_cli_synth_bad_arguments(args: list[str], expect: str) -> None:
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2
    assert expect in r.output
    assert "Traceback" not in r.output
