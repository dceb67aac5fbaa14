"""Roster audit throughput: the eight standard audits (audits/) on a synthetic roster.

    .venv/bin/python benchmarks/bench_audit.py 100000            # every engine
    .venv/bin/python benchmarks/bench_audit.py 1000000 --engine duckdb

Writes the roster once (``yktrules.synth.roster``, with two plants of each kind and one
40-card ring; ``--work``, default a temporary folder), then runs each engine in a process of
its own, one after the other, so that each peak resident memory is its own:

- ``duckdb``: ``AuditSet.run(engine="duckdb")``, the audits compiled to SQL;
- ``python``: ``AuditSet.run(engine="python")``, the reference interpreter;
- ``oracle``: ``tests/audit_oracle.py``, the same eight checks written by hand in plain Python
  over dicts (what a host would write without yktrules; it builds no messages and knows
  nothing of unknowns, so it is a floor, not a like-for-like peer).

Every engine must find exactly the planted findings (the script stops otherwise). Reported:
seconds to read the CSV into validated rows (shared by the yktrules engines), seconds to
audit, rows per second, the resident memory once the roster is read (the validated rows
in Python) and at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from yktrules.roster.io import read_table, write_table  # noqa: E402
from yktrules.roster.models import Agent, Death, Payment  # noqa: E402
from yktrules.synth.roster import AUDITS, synth_roster  # noqa: E402
from yktrules.synth.standards import load_standards  # noqa: E402

ENGINES = ("duckdb", "python", "oracle")


def prepare(work: Path, n: int, seed: int) -> Path:
    folder = work / f"roster-{n}-{seed}"
    if (folder / "expected.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    plants = {code: 2 for code in AUDITS} | {"AUD-08": 1}
    s = synth_roster(n, seed=seed, plants=plants, standard=load_standards(ROOT / "audits"))
    write_table(folder / "roster.csv", s.payments)
    write_table(folder / "deaths.csv", s.deaths)
    write_table(folder / "agents.csv", s.agents)
    found = [{"audit": a, "ids": sorted(ids)} for a, ids in sorted(s.expected, key=str)]
    (folder / "expected.json").write_text(json.dumps(found), "utf-8")
    return folder


def run_one(engine: str, folder: Path) -> dict[str, object]:
    t0 = time.perf_counter()
    roster = read_table(folder / "roster.csv", Payment)
    deaths = read_table(folder / "deaths.csv", Death)
    agents = read_table(folder / "agents.csv", Agent)
    assert not (roster.errors or deaths.errors or agents.errors)
    t_read = time.perf_counter() - t0
    rss_read = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    if engine == "oracle":
        from audit_oracle import detect

        std = load_standards(ROOT / "audits")
        got = detect(
            [p.model_dump() for _, p in roster.rows],
            [d.model_dump() for _, d in deaths.rows],
            [a.model_dump() for _, a in agents.rows],
            std,
        )
    else:
        from yktrules.audit import load_audits

        audits = load_audits(ROOT / "audits")
        report = audits.run(
            [p for _, p in roster.rows],
            {"deaths": [d for _, d in deaths.rows], "agents": [a for _, a in agents.rows]},
            engine=engine,  # type: ignore[arg-type]
            as_of=date(2026, 6, 1),
        )
        got = {(f.audit, frozenset(str(r.id) for r in f.records)) for f in report.findings}
    t_audit = time.perf_counter() - t0
    want = {
        (f["audit"], frozenset(f["ids"]))
        for f in json.loads((folder / "expected.json").read_text("utf-8"))
    }
    return {
        "engine": engine,
        "rows": len(roster.rows),
        "read_s": t_read,
        "audit_s": t_audit,
        "findings": len(got),
        "exact": got == want,
        "read_rss_mb": rss_read,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rows", type=int, nargs="?", default=100_000, help="clean payments")
    ap.add_argument("--engine", choices=[*ENGINES, "all"], default="all")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, help="folder for the roster")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="yktrules-audit-bench-"))
    folder = prepare(work, args.rows, args.seed)
    if args.child:
        print(json.dumps(run_one(args.engine, folder)))
        return
    engines = ENGINES if args.engine == "all" else (args.engine,)
    results = []
    for e in engines:
        cmd = [sys.executable, __file__, str(args.rows), "--seed", str(args.seed)]
        cmd += ["--work", str(work), "--engine", e, "--child"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(f"roster: {results[0]['rows']:,} rows in {folder}")
    print(
        "| engine | read s | audit s | audit rows/s | findings | exact "
        "| RSS after read MB | peak RSS MB |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for r in results:
        rate = float(r["rows"]) / max(float(r["audit_s"]), 1e-9)
        print(
            f"| {r['engine']} | {r['read_s']:.1f} | {r['audit_s']:.2f} | {rate:,.0f} | "
            f"{r['findings']} | {'yes' if r['exact'] else 'NO'} | {r['read_rss_mb']:.0f} | "
            f"{r['peak_rss_mb']:.0f} |"
        )
    if not all(r["exact"] for r in results):
        sys.exit("an engine did not find exactly the planted findings")


if __name__ == "__main__":
    main()
