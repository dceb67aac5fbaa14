"""`yktrules fuzz`: finds planted evaluation errors and shrinks them, reports rules never
true, reports disagreements between the compiled path and the reference interpreter and
crashes, is deterministic for a seed, and exits 0 on the library's own policies."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

import yktrules
from yktrules.cli import cli
from yktrules.facts import make_id_number
from yktrules.screening.policyset import PolicySet
from yktrules.testing import run_fuzz
from yktrules.testing.fuzz import compact_json, mask_ids

ROOT = Path(__file__).resolve().parents[1]

PLANTED = """\
policy "T-DIV" "除零测试" {
    region: "510000"
    effective: 2021-01-01

    let per = household.monthly_income / (count(household.members) - 1)

    deny big "人均{per}元":
        per > 100

    deny never "永不成立":
        applicant.alive and not applicant.alive
}
"""


def _folder(tmp_path: Path, text: str = PLANTED) -> Path:
    folder = tmp_path / "pol"
    folder.mkdir()
    (folder / "t.ykt").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["fuzz", *args], catch_exceptions=False)


def test_planted_division_by_zero_is_found_and_shrunk(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "report.json"
    r = _run(str(folder), "--examples", "40", "--json", str(out))
    assert r.exit_code == 1, r.output
    assert "除数为零" in r.output
    assert "t.ykt:5:15" in r.output  # the division's source position
    assert "最小示例" in r.output
    report = json.loads(out.read_text(encoding="utf-8"))
    (finding,) = [f for f in report["findings"] if f["kind"] == "error"]
    assert finding["shrunk"] is True
    assert finding["rules"] == ["T-DIV.big"]
    facts = finding["example"]["facts"]
    assert len(facts["household"]["members"]) == 1
    assert facts["household"]["monthly_income"] is not None
    decision = yktrules.load(folder).screen(facts, policy="T-DIV")
    assert decision.unknown[0].errors[0].message.startswith("除数为零")
    # the never-true rule, with its file:line
    assert "t.ykt:10" in r.output and "never" in r.output and "从未成立" in r.output
    (pol,) = report["policies"]
    never = {x["rule"]: x for x in pol["rules"]}["never"]
    assert never["never_true"] and never["true"] == 0 and never["false"] > 0


def test_library_policies_are_clean(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "yktrules", "fuzz", str(ROOT / "policies"), "--examples", "30"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "nothing alarming" in p.stdout
    assert "Traceback" not in p.stderr
    for code in ("SC-MZ-001", "NJ-ZZ-MZ-001", "SC-NY-001"):
        assert code in p.stdout
    assert not (tmp_path / ".hypothesis").exists()


def test_same_seed_same_report() -> None:
    ps = yktrules.load(ROOT / "policies")
    a = run_fuzz(ps, examples=15, seed=7, codes=["SC-MZ-005", "NJ-MZ-001"])
    b = run_fuzz(ps, examples=15, seed=7, codes=["SC-MZ-005", "NJ-MZ-001"])
    c = run_fuzz(ps, examples=15, seed=8, codes=["SC-MZ-005", "NJ-MZ-001"])
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()
    assert [p.code for p in a.policies] == ["NJ-MZ-001", "SC-MZ-005"]
    assert all(sum(p.outcomes.values()) == p.examples == 15 for p in a.policies)


def test_disagreement_is_reported_prominently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(
        tmp_path,
        """\
        policy "T-AGE" "高龄" {
            region: "510000"
            effective: 2021-01-01
            require old "须年满80周岁": age(applicant.birth_date) >= 80
        }
        """,
    )
    reference = PolicySet.evaluate_reference

    def broken(self: PolicySet, code: str, doc: Any, as_of: Any) -> yktrules.Decision:
        d = reference(self, code, doc, as_of)
        if d.outcome is yktrules.Outcome.INELIGIBLE:  # a planted bug in the oracle
            return attrs.evolve(d, outcome=yktrules.Outcome.REVIEW)
        return d

    monkeypatch.setattr(PolicySet, "evaluate_reference", broken)
    out = tmp_path / "r.json"
    r = _run(str(folder), "--examples", "20", "--json", str(out))
    assert r.exit_code == 1, r.output
    assert "BUG" in r.output and "严重" in r.output
    (finding,) = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert finding["kind"] == "disagreement"
    assert finding["detail"]["differs_in"] == ["outcome"]
    assert finding["detail"]["compiled"] == {"outcome": "ineligible"}


def test_crash_is_reported_and_shrunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    evaluate = PolicySet.evaluate

    def crashing(self: PolicySet, code: str, doc: Any, as_of: Any) -> yktrules.Decision:
        if len(doc.household.members) >= 3:
            raise RuntimeError("planted crash")
        return evaluate(self, code, doc, as_of)

    monkeypatch.setattr(PolicySet, "evaluate", crashing)
    ps = yktrules.load(folder)
    report = run_fuzz(ps, examples=30, seed=1)
    (crash,) = report.crashes
    assert "planted crash" in crash.message
    assert crash.shrunk and len(crash.example.facts["household"]["members"]) == 3
    assert report.exit_code == 1


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["no/such/folder"], "no such file"),
        (["{pol}", "--policy", "NOPE"], "NOPE"),
        (["{pol}", "--examples", "0"], "0"),
        (["{broken}"], "do not check"),
        (["{empty}"], "no policy files"),
        (["{pol}", "--json", "no/such/dir/r.json"], "cannot write"),
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], expect: str) -> None:
    pol = _folder(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "b.ykt").write_text('policy "X" "坏" {\n  region: "510000"\n', encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    names = {"pol": str(pol), "broken": str(broken), "empty": str(empty)}
    r = _run(*(a.format(**names) for a in args))
    assert r.exit_code == 2, r.output
    assert expect in r.output
    assert "Traceback" not in r.output


def test_masking_and_compact_output() -> None:
    idn = make_id_number("511025", date(1950, 1, 1), 113, "女")
    doc = {
        "applicant": {"id_number": idn, "name": "王", "alive": None},
        "household": {"members": [{"id_number": idn}], "deposits": 1},
    }
    masked = mask_ids(doc)
    assert masked["applicant"]["id_number"] == "511025********" + idn[-4:]
    assert masked["household"]["members"][0]["id_number"] == masked["applicant"]["id_number"]
    line = compact_json(doc, mask=True, paths={"applicant.alive", "household.deposits"})
    assert line == '{"applicant":{},"household":{"deposits":1}}'
    assert idn not in compact_json(doc, mask=True)
    assert idn in compact_json(doc)
