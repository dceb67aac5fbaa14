"""Seconds to load the policy library: cold without a cache, cold writing the cache, warm
from the cache; each run in a fresh interpreter, with `import yktrules` timed apart.

Run: .venv/bin/python benchmarks/bench_load.py [RUNS]
Each scenario runs RUNS times (5 by default) in its own subprocess; the table shows the
median and the fastest run, and the median load time as a multiple of the targets (1 s
cold, 0.2 s warm).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"cold": 1.0, "warm": 0.2}

CHILD = """
import json, sys, time
t0 = time.perf_counter()
import yktrules
t1 = time.perf_counter()
ps = yktrules.load(sys.argv[1], cache=sys.argv[2] == "on")
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "policies": len(ps.policies)}))
"""


def run(cache: bool, cache_dir: Path) -> dict[str, float]:
    env = dict(os.environ, YKTRULES_CACHE_DIR=str(cache_dir))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "policies"), "on" if cache else "off"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    work = Path(tempfile.mkdtemp(prefix="yktrules-bench-load-"))
    try:
        rows: dict[str, list[dict[str, float]]] = {"off": [], "write": [], "warm": []}
        for i in range(runs):
            rows["off"].append(run(False, work / "unused"))
            fresh = work / f"cache-{i}"  # empty: the load checks the set and writes the entry
            rows["write"].append(run(True, fresh))
            rows["warm"].append(run(True, fresh))
        assert not (work / "unused").exists(), "cache=False wrote a cache"
    finally:
        shutil.rmtree(work, ignore_errors=True)

    labels = {
        "off": ("cold, cache disabled (cache=False)", "cold"),
        "write": ("cold, empty cache dir (check + write)", "cold"),
        "warm": ("warm, from the cache", "warm"),
    }
    n = int(rows["off"][0]["policies"])
    print(f"policies: {n}  runs per scenario: {runs}  (each in a fresh interpreter)")
    print()
    head = (
        f"{'scenario':40} {'import s':>9} {'load s':>8} {'min s':>7} {'total s':>8} {'target':>7}"
    )
    print(head + f" {'× target':>9}")
    print("-" * (len(head) + 10))
    for key, (label, kind) in labels.items():
        imp = statistics.median(r["import"] for r in rows[key])
        load = statistics.median(r["load"] for r in rows[key])
        fastest = min(r["load"] for r in rows[key])
        target = TARGETS[kind]
        print(
            f"{label:40} {imp:9.3f} {load:8.3f} {fastest:7.3f} {imp + load:8.3f} "
            f"{target:7.1f} {load / target:9.2f}"
        )
    print()
    print("import s: `import yktrules`; load s: `yktrules.load(...)` (median; min s the fastest)")


if __name__ == "__main__":
    main()
