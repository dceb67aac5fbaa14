"""Microseconds per decision for the 低保 item (SC-MZ-001): facts dict in, Decision out.

Run: .venv/bin/python benchmarks/bench_decision.py [N]
Prints the figure for the whole path and for its two halves (facts validation; evaluation on
validated facts) so a regression can be located.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import yktrules
from yktrules.synth import population

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    ps = yktrules.load(ROOT / "policies")
    apps = list(population(n, seed=42))
    for a in apps[:200]:  # warm caches (parameter resolution, version digests)
        ps.screen(a, policy="SC-MZ-001")
    # The 20,000 input dicts are long-lived input, not garbage: keep the cyclic collector from
    # rescanning them on every collection (a host streaming rows never holds them all).
    gc.collect()
    gc.freeze()

    outcomes: dict[str, int] = {}
    t0 = time.perf_counter()
    for a in apps:  # a host handles each decision and lets it go
        o = ps.screen(a, policy="SC-MZ-001").outcome.value
        outcomes[o] = outcomes.get(o, 0) + 1
    full = (time.perf_counter() - t0) / n * 1e6

    t0 = time.perf_counter()
    for a in apps:
        ps.parse_facts(a)
    validate = (time.perf_counter() - t0) / n * 1e6

    docs = [ps.parse_facts(a) for a in apps]
    gc.freeze()
    t0 = time.perf_counter()
    for d in docs:
        ps._screen(d, "SC-MZ-001", d.application.date)
    evaluate = (time.perf_counter() - t0) / n * 1e6

    print(f"applications: {n}  outcomes: {outcomes}")
    print(f"screen (dict in, Decision out): {full:8.1f} µs/decision")
    print(f"  facts validation:             {validate:8.1f} µs")
    print(f"  evaluation (validated facts): {evaluate:8.1f} µs")


if __name__ == "__main__":
    main()
