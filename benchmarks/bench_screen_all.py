"""Microseconds per applicant for `screen_all` over the whole library: facts dict in, one
decision per item in force out.

Run: .venv/bin/python benchmarks/bench_screen_all.py [N]
Screens N synthetic applications (`yktrules.synth.population(N, seed=42)`, 5,000 by
default) and prints µs per applicant, decisions per applicant and decisions per second, then
the two halves: facts validation and screening of validated facts.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import yktrules
from yktrules.synth.applications import population

ROOT = Path(__file__).resolve().parents[1]
TARGET_US = 1000.0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    ps = yktrules.load(ROOT / "policies")
    apps = list(population(n, seed=42))
    for a in apps[:200]:  # warm the per-(region, epoch) environments
        ps.screen_all(a)
    # The input dicts are long-lived input, not garbage: keep the cyclic collector from
    # rescanning them on every collection (a host streaming rows never holds them all).
    gc.collect()
    gc.freeze()

    decisions = 0
    outcomes: dict[str, int] = {}
    t0 = time.perf_counter()
    for a in apps:  # a host handles each applicant's decisions and lets them go
        ds = ps.screen_all(a)
        decisions += len(ds)
        for d in ds:
            outcomes[d.outcome.value] = outcomes.get(d.outcome.value, 0) + 1
    elapsed = time.perf_counter() - t0
    per_app = elapsed / n * 1e6

    t0 = time.perf_counter()
    for a in apps:
        ps.parse_facts(a)
    validate = (time.perf_counter() - t0) / n * 1e6

    docs = [ps.parse_facts(a) for a in apps]
    gc.collect()
    gc.freeze()
    t0 = time.perf_counter()
    for doc in docs:
        ps.screen_all(doc)  # an instance of the schema is not validated again
    evaluate = (time.perf_counter() - t0) / n * 1e6

    print(f"applications: {n}  items: {len(ps.items)}  policies: {len(ps.policies)}")
    print(f"decisions: {decisions} ({decisions / n:.1f} per applicant)  outcomes: {outcomes}")
    print(
        f"screen_all (dict in, decisions out): {per_app:8.1f} µs/applicant  "
        f"({per_app / TARGET_US:.2f} × the {TARGET_US:.0f} µs target)"
    )
    print(f"  facts validation:                  {validate:8.1f} µs")
    print(f"  screening (validated facts):       {evaluate:8.1f} µs")
    print(f"throughput: {decisions / elapsed:,.0f} decisions/s  {n / elapsed:,.0f} applicants/s")


if __name__ == "__main__":
    main()
