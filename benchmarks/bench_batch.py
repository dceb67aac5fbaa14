"""Batch screening throughput: `yktrules.batch.screen_to_file`, the DuckDB engine against
the Python engine, in the same run, on a synthetic population.

    .venv/bin/python benchmarks/bench_batch.py 100000 --all-items --input parquet \\
        --format parquet --layout decisions               # the columnar path, every item
    .venv/bin/python benchmarks/bench_batch.py 20000 --all-items   # JSON Lines in and out
    .venv/bin/python benchmarks/bench_batch.py 1000000 --all-items --input parquet \\
        --format parquet --layout decisions --python-rows 5000
    .venv/bin/python benchmarks/bench_batch.py 20000 --engines duckdb,spark,python \\
        --python-rows 2000                                # Spark (local[2]) reads JSON Lines

Writes the population once (``--work``, default a temporary folder): JSON Lines, or typed
Parquet (``synth.write_parquet``) with ``--input parquet``.  Each engine screens it in a
process of its own, one after the other, so that each peak memory (VmHWM) is its own; the
Python engine screens the first ``--python-rows`` rows only (default: all), and the table
compares rates.  Per engine: rows/s, decisions/s, where the time went and peak memory.
"""

from __future__ import annotations

import argparse
import json
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


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def population(args: argparse.Namespace) -> Path:
    ext = "parquet" if args.input == "parquet" else "jsonl"
    src = args.work / f"population-{args.rows}-{args.seed}.{ext}"
    if not src.exists():
        t0 = time.perf_counter()
        write = synth.write_parquet if ext == "parquet" else synth.write_jsonl
        write(src, args.rows, seed=args.seed)
        print(f"population: {args.rows} rows in {time.perf_counter() - t0:.0f} s ({src.name})")
    return src


def one(args: argparse.Namespace) -> None:
    src = population(args)
    ps = yktrules.load(ROOT / "policies", validate=args.validate)
    source: object = src
    if args.engine == "python" and args.python_rows and args.python_rows < args.rows:
        import itertools

        import pyarrow as pa
        import pyarrow.parquet as pq

        if args.input == "parquet":  # the first rows only (not the whole file in memory)
            f = pq.ParquetFile(src, pre_buffer=False)
            source = pa.Table.from_batches([next(f.iter_batches(batch_size=args.python_rows))])
        else:
            with open(src, "rb") as f:
                source = list(itertools.islice(f, args.python_rows))
    t0 = time.perf_counter()
    if args.engine == "spark":
        spark(args, ps, src, t0)
        return
    s = screen_to_file(
        ps,
        source,
        args.work / f"out-{args.engine}.{args.format}",
        format=args.format,
        layout=args.layout,
        all_items=args.all_items,
        engine=args.engine,
        chunk_size=args.chunk_size,
    )
    seconds = time.perf_counter() - t0
    decisions = sum(s.decisions.values())
    peak = peak_mb()
    print(
        f"{s.rows} rows, {args.engine}, {args.input} -> {args.format} ({args.layout}), "
        f"{'all items' if args.all_items else 'own item'}: {seconds:.1f} s, "
        f"{s.rows / seconds:,.0f} rows/s, {decisions / seconds:,.0f} decisions/s; engine "
        f"{s.engine_seconds:.1f} s, writing {s.write_seconds:.1f} s; errors "
        f"{dict(s.errors)}; peak memory {peak:,.0f} MB"
    )
    figures = {"seconds": seconds, "rows": s.rows, "decisions": decisions, "peak_mb": peak}
    print("FIGURES " + json.dumps(figures))


def spark(args: argparse.Namespace, ps: yktrules.PolicySet, src: Path, t0: float) -> None:
    """The Spark engine (JSON Lines in; local[2] unless SPARK_MASTER), with a 2 GB driver."""
    import os

    from yktrules.batch.spark import screen_spark

    if src.suffix != ".jsonl":
        sys.exit("--engine spark reads JSON Lines: use --input jsonl")
    fmt = "parquet" if args.format == "parquet" else "jsonl"
    s = screen_spark(
        ps,
        str(src),
        str(args.work / f"out-spark.{fmt}"),
        all_items=args.all_items,
        master=os.environ.get("SPARK_MASTER", "local[2]"),
        format=fmt,  # type: ignore[arg-type]
        conf={"spark.driver.memory": "2g"},
    )
    seconds = time.perf_counter() - t0
    print(
        f"{s['rows']} rows, spark, {args.input} -> {fmt}: {seconds:.1f} s, "
        f"{s['rows'] / seconds:,.0f} rows/s, {s['decisions'] / seconds:,.0f} decisions/s; "
        f"{s['policies']} policies; errors {s['errors']}; driver peak (Python) {peak_mb():,.0f} MB"
    )
    figures = {"seconds": seconds, "rows": s["rows"], "decisions": s["decisions"]}
    print("FIGURES " + json.dumps({**figures, "peak_mb": peak_mb()}))


def compare(args: argparse.Namespace) -> None:
    """Each engine in a process of its own, then the figures side by side."""
    population(args)
    rows: dict[str, dict[str, float]] = {}
    for engine in args.engines.split(","):
        cmd = [sys.executable, __file__, str(args.rows), "--engine", engine]
        cmd += ["--work", str(args.work), "--format", args.format, "--layout", args.layout]
        cmd += ["--input", args.input, "--chunk-size", str(args.chunk_size)]
        cmd += ["--seed", str(args.seed), "--validate", args.validate]
        cmd += ["--python-rows", str(args.python_rows)]
        cmd += ["--all-items"] if args.all_items else []
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("FIGURES "):
                rows[engine] = json.loads(line[8:])
            else:
                print(line)
    base = rows["python"]["decisions"] / rows["python"]["seconds"]
    print("\n| engine | rows | seconds | decisions/s | peak memory MB | rate vs python |")
    print("|---|---:|---:|---:|---:|---:|")
    for engine, f in rows.items():
        rate = f["decisions"] / f["seconds"]
        print(
            f"| {engine} | {f['rows']:,} | {f['seconds']:.1f} | {rate:,.0f} | "
            f"{f['peak_mb']:,.0f} | {rate / base:.1f}x |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("--all-items", action="store_true", help="every item in force per row")
    ap.add_argument("--input", choices=["jsonl", "parquet"], default="jsonl")
    ap.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl")
    ap.add_argument("--layout", choices=["documents", "decisions"], default="documents")
    ap.add_argument("--engine", choices=["python", "duckdb", "spark", "both"], default="both")
    ap.add_argument("--engines", default="duckdb,python", help="with --engine both: which")
    ap.add_argument("--python-rows", type=int, default=0, help="rows the Python engine screens")
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--validate", choices=["full", "read"], default="full")
    ap.add_argument("--work", type=Path, help="folder for the population and the output")
    args = ap.parse_args()
    args.work = args.work or Path(tempfile.mkdtemp(prefix="yktrules-bench-"))
    args.work.mkdir(parents=True, exist_ok=True)
    if args.engine == "both":
        compare(args)
    else:
        one(args)


if __name__ == "__main__":
    main()
