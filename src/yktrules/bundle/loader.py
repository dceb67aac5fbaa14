"""Reading a policy folder: find the files, parse the policies, load the parameter tables,
and check the lot.  Nothing here raises on bad input; problems become diagnostics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from pydantic import BaseModel

from .. import ir
from ..errors import Diagnostic, Span
from ..ir.functions import HostFunction, table
from ..params import ParamTable, load_param_files

if TYPE_CHECKING:
    from ..lang import ast


@attrs.frozen
class Sources:
    """The text of every policy and parameter file of a set, by display path."""

    policies: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, str], ...]


@attrs.frozen
class Loaded:
    sources: Sources
    policies: dict[str, ir.CheckedPolicy]
    params: ParamTable
    diagnostics: list[Diagnostic]
    audits: int = 0  # roster audits found (checked too; run by yktrules.audit)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def _problem(code: str, msg: str, file: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, msg, Span(file, 1, 1, 1, 2), hint=hint)


def read_sources(paths: Sequence[str | Path]) -> tuple[Sources, list[Diagnostic]]:
    """Collect `.ykt` and `.params.yaml` files under the given folders or files."""
    ykt: dict[str, str] = {}
    prm: dict[str, str] = {}
    diags: list[Diagnostic] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            diags.append(_problem("E000", f"路径不存在 / no such file or folder: {raw}", str(raw)))
            continue
        if p.is_dir():
            files: Iterable[Path] = sorted(p.rglob("*"))
        else:
            files = [p]
            if p.suffix == ".ykt":  # a lone policy file is read with the tables beside it
                files = [p, *sorted(p.parent.glob("*.params.yaml"))]
            elif not p.name.endswith(".params.yaml"):
                diags.append(
                    _problem(
                        "E000", f"不是政策文件（.ykt）或参数文件（.params.yaml）: {raw}", str(raw)
                    )
                )
                continue
        for f in files:
            if not f.is_file():
                continue
            is_ykt, is_prm = f.suffix == ".ykt", f.name.endswith(".params.yaml")
            if not (is_ykt or is_prm):
                continue
            name = str(f)
            try:
                text = f.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError as e:
                diags.append(
                    _problem(
                        "E000",
                        f"文件不是 UTF-8 编码 / not UTF-8 ({e.reason} at byte {e.start})",
                        name,
                        "请将文件另存为 UTF-8",
                    )
                )
                continue
            except OSError as e:
                diags.append(_problem("E000", f"无法读取文件 / cannot read: {e.strerror}", name))
                continue
            (ykt if is_ykt else prm)[name] = text
    if not ykt and not prm and not diags:
        where = ", ".join(str(p) for p in paths) or "."
        diags.append(
            _problem("E000", f"没有找到任何 .ykt 政策文件 / no policy files in {where}", where)
        )
    return Sources(tuple(ykt.items()), tuple(prm.items())), diags


def _position(d: Diagnostic) -> tuple[str, int, int]:
    return (d.span.file, d.span.line, d.span.col) if d.span else ("", 0, 0)


def load_sources(
    sources: Sources, schema: type[BaseModel], functions: Sequence[HostFunction] = ()
) -> Loaded:
    # imported here: a load from the cache (cache.py) needs neither lark nor the checker
    from ..checker import check
    from ..lang.parser import parse

    diags: list[Diagnostic] = []
    modules: list[ast.Module] = []
    for file, text in sources.policies:
        module, ds = parse(text, file)
        diags += ds
        if module is not None:
            modules.append(module)
    params, pdiags = load_param_files(sources.params)
    diags += pdiags
    all_text = dict(sources.policies) | dict(sources.params)
    try:
        checked, cdiags = check(modules, params, schema, table(functions), all_text)
    except Exception as e:  # a checker bug must still come out as a diagnostic
        checked = {}
        cdiags = [
            _problem(
                "E999",
                f"检查器内部错误，请报告 / internal checker error: {type(e).__name__}: {e}",
                next(iter(all_text), "<input>"),
            )
        ]
    diags += cdiags
    if any(d.is_error for d in diags):
        checked = {}
    diags.sort(key=_position)
    return Loaded(sources, checked, params, diags, sum(len(m.audits) for m in modules))
