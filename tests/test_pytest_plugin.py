"""The pytest plugin: with yktrules installed, `pytest` collects `*.cases.yaml` files, one
item per case.  Each test runs pytest in a subprocess on a folder under tmp_path."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "coverage"


def pytest_run(folder: Path, *args: str) -> tuple[int, str]:
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return r.returncode, r.stdout + r.stderr


def counts(out: str) -> dict[str, int]:
    """`3 failed, 7 passed, 2 deselected in 0.4s` as {"failed": 3, ...}."""
    last = [ln for ln in out.splitlines() if ln.strip()][-1]
    return {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|deselected|errors?)", last)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE, root)
    return root


def test_one_item_per_case_with_node_ids(project: Path) -> None:
    code, out = pytest_run(project, "--collect-only", "-q")
    assert code == 0, out
    ids = [ln for ln in out.splitlines() if "::" in ln]
    assert ids == [
        "cases/incomplete.cases.yaml::成都两口之家符合条件",
        "cases/incomplete.cases.yaml::有一辆小汽车",
        "cases/incomplete.cases.yaml::存款较多转人工",
        "cases/incomplete.cases.yaml::车辆未查询转人工",
        "cases/incomplete.cases.yaml::户籍不在申请地",
        "cases/incomplete.cases.yaml::资中县两口之家按内江细则",
        "cases/incomplete.cases.yaml::资中县有个体工商户",
    ]


def test_passing_cases_pass(project: Path) -> None:
    code, out = pytest_run(project)
    assert code == 0, out
    assert counts(out) == {"passed": 7}


def test_wrong_expectation_is_one_failure_with_the_side_by_side_report(project: Path) -> None:
    shutil.copy(project / "wrong.cases.yaml.txt", project / "cases" / "wrong.cases.yaml")
    code, out = pytest_run(project)
    assert code == 1, out
    assert counts(out) == {"failed": 1, "passed": 8}
    assert "FAIL cases/wrong.cases.yaml:24 期望写错的单人户" in out
    assert re.search(r"│ outcome\s+│ eligible\s+│ ineligible\s+│", out), out
    assert re.search(r"│ amount\s+│ 600\.00\s+│ null\s+│", out), out
    assert "car (deny): 缺少 / missing household.vehicles" in out
    assert "FAILED cases/wrong.cases.yaml::期望写错的单人户" in out
    assert "Traceback" not in out and "yktrules/tester" not in out  # no Python frames


def test_k_and_node_id_selection(project: Path) -> None:
    code, out = pytest_run(project, "-k", "资中县")
    assert code == 0, out
    assert counts(out) == {"passed": 2, "deselected": 5}
    code, out = pytest_run(project, "cases/incomplete.cases.yaml::有一辆小汽车")
    assert code == 0, out
    assert counts(out) == {"passed": 1}


def test_policy_folder_that_does_not_check_is_a_failing_item(project: Path) -> None:
    (project / "policies" / "broken.ykt").write_text(
        'policy "BR-001" "坏政策" {\n    region: "510000"\n    effective: 2021-01-01\n'
        '    require x "x": applicant.no_such_field\n}\n',
        encoding="utf-8",
    )
    code, out = pytest_run(project)
    assert code == 1, out
    assert counts(out) == {"failed": 1}
    assert "FAILED cases/incomplete.cases.yaml::(file)" in out
    assert "policies/broken.ykt:4" in out and "no_such_field" in out  # the diagnostics
    assert "ERROR collecting" not in out and "Traceback" not in out


def test_unreadable_case_file_is_a_failing_item(project: Path) -> None:
    (project / "cases" / "bad.cases.yaml").write_text("cases: [\n  {name: x\n", encoding="utf-8")
    (project / "cases" / "latin1.cases.yaml").write_bytes(b"cases: []\n# \xe9\xff\n")
    code, out = pytest_run(project)
    assert code == 1, out
    assert counts(out) == {"failed": 2, "passed": 7}
    assert "FAILED cases/bad.cases.yaml::(file)" in out and "YAML" in out
    assert "FAILED cases/latin1.cases.yaml::(file)" in out
    assert "ERROR collecting" not in out and "Traceback" not in out


LOAD_COUNTER = """\
import yktrules.tester.runner as runner

calls = []
_load = runner.load


def counting_load(path, *args, **kwargs):
    calls.append(str(path))
    return _load(path, *args, **kwargs)


runner.load = counting_load


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"policy set loads: {len(calls)}")
"""


def test_policy_sets_load_once_per_folder(project: Path) -> None:
    cases = project / "cases"
    text = (cases / "incomplete.cases.yaml").read_text(encoding="utf-8")
    (cases / "copy.cases.yaml").write_text(text, encoding="utf-8")
    (cases / "sub").mkdir()
    (cases / "sub" / "again.cases.yaml").write_text(
        text.replace("policies: ../policies", "policies: ../../policies"), encoding="utf-8"
    )
    (project / "conftest.py").write_text(LOAD_COUNTER, encoding="utf-8")
    code, out = pytest_run(project)
    assert code == 0, out
    assert "policy set loads: 1" in out
    assert counts(out) == {"passed": 21}


def test_duplicate_case_names_get_distinct_ids(project: Path) -> None:
    text = (project / "cases" / "incomplete.cases.yaml").read_text(encoding="utf-8")
    text = text.replace("name: 有一辆小汽车", "name: 成都两口之家符合条件")
    (project / "cases" / "incomplete.cases.yaml").write_text(text, encoding="utf-8")
    code, out = pytest_run(project, "--collect-only", "-q")
    assert code == 0, out
    ids = [ln for ln in out.splitlines() if "成都两口之家符合条件" in ln]
    assert len(set(ids)) == 2 and all("(line " in i for i in ids)
