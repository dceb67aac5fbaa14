"""`yktrules fmt [--check] [--diff] PATH…`: rewrite `.ykt` files in the canonical layout."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ..errors import PolicyError, render_all
from ..format import format_source


def _files(paths: tuple[str, ...]) -> Iterator[tuple[Path, str | None]]:
    """Every file to format, with a problem to report instead (a missing path)."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*.ykt") if f.is_file())
            if not found:
                yield p, "目录中没有 .ykt 文件 / no .ykt files in this folder"
            for f in found:
                yield f, None
        elif p.is_file():
            yield p, None
        else:
            yield p, "路径不存在 / no such file or folder"


def _decode(data: bytes) -> str:
    """UTF-8 text with Windows line ends made `\\n` (the formatter writes `\\n`)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"不是 UTF-8 编码 / not UTF-8: byte {e.start} cannot be decoded; "
            "政策文件须以 UTF-8 保存"
        ) from None
    return text.replace("\r\n", "\n")


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--check", is_flag=True, help="write nothing; exit 1 if a file would change")
@click.option("--diff", "show_diff", is_flag=True, help="print a unified diff; write nothing")
def fmt(paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Rewrite .ykt files in the canonical layout (folders: every .ykt inside, recursively).

    With --check or --diff nothing is written.  Exit 1 when a file does not parse, a path
    is missing, or (with --check) a file is not in the canonical layout."""
    write = not (check or show_diff)
    changed = unchanged = failed = 0
    for path, problem in _files(paths):
        if problem is not None:
            click.echo(f"{path}: {problem}", err=True)
            failed += 1
            continue
        try:
            raw = path.read_bytes()
            original = _decode(raw)
            formatted = format_source(original, str(path))
        except (OSError, ValueError) as e:
            msg = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            click.echo(f"{path}: 无法读取 / cannot read: {msg}", err=True)
            failed += 1
            continue
        except PolicyError as e:
            click.echo(f"{path}: 无法解析，未格式化 / does not parse, left as it is", err=True)
            click.echo(render_all(e.diagnostics) + "\n", err=True)
            failed += 1
            continue
        if raw == formatted.encode("utf-8"):
            unchanged += 1
            continue
        if show_diff:
            click.echo(_diff(path, original, formatted), nl=False)
        if check:
            click.echo(f"需要格式化 / would reformat: {path}")
        if write:
            try:
                path.write_text(formatted, encoding="utf-8", newline="\n")
            except OSError as e:
                click.echo(f"{path}: 无法写入 / cannot write: {e.strerror or e}", err=True)
                failed += 1
                continue
            click.echo(f"已格式化 / reformatted: {path}")
        changed += 1
    verb = "已格式化 / reformatted" if write else "需要格式化 / would reformat"
    summary = f"{changed} 个文件{verb}，{unchanged} 个文件无需改动 / unchanged"
    if failed:
        summary += f"，{failed} 处错误 / errors"
    click.echo(summary, err=True)
    if failed or (check and changed):
        sys.exit(1)


def _diff(path: Path, original: str, formatted: str) -> str:
    """A unified diff; a last line without a newline is marked as `diff` marks it."""
    out: list[str] = []
    for line in difflib.unified_diff(
        original.splitlines(keepends=True),
        formatted.splitlines(keepends=True),
        fromfile=str(path),
        tofile=f"{path} (formatted)",
    ):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
