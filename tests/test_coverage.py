"""Rule and condition coverage (`yktrules test --coverage`, `--coverage-json`,
`--fail-under`): a policy folder with a deliberately incomplete case file leaves exactly the
gaps listed here."""

from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import yktrules
from spec_helpers import write_policy_folder
from yktrules.cli import cli
from yktrules.synth.applications import application
from yktrules.tester import Coverage, CoverageReport, Runner

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "coverage"
CASES = Path("cases") / "incomplete.cases.yaml"  # relative to FIXTURE

# Every rule and condition of the fixture policies that the incomplete case file leaves
# short of "seen true and seen false", policy by policy: rules first, then conditions.
EXPECTED_GAPS = [
    # CV-001 (成都: 5 cases)
    "policies/province.ykt:13 poor: never false",
    "policies/province.ykt:19 servant: never true",
    'policies/province.ykt:8:41 `kind != "残疾人代步车"`: never false',
    "policies/province.ykt:8:62 `value >= param.cv_car_limit`: never false",
    "policies/province.ykt:14:9 `per_capita < param.cv_line`: never false",
    "policies/province.ykt:14:39 `applicant.poverty_registered`: never true",
    "policies/province.ykt:20:37 `m.public_servant`: never true",
    "policies/province.ykt:20:58 `m.alive`: never false",
    'policies/province.ykt:23:40 `not (applicant.hukou_type == "农村" or members >= 4)`: never false',
    'policies/province.ykt:23:45 `applicant.hukou_type == "农村"`: never true',
    "policies/province.ykt:23:77 `members >= 4`: never true",
    # CV-001-NJ (资中县: 2 cases); inherited rules keep the province's source lines
    "policies/province.ykt:10 local: never false",
    "policies/province.ykt:13 poor: never false",
    "policies/city.ykt:6 car: never true",
    "policies/province.ykt:19 servant: never true",
    'policies/province.ykt:8:41 `kind != "残疾人代步车"`: never evaluated',
    "policies/province.ykt:8:62 `value >= param.cv_car_limit`: never evaluated",
    "policies/province.ykt:14:9 `per_capita < param.cv_line`: never false",
    "policies/province.ykt:14:39 `applicant.poverty_registered`: never true",
    "policies/province.ykt:20:37 `m.public_servant`: never true",
    "policies/province.ykt:20:58 `m.alive`: never false",
    # CV-002: no case reaches it
    "policies/untouched.ykt:6 adult: never evaluated",
]


@pytest.fixture
def in_fixture(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the fixture folder, so sources are named `policies/…` as a user sees them."""
    monkeypatch.chdir(FIXTURE)
    return FIXTURE


def _report() -> CoverageReport:
    cov = Coverage()
    results = list(Runner(coverage=cov).run_file(CASES))
    assert [r.passed for r in results] == [True] * 7, [r.problems for r in results]
    return cov.report()


def test_incomplete_cases_leave_exactly_these_gaps(in_fixture: Path) -> None:
    rep = _report()
    assert [str(g) for g in rep.gaps()] == EXPECTED_GAPS


def test_percentages_per_policy_and_total(in_fixture: Path) -> None:
    rep = _report()
    by = {p.code: p for p in rep.policies}
    assert [p.code for p in rep.policies] == ["CV-001", "CV-001-NJ", "CV-002"]
    assert (by["CV-001"].cases, by["CV-001"].rules_covered, len(by["CV-001"].rules)) == (5, 3, 5)
    assert (by["CV-001"].outcomes_seen, by["CV-001"].outcomes_total) == (11, 20)
    # the city policy: four inherited rules plus its own, `deposits` dropped
    assert [r.name for r in by["CV-001-NJ"].rules] == [
        "local",
        "poor",
        "car",
        "servant",
        "business",
    ]
    assert (by["CV-001-NJ"].rules_covered, by["CV-001-NJ"].outcomes_seen) == (1, 4)
    assert by["CV-001-NJ"].outcomes_total == 12  # the dropped rule's conditions do not count
    assert by["CV-002"].cases == 0 and by["CV-002"].rule_percent == 0.0
    assert [p.code for p in rep.untouched] == ["CV-002"]
    assert (rep.rules_covered, rep.rules_total) == (4, 11)
    assert rep.rule_percent == 36.36 and rep.condition_percent == 46.88
    assert not rep.below(36.36) and rep.below(36.37) and rep.below(100) and not rep.below(0)


def test_rule_counts_include_unknown(in_fixture: Path) -> None:
    car = next(r for r in _report().policies[0].rules if r.name == "car")
    assert (car.counts.true, car.counts.false, car.counts.unknown) == (1, 3, 1)
    assert car.counts.covered and car.source == "policies/province.ykt:16"


def test_let_conditions_are_attributed_to_the_let(in_fixture: Path) -> None:
    conds = _report().policies[0].conditions
    let_conds = [c for c in conds if c.owner == "let cars"]
    assert [(c.source, c.text, c.rules) for c in let_conds] == [
        ("policies/province.ykt:8:41", 'kind != "残疾人代步车"', ("car",)),
        ("policies/province.ykt:8:62", "value >= param.cv_car_limit", ("car",)),
    ]


def test_cli_coverage_report(in_fixture: Path) -> None:
    r = CliRunner().invoke(cli, ["test", "--coverage", str(CASES)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[-1] == "7 passed, 0 failed"
    assert "规则覆盖率 / rule coverage 36.4% (4/11)" in lines[-2]
    assert "condition coverage 46.9% (15/32)" in lines[-2]
    for gap in EXPECTED_GAPS[:-1]:  # the untouched policy is one line, not one per rule
        assert any(line.strip() == gap for line in lines), gap
    assert any(line.startswith("CV-002 无用例的补贴: 没有用例用到此政策") for line in lines)
    assert "policies/province.ykt:16 car" not in r.output  # covered rules are not listed


@pytest.mark.parametrize(("pct", "code"), [("36", 0), ("36.36", 0), ("36.4", 1), ("90", 1)])
def test_fail_under_both_ways(in_fixture: Path, pct: str, code: int) -> None:
    r = CliRunner().invoke(cli, ["test", "--fail-under", pct, str(CASES)])
    assert r.exit_code == code, r.output
    lines = r.output.splitlines()
    assert lines[-1] == "7 passed, 0 failed"
    below = [line for line in lines if "--fail-under" in line]
    if code:
        assert below == [
            f"规则覆盖率 36.36% 低于 --fail-under {float(pct):g}% / "
            f"total rule coverage 36.36% is below {float(pct):g}%"
        ]
    else:
        assert below == []


def test_fail_under_out_of_range_is_a_usage_error(in_fixture: Path) -> None:
    r = CliRunner().invoke(cli, ["test", "--fail-under", "150", str(CASES)])
    assert r.exit_code == 2 and "150" in r.output and "Traceback" not in r.output


def test_coverage_json(in_fixture: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "coverage.json"
    r = CliRunner().invoke(cli, ["test", "--coverage-json", str(out), str(CASES)])
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["total"]["rule_coverage"] == {"covered": 4, "total": 11, "percent": 36.36}
    assert doc["total"]["condition_coverage"] == {"seen": 15, "total": 32, "percent": 46.88}
    assert doc["total"]["untouched"] == ["CV-002"]
    pols = {p["code"]: p for p in doc["policies"]}
    assert pols["CV-001"]["rules"]["car"] == {
        "kind": "deny",
        "source": "policies/province.ykt:16",
        "true": 1,
        "false": 3,
        "unknown": 1,
        "covered": True,
    }
    assert pols["CV-001-NJ"]["rules"]["car"]["source"] == "policies/city.ykt:6"
    assert "deposits" not in pols["CV-001-NJ"]["rules"]
    cond = pols["CV-001"]["conditions"][7]
    assert cond == {
        "source": "policies/province.ykt:23:40",
        "text": 'not (applicant.hukou_type == "农村" or members >= 4)',
        "in": "rule deposits",
        "rules": ["deposits"],
        "true": 5,
        "false": 0,
        "unknown": 0,
        "covered": False,
    }
    assert pols["CV-002"]["cases"] == 0 and pols["CV-002"]["rule_coverage"]["percent"] == 0.0


def test_coverage_json_unwritable_is_an_error_not_a_traceback(
    in_fixture: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    r = CliRunner().invoke(cli, ["test", "--coverage-json", str(blocker / "c.json"), str(CASES)])
    assert r.exit_code == 2 and "c.json" in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)


JUNCTIONS = """\
policy "J-001" "条件结构" {
    region: "510000"
    effective: 2021-01-01

    let rich = household.deposits > 100 and household.deposits < 1000
    let richer = rich or household.deposits >= 5000
    let unused = applicant.alive and applicant.in_custody

    require r1 "链":
        applicant.alive and applicant.in_custody == false and richer
    deny d1 "嵌套":
        applicant.alive or (applicant.public_servant and
                            exists(household.members[public_servant or in_custody]))
    review v1 "无条件结构": applicant.in_custody
}
"""


def test_which_operands_are_conditions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain of one kind is one junction; a junction of the other kind is an operand and
    its operands are conditions too; lets count through other lets; unused lets do not;
    an operand written over two lines is shown on one."""
    write_policy_folder(tmp_path / "p", {"j.ykt": JUNCTIONS}, None)
    monkeypatch.chdir(tmp_path)
    cov = Coverage()
    cov.add_set(yktrules.load("p"))
    (pol,) = cov.report().policies
    assert [(c.source.split(":", 1)[1], c.text, c.owner, c.rules) for c in pol.conditions] == [
        ("5:16", "household.deposits > 100", "let rich", ("r1",)),
        ("5:45", "household.deposits < 1000", "let rich", ("r1",)),
        ("6:18", "rich", "let richer", ("r1",)),
        ("6:26", "household.deposits >= 5000", "let richer", ("r1",)),
        ("10:9", "applicant.alive", "rule r1", ("r1",)),
        ("10:29", "applicant.in_custody == false", "rule r1", ("r1",)),
        ("10:63", "richer", "rule r1", ("r1",)),
        ("12:9", "applicant.alive", "rule d1", ("d1",)),
        (
            "12:29",
            "applicant.public_servant and exists(household.members[public_servant or in_custody])",
            "rule d1",
            ("d1",),
        ),
        ("12:29", "applicant.public_servant", "rule d1", ("d1",)),
        ("13:29", "exists(household.members[public_servant or in_custody])", "rule d1", ("d1",)),
        ("13:54", "public_servant", "rule d1", ("d1",)),
        ("13:72", "in_custody", "rule d1", ("d1",)),
    ]
    assert pol.cases == 0 and pol.outcomes_total == 26 and pol.condition_percent == 0.0
    assert [str(g) for g in pol.gaps()][:3] == [
        "p/j.ykt:9 r1: never evaluated",
        "p/j.ykt:11 d1: never evaluated",
        "p/j.ykt:14 v1: never evaluated",
    ]


def test_policy_without_rules_or_conditions(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        policy "E-001" "只有金额" {
            region: "510000"
            effective: 2021-01-01
            amount: 100
        }
        """
    )
    write_policy_folder(tmp_path, {"e.ykt": text}, None)
    cov = Coverage()
    cov.add_set(yktrules.load(tmp_path))
    rep = cov.report()
    (pol,) = rep.policies
    assert pol.rule_percent is None and pol.condition_percent is None
    assert rep.rule_percent == 100.0 and not rep.below(100) and rep.gaps() == []


# The recording interpreter sees what the compiled path decides: observing changes nothing.
LIB = yktrules.load(ROOT / "policies")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), p_unknown=st.sampled_from([0.0, 0.1, 0.5]))
def test_recorded_rule_values_agree_with_the_decision(seed: int, p_unknown: float) -> None:
    doc = LIB.parse_facts(application(random.Random(seed), seed % 1000, p_unknown))
    for code in sorted(LIB.policies):
        d = LIB.evaluate(code, doc, doc.application.date)  # type: ignore[attr-defined]
        cov = Coverage()
        cov.record(LIB, doc, d)
        pol = next(p for p in cov.report().policies if p.code == code)
        reasons = {r.rule for r in d.reasons}
        unknown = {u.rule for u in d.unknown}
        for r in pol.rules:
            c = r.counts
            assert c.true + c.false + c.unknown == 1
            assert (c.unknown == 1) == (r.name in unknown)
            decisive = c.false if r.kind == "require" else c.true
            assert (decisive == 1) == (r.name in reasons)
        assert pol.cases == 1
        assert all(sum(cd.counts.to_dict().values()) <= 3 for cd in pol.conditions)
