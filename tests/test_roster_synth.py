"""The synthetic payment roster (yktrules.synth.roster, `yktrules synth-roster`): its planted
findings equal what the independent oracle (tests/audit_oracle.py) finds, clean data has
none, and the standard audits on DuckDB and the reference interpreter agree with both."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_oracle import detect
from yktrules.cli import cli
from yktrules.facts.ids import is_valid_id_number
from yktrules.roster.io import read_table
from yktrules.roster.models import Agent, Death, Payment
from yktrules.synth.roster import AUDITS, ITEMS, SynthRoster, batch_id, synth_roster
from yktrules.synth.standards import load_standards

ROOT = Path(__file__).resolve().parent.parent
FLAT = {
    "SC-MZ-001": 640,
    "SC-MZ-002": 884,
    "SC-MZ-005": 200,
    "SC-CL-001": 120,
    "SC-CL-002": 110,
    "SC-MZ-010": 200,
    "NJ-MZ-032": 500,
}  # no standard for 孤儿, 事实无人抚养 and 耕地地力: AUD-05 cannot judge them


def flat(item: str, region: str, period: date) -> Decimal | None:
    v = FLAT.get(item)
    return None if v is None else Decimal(v)


def by_region(item: str, region: str, period: date) -> Decimal | None:
    """Varies by county and by date, as the parameter tables do."""
    if item not in FLAT:
        return None
    extra = 60 if region == "511025" and period >= date(2025, 7, 1) else 0
    return Decimal(FLAT[item] + extra)


STANDARDS = load_standards(ROOT / "audits")  # the audits' own per-item parameter
ALL = {code: 2 for code in AUDITS}


def check(s: SynthRoster, standard: object) -> None:
    assert set(s.expected) == detect(s.payments, s.deaths, s.agents, standard)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("standard", [flat, by_region, STANDARDS])
def test_expected_is_what_the_oracle_finds(seed: int, standard: object) -> None:
    s = synth_roster(1500, seed=seed, plants=ALL, standard=standard, ring_cards=5)  # type: ignore[arg-type]
    check(s, standard)
    kinds = Counter(f.audit for f in s.expected)
    assert set(kinds) == set(AUDITS)
    assert kinds["AUD-08"] == 2 * 5  # every card of each ring
    assert len({f.ids for f in s.expected if f.audit == "AUD-04"}) >= 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 400),
    seed=st.integers(0, 2**32),
    counts=st.fixed_dictionaries({c: st.integers(0, 2) for c in AUDITS}),
    months=st.integers(3, 14),
    start=st.dates(date(2020, 1, 1), date(2030, 12, 1)).map(lambda d: d.replace(day=1)),
    ring=st.integers(3, 6),
)
def test_any_mix_of_plants(
    n: int, seed: int, counts: dict[str, int], months: int, start: date, ring: int
) -> None:
    s = synth_roster(
        n, seed=seed, plants=counts, standard=by_region, start=start, months=months, ring_cards=ring
    )
    check(s, by_region)
    assert s.clean == n
    planted = {f.audit for f in s.expected}
    assert planted >= {c for c, k in counts.items() if k}
    ids = [p["id"] for p in s.payments]
    assert len(set(ids)) == len(ids)
    periods = {p["period"] for p in s.payments}
    assert all(p.day == 1 and start <= p for p in periods)


@pytest.mark.parametrize("seed", range(6))
def test_clean_data_has_no_findings(seed: int) -> None:
    s = synth_roster(4000, seed=seed, plants={}, standard=by_region)
    assert s.expected == []
    assert detect(s.payments, s.deaths, s.agents, by_region) == set()
    assert len(s.payments) == s.clean == 4000
    assert s.deaths and s.agents  # clean data does exercise both registers
    agent_paid = {
        p["beneficiary_id"] for p in s.payments if p["card_holder_id"] != p["beneficiary_id"]
    }
    assert agent_paid <= {a["beneficiary_id"] for a in s.agents}
    assert agent_paid  # some receive through a registered agent, and are not flagged
    dead = {d["id_number"] for d in s.deaths}
    assert dead & {p["beneficiary_id"] for p in s.payments}  # some die in the window
    assert dead - {p["beneficiary_id"] for p in s.payments}  # some were never paid


def test_rows_validate_and_look_like_a_roster() -> None:
    s = synth_roster(3000, seed=9, plants=ALL, standard=by_region, ring_cards=4)
    for row in s.payments:
        p = Payment.model_validate(row)
        assert isinstance(row["amount"], Decimal) and p.amount == row["amount"]
        assert is_valid_id_number(row["beneficiary_id"]) and is_valid_id_number(
            row["card_holder_id"]
        )
        assert row["period"].day == 1 and (ITEMS[row["item"]][1] or row["period"].month == 1)
    for d in s.deaths:
        Death.model_validate(d)
    for a in s.agents:
        Agent.model_validate(a)
    clean_batches = {p["batch"] for p in s.payments if p["batch"].count("-") == 3}
    assert all(
        p["batch"] == batch_id(p["item"], p["period"], p["region"])
        for p in s.payments
        if p["batch"] in clean_batches
    )
    items = Counter(p["item"] for p in s.payments)
    assert set(items) == set(ITEMS)  # the whole item mix appears


def test_clean_amounts_within_standard_and_staff_separated() -> None:
    s = synth_roster(3000, seed=5, plants={}, standard=by_region)
    for p in s.payments:
        std = by_region(p["item"], p["region"], p["period"])
        assert std is None or p["amount"] <= std
        assert p["approved_by"] != p["disbursed_by"]
    assert {p["approved_by"] for p in s.payments}.isdisjoint(
        {p["disbursed_by"] for p in s.payments}
    )


def test_deterministic_by_seed() -> None:
    a = synth_roster(800, seed=4, plants=ALL, standard=flat, ring_cards=3)
    b = synth_roster(800, seed=4, plants=ALL, standard=flat, ring_cards=3)
    c = synth_roster(800, seed=5, plants=ALL, standard=flat, ring_cards=3)
    assert a == b
    assert a.payments != c.payments


def test_clean_rows_do_not_depend_on_plants() -> None:
    key = ("beneficiary_id", "item", "period", "amount", "card_no", "batch")
    plain = synth_roster(600, seed=8, plants={}, standard=flat)
    planted = synth_roster(600, seed=8, plants=ALL, standard=flat, ring_cards=3)
    rows = Counter(tuple(p[k] for k in key) for p in planted.payments)
    assert all(rows[tuple(p[k] for k in key)] >= 1 for p in plain.payments)


def test_the_ring_models_the_case() -> None:
    """40 cards, more names than cards, one name per card per period, names moving."""
    s = synth_roster(0, seed=1, plants={"AUD-08": 1}, standard=flat, ring_cards=40)
    rings = [f for f in s.expected if f.audit == "AUD-08"]
    assert len(rings) == 40
    ring_ids = set().union(*(f.ids for f in rings))
    rows = [p for p in s.payments if p["id"] in ring_ids]
    assert len({p["card_no"] for p in rows}) == 40
    assert len({p["beneficiary_id"] for p in rows}) > 40
    assert len({p["period"] for p in rows}) >= 3
    # instance 0: the roster writer forged the holder fields and approved his own batches
    assert all(p["card_holder_id"] == p["beneficiary_id"] for p in rows)
    assert {f.audit for f in s.expected} == {"AUD-07", "AUD-08"}
    odd = synth_roster(0, seed=1, plants={"AUD-08": 2}, standard=flat, ring_cards=4)
    assert {f.audit for f in odd.expected} == {"AUD-02", "AUD-07", "AUD-08"}


def test_registries_not_supplied_flag_nothing() -> None:
    s = synth_roster(1000, seed=2, plants=ALL, standard=flat, ring_cards=3)
    without = detect(s.payments, None, None, flat)
    assert without == {f for f in s.expected if f.audit not in ("AUD-02", "AUD-04")}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="AUD-09"):
        synth_roster(10, seed=1, plants={"AUD-09": 1}, standard=flat)
    with pytest.raises(ValueError, match="standard"):
        synth_roster(10, seed=1, plants={"AUD-05": 1}, standard=lambda *_: None)
    with pytest.raises(ValueError, match="3 periods"):
        synth_roster(10, seed=1, standard=flat, months=2)


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_the_standard_audits_find_exactly_the_plants(engine: str) -> None:
    """The audits in audits/ (the lead's, in the policy language) agree with the oracle."""
    from yktrules.audit import load_audits

    audits = load_audits(ROOT / "audits")
    s = synth_roster(1500, seed=11, plants=ALL, standard=STANDARDS, ring_cards=4)
    report = audits.run(
        [Payment.model_validate(p) for p in s.payments],
        {
            "deaths": [Death.model_validate(d) for d in s.deaths],
            "agents": [Agent.model_validate(a) for a in s.agents],
        },
        engine=engine,  # type: ignore[arg-type]
        as_of=date(2026, 1, 1),
    )
    got = {(f.audit, frozenset(str(r.id) for r in f.records)) for f in report.findings}
    assert got == set(s.expected)


# --- the command ------------------------------------------------------------------------------


def test_cli_synth_roster(tmp_path: Path) -> None:
    out = tmp_path / "roster.csv"
    r = CliRunner().invoke(
        cli,
        [
            "synth-roster",
            "700",
            "--seed",
            "3",
            "--out",
            str(out),
            "--plants",
            "AUD-01=1,AUD-04=2,AUD-08=1",
            "--ring-cards",
            "4",
            "--expected",
            str(tmp_path / "expected.json"),
            "--standards",
            str(ROOT / "audits"),
        ],
    )
    assert r.exit_code == 0, r.output
    payments = read_table(out, Payment)
    deaths = read_table(tmp_path / "deaths.csv", Death)
    agents = read_table(tmp_path / "agents.csv", Agent)
    assert not payments.errors and not deaths.errors and not agents.errors
    doc = json.loads((tmp_path / "expected.json").read_text("utf-8"))
    assert doc["clean"] == 700 and doc["plants"] == {"AUD-01": 1, "AUD-04": 2, "AUD-08": 1}
    found = detect(
        [p.model_dump() for _, p in payments.rows],
        [d.model_dump() for _, d in deaths.rows],
        [a.model_dump() for _, a in agents.rows],
        STANDARDS,
    )
    assert found == {(f["audit"], frozenset(f["ids"])) for f in doc["findings"]}
    assert {f["audit"] for f in doc["findings"]} >= {"AUD-01", "AUD-04", "AUD-08"}


def test_cli_registries_folder_and_flat_standards(tmp_path: Path) -> None:
    std = tmp_path / "std.yaml"
    std.write_text("SC-MZ-001: 640\nSC-MZ-005: 200.5\n", "utf-8")
    r = CliRunner().invoke(
        cli,
        [
            "synth-roster",
            "300",
            "--out",
            str(tmp_path / "r.parquet"),
            "--registries",
            str(tmp_path / "reg"),
            "--standards",
            str(std),
            "--plants",
            "AUD-05=1",
        ],
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "reg" / "deaths.parquet").exists()
    rows = read_table(tmp_path / "r.parquet", Payment).rows
    over = [
        p
        for _, p in rows
        if p.item in ("SC-MZ-001", "SC-MZ-005")
        and p.amount > {"SC-MZ-001": 640, "SC-MZ-005": Decimal("200.5")}[p.item]
    ]
    assert len(over) == 1


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--plants", "AUD-1=2"], "AUD-01"),
        (["--plants", "AUD-02=x"], "非负整数"),
        (["--out", "r.xlsx"], "无法识别"),
        (["--standards", "/nonexistent/std"], "/nonexistent/std"),
        (["--months", "2"], "--months"),
    ],
)
def test_cli_bad_arguments(tmp_path: Path, args: list[str], expect: str) -> None:
    base = ["synth-roster", "10", "--out", str(tmp_path / "r.csv")]
    r = CliRunner().invoke(cli, base + args)
    assert r.exit_code == 2
    assert expect in r.output
    assert "Traceback" not in r.output


def test_cli_standards_file_with_bad_amount(tmp_path: Path) -> None:
    std = tmp_path / "std.yaml"
    std.write_text("SC-MZ-001: 六百\n", "utf-8")
    r = CliRunner().invoke(
        cli, ["synth-roster", "5", "--out", str(tmp_path / "r.csv"), "--standards", str(std)]
    )
    assert r.exit_code == 2 and "不是数字" in r.output
