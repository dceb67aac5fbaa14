"""`yktrules fuzz PATH`: generated applicants through every policy of a folder, on the
compiled path and the reference interpreter; a thin layer over `yktrules.testing.fuzz`.

Exit codes: 0 nothing alarming; 1 evaluation errors, crashes or a disagreement between the
two paths; 2 bad arguments, or policies that do not check."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from ..errors import ArgumentError, PolicyError
from ..screening.policyset import PolicySet, load
from .support import fail

if TYPE_CHECKING:
    from ..testing.fuzz import Finding, FuzzReport

_OUTCOME_ZH = {"eligible": "符合", "ineligible": "不符合", "review": "需复核"}


@click.command("fuzz")
@click.argument("path", type=click.Path())
@click.option(
    "--examples",
    "-n",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="generated applicants per policy",
)
@click.option("--seed", type=int, default=0, show_default=True, help="same seed, same report")
@click.option(
    "--policy",
    "codes",
    multiple=True,
    metavar="CODE",
    help="only this policy (repeatable; default: every policy in PATH)",
)
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False),
    help="also write the full report, with unmasked facts, as JSON",
)
def fuzz_command(
    path: str, examples: int, seed: int, codes: tuple[str, ...], json_file: str | None
) -> None:
    """Screen generated applicants with every policy in PATH on both evaluation paths;
    report evaluation errors (shrunk to a minimal applicant), disagreements between the
    compiled path and the reference interpreter, rules never true or never false, and an
    example applicant per outcome."""
    try:
        from ..testing.fuzz import run_fuzz
    except ImportError as e:
        fail(
            "yktrules fuzz 需要 Hypothesis：pip install 'yktrules[testing]' / "
            f"fuzz needs Hypothesis ({e})",
            2,
        )
    if not Path(path).exists():
        fail(f"路径不存在 / no such file or folder: {path}", 2)
    if json_file is not None and not Path(json_file).resolve().parent.is_dir():
        fail(f"无法写入 / cannot write {json_file}: 所在目录不存在 / no such folder", 2)
    try:
        ps = load(path)
    except PolicyError as e:
        fail(f"政策目录 {path} 未通过检查 / the policies do not check:\n\n{e}", 2)
    if not ps.policies:
        fail(f"{path} 中没有政策文件（.ykt）/ no policies found", 2)
    err = Console(stderr=True, highlight=False)
    progress = (lambda msg: err.print(f"· {msg}", markup=False)) if err.is_terminal else None
    try:
        with _hypothesis_storage():
            report = run_fuzz(
                ps, examples=examples, seed=seed, codes=codes or None, progress=progress
            )
    except ArgumentError as e:
        fail(str(e), 2)
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    _print_report(out, ps, path, report)
    if json_file is not None:
        try:
            Path(json_file).write_text(
                json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n",
                encoding="utf-8",
            )
        except OSError as e:
            fail(f"无法写入 / cannot write {json_file}: {e.strerror}", 2)
    sys.exit(report.exit_code)


@contextlib.contextmanager
def _hypothesis_storage() -> Iterator[None]:
    """Hypothesis keeps caches in `./.hypothesis` even without an example database; point
    it at a temporary folder for the run, so that nothing is left in the user's folder."""
    from hypothesis import configuration

    before = getattr(configuration, "__hypothesis_home_directory", None)
    with tempfile.TemporaryDirectory(prefix="yktrules-fuzz-") as home:
        configuration.set_hypothesis_home_dir(home)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(before)


# ------------------------------------------------------------------ the text report
def _print_report(out: Console, ps: PolicySet, path: str, report: FuzzReport) -> None:
    from ..testing.fuzz import compact_json

    def echo(text: str = "") -> None:
        click.echo(text)

    echo(
        f"模糊测试 / fuzz：{path}，{len(report.policies)} 个政策，每个政策 {report.examples} "
        f"份生成申请（seed {report.seed}）"
    )
    t = Table(title="各政策结论分布 / outcomes", title_justify="left")
    for col in ("政策", "名称", "符合", "不符合", "需复核", "从未成立", "从未不成立"):
        t.add_column(col)
    for p in report.policies:
        t.add_row(
            p.code,
            p.title,
            *(str(p.outcomes.get(o, 0)) for o in ("eligible", "ineligible", "review")),
            str(len(p.never_true)),
            str(len(p.never_false)),
        )
    out.print(t)

    if report.disagreements:
        echo()
        echo("!" * 72)
        echo(
            "!! 严重：编译执行与参考解释器的结论不同——这是引擎的缺陷，请报告给开发者"
            " / BUG: the compiled path and the reference interpreter disagree"
        )
        echo("!" * 72)
        for f in report.disagreements:
            _print_finding(ps, f)
    if report.crashes:
        echo()
        echo(f"✗ 求值时抛出异常 / crashes（{len(report.crashes)} 处；引擎缺陷，请报告）：")
        for f in report.crashes:
            _print_finding(ps, f)
    echo()
    if report.errors:
        echo(f"✗ 计算错误 / evaluation errors（{len(report.errors)} 处）：")
        for f in report.errors:
            _print_finding(ps, f)
    else:
        echo("✓ 没有计算错误 / no evaluation errors")
    if not report.disagreements and not report.crashes:
        echo("✓ 编译执行与参考解释器结论一致 / compiled and reference paths agree")

    rejected = [p for p in report.policies if p.rejected]
    for p in rejected:
        first = "; ".join(f"{e['path']}: {e['message']}" for e in p.rejected_errors[:3])
        echo(
            f"⚠ {p.code}：{p.rejected} 份生成的申请未通过事实校验，未参与测试 / generated "
            f"facts rejected by the schema ({first})"
        )

    echo()
    echo(f"规则覆盖 / rule coverage（每个政策 {report.examples} 份中）：")
    quiet = True
    for p in report.policies:
        flagged = [r for r in p.rules if r.never_true or r.never_false]
        if not flagged:
            continue
        quiet = False
        echo(f"  {p.code} {p.title}")
        for r in flagged:
            what = []
            if r.never_true:
                what.append("从未成立 / never true")
            if r.never_false:
                what.append("从未不成立 / never false")
            echo(
                f"    {r.source}  {r.kind} {r.rule}：{'，'.join(what)}"
                f"（成立 {r.true}，不成立 {r.false}，未知 {r.unknown}）"
            )
    if quiet:
        echo("  每条规则都既成立过、也不成立过 / every rule was both true and false")

    echo()
    echo(
        "示例申请 / example applicants（只列政策读取的事实，身份证号已遮盖，null 省略；"
        "完整内容见 --json）："
    )
    for p in report.policies:
        for outcome in ("eligible", "ineligible", "review"):
            s = p.samples.get(outcome)
            label = f"  {p.code} {outcome}（{_OUTCOME_ZH[outcome]}）"
            if s is None:
                echo(f"{label}：{report.examples} 份中未出现 / not seen")
                continue
            echo(f"{label} 基准日 {s.as_of.isoformat()}：")
            echo("    " + compact_json(s.facts, mask=True, paths=p.reads))

    echo()
    if report.exit_code:
        parts = []
        if report.disagreements:
            parts.append(f"{len(report.disagreements)} 处结论不一致")
        if report.crashes:
            parts.append(f"{len(report.crashes)} 处异常")
        if report.errors:
            parts.append(f"{len(report.errors)} 处计算错误")
        echo("结论：发现 " + "、".join(parts) + " / problems found")
    else:
        echo("结论：未发现计算错误或结论不一致 / nothing alarming")


def _print_finding(ps: PolicySet, f: Finding) -> None:
    from ..testing.fuzz import compact_json
    from ..testing.targets import fact_paths

    click.echo(f"  {f.source or f.policy}  {f.message}")
    if f.rules:
        click.echo("    影响 / affects：" + "、".join(f.rules))
    click.echo(f"    出现于 / seen in：{'、'.join(f.policies)}（{f.hits} 份申请）")
    for side in ("compiled", "reference"):
        if side in f.detail:
            click.echo(
                f"    {side}: " + json.dumps(f.detail[side], ensure_ascii=False, default=str)
            )
    how = (
        "最小示例（已由 Hypothesis 缩减 / shrunk）" if f.shrunk else "示例（未能缩减 / not shrunk）"
    )
    click.echo(f"    {how}，政策 {f.policy}，基准日 {f.example.as_of.isoformat()}：")
    reads = fact_paths(ps.policies[f.policy])
    click.echo("    " + compact_json(f.example.facts, mask=True, paths=reads))
