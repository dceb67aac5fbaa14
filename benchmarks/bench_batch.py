"""Batch screening throughput: `yktrules.batch.screen_to_file` on a synthetic population.

    .venv/bin/python benchmarks/bench_batch.py 20000 --all-items            # both engines
    .venv/bin/python benchmarks/bench_batch.py 1000000 --all-items --format parquet
    .venv/bin/python benchmarks/bench_batch.py 100000 --engine duckdb       # one engine

Writes the population once (``--work``, default a temporary folder).  With ``--engine both``
(the default) each engine screens it in a process of its own, one after the other, so that
each peak resident memory is its own; the table compares them.  Per engine: rows/s,
decisions/s, where the time went (validation runs in a worker thread, overlapping the
engine and the writing) and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import yktrules  # noqa: E402
from yktrules.batch import screen_to_file  # noqa: E402
from yktrules.synth import applications as synth  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("--all-items", action="store_true", help="every item in force per row")
    ap.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl")
    ap.add_argument("--engine", choices=["python", "duckdb", "both"], default="both")
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--validate", choices=["full", "read"], default="full", help="yktrules.load(validate=…)"
    )
    ap.add_argument("--work", type=Path, help="folder for the population and the output")
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="yktrules-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / f"population-{args.rows}-{args.seed}.jsonl"
    if not src.exists():
        synth.write_jsonl(src, args.rows, seed=args.seed)
    if args.engine == "both":
        compare(args, work)
        return
    ps = yktrules.load(ROOT / "policies", validate=args.validate)
    t0 = time.perf_counter()
    s = screen_to_file(
        ps,
        src,
        work / f"out.{args.format}",
        all_items=args.all_items,
        engine=args.engine,
        chunk_size=args.chunk_size,
    )
    seconds = time.perf_counter() - t0
    decisions = sum(s.decisions.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.rows} rows, {args.engine}, {args.format}, validate={args.validate}, "
        f"{'all items' if args.all_items else 'own item'}: {seconds:.1f} s, "
        f"{args.rows / seconds:,.0f} rows/s, {decisions / seconds:,.0f} decisions/s; "
        f"validation {s.validate_seconds:.1f} s (worker thread), engine "
        f"{s.engine_seconds:.1f} s, writing {s.write_seconds:.1f} s; "
        f"errors {dict(s.errors)}; peak RSS {peak:,.0f} MB"
    )
    figures = {"seconds": seconds, "rows": args.rows, "decisions": decisions, "peak_mb": peak}
    print("FIGURES " + json.dumps(figures))


def compare(args: argparse.Namespace, work: Path) -> None:
    """Each engine in a process of its own, then the figures side by side."""
    rows: dict[str, dict[str, float]] = {}
    for engine in ("duckdb", "python"):
        cmd = [sys.executable, __file__, str(args.rows), "--engine", engine, "--work", str(work)]
        cmd += ["--format", args.format, "--chunk-size", str(args.chunk_size)]
        cmd += ["--seed", str(args.seed), "--validate", args.validate]
        cmd += ["--all-items"] if args.all_items else []
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("FIGURES "):
                rows[engine] = json.loads(line[8:])
            else:
                print(line)
    base = rows["python"]["seconds"]
    print("\n| engine | seconds | decisions/s | peak RSS MB | speed vs python |")
    print("|---|---:|---:|---:|---:|")
    for engine, f in rows.items():
        print(
            f"| {engine} | {f['seconds']:.1f} | {f['decisions'] / f['seconds']:,.0f} | "
            f"{f['peak_mb']:,.0f} | {base / f['seconds']:.2f}x |"
        )


if __name__ == "__main__":
    main()
