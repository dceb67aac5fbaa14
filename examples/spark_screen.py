"""Screen a JSON Lines file of applications on Spark (docs/spark.md).

Locally (Spark in this process, two cores)::

    python examples/spark_screen.py policies applications.jsonl out/decisions.jsonl

On a cluster, with the master and the rest from spark-submit::

    spark-submit --master yarn --deploy-mode cluster \\
        --archives yktrules-env.tar.gz#env,policies.zip#policies \\
        --conf spark.pyspark.python=./env/bin/python \\
        examples/spark_screen.py policies hdfs:///screening/2024.jsonl hdfs:///screening/out

Arguments: POLICIES INPUT OUTPUT [--item CODE | --all-items] [--as-of YYYY-MM-DD]
[--parquet] [--single-file].  The master is SPARK_MASTER (or spark-submit's --master);
without either, Spark runs locally.  The counts are printed as JSON on standard output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date

import yktrules
from yktrules.batch.spark import screen_spark
from yktrules.errors import YktError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("policies", help="policy folder (on the driver)")
    ap.add_argument("input", help="JSON Lines: a file, a folder or a glob, any Spark file system")
    ap.add_argument("output", help="result file (local) or folder of part files")
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--item", help="screen every row for this item")
    which.add_argument("--all-items", action="store_true", help="every item in force")
    ap.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: filing date)")
    ap.add_argument("--parquet", action="store_true", help="write Parquet, not JSON Lines")
    ap.add_argument("--single-file", action="store_true", default=None, help="one output file")
    args = ap.parse_args(argv)
    try:
        ps = yktrules.load(args.policies)
        summary = screen_spark(
            ps,
            args.input,
            args.output,
            item=args.item,
            all_items=args.all_items,
            as_of=args.as_of,
            master=os.environ.get("SPARK_MASTER"),
            format="parquet" if args.parquet else None,
            single_file=args.single_file,
        )
    except YktError as e:
        print(e, file=sys.stderr)
        return 2
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
