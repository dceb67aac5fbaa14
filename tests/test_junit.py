"""`yktrules test` for CI: JUnit XML, `-k` name filtering, and failure output that puts
expected and actual side by side."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from yktrules.cli import cli
from yktrules.tester import Selector

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "coverage"

INCOMPLETE = [  # the case names of cases/incomplete.cases.yaml, in order
    "成都两口之家符合条件",
    "有一辆小汽车",
    "存款较多转人工",
    "车辆未查询转人工",
    "户籍不在申请地",
    "资中县两口之家按内江细则",
    "资中县有个体工商户",
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The coverage fixture copied to tmp_path, plus cases/wrong.cases.yaml (one wrong
    expectation, one right) and cases/broken.cases.yaml (a fixture name that does not
    exist: the case cannot run)."""
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE, root)
    cases = root / "cases"
    shutil.copy(root / "wrong.cases.yaml.txt", cases / "wrong.cases.yaml")
    (cases / "broken.cases.yaml").write_text(
        "policies: ../policies\nitem: CV-001\ncases:\n"
        "  - name: fixture 名写错\n    facts: {from: nowhere}\n    expect: {outcome: eligible}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    return root


def _test(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["test", *args])
    assert "Traceback" not in r.output
    return r.exit_code, r.output


def test_junit_xml_counts(project: Path) -> None:
    code, out = _test("--junit", "reports/junit.xml", "cases")
    assert code == 1
    assert out.splitlines()[-1] == "8 passed, 2 failed"
    root = ET.parse(project / "reports" / "junit.xml").getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("10", "1", "1")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {
        "cases/broken.cases.yaml",
        "cases/incomplete.cases.yaml",
        "cases/wrong.cases.yaml",
    }
    counts = {n: (s.get("tests"), s.get("failures"), s.get("errors")) for n, s in suites.items()}
    assert counts == {
        "cases/broken.cases.yaml": ("1", "0", "1"),
        "cases/incomplete.cases.yaml": ("7", "0", "0"),
        "cases/wrong.cases.yaml": ("2", "1", "0"),
    }
    incomplete = suites["cases/incomplete.cases.yaml"].findall("testcase")
    assert [c.get("name") for c in incomplete] == INCOMPLETE
    assert all(not list(c) for c in incomplete)  # passed: no child element
    wrong = {c.get("name"): c for c in suites["cases/wrong.cases.yaml"].findall("testcase")}
    assert not list(wrong["期望正确的单人户"])
    failure = wrong["期望写错的单人户"].find("failure")
    assert failure is not None
    assert failure.get("message") == "outcome: expected eligible, got ineligible"
    text = failure.text or ""
    assert "│ outcome  │ eligible" in text and "ineligible" in text
    assert "│ amount   │ 600.00" in text and "null" in text
    assert "car (deny): 缺少 / missing household.vehicles" in text
    assert wrong["期望写错的单人户"].get("line") == "24"
    error = suites["cases/broken.cases.yaml"].find("testcase/error")
    assert error is not None and "nowhere" in (error.get("message") or "")


def test_junit_for_a_file_that_cannot_be_read(project: Path) -> None:
    (project / "cases" / "bad.cases.yaml").write_text("cases: [\n", encoding="utf-8")
    code, _ = _test("--junit", "j.xml", "cases/bad.cases.yaml")
    assert code == 1
    root = ET.parse(project / "j.xml").getroot()
    (case,) = root.iter("testcase")
    assert case.get("name") == "(file)" and case.find("error") is not None


def test_junit_unwritable(project: Path) -> None:
    code, out = _test("--junit", "wrong.cases.yaml.txt/j.xml", "cases/incomplete.cases.yaml")
    assert code == 2 and "j.xml" in out


def test_failure_shows_expected_and_actual_side_by_side(project: Path) -> None:
    code, out = _test("cases/wrong.cases.yaml")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "FAIL cases/wrong.cases.yaml:24 期望写错的单人户"
    rows = [" ".join(ln.replace("│", " ").split()) for ln in lines if ln.strip().startswith("│")]
    assert rows == [
        "键 / key 期望 / expected 实际 / actual",
        "outcome eligible ineligible",
        "reasons [] [deposits, poor]",
        "unknown [] [car]",
        "amount 600.00 null",
    ]  # only the keys that differ: `policy` matched and is not shown
    assert (
        "       poor (require): 家庭月人均收入1000元，须低于800元  [policies/province.ykt:13]"
        in lines
    )
    assert "       car (deny): 缺少 / missing household.vehicles" in lines
    assert lines[-1] == "1 passed, 1 failed"


def test_wrong_expectation_fails_in_a_subprocess(project: Path) -> None:
    """As CI runs it: the installed command, exit 1, the summary last."""
    r = subprocess.run(
        [sys.executable, "-m", "yktrules", "test", "cases"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "8 passed, 2 failed"
    assert "│ outcome  │ eligible        │ ineligible" in r.stdout


@pytest.mark.parametrize(
    ("expr", "selected"),
    [
        ("资中县", ["资中县两口之家按内江细则", "资中县有个体工商户"]),
        ("转人工", ["存款较多转人工", "车辆未查询转人工"]),
        ("not 资中县 and not 转人工", ["成都两口之家符合条件", "有一辆小汽车", "户籍不在申请地"]),
        ("车辆 or 小汽车", ["有一辆小汽车", "车辆未查询转人工"]),
        ("(车辆 or 存款) and 转人工", ["存款较多转人工", "车辆未查询转人工"]),
        ("户籍 or 存款 and 转人工", ["存款较多转人工", "户籍不在申请地"]),  # and binds tighter
        ("存款 and 转人工 or 户籍", ["存款较多转人工", "户籍不在申请地"]),
        ("not 户籍 and 两口之家", ["成都两口之家符合条件", "资中县两口之家按内江细则"]),
        ("not (户籍 or 存款) and 转人工", ["车辆未查询转人工"]),
        ("两口之家", ["成都两口之家符合条件", "资中县两口之家按内江细则"]),
    ],
)
def test_k_selects_cases(project: Path, expr: str, selected: list[str]) -> None:
    code, out = _test("-k", expr, "--junit", "k.xml", "cases/incomplete.cases.yaml")
    assert code == 0, out
    names = [c.get("name", "") for c in ET.parse(project / "k.xml").getroot().iter("testcase")]
    assert sorted(names) == sorted(selected)
    assert out.splitlines()[-1] == (
        f"{len(selected)} passed, 0 failed, {7 - len(selected)} deselected"
    )


def test_k_deselecting_the_wrong_case_makes_the_run_pass(project: Path) -> None:
    assert _test("-k", "not 写错", "cases/wrong.cases.yaml")[0] == 0
    assert _test("-k", "写错", "cases/wrong.cases.yaml")[0] == 1


def test_k_that_selects_nothing_fails(project: Path) -> None:
    code, out = _test("-k", "没有这个名字", "cases/incomplete.cases.yaml")
    assert code == 1
    assert out.splitlines()[-2:] == [
        "没有运行任何用例（-k 没有这个名字） / no case ran",
        "0 passed, 0 failed, 7 deselected",
    ]


@pytest.mark.parametrize("expr", ["", "a and", "(a", "a)", "and", "not", "a b", "a or or b"])
def test_bad_k_is_a_usage_error(project: Path, expr: str) -> None:
    code, out = _test("-k", expr, "cases")
    assert code == 2 and "-k" in out


def test_k_is_case_insensitive_substring() -> None:
    assert Selector("ORDER")("the order of things")
    assert not Selector("order")("ordre")
    assert Selector("or_der")("x or_der y")  # a word that begins with a keyword is a word
    assert Selector("not nota")("abc") and not Selector("not nota")("a nota b")


# ---- -k against an independent evaluation of generated expressions
Expr = tuple[Any, ...]  # ("word", w) | ("not", e) | ("and" | "or", e, e)
WORDS = ["房", "车", "存款", "x"]
_PREC = {"or": 1, "and": 2, "not": 3, "word": 4}

exprs = st.recursive(
    st.sampled_from(WORDS).map(lambda w: ("word", w)),
    lambda inner: st.one_of(
        inner.map(lambda e: ("not", e)),
        st.tuples(st.sampled_from(["and", "or"]), inner, inner),
    ),
    max_leaves=8,
)


def _render(e: Expr, parens: bool) -> str:
    """As a person would write it: parentheses only where precedence needs them (or,
    with `parens`, around every compound operand)."""
    kind = e[0]
    if kind == "word":
        return str(e[1])

    def sub(child: Expr, least: int) -> str:
        text = _render(child, parens)
        need = _PREC[child[0]] < least or (parens and child[0] != "word")
        return f"({text})" if need else text

    if kind == "not":
        return "not " + sub(e[1], _PREC["not"])
    return f"{sub(e[1], _PREC[kind])} {kind} {sub(e[2], _PREC[kind] + 1)}"


def _truth(e: Expr, name: str) -> bool:
    kind = e[0]
    if kind == "word":
        return str(e[1]) in name
    if kind == "not":
        return not _truth(e[1], name)
    if kind == "and":
        return _truth(e[1], name) and _truth(e[2], name)
    return _truth(e[1], name) or _truth(e[2], name)


@settings(max_examples=300)
@given(e=exprs, parens=st.booleans(), name=st.text(alphabet="房车存款x ", max_size=8))
@example(e=("or", ("and", ("word", "x"), ("word", "房")), ("word", "车")), parens=False, name="车")
@example(e=("and", ("not", ("word", "x")), ("word", "车")), parens=False, name="车")
def test_k_matches_an_independent_evaluation(e: Expr, parens: bool, name: str) -> None:
    assert Selector(_render(e, parens))(name) == _truth(e, name)


def test_fixtures_that_are_not_a_mapping_fail_the_file(project: Path) -> None:
    (project / "cases" / "f.cases.yaml").write_text(
        "policies: ../policies\nitem: CV-001\nfixtures: 3\n"
        "cases:\n  - name: x\n    facts: {from: base}\n",
        encoding="utf-8",
    )
    code, out = _test("cases/f.cases.yaml")
    assert code == 1
    assert "FAIL cases/f.cases.yaml:3 (file)" in out and "fixtures must be a mapping" in out


def test_a_single_rule_name_is_a_set_of_one(project: Path) -> None:
    """`reasons: car` means [car], not the letters c, a, r."""
    text = (project / "cases" / "incomplete.cases.yaml").read_text(encoding="utf-8")
    text = text.replace("expect: {outcome: ineligible, reasons: [car]}", "expect: {reasons: car}")
    (project / "cases" / "incomplete.cases.yaml").write_text(text, encoding="utf-8")
    code, out = _test("-k", "小汽车", "cases/incomplete.cases.yaml")
    assert code == 0, out
