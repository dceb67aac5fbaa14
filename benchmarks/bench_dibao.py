"""低保 (SC-MZ-001 and its Neijiang variants) on DuckDB, Parquet in -> Parquet out: the
yktrules DuckDB engine against a hand-written DuckDB query for the same logic, in the same
run, on the same file; every row checked to agree.

    .venv/bin/python benchmarks/bench_dibao.py 200000
    .venv/bin/python benchmarks/bench_dibao.py 1000000 --work /tmp/bench

The population (``synth.write_parquet``, seed 7, filed in 2024) is written once into
``--work``.  Each contender runs in a process of its own (its peak resident memory is its
own), one after the other:

- ``hand``: one SQL query written for 低保 alone — reads the Parquet file, computes the
  rules three-valued, the outcome, the rule names of the reasons and of the unknown rules
  and the amount, writes Parquet.  No validation, no messages.
- ``yktrules``: ``screen_to_file(..., item="SC-MZ-001", engine="duckdb")`` to Parquet:
  validation of every row; by default the compact layout (one row per decision: outcome,
  amount, the names of the reason and unknown rules, version), with ``--layout documents``
  the whole documents (messages, missing facts).
- ``python``: the Python engine on the first ``--python-rows`` rows (rows/s only).

Then the two Parquet outputs are compared row by row (outcome, reasons, unknown rules,
amount) and the ratio printed.  The baseline covers the variants in force in 2024 (the
Weiyuan variant starts in 2025); it refuses a population with other dates.
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import peak_mb  # noqa: E402  (one definition for both scripts)

#: The hand-written query: 低保 for applications filed in 2021-2024, Neijiang's variant
#: (and Zizhong's from 2022) where it applies, the province's elsewhere in Sichuan.
HAND = """
WITH f AS (
  SELECT file_row_number + 1 AS row_no, application.id AS app, application.date AS as_of,
    application.region AS reg, year(application.date) AS yr,
    starts_with(application.region, '5110') AS nj,
    application.region = '511025' AND application.date >= DATE '2022-01-01' AS zz,
    applicant.hukou_region AS hr, applicant.hukou_type AS ht, applicant.id_number AS aid,
    applicant.in_custody AS aic, household.members AS m,
    CAST(len(household.members) AS DECIMAL(38,10)) AS n,
    household.monthly_income AS income, household.properties AS props,
    household.vehicles AS cars_l, household.deposits AS deposits,
    household.businesses AS biz, records.applications AS apps, records IS NULL AS no_records
  FROM read_parquet(?, file_row_number = true)
), p AS (
  SELECT *,
    CASE WHEN nj THEN [640, 680, 720, 740][yr - 2020] ELSE [600, 640, 680, 700][yr - 2020] END
      AS urban,
    CASE WHEN nj THEN [480, 510, 540, 560][yr - 2020] ELSE [450, 480, 510, 530][yr - 2020] END
      AS rural
  FROM f
), l AS (
  SELECT *,
    CAST(CASE WHEN ht IS NULL THEN NULL WHEN ht = '城镇' THEN urban ELSE rural END
      AS DECIMAL(38,10)) AS line
  FROM p
), r AS (
  SELECT row_no, app, nj, zz, income, n,
    (hr = reg OR starts_with(hr, CASE WHEN reg LIKE '%0000' THEN substr(reg, 1, 2)
      WHEN reg LIKE '%00' THEN substr(reg, 1, 4) ELSE reg END)) AS local_hukou,
    CASE WHEN n = 0 THEN NULL ELSE income < l.line * n END AS low_income,
    CASE WHEN props IS NULL OR list_bool_or(list_transform(props, x -> x.kind IS NULL))
      THEN NULL ELSE len(list_filter(props, x -> x.kind = '住房')) >= 2 END AS two_homes,
    CASE WHEN cars_l IS NULL THEN NULL
      WHEN nj THEN (CASE WHEN list_bool_or(list_transform(cars_l, x ->
          (x.kind NOT IN ('残疾人代步车', '摩托车', '农用车') AND x.value >= 30000) IS NULL))
        THEN NULL ELSE len(list_filter(cars_l, x ->
          x.kind NOT IN ('残疾人代步车', '摩托车', '农用车') AND x.value >= 30000)) >= 1 END)
      ELSE (CASE WHEN list_bool_or(list_transform(cars_l, x -> x.kind IS NULL)) THEN NULL
        ELSE len(list_filter(cars_l, x ->
          x.kind NOT IN ('残疾人代步车', '摩托车', '农用车'))) >= 1 END) END AS has_vehicle,
    CASE coalesce(list_max(list_transform(m, x -> CASE x.public_servant WHEN TRUE THEN 2
      WHEN FALSE THEN 0 ELSE 1 END)), 0) WHEN 2 THEN TRUE WHEN 0 THEN FALSE END
      AS public_servant,
    aic AS applicant_in_custody,
    CASE coalesce(list_max(list_transform(m, x -> CASE (x.id_number <> aid AND x.in_custody)
      WHEN TRUE THEN 2 WHEN FALSE THEN 0 ELSE 1 END)), 0) WHEN 2 THEN TRUE WHEN 0 THEN FALSE END
      AS member_in_custody,
    deposits > 24 * l.line * n AS deposit_check,
    CASE WHEN biz IS NULL OR list_bool_or(list_transform(biz, x -> x.role IS NULL)) THEN NULL
      ELSE len(list_filter(biz, x -> x.role IN ('法定代表人', '股东'))) > 0 END AS company_role,
    CASE WHEN biz IS NULL OR list_bool_or(list_transform(biz, x -> x.role IS NULL)) THEN NULL
      ELSE len(list_filter(biz, x -> x.role = '个体工商户')) > 0 END AS self_employed,
    CASE WHEN apps IS NULL THEN NULL ELSE CASE coalesce(list_max(list_transform(apps, x ->
      CASE (x.item IN ('SC-MZ-001', 'NJ-MZ-001', 'NJ-ZZ-MZ-001') AND x.status = '已驳回'
        AND (year(as_of) * 12 + month(as_of)) - (year(x.date) * 12 + month(x.date))
          - CASE WHEN day(as_of) < day(x.date) THEN 1 ELSE 0 END < 12)
      WHEN TRUE THEN 2 WHEN FALSE THEN 0 ELSE 1 END)), 0) WHEN 2 THEN TRUE WHEN 0 THEN FALSE
      END END AS recent_rejection,
    l.line * n - income AS amount
  FROM l
), o AS (
  SELECT *,
    -- (name, kind, value) per rule, in the policy's order
    [('local_hukou', 'require', local_hukou), ('low_income', 'require', low_income),
     ('two_homes', 'deny', two_homes), ('has_vehicle', 'deny', has_vehicle),
     ('public_servant', 'deny', public_servant),
     ('applicant_in_custody', 'deny', applicant_in_custody),
     ('member_in_custody', 'review', member_in_custody)]
    || CASE WHEN nj THEN [('deposit_over_limit', 'deny', deposit_check),
         ('company_role', 'deny', company_role), ('self_employed', 'review', self_employed)]
       ELSE [('large_deposit', 'review', deposit_check)] END
    || CASE WHEN zz THEN [('recent_rejection', 'review', recent_rejection)] ELSE [] END
      AS rules
  FROM r
)
SELECT row_no AS line, app,
  CASE WHEN list_bool_or(list_transform(rules, x -> coalesce(x[3] = (x[2] <> 'require'), FALSE)
      AND x[2] <> 'review')) THEN 'ineligible'
    WHEN list_bool_or(list_transform(rules, x -> coalesce(x[3] = (x[2] <> 'require'), TRUE)))
      THEN 'review' ELSE 'eligible' END AS outcome,
  list_transform(list_filter(rules, x -> x[3] = (x[2] <> 'require')), x -> x[1]) AS reasons,
  list_transform(list_filter(rules, x -> x[3] IS NULL), x -> x[1]) AS unknown,
  amount
FROM o
"""


def child(args: argparse.Namespace) -> None:
    """One contender, in this process: prints its figures as JSON."""
    t0 = time.perf_counter()
    if args.child == "hand":
        import duckdb

        con = duckdb.connect()
        con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
        q = HAND
        final = (
            f"COPY (SELECT line, app, outcome, reasons, unknown, CASE WHEN outcome = 'eligible' "
            f"THEN CAST(round(amount, 2) AS DECIMAL(38,2)) END AS amount FROM ({q})) "
            f"TO '{args.out}' (FORMAT parquet)"
        )
        con.execute(final, [str(args.src)])
        rows = con.execute(f"SELECT count(*) FROM '{args.out}'").fetchone()[0]  # type: ignore[index]
        decisions = rows
    else:
        import yktrules
        from yktrules.batch import screen_to_file

        ps = yktrules.load(ROOT / "policies", validate=args.validate)
        t0 = time.perf_counter()  # the library is loaded once per process; not timed
        src = args.src
        if args.child == "python":
            import pyarrow as pa
            import pyarrow.parquet as pq

            # the first rows only (not the whole file in memory)
            first = next(pq.ParquetFile(src).iter_batches(batch_size=args.python_rows))
            src = pa.Table.from_batches([first])
            t0 = time.perf_counter()
        s = screen_to_file(
            ps,
            src,
            args.out,
            item="SC-MZ-001",
            engine=args.child_engine,
            format="parquet",
            layout=args.layout,
        )
        rows, decisions = s.rows, sum(s.decisions.values())
    seconds = time.perf_counter() - t0
    peak = peak_mb()
    print(json.dumps({"seconds": seconds, "rows": rows, "decisions": decisions, "peak_mb": peak}))


def run_child(args: argparse.Namespace, who: str, engine: str, out: Path) -> dict[str, float]:
    cmd = [
        sys.executable,
        __file__,
        str(args.rows),
        "--work",
        str(args.work),
        "--child",
        who,
        "--child-engine",
        engine,
        "--out",
        str(out),
        "--python-rows",
        str(args.python_rows),
        "--layout",
        args.layout,
        "--validate",
        args.validate,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def compare(hand: Path, ours: Path) -> int:
    """Rows that differ between the baseline and yktrules (outcome, reasons, unknown rules,
    amount); the baseline's rows are those with a decision."""
    import duckdb

    con = duckdb.connect()
    names = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM '{ours}'").fetchall()]
    if "decisions" in names:  # whole documents
        y = f"""SELECT line, d.outcome AS outcome,
            list_transform(d.reasons, x -> x.rule) AS reasons,
            list_transform(d.unknown, x -> x.rule) AS unknown,
            CAST(d.amount AS DECIMAL(38,2)) AS amount
          FROM (SELECT line, decisions[1] AS d FROM '{ours}' WHERE error IS NULL)"""
    else:  # one short row per decision
        y = f"""SELECT line, outcome, reasons, unknown, amount FROM '{ours}'
          WHERE error_type IS NULL"""
    q = f"""
    WITH y AS ({y})
    SELECT count(*) FROM '{hand}' h FULL JOIN y USING (line)
    WHERE h.outcome IS DISTINCT FROM y.outcome OR h.reasons IS DISTINCT FROM y.reasons
      OR h.unknown IS DISTINCT FROM y.unknown OR h.amount IS DISTINCT FROM y.amount
    """
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
    return con.execute(q).fetchone()[0]  # type: ignore[no-any-return,index]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--python-rows", type=int, default=5000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-engine", default="duckdb", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument(
        "--layout",
        choices=["documents", "decisions"],
        default="decisions",
        help="yktrules' Parquet: one short row per decision (as the baseline writes), or "
        "the whole documents",
    )
    ap.add_argument(
        "--validate",
        choices=["full", "read"],
        default="full",
        help="yktrules' facts validation: the whole document (default) or only the fields "
        "the library's policies read (yktrules.load(..., validate='read'))",
    )
    args = ap.parse_args()
    args.work = args.work or Path(tempfile.mkdtemp(prefix="yktrules-bench-"))
    args.work.mkdir(parents=True, exist_ok=True)
    args.src = args.work / f"population-{args.rows}-7.parquet"
    if args.child:
        child(args)
        return
    if not args.src.exists():
        from yktrules.synth.applications import write_parquet

        t0 = time.perf_counter()
        write_parquet(args.src, args.rows, seed=7)
        print(f"population: {args.rows} rows written in {time.perf_counter() - t0:.0f} s")
    hand = run_child(args, "hand", "", args.work / "hand.parquet")
    ours = run_child(args, "yktrules", "duckdb", args.work / "ours.parquet")
    py = run_child(args, "python", "python", args.work / "python.parquet")
    differ = compare(args.work / "hand.parquet", args.work / "ours.parquet")
    print(f"低保, {args.rows} rows, Parquet in -> Parquet out")
    for name, r in (("hand-written DuckDB", hand), ("yktrules duckdb", ours), ("python", py)):
        print(
            f"  {name:20s} {r['seconds']:7.2f} s  {r['rows'] / r['seconds']:>10,.0f} rows/s  "
            f"peak RSS {r['peak_mb']:6,.0f} MB"
        )
    ratio = ours["seconds"] / hand["seconds"]
    speedup = (ours["rows"] / ours["seconds"]) / (py["rows"] / py["seconds"])
    print(f"  yktrules / hand-written: {ratio:.2f}x the time; {speedup:.0f}x the Python engine")
    print(f"  rows that differ: {differ}")
    print("FIGURES " + json.dumps({"hand": hand, "yktrules": ours, "python": py, "differ": differ}))


if __name__ == "__main__":
    main()
