"""pytest plugin (registered as the `yktrules` entry point of `pytest11`): with yktrules
installed, `pytest` collects `*.cases.yaml` files, one test item per case, with node ids
`path/to/file.cases.yaml::case name`.

- A failing case shows the same report as `yktrules test` (expected and actual side by
  side, the decision's reasons and unknown rules).
- Policy folders are loaded and checked once per pytest session and shared by every case
  file that names them.
- A case file that cannot be read, or whose policy folder does not check, is collected as
  one failing item named ``(file)`` that shows the problem and the diagnostics; it never
  breaks collection.
- `pytest -k`, `--junitxml`, `-x` and the rest work on these items as on any test.

Disable with `-p no:yktrules`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .report import failure_text
from .runner import FILE_CASE, CaseFile, CaseResult, CaseSpec, Runner

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

_RUNNER = pytest.StashKey[Runner]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith(".cases.yaml"):
        return CasesFile.from_parent(parent, path=file_path)
    return None


def _runner(session: pytest.Session) -> Runner:
    """The session's runner: it caches each policy folder once loaded."""
    runner = session.stash.get(_RUNNER, None)
    if runner is None:
        runner = session.stash[_RUNNER] = Runner()
    return runner


class CaseFailed(Exception):
    """A case whose decision differs from `expect`, or that could not run."""

    def __init__(self, result: CaseResult):
        super().__init__(result.name)
        self.result = result


class CasesFile(pytest.File):
    """A `*.cases.yaml` file: one item per case."""

    def collect(self) -> Iterator[pytest.Item]:
        opened = _runner(self.session).open_file(self.path, self.nodeid or None)
        if isinstance(opened, CaseResult):
            yield FileProblem.from_parent(self, name=FILE_CASE, result=opened)
            return
        names = [c.name for c in opened.cases]
        for spec in opened.cases:
            name = spec.name if names.count(spec.name) == 1 else f"{spec.name} (line {spec.line})"
            yield CaseItem.from_parent(self, name=name, case_file=opened, spec=spec)


def _width(config: pytest.Config) -> int:
    tw = config.get_terminal_writer()
    return max(int(tw.fullwidth), 80)


class _CaseFailureRepr(pytest.Item):
    """Shows a failed case as the `yktrules test` command does: expected vs actual."""

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, CaseFailed):
            return failure_text(excinfo.value.result, _width(self.config))
        return super().repr_failure(excinfo, style)


class CaseItem(_CaseFailureRepr):
    def __init__(self, *, case_file: CaseFile, spec: CaseSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_file = case_file
        self.spec = spec

    def runtest(self) -> None:
        result = _runner(self.session).run_case(self.case_file, self.spec)
        if not result.passed:
            raise CaseFailed(result)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, self.spec.line - 1, f"case: {self.spec.name}"


class FileProblem(_CaseFailureRepr):
    """A case file that cannot run: the item fails with the reason."""

    def __init__(self, *, result: CaseResult, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result = result

    def runtest(self) -> None:
        raise CaseFailed(self.result)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, self.result.line - 1, f"case file: {self.path.name}"
