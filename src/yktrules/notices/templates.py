"""Notice templates (发放告知书模板): ``*.notices.yaml`` files, their placeholders, lookup.

A template file is a YAML mapping from ``default`` or a policy code to one template text::

    default: "{姓名}您好：{发放期}的{项目名称}{金额}元已于{发放日期}发放到您尾号{卡号尾号}的卡。"
    SC-MZ-001: "..."
    NJ-ZZ-MZ-001: "..."

Placeholders are written ``{姓名}`` or ``{name}`` (:data:`PLACEHOLDERS`); ``{{`` and ``}}`` are
literal braces.  Every problem of every file (YAML syntax, a value that is not text, an
unknown placeholder, a key written in two files, a code not in the policy set) is collected
into one :class:`TemplateError` listing ``file:line:col`` for each.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from ..errors import YktError
from ..lang import yamlio

if TYPE_CHECKING:
    from ..screening.policyset import PolicySet

__all__ = [
    "BUILTIN_DEFAULT",
    "DEFAULT_KEY",
    "PLACEHOLDERS",
    "SUFFIX",
    "Template",
    "TemplateError",
    "TemplateProblem",
    "Templates",
    "load_templates",
    "parse_template",
]

#: File names read by :func:`load_templates`.
SUFFIX = ".notices.yaml"

#: The key of the template used when no policy in the chain has its own.
DEFAULT_KEY = "default"

#: Canonical (English) placeholder -> its Chinese name.  Either may be written.
PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "name": "姓名",
        "item": "项目代码",
        "title": "项目名称",
        "amount": "金额",
        "period": "发放期",
        "paid_on": "发放日期",
        "hotline": "咨询电话",
        "department": "主管部门",
        "card_tail": "卡号尾号",
    }
)

_ALIASES: dict[str, str] = {en: en for en in PLACEHOLDERS}
_ALIASES.update({zh: en for en, zh in PLACEHOLDERS.items()})

#: The default used when no template file has a ``default`` entry.
BUILTIN_DEFAULT = (
    "{姓名}您好：{发放期}的{项目名称}{金额}元已于{发放日期}发放到您尾号{卡号尾号}的社会保障卡"
    "（一卡通）。如有疑问请咨询{主管部门}，咨询电话{咨询电话}。"
)

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@attrs.frozen
class TemplateProblem:
    """One problem of a template file, at ``file:line:col``."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class TemplateError(YktError):
    """Template files that cannot be used; ``.problems`` lists every problem found."""

    def __init__(self, problems: Sequence[TemplateProblem]):
        self.problems: list[TemplateProblem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"告知书模板有 {len(self.problems)} 处错误 / notice templates have errors:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problems,))


@attrs.frozen
class Field:
    """A placeholder in a parsed template, by its canonical (English) name."""

    name: str


Part = str | Field


@attrs.frozen
class Template:
    """One template: its key, text, parsed parts and where it is written (``file:line``)."""

    key: str
    text: str
    parts: tuple[Part, ...]
    source: str

    @property
    def fields(self) -> frozenset[str]:
        """The canonical names of the placeholders used."""
        return frozenset(p.name for p in self.parts if isinstance(p, Field))

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with every placeholder replaced by ``values[name]``."""
        return "".join(p if isinstance(p, str) else values[p.name] for p in self.parts)


def parse_template(text: str) -> tuple[tuple[Part, ...], list[str]]:
    """The parts of ``text`` and the problems found (empty when it is a valid template)."""
    parts: list[Part] = []
    problems: list[str] = []
    buf: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        buf.append(text[pos : m.start()])
        pos = m.end()
        tok = m.group(0)
        if tok in ("{{", "}}"):
            buf.append(tok[0])
            continue
        if tok in ("{", "}"):
            problems.append(
                f"第 {m.start() + 1} 个字符处有不成对的“{tok}”；要写花括号本身请写“{tok * 2}” "
                f"/ unbalanced brace"
            )
            continue
        name = (m.group(1) or "").strip()
        canonical = _ALIASES.get(name)
        if canonical is None:
            problems.append(_unknown(name))
            continue
        if buf:
            parts.append("".join(buf))
            buf = []
        parts.append(Field(canonical))
    buf.append(text[pos:])
    if "".join(buf):
        parts.append("".join(buf))
    return tuple(p for p in parts if p != ""), problems


def _unknown(name: str) -> str:
    if not name:
        return "空的占位符“{}” / empty placeholder"
    if ":" in name or "!" in name:
        base = re.split(r"[:!]", name, maxsplit=1)[0].strip()
        if base in _ALIASES:
            return (
                f"占位符“{{{name}}}”不支持格式说明，请写“{{{base}}}”（金额固定保留两位小数）"
                f" / format specs are not supported"
            )
    close = difflib.get_close_matches(name, list(_ALIASES), n=1, cutoff=0.5)
    hint = f"，是否应为“{{{close[0]}}}”？" if close else "。"
    every = "、".join(f"{{{zh}}}" for zh in PLACEHOLDERS.values())
    return (
        f"未知的占位符“{{{name}}}”{hint}可用的占位符：{every}（或其英文名）"
        f" / unknown placeholder{f', did you mean {{{close[0]}}}?' if close else ''}"
    )


@attrs.frozen
class Templates:
    """The templates of a policy library, by key (``default`` or a policy code)."""

    entries: Mapping[str, Template]
    files: tuple[str, ...] = ()

    @property
    def default(self) -> Template:
        """The ``default`` template (:data:`BUILTIN_DEFAULT` when no file has one)."""
        t = self.entries.get(DEFAULT_KEY)
        return t if t is not None else _BUILTIN

    def lookup(self, chain: Sequence[str]) -> Template:
        """The template for a policy whose chain (item first, the policy last) is ``chain``:
        the policy's own, else the nearest ancestor's, else the default."""
        for code in reversed(chain):
            t = self.entries.get(code)
            if t is not None:
                return t
        return self.default


_BUILTIN = Template(DEFAULT_KEY, BUILTIN_DEFAULT, parse_template(BUILTIN_DEFAULT)[0], "<内置>")


def _template_files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.rglob("*" + SUFFIX) if p.is_file())


def load_templates(
    folder: str | Path | Iterable[str | Path], *, policies: PolicySet | None = None
) -> Templates:
    """Read every ``*.notices.yaml`` under ``folder`` (a folder, a file, or several).

    With ``policies``, a key that is not a policy code of that set is an error too.  Raises
    :class:`TemplateError` listing ``file:line:col`` of every problem; a folder without
    template files gives only the built-in default."""
    roots = [folder] if isinstance(folder, str | Path) else list(folder)
    entries: dict[str, Template] = {}
    problems: list[TemplateProblem] = []
    files: list[str] = []
    for root in roots:
        r = Path(root)
        if not r.exists():
            problems.append(TemplateProblem(str(r), 1, 1, "路径不存在 / no such file or folder"))
            continue
        for f in _template_files(r):
            files.append(str(f))
            _read_file(f, entries, problems)
    if policies is not None:
        codes = list(policies.policies)
        for key, t in entries.items():
            if key != DEFAULT_KEY and key not in policies.policies:
                close = difflib.get_close_matches(key, [*codes, DEFAULT_KEY], n=1, cutoff=0.6)
                hint = f"，是否应为 {close[0]}？" if close else ""
                file, line, col = _split_source(t.source)
                problems.append(
                    TemplateProblem(
                        file,
                        line,
                        col,
                        f"政策库中没有政策 {key}{hint} / no policy with this code",
                    )
                )
    if problems:
        raise TemplateError(problems)
    return Templates(MappingProxyType(entries), tuple(files))


def _split_source(source: str) -> tuple[str, int, int]:
    file, line, col = source.rsplit(":", 2)
    return file, int(line), int(col)


def _read_file(f: Path, entries: dict[str, Template], problems: list[TemplateProblem]) -> None:
    name = str(f)
    try:
        text = f.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        problems.append(TemplateProblem(name, 1, 1, f"文件不是 UTF-8 编码 / not UTF-8: {e.reason}"))
        return
    except OSError as e:
        problems.append(TemplateProblem(name, 1, 1, f"无法读取 / cannot read: {e.strerror}"))
        return
    try:
        doc = yamlio.load(text)
    except yamlio.YamlProblem as e:
        problems.append(TemplateProblem(name, e.pos.line, e.pos.col, e.message))
        return
    if doc.value is None:
        return
    if not isinstance(doc.value, dict):
        problems.append(
            TemplateProblem(
                name,
                1,
                1,
                "模板文件应为“键: 模板文字”的映射，键为 default 或政策代码 "
                "/ expected a mapping of default or policy code to text",
            )
        )
        return
    for key, value in doc.value.items():
        kpos = doc.key_pos((key,))
        vpos = doc.pos((key,))
        if not isinstance(key, str) or not key.strip():
            problems.append(
                TemplateProblem(
                    name, kpos.line, kpos.col, f"键 `{key}` 应为 default 或政策代码 / bad key"
                )
            )
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(
                TemplateProblem(
                    name,
                    vpos.line,
                    vpos.col,
                    f"{key} 的模板应为非空的文字（请用引号括起）/ template must be non-empty text",
                )
            )
            continue
        parts, errs = parse_template(value)
        for msg in errs:
            problems.append(TemplateProblem(name, vpos.line, vpos.col, f"{key}: {msg}"))
        if errs:
            continue
        source = f"{name}:{kpos.line}:{kpos.col}"
        if key in entries:
            problems.append(
                TemplateProblem(
                    name,
                    kpos.line,
                    kpos.col,
                    f"{key} 的模板已在 {entries[key].source} 写过 / template defined twice",
                )
            )
            continue
        entries[key] = Template(key, value, parts, source)
