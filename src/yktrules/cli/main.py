"""The `yktrules` group: every command registered in one place, and `main` (the console
script), which turns Ctrl-C and a closed pipe into exit codes instead of tracebacks."""

from __future__ import annotations

import sys

import click

from .audit import audit_command
from .catalog import docs_, list_
from .check import check
from .diff import diff
from .eval import eval_
from .fmt import fmt
from .fuzz import fuzz_command
from .log import log_command
from .notices import card_command, notice_command
from .screen import screen
from .support import fail
from .synth import synth_command, synth_roster_command
from .test import test


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yktrules")
def cli() -> None:
    """yktrules: 惠民惠农补贴资格预审规则引擎 / subsidy eligibility rules."""


for command in (
    check,
    eval_,
    list_,
    test,
    screen,
    docs_,
    audit_command,
    log_command,
    diff,
    fmt,
    fuzz_command,
    synth_command,
    synth_roster_command,
    notice_command,
    card_command,
):
    cli.add_command(command)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        fail("已中断 / interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
