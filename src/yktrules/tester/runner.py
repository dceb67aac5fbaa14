"""The test runner for `*.cases.yaml` files (INTERFACES.md, "Test cases").

A case file is opened once (:meth:`Runner.open_file`: YAML, top-level keys, the policy
folder, which is loaded and checked once per folder and run), then each case runs on its
own (:meth:`Runner.run_case`), so the command line and the pytest plugin share one runner.
"""

from __future__ import annotations

import copy
import difflib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ArgumentError, FactsError, NoPolicyError, PolicyError
from ..lang import yamlio
from ..screening.decision import Decision
from ..screening.policyset import PolicySet, load

if TYPE_CHECKING:
    from .cover import Coverage

_TOP_KEYS = ("policies", "item", "as_of", "fixtures", "cases")
_CASE_KEYS = ("name", "item", "as_of", "facts", "expect")
_EXPECT_KEYS = ("outcome", "reasons", "unknown", "amount", "policy")

FILE_CASE = "(file)"  # the name of the result that stands for a whole file that cannot run


@attrs.frozen
class CaseResult:
    file: str
    line: int
    name: str
    passed: bool
    problems: tuple[str, ...] = ()  # one line each: what differed, or why it could not run
    expected: dict[str, Any] = attrs.field(factory=dict)
    actual: dict[str, Any] = attrs.field(factory=dict)
    decision: Decision | None = None
    mismatched: tuple[str, ...] = ()  # the `expect` keys whose actual value differs
    seconds: float = attrs.field(default=0.0, eq=False)  # time the case took to run

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def is_error(self) -> bool:
        """True when the case could not be screened at all (bad file, facts, item, date),
        as opposed to a decision that differs from the expectation."""
        return not self.passed and self.decision is None


@attrs.frozen
class CaseSpec:
    """One entry of a case file's `cases:` list, before it runs."""

    index: int
    line: int
    name: str
    data: Any


@attrs.frozen
class CaseFile:
    """A case file whose YAML, keys and policy folder are in order: its cases can run."""

    path: Path
    file: str  # the path as reports show it
    folder: Path
    policies: PolicySet
    top: dict[str, Any]
    cases: tuple[CaseSpec, ...]


def find_case_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files += sorted(p.rglob("*.cases.yaml"))
        elif p.is_file():
            files.append(p)
        else:
            missing.append(str(raw))
    return files, missing


def default_policies_dir(case_file: Path) -> Path | None:
    """The nearest folder, from the case file's own upwards, that holds `.ykt` files (in it
    or below it).  The search stops at the repository root (a folder holding `.git`) and
    never goes above the filesystem's top two levels, so a stray case file cannot make it
    scan the whole disk."""
    start = case_file.resolve().parent
    for d in [start, *start.parents]:
        if len(d.parts) <= 2:  # "/" and "/tmp", "/home": too wide to search
            return None
        if any(d.rglob("*.ykt")):
            return d
        if (d / ".git").exists():
            return None
    return None


def _shown_path(folder: Path) -> Path:
    """The folder as policy sources will name it: relative to the working directory when
    it lies under it (`policies/sichuan/dibao.ykt`, not `policies/cases/../sichuan/…`)."""
    full = folder.resolve()
    try:
        cwd = Path.cwd().resolve()
        return Path(os.path.relpath(full, cwd)) if full.is_relative_to(cwd) else full
    except (OSError, ValueError):  # no working directory, or another drive
        return full


class Runner:
    """Runs case files; loaded policy sets are shared between files that name the same folder.

    With a :class:`~yktrules.tester.cover.Coverage`, every screened case is also replayed on
    the reference interpreter to record rule and condition coverage."""

    def __init__(self, coverage: Coverage | None = None) -> None:
        self._sets: dict[Path, PolicySet | PolicyError] = {}
        self.coverage = coverage
        self.deselected = 0  # cases skipped by `select` in run_file

    def policy_set(self, folder: Path) -> PolicySet | PolicyError:
        key = folder.resolve()
        if key not in self._sets:
            try:
                self._sets[key] = load(_shown_path(folder))
            except PolicyError as e:
                self._sets[key] = e
        return self._sets[key]

    def run_file(
        self, path: Path, select: Callable[[str], bool] | None = None
    ) -> Iterator[CaseResult]:
        """Every case of the file, in order; a file that cannot run is one failed result
        named ``(file)``.  Cases whose name `select` rejects are skipped and counted in
        ``self.deselected``."""
        opened = self.open_file(path)
        if isinstance(opened, CaseResult):
            yield opened
            return
        for case in opened.cases:
            if select is not None and not select(case.name):
                self.deselected += 1
                continue
            start = time.perf_counter()
            result = self.run_case(opened, case)
            yield attrs.evolve(result, seconds=time.perf_counter() - start)

    def open_file(self, path: Path, shown: str | None = None) -> CaseFile | CaseResult:
        """Read a case file and load its policy folder; a failed ``(file)`` result when
        either cannot be used.  `shown` is the file's name in reports (default: `path`)."""
        f = shown or str(path)

        def fail(line: int, message: str) -> CaseResult:
            return CaseResult(f, line, FILE_CASE, False, (message,))

        try:
            doc = yamlio.load(path.read_text(encoding="utf-8-sig"))
        except yamlio.YamlProblem as e:
            return fail(e.pos.line, e.message)
        except (OSError, UnicodeDecodeError) as e:
            return fail(1, f"无法读取用例文件 / cannot read: {e}")
        top = doc.value
        if not isinstance(top, dict) or not isinstance(top.get("cases"), list):
            return fail(1, "用例文件须为映射，并含 `cases:` 列表 / needs a `cases:` list")
        bad = [k for k in top if k not in _TOP_KEYS]
        if bad:
            return fail(doc.key_pos((bad[0],)).line, _unknown_key(bad[0], _TOP_KEYS, "用例文件"))
        fixtures = top.get("fixtures")
        if fixtures is not None and not isinstance(fixtures, dict):
            return fail(
                doc.pos(("fixtures",)).line,
                "`fixtures` 须为映射（名称: 事实文档） / fixtures must be a mapping",
            )
        folder = (
            (path.parent / str(top["policies"]))
            if top.get("policies")
            else default_policies_dir(path)
        )
        if folder is None or not folder.exists():
            return fail(
                doc.pos(("policies",)).line,
                f"找不到政策目录 / no policy folder: {folder or '(none found)'}",
            )
        ps = self.policy_set(folder)
        if isinstance(ps, PolicyError):
            return fail(
                1, f"政策目录 {_shown_path(folder)} 未通过检查 / policies do not check:\n{ps}"
            )
        if self.coverage is not None:
            self.coverage.add_set(ps)
        cases = []
        for i, case in enumerate(top["cases"]):
            line = doc.pos(("cases", i)).line
            name = f"case at line {line}"
            if isinstance(case, dict) and case.get("name") is not None:
                name = str(case["name"])
            cases.append(CaseSpec(i, line, name, case))
        return CaseFile(path, f, folder, ps, top, tuple(cases))

    def run_case(self, cf: CaseFile, spec: CaseSpec) -> CaseResult:
        f, line, name, case = cf.file, spec.line, spec.name, spec.data

        def fail(message: str) -> CaseResult:
            return CaseResult(f, line, name, False, (message,))

        if not isinstance(case, dict):
            return fail("用例须为映射 / a case must be a mapping")
        bad = [k for k in case if k not in _CASE_KEYS]
        if bad:
            return fail(_unknown_key(bad[0], _CASE_KEYS, "用例"))
        expect = case.get("expect") or {}
        if not isinstance(expect, dict):
            return fail("`expect` 须为映射")
        bad = [k for k in expect if k not in _EXPECT_KEYS]
        if bad:
            return fail(_unknown_key(bad[0], _EXPECT_KEYS, "expect"))
        item = case.get("item", cf.top.get("item"))
        if not item:
            return fail("没有指定 item / no item for this case")
        ps = cf.policies
        try:
            facts = build_facts(case.get("facts"), cf.top.get("fixtures") or {})
        except ValueError as e:
            return fail(str(e))
        as_of_raw = case.get("as_of", cf.top.get("as_of"))
        try:
            as_of = _date(as_of_raw) if as_of_raw is not None else None
        except ValueError as e:
            return fail(f"as_of 无效 / bad as_of: {e}")
        try:
            doc = ps.parse_facts(facts)
            decision = ps.screen(doc, policy=str(item), as_of=as_of)
        except FactsError as e:
            return fail(f"申请材料无效 / invalid facts:\n{e}")
        except NoPolicyError as e:
            return fail(f"没有生效的政策 / {e}")
        except ArgumentError as e:
            return fail(f"as_of 无效 / bad as_of: {e}")
        if self.coverage is not None:
            try:
                self.coverage.record(ps, doc, decision)
            except Exception as e:  # a bug in the tooling: say so, with the case
                return fail(
                    f"覆盖率统计出错（请报告此问题）/ internal error recording coverage: "
                    f"{type(e).__name__}: {e}"
                )
        return compare(f, line, name, expect, decision)


def _unknown_key(key: Any, allowed: Sequence[str], where: str) -> str:
    sug = difflib.get_close_matches(str(key), allowed, n=1)
    msg = f"{where}中未知的键 `{key}`；可用：{', '.join(allowed)}"
    return msg + (f"（是否想写 `{sug[0]}`？）" if sug else "")


def _date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v))


def merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key; lists and scalars replace; an explicit null sets null."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v) if k in base else v
        return out
    return over


def build_facts(spec: Any, fixtures: dict[str, Any], _seen: tuple[str, ...] = ()) -> Any:
    if not isinstance(spec, dict):
        raise ValueError("`facts` 须为映射 / facts must be a mapping")
    spec = dict(spec)
    base_name = spec.pop("from", None)
    if base_name is None:
        return _jsonable(spec)
    if base_name not in fixtures:
        sug = difflib.get_close_matches(str(base_name), [str(k) for k in fixtures], n=1)
        raise ValueError(
            f"没有名为 `{base_name}` 的 fixture / unknown fixture"
            + (f"（是否想写 `{sug[0]}`？）" if sug else "")
        )
    if base_name in _seen:
        raise ValueError(f"fixture `{base_name}` 循环引用 / fixtures form a cycle")
    base = build_facts(copy.deepcopy(fixtures[base_name]), fixtures, (*_seen, base_name))
    return _jsonable(merge(base, spec))


def _jsonable(v: Any) -> Any:
    """YAML values as a JSON document would carry them (dates as ISO strings)."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, date):
        return v.isoformat()
    return v


def _amount(v: Any) -> Decimal | None:
    if v is None:
        return None
    try:
        return Decimal(str(v))
    except InvalidOperation:
        return None


def actual_of(d: Decision) -> dict[str, Any]:
    """A decision in the terms of `expect`: rule names sorted, the amount as a string."""
    return {
        "outcome": d.outcome.value,
        "reasons": sorted(r.rule for r in d.reasons),
        "unknown": sorted(u.rule for u in d.unknown),
        "amount": None if d.amount is None else format(d.amount, "f"),
        "policy": d.policy,
    }


def compare(f: str, line: int, name: str, expect: dict[str, Any], d: Decision) -> CaseResult:
    actual = actual_of(d)
    problems: list[str] = []
    mismatched: list[str] = []
    shown: dict[str, Any] = {}
    for key, want in expect.items():
        shown[key] = want
        got = actual[key]
        if key in ("reasons", "unknown"):
            items = want if isinstance(want, list) else [] if want is None else [want]
            want_set = sorted(str(x) for x in items)
            ok = want_set == got
            shown[key] = want_set
        elif key == "amount":
            ok = _amount(want) == _amount(got) and (want is None) == (got is None)
        else:
            ok = str(want) == str(got)
        if not ok:
            mismatched.append(key)
            problems.append(f"{key}: expected {show(shown[key])}, got {show(got)}")
    return CaseResult(
        f,
        line,
        name,
        not problems,
        tuple(problems),
        shown,
        {k: actual[k] for k in expect} or actual,
        d,
        tuple(mismatched),
    )


def show(v: Any) -> str:
    """An expected or actual value as the failure output writes it."""
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return "null" if v is None else str(v)
