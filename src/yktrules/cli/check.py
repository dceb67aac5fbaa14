"""`yktrules check`: parse and check a policy folder (policies, parameter tables, audits) and
print every diagnostic with file, line, column and a caret."""

from __future__ import annotations

import json
import sys

import click

from ..bundle.loader import load_sources, read_sources
from ..errors import render_all


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def check(paths: tuple[str, ...], fmt: str) -> None:
    """Parse and check policies and parameter files (default: ./policies)."""
    from ..facts.models import Application

    sources, diags = read_sources(list(paths) or ["policies"])
    loaded = load_sources(sources, Application)
    diags += loaded.diagnostics
    errors = sum(d.is_error for d in diags)
    if fmt == "json":
        click.echo(json.dumps([d.to_dict() for d in diags], ensure_ascii=False, indent=2))
    else:
        n_pol = len(loaded.policies)
        if diags:
            click.echo(render_all(diags))
        if not errors:
            what = f"{n_pol} 个政策" + (f"、{loaded.audits} 条稽核" if loaded.audits else "")
            click.echo(
                f"✓ {len(sources.policies)} 个政策文件、{len(sources.params)} 个参数文件检查通过"
                f"（{what}）/ all clean"
            )
    sys.exit(1 if errors else 0)
