"""`yktrules synth N`: N synthetic Neijiang applications as JSON lines (one facts document a
line), deterministic by `--seed`; a thin layer over `yktrules.synth`.

    yktrules synth 1000 --seed 7 --out population.jsonl --unknown 0.05

Without `--out` the lines go to standard output.  Exit codes: 0 written; 2 bad arguments or
a file that cannot be written."""

from __future__ import annotations

import json
import sys

import click

from ..synth.applications import population, write_jsonl


@click.command("synth")
@click.argument("size", metavar="N", type=click.IntRange(min=0))
@click.option("--seed", type=int, default=0, show_default=True, help="same seed, same rows")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    help="write to this file (default: standard output)",
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
        n = write_jsonl(out, size, seed, p_unknown)
    except OSError as e:
        click.echo(f"无法写入 / cannot write {out}: {e.strerror or e}", err=True)
        sys.exit(2)
    click.echo(f"已写入 {n} 条申请 / wrote {n} applications to {out}", err=True)
