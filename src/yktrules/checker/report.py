"""Collects diagnostics, attaching the source line, without duplicates."""

from __future__ import annotations

from ..errors import Diagnostic, Span


class Reporter:
    def __init__(self, sources: dict[str, str]):
        self._lines = {f: t.splitlines() for f, t in sources.items()}
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[tuple[str, Span | None, str]] = set()

    def add_source(self, file: str, text: str) -> None:
        self._lines[file] = text.splitlines()

    def _emit(
        self, severity: str, code: str, message: str, span: Span | None, hint: str | None
    ) -> None:
        key = (code, span, message)
        if key in self._seen:
            return
        self._seen.add(key)
        src = None
        if span is not None:
            lines = self._lines.get(span.file, [])
            if 0 < span.line <= len(lines):
                src = lines[span.line - 1]
        self.diagnostics.append(Diagnostic(code, message, span, severity, hint, src))

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self._emit("error", code, message, span, hint)

    def warning(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self._emit("warning", code, message, span, hint)

    def extend(self, diags: list[Diagnostic]) -> None:
        for d in diags:
            key = (d.code, d.span, d.message)
            if key not in self._seen:
                self._seen.add(key)
                self.diagnostics.append(d)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)
