"""`yktrules list` (the items in force, as a table or JSON) and `yktrules docs` (the docs
pages generated from the policies and the facts schema)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from ..ir import regions
from .support import date_arg, fail, load_policies, out


def _region_arg(_ctx: Any, _param: Any, value: str | None) -> str | None:
    if value is not None and not regions.is_code(value):
        raise click.BadParameter(f"`{value}` 不是6位行政区划代码")
    return value


@click.command("list")
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


@click.command("docs")
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
