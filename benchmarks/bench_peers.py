"""yktrules against two peer rule engines on the 低保 policy SC-MZ-001: facts dict in,
decision out, microseconds per decision.

Run: .venv/bin/python benchmarks/bench_peers.py [N]   (needs the extra: pip install -e '.[bench]')

Engines: the yktrules fast path (`parse_facts` + `evaluate`, the provincial policy), the
yktrules reference interpreter (`parse_facts` + `evaluate_reference`), `rule-engine` and
`zen-engine` (benchmarks/peers/).  Before timing, every peer decision is checked against
yktrules (outcome, rules that fired with their kinds, amount) on every application whose facts
are all known; the timings are taken on those same applications.  `screen` end to end (which
resolves the municipal/county variant of the item) is reported for reference, on those
applications and on all N.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
import time
from collections.abc import Callable
from typing import Any

from peers.dibao import ROOT, PeerDecision, RuleEnginePeer, ZenPeer, complete

import yktrules
from yktrules.synth.applications import population

CODE = "SC-MZ-001"


def ours(d: Any) -> PeerDecision:
    return PeerDecision(d.outcome.value, tuple((r.rule, r.kind) for r in d.reasons), d.amount)


def per_decision(fn: Callable[[dict[str, Any]], object], rows: list[dict[str, Any]]) -> float:
    for a in rows[:200]:  # warm caches (parameter lookup, version digests)
        fn(a)
    gc.collect()
    t0 = time.perf_counter()
    for a in rows:
        fn(a)
    return (time.perf_counter() - t0) / len(rows) * 1e6


def main() -> None:
    missing = [m for m in ("rule_engine", "zen") if importlib.util.find_spec(m) is None]
    if missing:  # the optional extra is not installed
        sys.exit(
            f"bench_peers needs the peer engines ({', '.join(missing)} not installed): "
            "pip install -e '.[bench]'  (rule-engine, zen-engine)"
        )
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    ps = yktrules.load(ROOT / "policies")
    rule_engine_peer = RuleEnginePeer()
    zen_peer = ZenPeer()
    apps = list(population(n, seed=42))
    rows = [a for a in apps if complete(a)]

    def fast(a: dict[str, Any]) -> Any:
        doc = ps.parse_facts(a)
        return ps.evaluate(CODE, doc, doc.application.date)

    def reference(a: dict[str, Any]) -> Any:
        doc = ps.parse_facts(a)
        return ps.evaluate_reference(CODE, doc, doc.application.date)

    def screen(a: dict[str, Any]) -> Any:
        return ps.screen(a, policy=CODE)

    outcomes: dict[str, int] = {}
    for a in rows:
        want = ours(fast(a))
        outcomes[want.outcome] = outcomes.get(want.outcome, 0) + 1
        ref = reference(a)
        if ref.unknown:
            raise SystemExit(f"{a['application']['id']}: unknown rules with all facts known")
        for name, got in (
            ("reference", ours(ref)),
            ("rule-engine", rule_engine_peer.decide(a)),
            ("zen-engine", zen_peer.decide(a)),
        ):
            if got != want:
                raise SystemExit(
                    f"{a['application']['id']}: {name} disagrees with yktrules\n"
                    f"  yktrules: {want}\n  {name}: {got}"
                )
    print(f"applications: {n}, with every fact SC-MZ-001 reads known: {len(rows)}")
    print(f"compared on {len(rows)} rows: outcome, fired rules and amount agree for all engines")
    print(f"outcomes: {outcomes}")

    # The input dicts are long-lived: keep the cyclic collector from rescanning them.
    gc.collect()
    gc.freeze()
    engines: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
        ("yktrules fast path (parse_facts + evaluate)", fast),
        ("yktrules reference (parse_facts + evaluate_reference)", reference),
        ("rule-engine", rule_engine_peer.decide),
        ("zen-engine", zen_peer.decide),
        ("yktrules screen (resolves the local variant)", screen),
    ]
    results = [(name, per_decision(fn, rows)) for name, fn in engines]
    results.append((f"yktrules screen, all {n} applications", per_decision(screen, apps)))
    base = results[0][1]

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{CODE}: facts dict in, decision out ({len(rows)} applications)")
    table.add_column("engine")
    table.add_column("µs/decision", justify="right")
    table.add_column("× fast path", justify="right")
    for name, us in results:
        table.add_row(name, f"{us:.1f}", f"{us / base:.2f}")
    Console().print(table)
    print(
        "yktrules decisions also carry messages, unknown rules with their missing fact paths,\n"
        "the version and the policy; the peers return only outcome, fired rules and amount,\n"
        "and do not validate the facts (yktrules' times include pydantic validation)."
    )


if __name__ == "__main__":
    main()
