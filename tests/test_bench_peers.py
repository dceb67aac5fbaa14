"""The peer implementations of SC-MZ-001 in benchmarks/peers (rule-engine, zen-engine) decide
like yktrules on applications whose facts are all known.  Needs the `bench` extra."""

from __future__ import annotations

import copy
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import yktrules
from yktrules.synth.applications import population

ROOT = Path(__file__).resolve().parents[1]
CODE = "SC-MZ-001"

pytest.importorskip("rule_engine")
pytest.importorskip("zen")


@pytest.fixture(scope="module")
def peers() -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        return importlib.import_module("peers.dibao")
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


@pytest.fixture(scope="module")
def ps() -> yktrules.PolicySet:
    return yktrules.load(ROOT / "policies")


@pytest.fixture(scope="module")
def rows(peers: ModuleType) -> list[dict[str, Any]]:
    return [a for a in population(300, seed=42) if peers.complete(a)]


def ours(ps: yktrules.PolicySet, peers: ModuleType, facts: dict[str, Any]) -> Any:
    doc = ps.parse_facts(facts)
    d = ps.evaluate(CODE, doc, doc.application.date)
    assert d.unknown == ()
    return peers.PeerDecision(d.outcome.value, tuple((r.rule, r.kind) for r in d.reasons), d.amount)


@pytest.mark.parametrize("engine", ["RuleEnginePeer", "ZenPeer"])
def test_peer_agrees_with_yktrules(
    engine: str, peers: ModuleType, ps: yktrules.PolicySet, rows: list[dict[str, Any]]
) -> None:
    peer = getattr(peers, engine)()
    assert len(rows) > 150  # most of the 300 generated applications have every fact known
    outcomes: set[str] = set()
    fired: set[str] = set()
    for facts in rows:
        want = ours(ps, peers, facts)
        assert peer.decide(facts) == want, facts["application"]["id"]
        outcomes.add(want.outcome)
        fired.update(rule for rule, _ in want.reasons)
    # The sample exercises every outcome and most rules, so the agreement means something.
    assert outcomes == {"eligible", "ineligible", "review"}
    assert {"low_income", "two_homes", "has_vehicle", "large_deposit"} <= fired


@pytest.mark.parametrize("engine", ["RuleEnginePeer", "ZenPeer"])
def test_peer_tells_rules_and_amount_apart(engine: str, peers: ModuleType) -> None:
    """A hand-made eligible household, then one change at a time: the peer must notice."""
    peer = getattr(peers, engine)()
    person = {
        "id_number": "511002196308090016",
        "hukou_region": "511002",
        "hukou_type": "农村",
        "in_custody": False,
        "public_servant": False,
    }
    base: dict[str, Any] = {
        "application": {"id": "T", "date": "2024-06-01", "region": "511002"},
        "applicant": person,
        "household": {
            "members": [person, {**person, "id_number": "511002199001010021"}],
            "monthly_income": "500",
            "properties": [{"kind": "住房"}],
            "vehicles": [{"kind": "摩托车"}],
            "deposits": "1000",
        },
    }
    assert peers.complete(base)
    d = peer.decide(base)
    # Neijiang rural line 2024: 560; per capita 250; (560 - 250) * 2
    assert (d.outcome, d.reasons, str(d.amount)) == ("eligible", (), "620.00")

    car = copy.deepcopy(base)
    car["household"]["vehicles"].append({"kind": "小型汽车"})
    assert peer.decide(car).reasons == (("has_vehicle", "deny"),)

    custody = copy.deepcopy(base)
    custody["household"]["members"][1]["in_custody"] = True
    d = peer.decide(custody)
    assert (d.outcome, d.reasons, d.amount) == (
        "review",
        (("member_in_custody", "review"),),
        None,
    )

    away = copy.deepcopy(base)
    away["applicant"] = {**person, "hukou_region": "510104"}
    assert peer.decide(away).reasons == (("local_hukou", "require"),)


def test_complete_rejects_a_missing_fact(peers: ModuleType, rows: list[dict[str, Any]]) -> None:
    facts = copy.deepcopy(rows[0])
    facts["household"]["members"][-1]["public_servant"] = None
    assert not peers.complete(facts)
    del facts["household"]["members"][-1]["public_servant"]
    assert not peers.complete(facts)
