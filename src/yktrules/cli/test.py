"""`yktrules test`: run `*.cases.yaml` files, with coverage, `--fail-under`, `-k` and JUnit
XML (INTERFACES.md, "Test cases")."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..tester import Runner, find_case_files
from .support import fail, out


@click.command()
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
