"""`yktrules diff OLD NEW`: the structural diff of two policy folders and, with
`--population`, how those applicants move between outcomes.  Tables for people (Chinese
headings), or one JSON document with a stable key order."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import click
from rich.console import Console, RenderableType
from rich.style import StyleType
from rich.table import Table
from rich.text import Text

from ..diff.impact import (
    NOT_IN_FORCE,
    OUTCOME_ZH,
    OUTCOMES,
    PERIOD_ZH,
    Example,
    Impact,
    ItemImpact,
    Side,
    population_impact,
)
from ..diff.structure import (
    META_ZH,
    Change,
    PolicyChange,
    RuleChange,
    RuleView,
    StructureDiff,
    diff_structure,
    show,
)
from ..errors import PolicyError
from ..screening.policyset import PolicySet, load
from .support import date_arg, fail

_FIELD_ZH = {"kind": "类型", "message": "提示语", "condition": "条件", "origin": "写在"}
_PARAM_FIELD_ZH = {"title": "名称", "unit": "单位", "type": "类型"}
_STATUS_ZH = {"added": "新增", "removed": "删除", "changed": "修改"}
_DROP_ZH = {"added": "新增 drop", "removed": "撤销 drop", "changed": "修改 drop 理由"}
_INVALID_ZH = {"empty": "空行", "encoding": "编码错误", "facts": "材料有误", "internal": "内部错误"}


class _PlainTable(Table):
    """A table that shows its strings as written: rich markup would swallow a condition's
    `[kind == "住房"]`."""

    def add_row(
        self,
        *renderables: RenderableType | None,
        style: StyleType | None = None,
        end_section: bool = False,
    ) -> None:
        cells = [Text(r) if isinstance(r, str) else r for r in renderables]
        super().add_row(*cells, style=style, end_section=end_section)


def _table(title: str, **kw: Any) -> Table:
    return _PlainTable(title=Text(title), **kw)


def _consoles() -> tuple[Console, Console]:
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
    return out, err


@click.command("diff")
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path())
@click.option(
    "--population",
    type=click.Path(),
    help="applications as JSON Lines (as `screen` reads them; - for standard input)",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option(
    "--examples",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="example applicants kept per transition",
)
@click.option(
    "--as-of", callback=date_arg, help="decision date for both sides (default: each filing date)"
)
def diff(
    old: str, new: str, population: str | None, fmt: str, examples: int, as_of: date | None
) -> None:
    """What changed between two policy folders, and how applicants move between outcomes."""
    old_ps, new_ps = _load_both(old, new)
    structure = diff_structure(old_ps, new_ps)
    impact: Impact | None = None
    if population is not None:
        with _population(population) as lines:
            impact = population_impact(old_ps, new_ps, lines, as_of=as_of, examples=examples)
    if fmt == "json":
        doc = {
            "old": old,
            "new": new,
            "structure": structure.to_dict(),
            "impact": None if impact is None else impact.to_dict(),
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    out, _ = _consoles()
    print_structure(out, structure, old, new)
    if impact is not None:
        print_impact(out, impact)


def _load_both(old: str, new: str) -> tuple[PolicySet, PolicySet]:
    loaded: list[PolicySet] = []
    problems: list[str] = []
    for label, path in (("旧版 / OLD", old), ("新版 / NEW", new)):
        try:
            loaded.append(load(path))
        except PolicyError as e:
            problems.append(
                f"{label} 政策目录 {path} 未通过检查 / the policies do not check:\n\n{e}"
            )
    if problems:
        fail("\n\n".join(problems), 2)
    return loaded[0], loaded[1]


class _population:
    """The population file as binary lines (each row is decoded on its own, so one line
    that is not UTF-8 is one invalid row)."""

    def __init__(self, path: str):
        self.path = path
        self.f: BinaryIO | None = None

    def __enter__(self) -> Iterator[bytes]:
        if self.path == "-":
            return iter(sys.stdin.buffer)
        p = Path(self.path)
        if not p.exists():
            fail(f"人群文件不存在 / no such file: {self.path}", 2)
        if not p.is_file():
            fail(f"人群文件须为 JSON Lines 文件 / not a file: {self.path}", 2)
        try:
            self.f = p.open("rb")
        except OSError as e:
            fail(f"无法读取 / cannot read {self.path}: {e.strerror}", 2)
        return iter(self.f)

    def __exit__(self, *a: Any) -> None:
        if self.f is not None:
            self.f.close()


# ------------------------------------------------------------------ structure tables
def _rule_text(r: RuleView) -> str:
    return f'{r.kind} "{r.message}": {r.condition.text}'


def _where(code: str, origin: str) -> str:
    return "" if origin == code else f"（继承自 {origin}）"


def _rule_rows(p: PolicyChange, c: RuleChange) -> Iterator[tuple[str, str, str, str]]:
    if c.old is None and c.new is not None:
        yield "新增规则", f"{c.name}{_where(p.code, c.new.origin)}", "", _rule_text(c.new)
        return
    if c.new is None and c.old is not None:
        yield "删除规则", f"{c.name}{_where(p.code, c.old.origin)}", _rule_text(c.old), ""
        return
    assert c.old is not None and c.new is not None
    o, n = c.old, c.new
    values = {
        "kind": (o.kind, n.kind),
        "message": (o.message, n.message),
        "condition": (o.condition.text, n.condition.text),
        "origin": (f"{o.origin}（{o.source}）", f"{n.origin}（{n.source}）"),
    }
    for f in c.fields:
        a, b = values[f]
        yield "修改规则", f"{c.name}{_where(p.code, n.origin)} · {_FIELD_ZH[f]}", a, b


def _value(v: Any) -> str:
    v = show(v)
    if v is None:
        return "（无）"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def _meta_row(c: Change) -> tuple[str, str, str, str]:
    return "元数据", f"{META_ZH[c.key]} ({c.key})", _value(c.old), _value(c.new)


def print_structure(out: Console, s: StructureDiff, old: str, new: str) -> None:
    if s.is_empty:
        out.print(f"政策和参数没有变化 / no changes（{old} → {new}）", markup=False)
        return
    t = _table(f"政策变更（{old} → {new}）", show_lines=True)
    for col in ("政策", "变更", "对象", "原", "新"):
        t.add_column(col, overflow="fold")
    for ps in s.policies_added:
        span = f"{ps.region}，{ps.effective} ~ {ps.until or '长期'}"
        t.add_row(ps.code, "新增政策", ps.title, "", f"{span}（{ps.file}）")
    for ps in s.policies_removed:
        span = f"{ps.region}，{ps.effective} ~ {ps.until or '长期'}"
        t.add_row(ps.code, "删除政策", ps.title, f"{span}（{ps.file}）", "")
    for p in s.policies_changed:
        rows: list[tuple[str, str, str, str]] = [_meta_row(c) for c in p.metadata]
        for rc in p.rules:
            rows += _rule_rows(p, rc)
        for dc in p.dropped:
            rows.append((_DROP_ZH[dc.status], dc.name, dc.old or "", dc.new or ""))
        for lc in p.lets:
            rows.append(
                (
                    f"{_STATUS_ZH[lc.status]} let",
                    lc.name,
                    lc.old.text if lc.old else "",
                    lc.new.text if lc.new else "",
                )
            )
        if p.amount is not None:
            a = p.amount
            rows.append(
                ("修改金额", "amount", a.old.text if a.old else "", a.new.text if a.new else "")
            )
        for what, obj, a_, b_ in rows:
            t.add_row(p.code, what, obj, a_, b_)
    if t.row_count:
        out.print(t)
    if not (s.params_added or s.params_removed or s.params_changed):
        return
    t = _table("参数变更", show_lines=True)
    for col in ("参数", "变更", "地区 @ 日期 / 字段", "原值", "新值", "使用它的政策"):
        t.add_column(col, overflow="fold")
    for pa in s.params_added:
        t.add_row(pa.name, "新增参数", pa.title, "", f"{pa.type} {pa.unit or ''}".strip(), "")
    for pa in s.params_removed:
        t.add_row(pa.name, "删除参数", pa.title, f"{pa.type} {pa.unit or ''}".strip(), "", "")
    for pc in s.params_changed:
        used = "、".join(pc.used_by)
        for c in pc.fields:
            t.add_row(
                pc.name, "修改声明", _PARAM_FIELD_ZH[c.key], _value(c.old), _value(c.new), used
            )
        for v in pc.values:
            t.add_row(
                pc.name,
                f"{_STATUS_ZH[v.status]}取值",
                f"{v.region} @ {v.date.isoformat()}",
                "" if v.old is None else _value(v.old),
                "" if v.new is None else _value(v.new),
                used,
            )
    out.print(t)


# ------------------------------------------------------------------ impact tables
def _side(s: Side | None, what: str) -> str:
    if s is None:
        return OUTCOME_ZH[NOT_IN_FORCE]
    if what == "reasons":
        return "、".join(s.reasons + tuple(f"{u}?" for u in s.unknown)) or "—"
    return s.policy


def _amount(e: Example) -> str:
    def one(s: Side | None) -> str:
        if s is None or s.outcome != "eligible":
            return "—"
        return "?" if s.amount is None else format(s.amount, "f")

    a, b = one(e.old), one(e.new)
    return a if a == b else f"{a} → {b}"


def _matrix(imp: ItemImpact) -> Table:
    t = _table(f"{imp.item} {imp.title}：原结果（行）→ 新结果（列）")
    t.add_column("原结果 \\ 新结果")
    for o in OUTCOMES:
        t.add_column(OUTCOME_ZH[o], justify="right")
    t.add_column("合计", justify="right")
    for a in OUTCOMES:
        counts = [imp.cell(a, b).count for b in OUTCOMES]
        if not any(counts):
            continue
        cells: list[Text] = []
        for b, n in zip(OUTCOMES, counts, strict=True):
            style = "dim" if a == b or not n else "bold red"
            cells.append(Text(str(n), style=style))
        t.add_row(OUTCOME_ZH[a], *cells, str(sum(counts)))
    return t


def _examples(imp: ItemImpact) -> Table | None:
    rows = [(a, b, e) for a, b, c in imp.transitions() for e in c.examples]
    if not rows:
        return None
    t = _table(f"{imp.item} 示例申请人（规则名后带 ? 的是无法判断的规则）", show_lines=True)
    for col in ("变化", "申请", "原政策 → 新政策", "原因（原）", "原因（新）", "金额"):
        t.add_column(col, overflow="fold")
    for a, b, e in rows:
        policy_o, policy_n = _side(e.old, "policy"), _side(e.new, "policy")
        policies = policy_o if policy_o == policy_n else f"{policy_o} → {policy_n}"
        t.add_row(
            f"{OUTCOME_ZH[a]} → {OUTCOME_ZH[b]}",
            f"{e.application}（第 {e.line} 行）",
            policies,
            _side(e.old, "reasons"),
            _side(e.new, "reasons"),
            _amount(e),
        )
    return t


def _amounts(impact: Impact) -> Table | None:
    rows = [
        (imp, s)
        for imp in (impact.items[k] for k in sorted(impact.items))
        for s in (imp.amounts[p] for p in sorted(imp.amounts))
        if s.changed or s.unknown or s.period_changed or s.old_all != s.new_all
    ]
    if not rows:
        return None
    t = _table("金额变化（只列有变化的项目；合计只含两边金额都已知的持续符合者）", show_lines=True)
    cols = ("项目", "周期", "持续符合", "金额变化", "增/减", "原合计", "新合计", "差额")
    for col in (*cols, "年度差额", "全部符合者合计（原 → 新）"):
        t.add_column(col, justify="right" if col not in ("项目", "周期") else "left")
    for imp, s in rows:
        yearly = "—" if s.per_year is None else format(s.difference * s.per_year, "f")
        note = f"（{s.unknown} 人金额未知）" if s.unknown else ""
        if s.period_changed:
            note += f"（{s.period_changed} 人周期改变）"
        t.add_row(
            imp.item,
            PERIOD_ZH.get(s.period, s.period),
            f"{s.stayed}{note}",
            str(s.changed),
            f"{s.increased}/{s.decreased}",
            format(s.old_total, "f"),
            format(s.new_total, "f"),
            format(s.difference, "f"),
            yearly,
            f"{format(s.old_all, 'f')} → {format(s.new_all, 'f')}",
        )
    return t


def print_impact(out: Console, impact: Impact) -> None:
    head = f"人群影响：{impact.rows} 行，审核 {impact.screened} 份申请"
    if impact.as_of is not None:
        head += f"（基准日统一为 {impact.as_of.isoformat()}）"
    head += f"；{impact.moved} 份申请至少一个项目结果改变，{impact.changed} 份决定有变化"
    if impact.invalid_count:
        kinds = "，".join(
            f"{n} 份{_INVALID_ZH.get(k, k)}" for k, n in sorted(impact.invalid.items())
        )
        head += f"；{impact.invalid_count} 行无法审核（{kinds}）"
    out.print(head, markup=False)
    items = [impact.items[k] for k in sorted(impact.items)]
    if items:
        t = _table("各项目")
        for col in ("项目", "名称", "审核人数", "结果改变", "决定有变化"):
            t.add_column(col, justify="right" if col not in ("项目", "名称") else "left")
        for imp in items:
            t.add_row(imp.item, imp.title, str(imp.applicants), str(imp.moved), str(imp.changed))
        out.print(t)
    if impact.screened and not impact.changed:
        out.print("没有申请人的决定发生变化 / no decision changes", markup=False)
    for imp in items:
        if not imp.changed:
            continue
        out.print(_matrix(imp))
        ex = _examples(imp)
        if ex is not None:
            out.print(ex)
    amounts = _amounts(impact)
    if amounts is not None:
        out.print(amounts)
    if impact.invalid_rows:
        t = _table(f"无法审核的行（{impact.invalid_count}）", show_lines=True)
        for col in ("行", "申请", "类型", "问题"):
            t.add_column(col, overflow="fold")
        for r in impact.invalid_rows:
            first = r.errors[0] if r.errors else {"path": "", "message": ""}
            msg = f"{first['path']}: {first['message']}" if first["path"] else first["message"]
            if len(r.errors) > 1:
                msg += f"（另有 {len(r.errors) - 1} 处）"
            app = "" if r.application is None else str(r.application)
            t.add_row(str(r.line), app, _INVALID_ZH.get(r.kind, r.kind), msg)
        out.print(t)
        rest = impact.invalid_count - len(impact.invalid_rows)
        if rest > 0:
            out.print(f"……另有 {rest} 行未列出 / more rows not listed", markup=False)
