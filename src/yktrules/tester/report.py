"""What people read: a failing case (expected and actual side by side, the decision's
reasons and unknown rules) and the coverage report.  The command line prints these, the
pytest plugin and the JUnit report use the same text."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..facts.privacy import mask_text
from .cover import CoverageReport, PolicyCoverage
from .runner import CaseResult, show

INDENT = 5


def _masked(text: str) -> Text:
    """Failure output never shows an ID or card number in full (docs/traceability.md)."""
    return Text(mask_text(text))


def failure_renderable(r: CaseResult) -> RenderableType:
    """``FAIL file:line name``, then a table of the keys that differ (key | expected |
    actual), any other problem, and the decision's reasons and unknown rules; ID and card
    numbers masked."""
    parts: list[RenderableType] = [_masked(f"FAIL {r.where} {r.name}")]
    body: list[RenderableType] = []
    if r.mismatched:
        t = Table(box=box.SQUARE, show_edge=True, pad_edge=True)
        t.add_column("键 / key", no_wrap=True)
        t.add_column("期望 / expected", overflow="fold")
        t.add_column("实际 / actual", overflow="fold")
        for key in r.mismatched:
            expected, actual = show(r.expected.get(key)), show(r.actual.get(key))
            t.add_row(Text(key), _masked(expected), _masked(actual))
        body.append(t)
    shown = {f"{k}: " for k in r.mismatched}
    for p in r.problems:
        if not any(p.startswith(k) for k in shown):  # not already in the table
            body.append(_masked(p))
    body += [_masked(line) for line in decision_lines(r)]
    parts += [Padding(b, (0, 0, 0, INDENT), expand=False) for b in body]
    return Group(*parts)


def decision_lines(r: CaseResult) -> list[str]:
    """The decision's reasons (rule, rendered message, source) and unknown rules (rule,
    missing fact paths, evaluation errors), one line each."""
    d = r.decision
    if d is None:
        return []
    out: list[str] = []
    if d.reasons:
        out.append("原因 / reasons:")
        out += [f"  {x.rule} ({x.kind}): {x.message}  [{x.source}]" for x in d.reasons]
    if d.unknown:
        out.append("未知 / unknown:")
        for u in d.unknown:
            missing = ", ".join(u.missing) or "-"
            line = f"  {u.rule} ({u.kind}): 缺少 / missing {missing}"
            out.append(line + "".join(f"; {e.message} [{e.source}]" for e in u.errors))
    return out


def render_text(renderable: RenderableType, width: int = 120) -> str:
    """Plain text (no colour, no control codes) of a rich renderable."""
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, force_terminal=False, highlight=False).print(
        renderable
    )
    return "\n".join(line.rstrip() for line in buf.getvalue().rstrip("\n").splitlines())


def failure_text(r: CaseResult, width: int = 120) -> str:
    return render_text(failure_renderable(r), width)


# ---------------------------------------------------------------- coverage
def _ratio(num: int, den: int, pct: float | None) -> str:
    return "—" if pct is None else f"{num}/{den} {pct:.1f}%"


def coverage_table(rep: CoverageReport) -> Table:
    t = Table(title="覆盖率 / coverage", box=box.SIMPLE_HEAD, show_footer=True)
    t.add_column("政策 / policy", footer="合计 / total", no_wrap=True)
    t.add_column("名称 / title", overflow="fold")
    t.add_column("用例 / cases", justify="right", footer=str(rep.cases))
    t.add_column(
        "规则 / rules",
        justify="right",
        footer=_ratio(rep.rules_covered, rep.rules_total, rep.rule_percent),
    )
    t.add_column(
        "条件 / conditions",
        justify="right",
        footer=_ratio(rep.outcomes_seen, rep.outcomes_total, rep.condition_percent),
    )
    t.add_column(
        "出现未知 / seen unknown",
        justify="right",
        footer=str(sum(_unknown_rules(p) for p in rep.policies)),
    )
    for p in rep.policies:
        t.add_row(
            Text(p.code),
            Text(p.title),
            str(p.cases),
            _ratio(p.rules_covered, len(p.rules), p.rule_percent),
            _ratio(p.outcomes_seen, p.outcomes_total, p.condition_percent),
            str(_unknown_rules(p)),
        )
    return t


def _unknown_rules(p: PolicyCoverage) -> int:
    return sum(1 for r in p.rules if r.counts.unknown)


def gap_lines(rep: CoverageReport) -> list[str]:
    """The uncovered rules and conditions, policy by policy; a policy that no case
    reached is one line."""
    out: list[str] = []
    for p in rep.policies:
        if p.cases == 0:
            out.append(f"{p.code} {p.title}: 没有用例用到此政策 / no case reached this policy (0%)")
            continue
        gaps = p.gaps()
        if not gaps:
            continue
        out.append(f"{p.code} {p.title}:")
        rules = [g for g in gaps if g.kind == "rule"]
        conds = [g for g in gaps if g.kind == "condition"]
        out += [f"  {g}" for g in rules]
        if conds:
            out.append("  条件 / conditions:")
            out += [f"    {g}" for g in conds]
    return out


def totals_line(rep: CoverageReport) -> str:
    return (
        f"规则覆盖率 / rule coverage {rep.rule_percent:.1f}% "
        f"({rep.rules_covered}/{rep.rules_total})，"
        f"条件覆盖率 / condition coverage {rep.condition_percent:.1f}% "
        f"({rep.outcomes_seen}/{rep.outcomes_total})"
    )


def print_coverage(console: Console, rep: CoverageReport, detail: bool = True) -> None:
    """The table and the gaps (with `detail`), then the totals line."""
    if detail:
        console.print(coverage_table(rep))
        lines = gap_lines(rep)
        if lines:
            console.print("未覆盖 / not covered（规则须既为真也为假；未知不作要求）:")
            for line in lines:
                console.print(line, markup=False, highlight=False)
    console.print(totals_line(rep), markup=False, highlight=False)
