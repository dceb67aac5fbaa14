"""Diagnostics and the library's exceptions.

Every problem the front end finds is a :class:`Diagnostic`; a :class:`PolicyError`
carries all of them.  Facts that fail validation raise :class:`FactsError`; an item with
no policy in force raises :class:`NoPolicyError`.  None of these ever wraps a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs


@attrs.frozen
class Span:
    """A region of a source file; lines and columns start at 1, ``end_col`` is exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @property
    def short(self) -> str:
        """``file:line``, the form used in decision documents."""
        return f"{self.file}:{self.line}"


@attrs.frozen
class Diagnostic:
    """One problem (or warning) found in a policy, parameter or case file."""

    code: str
    message: str
    span: Span | None
    severity: str = "error"  # "error" | "warning"
    hint: str | None = None
    source_line: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def render(self) -> str:
        """``file:line:col: error[CODE]: message``, then the source line and a caret."""
        where = str(self.span) if self.span else "<input>"
        out = [f"{where}: {self.severity}[{self.code}]: {self.message}"]
        if self.span is not None and self.source_line is not None:
            line = self.source_line.rstrip("\n")
            gutter = f"{self.span.line:>5} | "
            out.append(gutter + line)
            start = max(self.span.col - 1, 0)
            if self.span.end_line == self.span.line:
                width = max(self.span.end_col - self.span.col, 1)
            else:
                width = max(len(line) - start, 1)
            # CJK characters take two columns in a terminal.
            under = line[start : start + width]
            carets = "^" * max(sum(2 if _wide(c) else 1 for c in under), 1)
            out.append(" " * len(gutter) + _pad_for(line[:start]) + carets)
        if self.hint:
            out.append(f"  = 提示: {self.hint}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "column": self.span.col if self.span else None,
            "hint": self.hint,
        }


def _wide(ch: str) -> bool:
    o = ord(ch)
    return (
        0x1100 <= o <= 0x115F
        or 0x2E80 <= o <= 0xA4CF
        or 0xAC00 <= o <= 0xD7A3
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFF60
        or 0xFFE0 <= o <= 0xFFE6
    )


def _pad_for(prefix: str) -> str:
    return "".join("\t" if c == "\t" else ("  " if _wide(c) else " ") for c in prefix)


def render_all(diagnostics: Iterable[Diagnostic]) -> str:
    diags = list(diagnostics)
    errors = sum(1 for d in diags if d.is_error)
    warnings = len(diags) - errors
    body = "\n\n".join(d.render() for d in diags)
    summary = f"{errors} error(s), {warnings} warning(s)"
    return f"{body}\n\n{summary}" if body else summary


class YktError(Exception):
    """Base class of every error yktrules raises on purpose."""


class PolicyError(YktError):
    """Policies or parameter files that do not check; ``.diagnostics`` lists every problem."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__(render_all(self.diagnostics))

    def __str__(self) -> str:
        return render_all(self.diagnostics)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.diagnostics,))


class FactsError(YktError):
    """A facts document that fails validation; ``.errors`` is a list of ``{"path", "message"}``."""

    def __init__(self, errors: Sequence[dict[str, str]]):
        self.errors: list[dict[str, str]] = [dict(e) for e in errors]
        super().__init__(self._text())

    def _text(self) -> str:
        lines = [f"申请材料校验未通过（{len(self.errors)} 处错误）:"]
        lines += [f"  {e['path'] or '(根)'}: {e['message']}" for e in self.errors]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._text()

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors,))


class ArgumentError(YktError, ValueError):
    """A bad argument to the API (an `as_of` that is not a date, say)."""


class NoPolicyError(YktError):
    """No policy of the item is in force for the application's region and date."""

    def __init__(self, item: str, region: str | None, as_of: Any, detail: str = ""):
        self.item = item
        self.region = region
        self.as_of = as_of
        self.detail = detail
        msg = f"项目 {item} 在地区 {region} 于 {as_of} 没有生效的政策"
        if detail:
            msg += f"：{detail}"
        super().__init__(msg)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.item, self.region, self.as_of, self.detail))
