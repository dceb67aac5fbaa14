"""What every command of the CLI shares: the consoles, failing with an exit code and no
traceback, the `YYYY-MM-DD` option type and loading a policy folder."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click
from rich.console import Console

if TYPE_CHECKING:
    from ..screening.policyset import PolicySet

__all__ = [
    "date_arg",
    "err",
    "fail",
    "load_policies",
    "out",
    "read_table_or_exit",
    "read_text_or_exit",
    "write_jsonl",
]

# wide when not a terminal, so that tables written to a file or a pipe are not squeezed
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def fail(message: str, code: int) -> NoReturn:
    """Print `message` on standard error, as is (no markup, no emoji codes, no wrapping),
    and exit."""
    err.print(message, markup=False, emoji=False, soft_wrap=True)
    sys.exit(code)


def date_arg(_ctx: Any, _param: Any, value: str | None) -> date | None:
    """A click callback for a `YYYY-MM-DD` option (only that form: not `20240101`)."""
    if value is None:
        return None
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"`{value}` 不是有效日期，请写作 YYYY-MM-DD") from None


def load_policies(path: str) -> PolicySet:
    """The policy folder at `path`, or exit 1 with every diagnostic."""
    from ..errors import PolicyError
    from ..screening.policyset import load

    try:
        return load(path)
    except PolicyError as e:
        fail(f"政策目录 {path} 未通过检查 / the policies do not check:\n\n{e}", 1)


def read_text_or_exit(path: str) -> str:
    """A UTF-8 text file (a BOM is dropped), or standard input for ``-``; exit 2 when it
    cannot be read."""
    from pathlib import Path

    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        fail(f"文件不存在 / no such file: {path}", 2)
    except (OSError, UnicodeDecodeError) as e:
        fail(f"无法读取 / cannot read {path}: {e}", 2)


def read_table_or_exit(path: str, model: type[Any]) -> tuple[list[tuple[int, Any]], list[Any]]:
    """The rows and error rows of a roster or registry file (CSV, JSON Lines, Parquet), or
    exit 2 when the file itself cannot be read."""
    from pathlib import Path

    from ..errors import YktError
    from ..roster.io import read_table

    if not Path(path).is_file():
        fail(f"文件不存在 / no such file: {path}", 2)
    try:
        t = read_table(path, model)
    except YktError as e:
        fail(f"无法读取 / cannot read {path}: {e}", 2)
    except OSError as e:
        fail(f"无法读取 / cannot read {path}: {e.strerror or e}", 2)
    return list(t.rows), list(t.errors)


def write_jsonl(out_file: str | None, rows: Iterable[dict[str, Any]]) -> None:
    """One JSON object a line to `out_file` (standard output when None), or exit 2 when the
    file cannot be written."""
    import json

    try:
        f: TextIO = open(out_file, "w", encoding="utf-8") if out_file else sys.stdout  # noqa: SIM115
    except OSError as e:
        fail(f"无法写入 / cannot write {out_file}: {e.strerror or e}", 2)
    try:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if out_file:
            f.close()
