"""Synthetic data, a thin layer over `yktrules.synth`.

`yktrules synth N`: N synthetic Neijiang applications as JSON lines (one facts document a
line), deterministic by `--seed`.  Without `--out` the lines go to standard output.

    yktrules synth 1000 --seed 7 --out population.jsonl --unknown 0.05

`yktrules synth-roster N`: a synthetic payment roster with planted frauds, its death and
agent registers, and the findings the standard audits must report (docs/roster.md).

    yktrules synth-roster 100000 --seed 7 --out roster.csv \\
        --plants AUD-01=3,AUD-08=1 --expected expected.json

The registers go next to the roster (or into ``--registries DIR``) as ``deaths`` and
``agents`` in the roster's format.  Amounts stay within the per-item standards of
``--standards`` (default ``audits``, the ``payment_standard`` parameter the audits use).
Exit codes: 0 written; 2 bad arguments, standards that cannot be read, or a file that
cannot be written."""

from __future__ import annotations

import difflib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..roster.io import FORMATS, InputError, write_table
from ..synth.applications import population, write_jsonl, write_parquet
from ..synth.roster import AUDITS, Standard, synth_roster
from ..synth.standards import load_standards
from .support import fail


@click.command("synth")
@click.argument("size", metavar="N", type=click.IntRange(min=0))
@click.option("--seed", type=int, default=0, show_default=True, help="same seed, same rows")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    help="write to this file: JSON Lines, or Parquet by a .parquet suffix (default: standard "
    "output)",
)
@click.option(
    "--unknown",
    "p_unknown",
    type=click.FloatRange(0.0, 1.0),
    default=0.03,
    show_default=True,
    help="chance that each optional fact is absent (unknown)",
)
def synth_command(size: int, seed: int, out: str | None, p_unknown: float) -> None:
    """Generate N synthetic applications (facts documents) as JSON lines."""
    if out is None:
        for doc in population(size, seed, p_unknown):
            sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return
    try:
        if out.lower().endswith((".parquet", ".pq")):  # typed: what a batch reads fastest
            n = write_parquet(out, size, seed, p_unknown)
        else:
            n = write_jsonl(out, size, seed, p_unknown)
    except OSError as e:
        click.echo(f"无法写入 / cannot write {out}: {e.strerror or e}", err=True)
        sys.exit(2)
    click.echo(f"已写入 {n} 条申请 / wrote {n} applications to {out}", err=True)


_DEFAULT_STANDARDS = "audits"


def _plants(_ctx: Any, _param: Any, value: str | None) -> dict[str, int]:
    """``AUD-01=3,AUD-08=1`` -> {"AUD-01": 3, "AUD-08": 1}."""
    out: dict[str, int] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        code, sep, count = part.partition("=")
        code = code.strip().upper()
        if code not in AUDITS:
            close = difflib.get_close_matches(code, AUDITS, n=1)
            hint = f"，是否应为 {close[0]}" if close else ""
            raise click.BadParameter(
                f"没有稽核 `{code}`{hint}；可用：{', '.join(AUDITS)} / unknown audit code"
            )
        try:
            n = int(count) if sep else 1
        except ValueError:
            n = -1
        if n < 0:
            raise click.BadParameter(f"`{part.strip()}` 中的数量应为非负整数，如 {code}=3")
        out[code] = n
    return out


def _month(_ctx: Any, _param: Any, value: str) -> date:
    try:
        return date.fromisoformat(value + "-01" if len(value) == 7 else value).replace(day=1)
    except ValueError:
        raise click.BadParameter(f"`{value}` 不是有效的月份，请写作 YYYY-MM") from None


@click.command("synth-roster")
@click.argument("size", metavar="N", type=click.IntRange(min=0))
@click.option("--seed", type=int, default=0, show_default=True, help="same seed, same roster")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="roster file: .csv, .jsonl or .parquet",
)
@click.option(
    "--registries",
    type=click.Path(file_okay=False),
    help="folder for deaths.* and agents.* (default: next to the roster)",
)
@click.option(
    "--plants", callback=_plants, help="frauds to plant, e.g. AUD-01=3,AUD-08=1 (default: none)"
)
@click.option(
    "--expected", type=click.Path(dir_okay=False), help="write the expected findings (JSON)"
)
@click.option(
    "--standards",
    type=click.Path(),
    help="per-item standard amounts: a folder or .params.yaml with payment_standard, or a "
    "YAML mapping item -> amount  [default: audits, if it exists]",
)
@click.option("--ring-cards", type=click.IntRange(min=3), default=40, show_default=True)
@click.option("--start", callback=_month, default="2025-01", show_default=True, help="YYYY-MM")
@click.option("--months", type=click.IntRange(min=3), default=12, show_default=True)
def synth_roster_command(
    size: int,
    seed: int,
    out: str,
    registries: str | None,
    plants: dict[str, int],
    expected: str | None,
    standards: str | None,
    ring_cards: int,
    start: date,
    months: int,
) -> None:
    """Generate a synthetic payment roster of N clean payments, with planted frauds."""
    out_path = Path(out)
    ext = out_path.suffix.lower()
    if ext not in FORMATS:
        fail(f"无法识别 {out} 的格式；花名册文件应为 {'、'.join(FORMATS)} / unknown file type", 2)
    std = _standard(standards)
    try:
        roster = synth_roster(
            size,
            seed=seed,
            plants=plants,
            standard=std,
            start=start,
            months=months,
            ring_cards=ring_cards,
        )
    except ValueError as e:
        fail(f"无法生成花名册 / cannot generate: {e}", 2)
    reg_dir = Path(registries) if registries else out_path.parent
    files = [
        (out_path, roster.payments),
        (reg_dir / f"deaths{ext}", roster.deaths),
        (reg_dir / f"agents{ext}", roster.agents),
    ]
    columns = {
        files[1][0]: ["id_number", "name", "death_date"],
        files[2][0]: ["beneficiary_id", "agent_id", "relation"],
    }
    target = out_path
    try:
        reg_dir.mkdir(parents=True, exist_ok=True)
        for target, rows in files:
            write_table(target, rows, columns=columns.get(target))
        if expected:
            target = Path(expected)
            doc = {
                "seed": seed,
                "clean": roster.clean,
                "plants": plants,
                "findings": [{"audit": f.audit, "ids": sorted(f.ids)} for f in roster.expected],
            }
            target.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", "utf-8")
    except OSError as e:
        fail(f"无法写入 / cannot write {target}: {e.strerror or e}", 2)
    planted = len(roster.payments) - roster.clean
    click.echo(
        f"已写入 {len(roster.payments)} 条发放记录（其中植入 {planted} 条）到 {out}，"
        f"{len(roster.deaths)} 条死亡登记、{len(roster.agents)} 条代领登记到 {reg_dir}，"
        f"预期 {len(roster.expected)} 条预警 / wrote the roster and registries",
        err=True,
    )


def _standard(path: str | None) -> Standard:
    if path is None and not Path(_DEFAULT_STANDARDS).exists():
        click.echo("未找到发放标准（audits/），金额按示例标准生成 / no standards found", err=True)
        return lambda _item, _region, _period: None
    try:
        return load_standards(path or _DEFAULT_STANDARDS)
    except InputError as e:
        fail(f"无法读取 / cannot read {path or _DEFAULT_STANDARDS}: {e}", 2)
