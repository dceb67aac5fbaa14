"""The compiled path agrees with the reference interpreter (outcome, reasons and their
messages, unknown rules with missing paths and errors, amount) on generated applicants, for
every policy of the library."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import yktrules
from yktrules.synth.applications import application

ROOT = Path(__file__).resolve().parents[1]
LIB = yktrules.load(ROOT / "policies")
CODES = sorted(LIB.policies)


def _key(d: yktrules.Decision) -> dict[str, object]:
    doc = d.to_dict()
    doc.pop("trace", None)
    for u in doc["unknown"]:
        u["errors"] = sorted(e["message"] + e["source"] for e in u.get("errors", []))
    return doc


@pytest.mark.parametrize("code", CODES)
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), p_unknown=st.sampled_from([0.0, 0.05, 0.3, 0.8]))
def test_compiled_equals_reference(code: str, seed: int, p_unknown: float) -> None:
    doc = LIB.parse_facts(application(random.Random(seed), seed % 1000, p_unknown))
    as_of = doc.application.date  # type: ignore[attr-defined]
    fast = LIB.evaluate(code, doc, as_of)
    ref = LIB.evaluate_reference(code, doc, as_of)
    assert _key(fast) == _key(ref)
    assert ref.trace is not None and set(ref.trace["rules"]) == {
        r.name for r in LIB.policy(code).rules
    }
