"""`yktrules screen`: many applications in (JSON Lines or Parquet), one result row per input
row out, on the Python, DuckDB or Spark engine, with a summary table on standard error."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from ..batch.summary import Summary
from ..errors import ArgumentError
from ..screening.policyset import PolicySet
from .log import decisions_hook, privacy_options
from .support import date_arg, err, fail, load_policies


@click.command()
@click.option("--policies", default="policies", show_default=True, type=click.Path())
@click.argument("input_file", type=click.Path())
@click.option("--out", "out_file", type=click.Path(), help="output file (default: stdout)")
@click.option("--item", help="screen every row for this item")
@click.option(
    "--all-items",
    is_flag=True,
    help="screen every item in force (default: the row's application.item, else every item)",
)
@click.option("--as-of", callback=date_arg, help="YYYY-MM-DD (default: each filing date)")
@click.option("--summary/--no-summary", default=True, help="print counts to stderr")
@click.option(
    "--engine",
    type=click.Choice(["python", "duckdb", "spark"]),
    default="python",
    show_default=True,
    help="python: row by row; duckdb: compiled SQL, in chunks; spark: compiled SQL on "
    "PySpark (master from --master or SPARK_MASTER, default local; needs --out)",
)
@click.option("--master", help="Spark master URL for --engine spark (default: $SPARK_MASTER)")
@click.option(
    "--driver-memory",
    help="--engine spark: the driver's memory (spark.driver.memory, e.g. 4g; all items "
    "need 2g or more)",
)
@click.option(
    "--spark-conf",
    "spark_conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="--engine spark: a Spark setting for the session (repeatable), e.g. "
    "spark.executor.memory=4g",
)
@click.option(
    "--part-files",
    is_flag=True,
    help="--engine spark: --out is a folder of part files in line order (default: one file)",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "parquet"]),
    help="output format (default: from --out's suffix; jsonl on stdout)",
)
@click.option(
    "--layout",
    type=click.Choice(["documents", "decisions"]),
    default="documents",
    show_default=True,
    help="Parquet: whole decision documents per row, or one short row per decision (no "
    "messages; the fastest)",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="rows per chunk (memory grows with it, not with the input)",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="progress bar on stderr (default: when stderr is a terminal)",
)
@privacy_options
def screen(
    policies: str,
    input_file: str,
    out_file: str | None,
    item: str | None,
    all_items: bool,
    as_of: date | None,
    summary: bool,
    engine: str,
    fmt: str | None,
    layout: str,
    chunk_size: int,
    progress: bool | None,
    master: str | None,
    driver_memory: str | None,
    spark_conf: tuple[str, ...],
    part_files: bool,
    unmask: bool,
    log_file: str | None,
    actor: str | None,
) -> None:
    """Screen many applications (JSON Lines, or Parquet by its suffix): one output row per
    input row, in order."""
    from ..batch.io import InputError, output_format
    from ..batch.runner import screen_to_file

    ps = load_policies(policies)
    if input_file != "-" and not Path(input_file).is_file():
        fail(f"文件不存在 / no such file: {input_file}", 2)
    source: Any = sys.stdin.buffer if input_file == "-" else input_file
    fmt = output_format(out_file, fmt)
    hook = decisions_hook(log_file, actor, engine, unmask)
    if engine == "spark":
        conf = dict(_setting(x) for x in spark_conf)
        if driver_memory:
            conf["spark.driver.memory"] = driver_memory
        _screen_spark(
            ps, input_file, out_file, item, all_items, as_of, master, fmt, summary, unmask,
            (conf, part_files),
        )  # fmt: skip
        return
    out: Any = out_file
    if out_file is None:
        out = sys.stdout.buffer if fmt == "parquet" else sys.stdout
    if progress is None:
        progress = sys.stderr.isatty()
    try:
        result = screen_to_file(
            ps,
            source,
            out,
            format=fmt,
            item=item,
            all_items=all_items,
            as_of=as_of,
            engine=engine,
            chunk_size=chunk_size,
            progress=progress,
            unmask=unmask,
            on_decisions=hook,
            layout=layout,
        )
    except InputError as e:
        fail(str(e), 2)
    except OSError as e:
        if isinstance(e, BrokenPipeError):
            raise
        where = out_file or "stdout"
        fail(f"无法写入 / cannot write {where}: {e.strerror or e}", 2)
    except Exception as e:  # the engine must not print a traceback
        fail(f"批量审核失败 / screening failed: {type(e).__name__}: {e}", 1)
    if summary:
        _print_summary(ps, result)


def _screen_spark(
    ps: PolicySet,
    input_file: str,
    out_file: str | None,
    item: str | None,
    all_items: bool,
    as_of: date | None,
    master: str | None,
    fmt: str,
    summary: bool,
    unmask: bool,
    spark: tuple[dict[str, str], bool],
) -> None:
    """`screen --engine spark`: the same rows, decided by Spark SQL (docs/spark.md)."""
    if out_file is None or input_file == "-":
        fail("--engine spark 需要输入文件和 --out 输出路径 / needs an input file and --out", 2)
    conf, part_files = spark
    try:
        from ..batch.spark import screen_spark
    except ImportError:
        fail("未安装 PySpark / pyspark is not installed: pip install 'yktrules[spark]'", 2)
    try:
        s = screen_spark(
            ps,
            input_file,
            out_file,
            item=item,
            all_items=all_items,
            as_of=as_of,
            master=master or os.environ.get("SPARK_MASTER"),
            format="parquet" if fmt == "parquet" else "jsonl",
            unmask=unmask,
            conf=conf,
            single_file=not part_files,
        )
    except ArgumentError as e:
        fail(str(e), 2)
    except Exception as e:  # the engine must not print a traceback
        fail(f"批量审核失败 / screening failed: {type(e).__name__}: {e}", 1)
    if summary:
        result = Summary(rows=s["rows"], screened=s["screened"], seconds=s["seconds"])
        result.errors.update(s["errors"])
        for it, outcomes in s["items"].items():
            for outcome, n in outcomes.items():
                result.decisions[(it, outcome)] += n
        _print_summary(ps, result)


_ERROR_ZH = {
    "facts": "材料有误",
    "encoding": "编码错误",
    "empty": "空行",
    "no_policy": "无适用政策",
    "internal": "内部错误",
}


def _setting(text: str) -> tuple[str, str]:
    key, eq, value = text.partition("=")
    if not eq or not key.strip():
        fail(f"--spark-conf 应为 KEY=VALUE / --spark-conf takes KEY=VALUE, not {text!r}", 2)
    return key.strip(), value.strip()


def _print_summary(ps: PolicySet, s: Summary) -> None:
    failed = "，".join(f"{n} 份{_ERROR_ZH.get(k, k)}" for k, n in sorted(s.errors.items()))
    t = Table(title=f"预审汇总：{s.rows} 份申请" + (f"（{failed}）" if failed else ""))
    for col in ("项目", "名称", "符合", "不符合", "需复核"):
        t.add_column(col)
    counts = s.decisions
    for item in sorted({i for i, _ in counts}):
        title = escape(ps.policy(item).title)
        t.add_row(
            item, title, *(str(counts[(item, o)]) for o in ("eligible", "ineligible", "review"))
        )
    err.print(t)
    o = s.outcomes
    n = sum(o.values())
    errors = sum(s.errors.values())
    rate = f"，{s.rows / s.seconds:,.0f} 行/秒，{n / s.seconds:,.0f} 个决定/秒" if s.seconds else ""
    err.print(
        f"{s.rows} 行 / rows（{errors} 行错误 / error rows），{n} 个决定 / decisions："
        f"符合 {o['eligible']}，不符合 {o['ineligible']}，需复核 {o['review']}；"
        f"用时 {s.seconds:.1f} 秒{rate}"
    )
    if s.fallback:
        err.print(
            f"[yellow]注意：引擎查询失败，其余 {s.python_rows} 行由 Python 引擎判定（结果不变）/ "
            f"note: the engine's query failed ({escape(s.fallback)}); the Python engine decided "
            "the rows it had not (same results)[/]"
        )
