"""The test runner for `*.cases.yaml` files (INTERFACES.md, "Test cases")."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from . import yamlio
from .decision import Decision
from .errors import FactsError, NoPolicyError, PolicyError
from .policyset import PolicySet, load

_TOP_KEYS = ("policies", "item", "as_of", "fixtures", "cases")
_CASE_KEYS = ("name", "item", "as_of", "facts", "expect")
_EXPECT_KEYS = ("outcome", "reasons", "unknown", "amount", "policy")


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

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


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
    """The nearest folder, from the case file's own upwards, that holds `.ykt` files."""
    for d in [case_file.parent, *case_file.parent.parents]:
        if any(d.rglob("*.ykt")):
            return d
    return None


class Runner:
    """Runs case files; loaded policy sets are shared between files that name the same folder."""

    def __init__(self) -> None:
        self._sets: dict[Path, PolicySet | PolicyError] = {}

    def policy_set(self, folder: Path) -> PolicySet | PolicyError:
        key = folder.resolve()
        if key not in self._sets:
            try:
                self._sets[key] = load(folder)
            except PolicyError as e:
                self._sets[key] = e
        return self._sets[key]

    def run_file(self, path: Path) -> Iterator[CaseResult]:
        f = str(path)
        try:
            doc = yamlio.load(path.read_text(encoding="utf-8-sig"))
        except yamlio.YamlProblem as e:
            yield CaseResult(f, e.pos.line, "(file)", False, (e.message,))
            return
        except (OSError, UnicodeDecodeError) as e:
            yield CaseResult(f, 1, "(file)", False, (f"无法读取用例文件 / cannot read: {e}",))
            return
        top = doc.value
        if not isinstance(top, dict) or not isinstance(top.get("cases"), list):
            yield CaseResult(
                f,
                1,
                "(file)",
                False,
                ("用例文件须为映射，并含 `cases:` 列表 / a case file needs a `cases:` list",),
            )
            return
        bad = [k for k in top if k not in _TOP_KEYS]
        if bad:
            yield CaseResult(
                f,
                doc.key_pos((bad[0],)).line,
                "(file)",
                False,
                (_unknown_key(bad[0], _TOP_KEYS, "用例文件"),),
            )
            return
        folder = (
            (path.parent / str(top["policies"]))
            if top.get("policies")
            else default_policies_dir(path)
        )
        if folder is None or not folder.exists():
            yield CaseResult(
                f,
                doc.pos(("policies",)).line,
                "(file)",
                False,
                (f"找不到政策目录 / no policy folder: {folder or '(none found)'}",),
            )
            return
        ps = self.policy_set(folder)
        if isinstance(ps, PolicyError):
            yield CaseResult(
                f,
                1,
                "(file)",
                False,
                (f"政策目录 {folder} 未通过检查 / policies do not check:\n{ps}",),
            )
            return
        fixtures = top.get("fixtures") or {}
        for i, case in enumerate(top["cases"]):
            line = doc.pos(("cases", i)).line
            yield self._run_case(ps, f, line, case, top, fixtures)

    def _run_case(
        self,
        ps: PolicySet,
        f: str,
        line: int,
        case: Any,
        top: dict[str, Any],
        fixtures: dict[str, Any],
    ) -> CaseResult:
        name = str(case.get("name", f"case at line {line}")) if isinstance(case, dict) else "?"
        if not isinstance(case, dict):
            return CaseResult(f, line, name, False, ("用例须为映射 / a case must be a mapping",))
        bad = [k for k in case if k not in _CASE_KEYS]
        if bad:
            return CaseResult(f, line, name, False, (_unknown_key(bad[0], _CASE_KEYS, "用例"),))
        expect = case.get("expect") or {}
        if not isinstance(expect, dict):
            return CaseResult(f, line, name, False, ("`expect` 须为映射",))
        bad = [k for k in expect if k not in _EXPECT_KEYS]
        if bad:
            return CaseResult(f, line, name, False, (_unknown_key(bad[0], _EXPECT_KEYS, "expect"),))
        item = case.get("item", top.get("item"))
        if not item:
            return CaseResult(f, line, name, False, ("没有指定 item / no item for this case",))
        try:
            facts = build_facts(case.get("facts"), fixtures)
        except ValueError as e:
            return CaseResult(f, line, name, False, (str(e),))
        as_of_raw = case.get("as_of", top.get("as_of"))
        try:
            as_of = _date(as_of_raw) if as_of_raw is not None else None
            decision = ps.screen(facts, policy=str(item), as_of=as_of)
        except FactsError as e:
            return CaseResult(f, line, name, False, (f"申请材料无效 / invalid facts:\n{e}",))
        except NoPolicyError as e:
            return CaseResult(f, line, name, False, (f"没有生效的政策 / {e}",))
        except ValueError as e:
            return CaseResult(f, line, name, False, (f"as_of 无效 / bad as_of: {e}",))
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
        sug = difflib.get_close_matches(str(base_name), list(fixtures), n=1)
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


def compare(f: str, line: int, name: str, expect: dict[str, Any], d: Decision) -> CaseResult:
    actual = {
        "outcome": d.outcome.value,
        "reasons": sorted(r.rule for r in d.reasons),
        "unknown": sorted(u.rule for u in d.unknown),
        "amount": None if d.amount is None else format(d.amount, "f"),
        "policy": d.policy,
    }
    problems: list[str] = []
    shown: dict[str, Any] = {}
    for key, want in expect.items():
        shown[key] = want
        got = actual[key]
        if key in ("reasons", "unknown"):
            want_set = sorted(str(x) for x in (want or []))
            ok = want_set == got
            shown[key] = want_set
        elif key == "amount":
            ok = _amount(want) == _amount(got) and (want is None) == (got is None)
        else:
            ok = str(want) == str(got)
        if not ok:
            problems.append(f"{key}: expected {_show(shown[key])}, got {_show(got)}")
    return CaseResult(
        f,
        line,
        name,
        not problems,
        tuple(problems),
        shown,
        {k: actual[k] for k in expect} or actual,
        d,
    )


def _show(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return "null" if v is None else str(v)
