"""`yktrules audit --audits DIR ROSTER…`: run roster audits, write findings as JSON Lines,
print a summary table for supervisors.  A thin layer over :func:`yktrules.audit.load_audits`.

    yktrules audit --audits audits/ roster-2025-03.csv roster-2025-04.csv \\
        --deaths deaths.csv --agents agents.csv --out findings.jsonl

Exit codes: 0 ran (with or without findings; ``--fail-on-findings`` makes findings 1);
1 the audits do not check; 2 bad arguments or an unreadable file.  Bad roster rows are
reported as error rows and counted; they are never dropped silently."""

from __future__ import annotations

import os
import sys
from datetime import date
from decimal import Decimal
from typing import Any

import click
from rich.table import Table

from ..audit import AuditReport, Engine, load_audits
from ..audit.result import Record
from ..errors import PolicyError
from ..ir.values import money_text
from ..roster.models import TABLES, Payment
from .support import date_arg, err, fail, read_table_or_exit, write_jsonl


@click.command("audit")
@click.option("--audits", "audits_dir", default="audits", show_default=True, type=click.Path())
@click.argument("rosters", nargs=-1, required=True, type=click.Path())
@click.option(
    "--policies",
    type=click.Path(),
    help="also read parameter tables from this policy library",
)
@click.option("--deaths", type=click.Path(), help="death register (CSV, JSON Lines or Parquet)")
@click.option("--agents", type=click.Path(), help="register of authorised agents (代领登记)")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "python", "spark"]),
    default="duckdb",
    show_default=True,
)
@click.option("--master", help="Spark master URL for --engine spark (default: $SPARK_MASTER)")
@click.option("--only", help="comma-separated audit codes to run (default: all)")
@click.option("--as-of", callback=date_arg, help="audit date, YYYY-MM-DD (default: today)")
@click.option(
    "--out", "out_file", type=click.Path(dir_okay=False), help="findings file (default: stdout)"
)
@click.option("--unmask", is_flag=True, help="show ID numbers, names and card numbers in full")
@click.option("--fail-on-findings", is_flag=True, help="exit 1 when there is any finding")
def audit_command(
    audits_dir: str,
    rosters: tuple[str, ...],
    policies: str | None,
    deaths: str | None,
    agents: str | None,
    engine: str,
    master: str | None,
    only: str | None,
    as_of: date | None,
    out_file: str | None,
    unmask: bool,
    fail_on_findings: bool,
) -> None:
    """Run roster audits (稽核) over payment rosters and registries."""
    try:
        audits = load_audits(audits_dir, params=[policies] if policies else [])
    except PolicyError as e:
        fail(f"稽核目录 {audits_dir} 未通过检查 / the audits do not check:\n\n{e}", 1)
    codes = [c.strip() for c in only.split(",") if c.strip()] if only else None
    for c in codes or ():
        if c not in audits.audits:
            fail(f"没有稽核 `{c}` / no such audit; 可用：{', '.join(audits.audits)}", 2)
    rows: list[tuple[Record, Payment]] = []
    bad: list[Any] = []
    for path in rosters:
        good, errors = read_table_or_exit(path, Payment)
        rows += [(Record(path, line, p.id), p) for line, p in good]
        bad += errors
    registries: dict[str, list[Any] | None] = {}
    for name, reg_path in (("deaths", deaths), ("agents", agents)):
        if reg_path is None:
            registries[name] = None
            continue
        good, errors = read_table_or_exit(reg_path, TABLES[name])
        registries[name] = [m for _, m in good]
        bad += errors
    eng: Engine = "spark" if engine == "spark" else "python" if engine == "python" else "duckdb"
    try:
        report = audits.run(
            rows,
            registries,
            engine=eng,
            as_of=as_of,
            codes=codes,
            unmask=unmask,
            master=master or os.environ.get("SPARK_MASTER"),
        )
    except ImportError as e:
        fail(f"--engine {engine} 需要先安装 / needs: pip install 'yktrules[spark]' ({e})", 2)
    errors = [
        {"error": "input", "source": b.source, "line": b.line, "errors": b.masked_errors(unmask)}
        for b in bad
    ]
    write_jsonl(out_file, [*errors, *(f.to_dict() for f in report.findings)])
    _summary(report, len(bad), registries)
    if fail_on_findings and report.findings:
        sys.exit(1)


def _summary(report: AuditReport, bad: int, registries: dict[str, Any]) -> None:
    t = Table(title=f"稽核结果：{report.rows} 条发放记录" + (f"，{bad} 行无法读取" if bad else ""))
    for col in (
        "稽核",
        "名称",
        "对象数",
        "预警",
        "涉及记录",
        "涉及金额（元）",
        "无法判断",
        "缺少的登记表",
    ):
        t.add_column(col)
    for o in report.outcomes:
        records = {r for f in o.findings for r in f.records}
        amount = sum((f.amount for f in o.findings), Decimal(0))
        t.add_row(
            o.audit,
            o.title,
            str(o.subjects),
            str(len(o.findings)),
            str(len(records)),
            money_text(amount),
            str(o.undetermined),
            "、".join(o.missing_tables) or "-",
        )
    err.print(t)
