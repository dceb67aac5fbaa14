"""`yktrules notice` (one payment notice per roster row) and `yktrules card` (a 明白卡).

    yktrules notice --policies policies/ roster-2025-03.csv --out notices.jsonl
    yktrules card --policies policies/ facts.json --roster roster.csv --html card.html

Exit codes: 0 done (``notice``: error rows included); 1 the policies do not check; 2 bad
arguments, bad templates, an unreadable file or an invalid facts document.  Output is
masked unless ``--unmask``.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TextIO

import click

from ..errors import FactsError, PolicyError, YktError
from ..policyset import PolicySet, load
from ..privacy import mask_text
from ..roster.models import Payment
from .card import mingbai_card
from .render import render_notice
from .templates import TemplateError, Templates, load_templates

__all__ = ["card_command", "notice_command"]


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _date(_ctx: Any, _param: Any, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"`{value}` 不是有效日期，请写作 YYYY-MM-DD") from None


def _policies(path: str) -> PolicySet:
    try:
        return load(path)
    except PolicyError as e:
        _fail(f"政策目录 {path} 未通过检查 / the policies do not check:\n\n{e}", 1)


def _templates(path: str, ps: PolicySet) -> Templates:
    try:
        return load_templates(path, policies=ps)
    except TemplateError as e:
        _fail(str(e), 2)


def _roster(path: str) -> tuple[list[tuple[int, Payment]], list[Any]]:
    """Rows and error rows of a roster file (CSV, JSON Lines or Parquet)."""
    from ..roster.io import read_table

    if not Path(path).is_file():
        _fail(f"文件不存在 / no such file: {path}", 2)
    try:
        t = read_table(path, Payment)
    except YktError as e:
        _fail(f"无法读取 / cannot read {path}: {e}", 2)
    except OSError as e:
        _fail(f"无法读取 / cannot read {path}: {e.strerror or e}", 2)
    return list(t.rows), list(t.errors)


def _mask(text: str, unmask: bool) -> str:
    return text if unmask else mask_text(text)


@click.command("notice")
@click.option("--policies", default="policies", show_default=True, type=click.Path())
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(),
    help="folder of *.notices.yaml (default: the --policies folder)",
)
@click.argument("roster_file", type=click.Path())
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="default: stdout")
@click.option("--unmask", is_flag=True, help="names in full (ID numbers never appear)")
def notice_command(
    policies: str, templates_dir: str | None, roster_file: str, out_file: str | None, unmask: bool
) -> None:
    """One payment notice (发放告知书) per roster row, as JSON Lines."""
    ps = _policies(policies)
    templates = _templates(templates_dir or policies, ps)
    rows, bad = _roster(roster_file)
    out_rows: list[tuple[int, dict[str, Any]]] = []
    for b in bad:
        errors = [{"path": x["path"], "message": _mask(x["message"], unmask)} for x in b.errors]
        out_rows.append((b.line, {"line": b.line, "id": None, "error": "input", "errors": errors}))
    done = 0
    for line, p in rows:
        try:
            n = render_notice(p, ps, templates, unmask=unmask)
        except YktError as e:  # a row never goes missing, whatever happens to it
            msg = _mask(str(e), unmask)
            out_rows.append((line, {"line": line, "id": p.id, "error": "render", "message": msg}))
            continue
        row: dict[str, Any] = {"line": line, "id": p.id, "item": n.item, "policy": n.policy}
        row["notice"] = n.text
        if n.note:
            row["note"] = n.note
        if n.missing:
            row["missing"] = list(n.missing)
        out_rows.append((line, row))
        done += 1
    out_rows.sort(key=lambda r: r[0])
    try:
        out: TextIO = open(out_file, "w", encoding="utf-8") if out_file else sys.stdout  # noqa: SIM115
    except OSError as e:
        _fail(f"无法写入 / cannot write {out_file}: {e.strerror or e}", 2)
    try:
        for _, r in out_rows:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    finally:
        if out_file:
            out.close()
    click.echo(
        f"{len(out_rows)} 行：{done} 份告知书，{len(out_rows) - done} 行错误"
        f" / {done} notices, {len(out_rows) - done} error rows",
        err=True,
    )


@click.command("card")
@click.option("--policies", default="policies", show_default=True, type=click.Path())
@click.argument("facts_file", type=click.Path())
@click.option("--roster", "roster_file", type=click.Path(), help="payment roster of the person")
@click.option("--as-of", callback=_date, help="YYYY-MM-DD (default: the application's date)")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="also write a page")
@click.option("--unmask", is_flag=True, help="name and ID number in full")
def card_command(
    policies: str,
    facts_file: str,
    roster_file: str | None,
    as_of: date | None,
    html_file: str | None,
    unmask: bool,
) -> None:
    """A citizen's 明白卡: what they receive and what they may apply for."""
    ps = _policies(policies)
    try:
        text = Path(facts_file).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        _fail(f"文件不存在 / no such file: {facts_file}", 2)
    except (OSError, UnicodeDecodeError) as e:
        _fail(f"无法读取 / cannot read {facts_file}: {e}", 2)
    try:
        doc = ps.parse_facts(text)
    except FactsError as e:
        _fail(_mask(f"{facts_file}: {e}", unmask), 2)
    day = as_of or doc.application.date
    payments: list[Payment] = []
    if roster_file is not None:
        rows, bad = _roster(roster_file)
        payments = [p for _, p in rows]
        if bad:
            click.echo(
                f"注意：花名册 {roster_file} 有 {len(bad)} 行无法读取，未计入明白卡"
                f" / {len(bad)} unreadable roster rows skipped",
                err=True,
            )
    card = mingbai_card(
        doc.applicant,
        policies=ps,
        payments=payments,
        decisions=ps.screen_all(doc, day),
        as_of=day,
        unmask=unmask,
    )
    if html_file is not None:
        try:
            Path(html_file).write_text(card.html(), encoding="utf-8")
        except OSError as e:
            _fail(f"无法写入 / cannot write {html_file}: {e.strerror or e}", 2)
    click.echo(card.text(), nl=False)
