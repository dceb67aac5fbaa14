"""The shipped policy library: it checks clean, its case files pass, the examples screen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import yktrules
from yktrules.batch.rows import screen_rows
from yktrules.tester import Runner, find_case_files

ROOT = Path(__file__).resolve().parents[1]
CASE_FILES, _ = find_case_files([ROOT / "policies"])


@pytest.fixture(scope="module")
def library() -> yktrules.PolicySet:
    return yktrules.load(ROOT / "policies")


def test_library_loads_without_warnings(library: yktrules.PolicySet) -> None:
    assert not library.warnings, [w.render() for w in library.warnings]
    assert {"SC-MZ-001", "SC-MZ-002", "SC-CL-001", "SC-CL-002", "SC-MZ-005", "SC-NY-001"} <= set(
        library.items
    )
    assert library.policy("NJ-MZ-001").item == "SC-MZ-001"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_file_passes(case_file: Path) -> None:
    results = list(Runner().run_file(case_file))
    assert results
    failures = [f"{r.where} {r.name}: {'; '.join(r.problems)}" for r in results if not r.passed]
    assert not failures, "\n".join(failures)


def test_every_policy_has_a_case_file(library: yktrules.PolicySet) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in CASE_FILES)
    for code in library.policies:
        assert code in text, f"no case mentions {code}"


def test_examples_screen_one_row_per_line(library: yktrules.PolicySet) -> None:
    lines = (ROOT / "examples" / "applications.jsonl").read_text(encoding="utf-8").splitlines()
    rows = list(screen_rows(library, lines, all_items=True))
    assert [r["line"] for r in rows] == list(range(1, len(lines) + 1))
    assert all("decisions" in r for r in rows), [r for r in rows if "error" in r]
    zz = json.loads((ROOT / "examples" / "zizhong_family.json").read_text(encoding="utf-8"))
    d = library.screen(zz, policy="SC-MZ-001")
    assert d.item == "SC-MZ-001" and d.policy.startswith("NJ-")


def test_library_is_in_canonical_layout() -> None:
    from yktrules.format import format_source

    for path in sorted((ROOT / "policies").rglob("*.ykt")):
        text = path.read_text(encoding="utf-8")
        assert format_source(text, str(path)) == text, f"run `yktrules fmt {path}`"


def test_library_has_full_rule_and_condition_coverage() -> None:
    from yktrules.tester import Coverage

    cov = Coverage()
    runner = Runner(coverage=cov)
    for f in CASE_FILES:
        assert all(r.passed for r in runner.run_file(f))
    report = cov.report()
    assert not report.untouched
    assert report.rules_covered == report.rules_total, report.gaps()
    assert report.outcomes_seen == report.outcomes_total, report.gaps()


def test_catalogue_has_27_provincial_and_67_municipal_items() -> None:
    ps = yktrules.load(ROOT / "policies")
    levels = [p.level for p in ps.policies.values()]
    assert levels.count("province") == 27
    assert levels.count("city") + levels.count("county") == 67
    assert all(p.department and p.hotline for p in ps.policies.values())
    for p in ps.policies.values():
        if p.parent:  # a variant lies inside its parent's region
            assert p.region != ps.policy(p.parent).region
