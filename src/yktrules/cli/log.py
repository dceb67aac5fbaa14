"""`yktrules log verify`, and the `--unmask`, `--log` and `--actor` options of `eval` and
`screen` (the helpers those commands call)."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from ..facts.privacy import mask_document
from ..log.chain import DecisionLog, LogError, verify_log
from ..screening.decision import Decision
from .support import fail

__all__ = [
    "decisions_hook",
    "eval_output",
    "log_command",
    "log_eval",
    "privacy_options",
]

F = TypeVar("F", bound=Callable[..., Any])


def privacy_options(f: F) -> F:
    """The options `--unmask`, `--log FILE` and `--actor NAME` of `eval` and `screen`."""
    f = click.option(
        "--actor",
        help="who is deciding, for --log (default: $USER, else unknown)",
    )(f)
    f = click.option(
        "--log",
        "log_file",
        type=click.Path(dir_okay=False),
        help="append each decision to this decision log (docs/traceability.md)",
    )(f)
    return click.option(
        "--unmask",
        is_flag=True,
        help="show ID and card numbers in full (default: masked)",
    )(f)


def eval_output(d: Decision, fmt: str, unmask: bool) -> str:
    """What `yktrules eval` prints: the decision document (messages and trace masked) or
    the explanation."""
    if fmt == "json":
        doc = d.to_dict()
        return json.dumps(doc if unmask else mask_document(doc), ensure_ascii=False, indent=2)
    return d.explain(unmask=unmask)


def _actor(actor: str | None) -> str:
    if actor is not None and actor.strip():
        return actor
    if actor is not None:
        fail("--actor 不能为空 / --actor must not be empty", 2)
    try:
        return os.environ.get("USER") or getpass.getuser() or "unknown"
    except Exception:  # no user name at all (a container without /etc/passwd entry)
        return "unknown"


def _append_failed(path: str, e: Exception) -> NoReturn:
    if isinstance(e, OSError):
        fail(f"无法写入决策日志 / cannot write the log {path}: {e.strerror or e}", 2)
    fail(f"无法写入决策日志 / cannot write the log {path}: {e}", 2)


def _without_log(actor: str | None) -> None:
    if actor is not None:
        fail("--actor 需要与 --log 一起使用 / --actor needs --log", 2)


def log_eval(
    log_file: str | None, actor: str | None, d: Decision, facts: Any, unmask: bool
) -> None:
    """`eval --log`: append the decision made from `facts` (validated), its request being
    the application's id."""
    if log_file is None:
        _without_log(actor)
        return
    log = DecisionLog(log_file, unmask=unmask)
    try:
        log.append(d, facts, actor=_actor(actor), request=facts.application.id)
    except (LogError, OSError) as e:
        _append_failed(log_file, e)


def decisions_hook(
    log_file: str | None, actor: str | None, engine: str, unmask: bool
) -> Callable[[Any, list[Decision]], None] | None:
    """`screen --log`: the hook that appends each decision as it is made (Python engine
    only), its request being the application's id; None without --log."""
    if log_file is None:
        _without_log(actor)
        return None
    if engine != "python":
        fail(
            f"--log 需要 --engine python（逐条审核时逐条记录；当前为 {engine}）/ "
            "--log needs --engine python",
            2,
        )
    log = DecisionLog(log_file, unmask=unmask)
    try:
        log.head()  # a damaged log fails now, not after the first row
    except (LogError, OSError) as e:
        _append_failed(log_file, e)
    who = _actor(actor)

    def hook(facts: Any, decisions: list[Decision]) -> None:
        try:
            log.append_all(decisions, facts, actor=who, request=facts.application.id)
        except OSError as e:
            raise LogError(f"无法写入决策日志 / cannot write the log: {e.strerror or e}") from e

    return hook


@click.group("log")
def log_command() -> None:
    """决策日志 / the decision log: verify its hash chain."""


@log_command.command("verify")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--expect-head",
    metavar="HASH",
    help="a head hash noted earlier: fail if the log no longer holds that entry",
)
def verify_command(file: str, expect_head: str | None) -> None:
    """Check a decision log's hash chain: exit 0 when intact, 1 at the first bad line."""
    try:
        r = verify_log(file, expect_head=expect_head)
    except FileNotFoundError:
        fail(f"文件不存在 / no such file: {file}", 2)
    except OSError as e:
        fail(f"无法读取 / cannot read {file}: {e.strerror or e}", 2)
    if r.ok:
        click.echo(
            f"✓ {file}: {r.entries} 条记录，哈希链完整 / intact; head {r.head or '(空 / empty)'}"
        )
        return
    where = f"{file}:{r.line}" if r.line is not None else file
    tail = f"（此前 {r.entries} 条完好，最后一条 {r.head}）" if r.entries else ""
    fail(f"{where}: {r.problem}{tail}", 1)
