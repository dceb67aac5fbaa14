"""Microseconds per decision for the 低保 item (SC-MZ-001): facts dict in, Decision out.

Run: .venv/bin/python benchmarks/bench_decision.py [N]
Prints the figure for the whole path and for its two halves (facts validation; evaluation on
validated facts) so a regression can be located, side by side for the two validation modes:
``validate="full"`` (the default: the whole document) and ``validate="read"`` (only the fields
the loaded policies read), the latter for the whole library and for a set of only the 低保
policies (the provincial one and its 内江 variants).
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

import yktrules
from yktrules.synth.applications import population

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
# SC-MZ-001 and the variants an application of the synthetic population may resolve to
DIBAO = [
    POLICIES / "sichuan" / "dibao.ykt",
    POLICIES / "neijiang" / "dibao.ykt",
    POLICIES / "neijiang" / "weiyuan_dibao.ykt",
    POLICIES / "neijiang" / "zizhong_dibao.ykt",
    POLICIES / "params",
]
ROUNDS = 2  # the best of two rounds per mode, interleaved, to damp a shared machine's noise


def measure(ps: yktrules.PolicySet, apps: list[dict[str, Any]]) -> dict[str, Any]:
    """µs per application: screen (dict in, Decision out), validation, evaluation."""
    n = len(apps)
    for a in apps[:200]:  # warm caches (parameter resolution, version digests)
        ps.screen(a, policy="SC-MZ-001")
    gc.collect()
    outcomes: dict[str, int] = {}
    t0 = time.perf_counter()
    for a in apps:  # a host handles each decision and lets it go
        o = ps.screen(a, policy="SC-MZ-001").outcome.value
        outcomes[o] = outcomes.get(o, 0) + 1
    screen = (time.perf_counter() - t0) / n * 1e6

    t0 = time.perf_counter()
    for a in apps:
        ps.parse_facts(a)
    validate = (time.perf_counter() - t0) / n * 1e6

    docs = [ps.parse_facts(a) for a in apps]
    gc.collect()
    gc.freeze()  # the validated documents are long-lived input here, not garbage
    t0 = time.perf_counter()
    for d in docs:
        ps._screen(d, "SC-MZ-001", d.application.date)
    evaluate = (time.perf_counter() - t0) / n * 1e6
    del docs
    gc.unfreeze()
    gc.collect()
    gc.freeze()  # the input dicts stay frozen
    return {"screen": screen, "validate": validate, "evaluate": evaluate, "outcomes": outcomes}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    sets = {
        "full": yktrules.load(POLICIES),
        "read": yktrules.load(POLICIES, validate="read"),
        "read, 低保 only": yktrules.load(DIBAO, validate="read"),
    }
    apps = list(population(n, seed=42))
    # The input dicts are long-lived input, not garbage: keep the cyclic collector from
    # rescanning them on every collection (a host streaming rows never holds them all).
    gc.collect()
    gc.freeze()

    best: dict[str, dict[str, Any]] = {}
    for _ in range(ROUNDS):
        for mode, ps in sets.items():
            r = measure(ps, apps)
            if mode in best and r["outcomes"] != best[mode]["outcomes"]:
                raise SystemExit(f"{mode}: outcomes differ between rounds")
            if mode not in best or r["screen"] < best[mode]["screen"]:
                best[mode] = r
            else:
                for k in ("validate", "evaluate"):
                    best[mode][k] = min(best[mode][k], r[k])
    outcomes = {m: r["outcomes"] for m, r in best.items()}
    if len({repr(sorted(o.items())) for o in outcomes.values()}) != 1:
        raise SystemExit(f"the validation modes disagree: {outcomes}")

    print(f"applications: {n}  outcomes: {best['full']['outcomes']}")
    print(f"validate=                      {''.join(f'{m:>17}' for m in best)}")
    for label, key in (
        ("screen (dict in, Decision out)", "screen"),
        ("  facts validation", "validate"),
        ("  evaluation (validated facts)", "evaluate"),
    ):
        row = "".join(f"{best[m][key]:14.1f} µs" for m in best)
        print(f"{label:<31}{row}")


if __name__ == "__main__":
    main()
