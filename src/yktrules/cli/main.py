"""The `yktrules` command: a thin layer over the library (INTERFACES.md, "Command line")."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table

from ..bundle.loader import load_sources, read_sources
from ..errors import ArgumentError, FactsError, NoPolicyError, render_all
from ..facts.privacy import masked
from ..ir import regions
from ..screening.policyset import PolicySet
from ..tester import Runner, find_case_files
from .log import decisions_hook, eval_output, log_eval, privacy_options
from .support import date_arg, err, fail, load_policies, out, read_text_or_exit

if TYPE_CHECKING:
    from ..batch.runner import Summary


def _region_arg(_ctx: Any, _param: Any, value: str | None) -> str | None:
    if value is not None and not regions.is_code(value):
        raise click.BadParameter(f"`{value}` 不是6位行政区划代码")
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yktrules")
def cli() -> None:
    """yktrules: 惠民惠农补贴资格预审规则引擎 / subsidy eligibility rules."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def check(paths: tuple[str, ...], fmt: str) -> None:
    """Parse and check policies and parameter files (default: ./policies)."""
    sources, diags = read_sources(list(paths) or ["policies"])
    from ..facts.models import Application

    loaded = load_sources(sources, Application)
    diags += loaded.diagnostics
    errors = sum(d.is_error for d in diags)
    if fmt == "json":
        click.echo(json.dumps([d.to_dict() for d in diags], ensure_ascii=False, indent=2))
    else:
        n_pol = len(loaded.policies)
        if diags:
            click.echo(render_all(diags))
        if not errors:
            what = f"{n_pol} 个政策" + (f"、{loaded.audits} 条稽核" if loaded.audits else "")
            click.echo(
                f"✓ {len(sources.policies)} 个政策文件、{len(sources.params)} 个参数文件检查通过"
                f"（{what}）/ all clean"
            )
    sys.exit(1 if errors else 0)


@cli.command("eval")
@click.option("--policies", default="policies", show_default=True, type=click.Path())
@click.option("--item", required=True, help="item code (or the code of a policy extending it)")
@click.argument("facts_file", type=click.Path())
@click.option("--as-of", callback=date_arg, help="decision date, YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json")
@click.option("--trace", is_flag=True, help="add every let's and rule's value (JSON output)")
@privacy_options
def eval_(
    policies: str,
    item: str,
    facts_file: str,
    as_of: date | None,
    fmt: str,
    trace: bool,
    unmask: bool,
    log_file: str | None,
    actor: str | None,
) -> None:
    """Screen one application (a JSON file, or - for standard input)."""
    ps = load_policies(policies)
    text = read_text_or_exit(facts_file)
    try:
        facts = ps.parse_facts(text)
        d = ps.screen(facts, policy=item, as_of=as_of, trace=trace)
    except FactsError as e:
        fail(masked(f"{facts_file}: {e}", unmask), 2)
    except NoPolicyError as e:
        fail(str(e), 2)
    log_eval(log_file, actor, d, facts, unmask)
    click.echo(eval_output(d, fmt, unmask))


@cli.command("list")
@click.option("--policies", default="policies", show_default=True, type=click.Path())
@click.option("--region", callback=_region_arg, help="6-digit division code")
@click.option("--as-of", callback=date_arg, help="YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def list_(policies: str, region: str | None, as_of: date | None, fmt: str) -> None:
    """The policies in force, as a table."""
    ps = load_policies(policies)
    rows = ps.in_force(region, as_of)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "code": p.code,
                        "item": p.item,
                        "title": p.title,
                        "level": p.level,
                        "department": p.department,
                        "region": p.region,
                        "effective": p.effective.isoformat(),
                        "until": p.until.isoformat() if p.until else None,
                        "period": p.period,
                        "extends": p.parent,
                    }
                    for p in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    t = Table(title=f"补贴项目（{len(rows)}）")
    for col in ("代码", "项目", "名称", "层级", "部门", "地区", "有效期", "周期"):
        t.add_column(col)
    level = {"province": "省", "city": "市", "county": "县"}
    for p in rows:
        period = f"{p.effective} ~ {p.until or '长期'}"
        cells = (p.code, p.item, p.title, level[p.level], p.department or "", p.region)
        t.add_row(*(escape(c) for c in cells), period, p.period)
    out.print(t)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "-k",
    "keyword",
    metavar="EXPR",
    help='run only the cases whose name matches, as pytest -k: "住房 and not 两套"',
)
@click.option("--coverage", is_flag=True, help="report rule and condition coverage")
@click.option(
    "--coverage-json",
    type=click.Path(dir_okay=False),
    help="write the coverage report as JSON to this file",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="exit 1 when total rule coverage is below PCT percent",
)
@click.option("--junit", type=click.Path(dir_okay=False), help="write JUnit XML to this file")
def test(
    paths: tuple[str, ...],
    keyword: str | None,
    coverage: bool,
    coverage_json: str | None,
    fail_under: float | None,
    junit: str | None,
) -> None:
    """Run *.cases.yaml files (default: every one under the current folder)."""
    from ..tester import Coverage, Selector
    from ..tester.junit import write_junit
    from ..tester.report import failure_renderable, print_coverage

    try:
        select = Selector(keyword) if keyword is not None else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="-k") from None
    files, missing = find_case_files(list(paths) or ["."])
    if missing:
        fail("路径不存在 / no such file or folder: " + ", ".join(missing), 1)
    cov = Coverage() if coverage or coverage_json or fail_under is not None else None
    runner = Runner(coverage=cov)
    passed = failed = 0
    by_file = []
    for f in files:
        results = list(runner.run_file(f, select=select))
        by_file.append((str(f), results))
        for r in results:
            if r.passed:
                passed += 1
            else:
                failed += 1
                out.print(failure_renderable(r))
    if junit:
        try:
            write_junit(junit, by_file)
        except OSError as e:
            fail(f"无法写入 / cannot write {junit}: {e.strerror or e}", 2)
    below = False
    if cov is not None:
        report = cov.report()
        if coverage or fail_under is not None:
            print_coverage(out, report, detail=coverage)
        if coverage_json:
            try:
                Path(coverage_json).parent.mkdir(parents=True, exist_ok=True)
                text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
                Path(coverage_json).write_text(text + "\n", encoding="utf-8")
            except OSError as e:
                fail(f"无法写入 / cannot write {coverage_json}: {e.strerror or e}", 2)
        if fail_under is not None and report.below(fail_under):
            below = True
            click.echo(
                f"规则覆盖率 {report.rule_percent:.2f}% 低于 --fail-under {fail_under:g}% / "
                f"total rule coverage {report.rule_percent:.2f}% is below {fail_under:g}%"
            )
    if not (passed or failed):
        why = f"（-k {keyword}）" if keyword is not None else ""
        click.echo(f"没有运行任何用例{why} / no case ran")
    tail = f", {runner.deselected} deselected" if keyword is not None else ""
    click.echo(f"{passed} passed, {failed} failed{tail}")
    sys.exit(1 if failed or below or not (passed or failed) else 0)


@cli.command()
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
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "parquet"]),
    help="output format (default: from --out's suffix; jsonl on stdout)",
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
    chunk_size: int,
    progress: bool | None,
    master: str | None,
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
        _screen_spark(
            ps, input_file, out_file, item, all_items, as_of, master, fmt, summary, unmask
        )
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
) -> None:
    """`screen --engine spark`: the same rows, decided by Spark SQL (docs/spark.md)."""
    if out_file is None or input_file == "-":
        fail("--engine spark 需要输入文件和 --out 输出路径 / needs an input file and --out", 2)
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
        )
    except ArgumentError as e:
        fail(str(e), 2)
    except Exception as e:  # the engine must not print a traceback
        fail(f"批量审核失败 / screening failed: {type(e).__name__}: {e}", 1)
    if summary:
        from ..batch.runner import Summary

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


@cli.command("docs")
@click.option("--policies", default="policies", show_default=True, type=click.Path())
@click.option("--out", "docs_dir", default="docs", show_default=True, type=click.Path())
@click.option("--check", is_flag=True, help="write nothing; exit 1 if a page is out of date")
def docs_(policies: str, docs_dir: str, check: bool) -> None:
    """Regenerate the docs pages made from the policies (catalogue, 待核实 parameters) and
    the facts field tables."""
    from ..docgen import pages as docgen
    from ..facts.models import Application

    ps = load_policies(policies)
    out = Path(docs_dir)
    if not out.is_dir():
        fail(f"文档目录不存在 / no such folder: {docs_dir}", 2)
    if check:
        old = docgen.stale(out, ps, Application)
        if old:
            fail("生成的文档已过时，请运行 `yktrules docs` / out of date: " + ", ".join(old), 1)
        click.echo("生成的文档是最新的 / generated docs are up to date")
        return
    changed = docgen.write(out, ps, Application)
    click.echo("已更新 / updated: " + ", ".join(changed) if changed else "无需更新 / up to date")


# ---- commands that live with their feature: one import and one add_command each ----
from .audit import audit_command  # noqa: E402
from .diff import diff  # noqa: E402
from .fmt import fmt  # noqa: E402
from .fuzz import fuzz_command  # noqa: E402
from .log import log_command  # noqa: E402
from .notices import card_command, notice_command  # noqa: E402
from .synth import synth_command  # noqa: E402
from .synth_roster import synth_roster_command  # noqa: E402

cli.add_command(audit_command)
cli.add_command(log_command)
cli.add_command(diff)
cli.add_command(fmt)
cli.add_command(fuzz_command)
cli.add_command(synth_command)
cli.add_command(synth_roster_command)
cli.add_command(notice_command)
cli.add_command(card_command)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        fail("已中断 / interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
