"""`yktrules notice` (one payment notice per roster row) and `yktrules card` (a 明白卡).

    yktrules notice --policies policies/ roster-2025-03.csv --out notices.jsonl
    yktrules card --policies policies/ facts.json --roster roster.csv --html card.html

Exit codes: 0 done (``notice``: error rows included); 1 the policies do not check; 2 bad
arguments, bad templates, an unreadable file or an invalid facts document.  Output is
masked unless ``--unmask``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from ..errors import FactsError, YktError
from ..facts.privacy import masked
from ..notices.mingbai import mingbai_card
from ..notices.render import render_notice
from ..notices.templates import TemplateError, Templates, load_templates
from ..roster.models import Payment
from ..screening.policyset import PolicySet
from .support import (
    date_arg,
    fail,
    load_policies,
    read_table_or_exit,
    read_text_or_exit,
    write_jsonl,
)

__all__ = ["card_command", "notice_command"]


def _templates(path: str, ps: PolicySet) -> Templates:
    try:
        return load_templates(path, policies=ps)
    except TemplateError as e:
        fail(str(e), 2)


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
    ps = load_policies(policies)
    templates = _templates(templates_dir or policies, ps)
    rows, bad = read_table_or_exit(roster_file, Payment)
    out_rows: list[tuple[int, dict[str, Any]]] = []
    for b in bad:
        errors = b.masked_errors(unmask)
        out_rows.append((b.line, {"line": b.line, "id": None, "error": "input", "errors": errors}))
    done = 0
    for line, p in rows:
        try:
            n = render_notice(p, ps, templates, unmask=unmask)
        except YktError as e:  # a row never goes missing, whatever happens to it
            msg = masked(str(e), unmask)
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
    write_jsonl(out_file, (r for _, r in out_rows))
    click.echo(
        f"{len(out_rows)} 行：{done} 份告知书，{len(out_rows) - done} 行错误"
        f" / {done} notices, {len(out_rows) - done} error rows",
        err=True,
    )


@click.command("card")
@click.option("--policies", default="policies", show_default=True, type=click.Path())
@click.argument("facts_file", type=click.Path())
@click.option("--roster", "roster_file", type=click.Path(), help="payment roster of the person")
@click.option("--as-of", callback=date_arg, help="YYYY-MM-DD (default: the application's date)")
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
    ps = load_policies(policies)
    text = read_text_or_exit(facts_file)
    try:
        doc = ps.parse_facts(text)
    except FactsError as e:
        fail(masked(f"{facts_file}: {e}", unmask), 2)
    day = as_of or doc.application.date
    payments: list[Payment] = []
    if roster_file is not None:
        rows, bad = read_table_or_exit(roster_file, Payment)
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
            fail(f"无法写入 / cannot write {html_file}: {e.strerror or e}", 2)
    click.echo(card.text(), nl=False)
