"""The impact diff (`yktrules diff`): structural changes between two policy folders and
the transitions of a population between outcomes."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import yktrules
from yktrules.cli.diff import diff as diff_command
from yktrules.diff import NOT_IN_FORCE, OUTCOMES, ValueChange, diff_structure, population_impact
from yktrules.facts import make_id_number
from yktrules.synth.applications import population

ROOT = Path(__file__).resolve().parents[1]

PROVINCE = """\
# 测试低保（省级）
policy "T-001" "测试低保金" {
    region: "510000"
    department: "民政"
    effective: 2021-01-01

    let members = count(household.members)
    let per_capita = household.monthly_income / members

    require low_income "家庭月人均收入{per_capita}元，须低于{param.dibao_line}元":
        per_capita < param.dibao_line

    deny two_homes "家庭拥有多套住房":
        count(household.properties[kind == "住房"]) >= 2

    amount: (param.dibao_line - per_capita) * members
}
"""

CITY = """\
policy "T-002" "测试低保金（内江）" extends "T-001" {
    region: "511000"
    effective: 2021-01-01
    override two_homes: count(household.properties[kind == "住房"]) >= 3
}
"""

PARAMS = """\
dibao_line:
  title: 低保标准
  unit: 元/人·月
  type: decimal
  values:
    "510000":
      2021-01-01: 600
    "511000":
      2021-01-01: 640
"""


def folder(
    path: Path, province: str = PROVINCE, city: str | None = CITY, params: str = PARAMS
) -> Path:
    path.mkdir(parents=True)
    (path / "province.ykt").write_text(province, encoding="utf-8")
    if city is not None:
        (path / "city.ykt").write_text(city, encoding="utf-8")
    (path / "dibao.params.yaml").write_text(params, encoding="utf-8")
    return path


def app(n: int, income: str | None, region: str = "510104", homes: int = 0) -> dict[str, Any]:
    """A one-person household of `region` with the given monthly income."""
    me = {
        "id_number": make_id_number(region, date(1960, 1, 2), n, "男"),
        "name": "王建国",
        "gender": "男",
        "birth_date": "1960-01-02",
        "relation": "本人",
    }
    return {
        "application": {"id": f"A{n:03d}", "date": "2024-03-01", "region": region},
        "applicant": me,
        "household": {
            "members": [me],
            "monthly_income": income,
            "properties": [{"kind": "住房"} for _ in range(homes)],
        },
    }


def jsonl(apps: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(a, ensure_ascii=False) + "\n" for a in apps]


# incomes of one-person households in 510104 (line 600 → 700)
ALREADY_ELIGIBLE = ["300", "500"]  # amounts 300 → 400, 100 → 200
BETWEEN_LINES = ["600", "650", "699.50"]  # ineligible → eligible: 100, 50, 0.50
ABOVE_BOTH = ["800"]
REGIONS = ["510104", "511025", "511421"]


def raised_line(tmp_path: Path) -> tuple[yktrules.PolicySet, yktrules.PolicySet]:
    old = folder(tmp_path / "old")
    new = folder(tmp_path / "new", params=PARAMS.replace("2021-01-01: 600", "2021-01-01: 700"))
    return yktrules.load(old), yktrules.load(new)


def test_param_change_is_exactly_the_value(tmp_path: Path) -> None:
    old, new = raised_line(tmp_path)
    s = diff_structure(old, new)
    assert not s.policies_added and not s.policies_removed and not s.policies_changed
    assert not s.params_added and not s.params_removed
    [pc] = s.params_changed
    assert pc.name == "dibao_line" and pc.fields == ()
    assert pc.values == (ValueChange("510000", date(2021, 1, 1), Decimal(600), Decimal(700)),)
    assert pc.values[0].status == "changed"
    assert pc.used_by == ("T-001", "T-002")


def test_param_change_moves_the_applicants_between_the_lines(tmp_path: Path) -> None:
    old, new = raised_line(tmp_path)
    incomes = ALREADY_ELIGIBLE + BETWEEN_LINES + ABOVE_BOTH
    apps = [app(i, inc) for i, inc in enumerate(incomes)] + [app(50, None)]
    imp = population_impact(old, new, jsonl(apps), examples=2)
    assert imp.rows == imp.screened == 7 and imp.invalid_count == 0
    assert set(imp.items) == {"T-001"}
    t = imp.items["T-001"]
    counts = {k: c.count for k, c in t.cells.items()}
    assert counts == {
        ("eligible", "eligible"): 2,
        ("ineligible", "eligible"): 3,
        ("ineligible", "ineligible"): 1,
        ("review", "review"): 1,  # income unknown: unknown under both lines
    }
    assert t.moved == 3 and imp.moved == 3
    # the examples are the first two movers, in file order, with the reason that went away
    ex = t.cell("ineligible", "eligible").examples
    assert [e.application for e in ex] == ["A002", "A003"]
    assert ex[0].old is not None and ex[0].old.reasons == ("low_income",)
    assert ex[0].new is not None and ex[0].new.reasons == () and ex[0].new.amount == Decimal(100)
    assert ex[0].reasons_removed == ("low_income",) and ex[0].reasons_added == ()
    # amounts: the already-eligible get 100 more each
    [stats] = t.amounts.values()
    assert stats.period == "monthly"
    assert (stats.stayed, stats.changed, stats.increased, stats.decreased) == (2, 2, 2, 0)
    assert stats.old_total == Decimal("400") and stats.new_total == Decimal("600")
    assert stats.difference == Decimal("200") and isinstance(stats.difference, Decimal)
    assert stats.old_all == Decimal("400")
    assert stats.new_all == Decimal("750.50")  # 400 + 200 + 100 + 50 + 0.50
    d = t.to_dict()["amounts"][0]
    assert d["difference"] == "200.00" and d["yearly_difference"] == "2400.00"
    # unchanged diagonal: the one above both lines keeps the same decision
    assert t.cell("ineligible", "ineligible").changed == 0
    assert t.cell("ineligible", "ineligible").examples == []
    assert t.cell("eligible", "eligible").changed == 2  # amounts changed


def test_county_applicants_follow_their_own_line(tmp_path: Path) -> None:
    # the raise is for 510000; a 511025 applicant is screened by T-002 with the 511000 line
    old, new = raised_line(tmp_path)
    imp = population_impact(old, new, jsonl([app(1, "620", region="511025")]))
    t = imp.items["T-001"]
    assert t.cell("eligible", "eligible").count == 1 and t.changed == 0
    [stats] = t.amounts.values()
    assert stats.stayed == 1 and stats.difference == 0


def test_override_change_reports_old_and_new_condition(tmp_path: Path) -> None:
    old = yktrules.load(folder(tmp_path / "old"))
    new_city = CITY.replace(">= 3\n", ">= 4\n")
    new = yktrules.load(folder(tmp_path / "new", city=new_city))
    s = diff_structure(old, new)
    assert [p.code for p in s.policies_changed] == ["T-002"]  # the parent did not change
    p = s.policies_changed[0]
    [rc] = p.rules
    assert rc.name == "two_homes" and rc.status == "changed" and rc.fields == ("condition",)
    assert rc.old is not None and rc.new is not None
    assert rc.old.condition.text == 'count(household.properties[kind == "住房"]) >= 3'
    assert rc.new.condition.text == 'count(household.properties[kind == "住房"]) >= 4'
    assert rc.old.origin == rc.new.origin == "T-002"
    assert rc.new.source.endswith("city.ykt:4")
    assert not (p.metadata or p.lets or p.dropped or p.amount)
    # and the population sees three-home households of Neijiang move
    apps = [app(1, "100", region="511025", homes=3), app(2, "100", region="511025", homes=4)]
    t = population_impact(old, new, jsonl(apps)).items["T-001"]
    assert t.cell("ineligible", "eligible").count == 1
    assert t.cell("ineligible", "ineligible").count == 1
    [ex] = t.cell("ineligible", "eligible").examples
    assert ex.old is not None and ex.old.policy == "T-002" and ex.old.reasons == ("two_homes",)


def test_parent_rule_change_shows_in_children_as_inherited(tmp_path: Path) -> None:
    old = yktrules.load(folder(tmp_path / "old", city=CITY.replace("    override two_homes", "#")))
    new_prov = PROVINCE.replace('"家庭拥有多套住房"', '"家庭拥有两套及以上住房"')
    new = yktrules.load(
        folder(
            tmp_path / "new", province=new_prov, city=CITY.replace("    override two_homes", "#")
        )
    )
    s = diff_structure(old, new)
    assert [p.code for p in s.policies_changed] == ["T-001", "T-002"]
    for p in s.policies_changed:
        [rc] = p.rules
        assert rc.fields == ("message",) and rc.new is not None and rc.new.origin == "T-001"


def test_override_with_the_same_text_is_an_origin_change(tmp_path: Path) -> None:
    old = yktrules.load(folder(tmp_path / "old"))
    same = CITY.replace(">= 3\n", ">= 3\n    override low_income: per_capita < param.dibao_line\n")
    new = yktrules.load(folder(tmp_path / "new", city=same))
    [p] = diff_structure(old, new).policies_changed
    [rc] = p.rules
    assert rc.name == "low_income" and rc.fields == ("origin",)
    assert rc.old is not None and rc.new is not None
    assert (rc.old.origin, rc.new.origin) == ("T-001", "T-002")
    assert rc.old.condition == rc.new.condition


def test_layout_comments_and_keyword_language_are_not_changes(tmp_path: Path) -> None:
    old = yktrules.load(folder(tmp_path / "old"))
    reworded = PROVINCE.replace(
        "        per_capita < param.dibao_line",
        "        # 收入低于标准\n        per_capita   <\n  param.dibao_line  # 月标准",
    ).replace("2021-01-01\n", "2021-01-01\n\n")
    reworded = reworded.replace("* members\n", "* members   # 按人数\n").replace(">= 2", ">= 2.0")
    new = yktrules.load(folder(tmp_path / "new", province=reworded))
    assert diff_structure(old, new).is_empty
    zh = PROVINCE.replace("require low_income", "必须 low_income")
    zh = zh.replace("per_capita < param.dibao_line", "(per_capita < param.dibao_line) 且 真")
    changed = yktrules.load(folder(tmp_path / "zh", province=zh))
    [p, _] = diff_structure(old, changed).policies_changed
    [rc] = p.rules
    assert rc.fields == ("condition",)
    assert rc.new is not None and rc.new.condition.text == "(per_capita < param.dibao_line) 且 真"


def test_lets_amount_drops_and_metadata(tmp_path: Path) -> None:
    old = yktrules.load(folder(tmp_path / "old"))
    prov = (
        PROVINCE.replace(
            "    let per_capita = household.monthly_income / members\n",
            "    let per_capita = (household.monthly_income ?? 0) / members\n"
            "    let cap = 2 * param.dibao_line\n",
        )
        .replace("amount: (param.dibao_line - per_capita) * members", "amount: cap - per_capita")
        .replace('department: "民政"', 'department: "民政局"\n    until: 2023-12-31')
    )
    city = CITY.replace(
        "    override two_homes",
        '    drop two_homes "内江不限住房"\n    #',
    )
    new = yktrules.load(folder(tmp_path / "new", province=prov, city=city))
    s = diff_structure(old, new)
    by_code = {p.code: p for p in s.policies_changed}
    p = by_code["T-001"]
    assert [(c.key, c.old, c.new) for c in p.metadata] == [
        ("until", None, date(2023, 12, 31)),
        ("department", "民政", "民政局"),
    ]
    assert [(lc.name, lc.status) for lc in p.lets] == [("per_capita", "changed"), ("cap", "added")]
    assert p.lets[0].new is not None
    assert p.lets[0].new.text == "(household.monthly_income ?? 0) / members"
    assert p.amount is not None and p.amount.old is not None and p.amount.new is not None
    assert (p.amount.old.text, p.amount.new.text) == (
        "(param.dibao_line - per_capita) * members",
        "cap - per_capita",
    )
    c = by_code["T-002"]
    assert [(d.name, d.status, d.new) for d in c.dropped] == [
        ("two_homes", "added", "内江不限住房")
    ]
    [rc] = c.rules
    assert rc.status == "removed" and rc.old is not None and rc.old.origin == "T-002"
    # the until date takes both policies out of force for 2024 applications
    t = population_impact(old, new, jsonl([app(1, "100"), app(2, "900")])).items["T-001"]
    assert t.cell("eligible", NOT_IN_FORCE).count == 1
    assert t.cell("ineligible", NOT_IN_FORCE).count == 1
    # and brings them back for an earlier date
    t = population_impact(old, new, jsonl([app(1, "100")]), as_of=date(2022, 6, 1)).items["T-001"]
    assert t.cell("eligible", "eligible").count == 1
    [stats] = t.amounts.values()
    assert (stats.old_total, stats.new_total) == (Decimal(500), Decimal(1100))


def test_policies_and_params_added_and_removed(tmp_path: Path) -> None:
    old = yktrules.load(folder(tmp_path / "old"))
    extra = """\
policy "T-100" "测试高龄津贴" {
    region: "510000"
    effective: 2024-01-01
    require old_age "年满80周岁": age(applicant.birth_date) >= param.elder_age
}
"""
    new_dir = folder(tmp_path / "new", city=None)
    (new_dir / "elder.ykt").write_text(extra, encoding="utf-8")
    (new_dir / "elder.params.yaml").write_text(
        'elder_age:\n  title: 年龄\n  type: integer\n  values:\n    "510000":\n'
        "      2024-01-01: 60\n",
        encoding="utf-8",
    )
    new = yktrules.load(new_dir)
    s = diff_structure(old, new)
    assert [p.code for p in s.policies_added] == ["T-100"]
    assert s.policies_added[0].item == "T-100" and s.policies_added[0].effective == date(2024, 1, 1)
    assert [p.code for p in s.policies_removed] == ["T-002"]
    assert [p.name for p in s.params_added] == ["elder_age"]
    assert s.params_added[0].used_by == ("T-100",)
    assert s.policies_changed == () and s.params_removed == () and s.params_changed == ()
    back = diff_structure(new, old)
    assert [p.code for p in back.policies_removed] == ["T-100"]
    assert [p.name for p in back.params_removed] == ["elder_age"]
    # a new item appears for everyone; a Neijiang applicant changes policy, not outcome
    apps = [app(1, "100", region="511025"), app(2, "100")]
    imp = population_impact(old, new, jsonl(apps))
    assert imp.items["T-100"].cell(NOT_IN_FORCE, "eligible").count == 2
    t = imp.items["T-001"]
    assert t.cell("eligible", "eligible").count == 2 and t.moved == 0
    [ex] = t.cell("eligible", "eligible").examples
    assert ex.old is not None and ex.new is not None
    assert (ex.old.policy, ex.new.policy) == ("T-002", "T-001")


def test_identical_folders(tmp_path: Path) -> None:
    old = yktrules.load(folder(tmp_path / "old"))
    new = yktrules.load(folder(tmp_path / "new"))
    s = diff_structure(old, new)
    assert s.is_empty and s.to_dict()["changed"] is False
    apps = [app(i, inc, region=r) for i, inc in enumerate(["100", "900", None]) for r in REGIONS]
    imp = population_impact(old, new, jsonl(apps))
    assert imp.screened == len(apps) and imp.moved == 0 and imp.changed == 0
    for t in imp.items.values():
        assert all(a == b for a, b in t.cells)
        assert all(not c.examples for c in t.cells.values())
    result = CliRunner().invoke(
        diff_command,
        [str(tmp_path / "old"), str(tmp_path / "new"), "--population", "-"],
        input="".join(jsonl(apps)),
    )
    assert result.exit_code == 0, result.output
    assert "没有变化 / no changes" in result.output
    assert "没有申请人的决定发生变化" in result.output


def test_invalid_rows_are_counted_not_raised(tmp_path: Path) -> None:
    old, new = raised_line(tmp_path)
    broken = app(9, "100")
    good = broken["applicant"]["id_number"]
    broken["applicant"]["id_number"] = good[:-1] + ("1" if good[-1] != "1" else "2")
    lines: list[str | bytes] = [
        *jsonl([app(1, "100")]),
        "\n",
        "{not json\n",
        json.dumps(broken, ensure_ascii=False),
        "[1, 2]\n",
        b'{"application": "\xff\xfe"}\n',
        *jsonl([app(2, "650")]),
    ]
    imp = population_impact(old, new, lines, examples=1)
    assert (imp.rows, imp.screened, imp.invalid_count) == (7, 2, 5)
    assert imp.invalid == Counter({"facts": 3, "empty": 1, "encoding": 1})
    assert [(r.line, r.kind) for r in imp.invalid_rows] == [
        (2, "empty"),
        (3, "facts"),
        (4, "facts"),
        (5, "facts"),
        (6, "encoding"),
    ]
    assert imp.invalid_rows[2].application == "A009"
    assert any("applicant.id_number" in e["path"] for e in imp.invalid_rows[2].errors)
    assert imp.items["T-001"].cell("ineligible", "eligible").count == 1
    doc = imp.to_dict()["invalid"]
    assert doc["count"] == 5 and doc["by_type"] == {"empty": 1, "encoding": 1, "facts": 3}
    with pytest.raises(yktrules.ArgumentError, match="examples"):
        population_impact(old, new, [], examples=-1)


def test_cli_json_is_valid_and_stable(tmp_path: Path) -> None:
    raised_line(tmp_path)
    pop = tmp_path / "pop.jsonl"
    apps = [app(i, inc) for i, inc in enumerate(ALREADY_ELIGIBLE + BETWEEN_LINES)]
    pop.write_text("".join(jsonl(apps)) + "oops\n", encoding="utf-8")
    args = [str(tmp_path / "old"), str(tmp_path / "new"), "--population", str(pop)]
    runs = [CliRunner().invoke(diff_command, [*args, "--format", "json"]) for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs), runs[0].output
    assert runs[0].output == runs[1].output
    doc = json.loads(runs[0].output)
    assert list(doc) == ["old", "new", "structure", "impact"]
    assert list(doc["structure"]) == ["changed", "policies", "params"]
    [pc] = doc["structure"]["params"]["changed"]
    assert pc["values"] == [
        {"region": "510000", "date": "2021-01-01", "status": "changed", "old": "600", "new": "700"}
    ]
    impact = doc["impact"]
    assert impact["invalid"]["count"] == 1 and impact["invalid"]["rows"][0]["line"] == 6
    [item] = impact["items"]
    assert item["matrix"]["ineligible"] == {
        "eligible": 3,
        "review": 0,
        "ineligible": 0,
        NOT_IN_FORCE: 0,
    }
    assert list(item["matrix"]) == list(OUTCOMES)
    first = item["transitions"][0]
    assert (first["from"], first["to"], first["count"]) == ("ineligible", "eligible", 3)
    assert [e["application"] for e in first["examples"]] == ["A002", "A003", "A004"]
    assert item["amounts"][0]["old_total"] == "400.00"  # amounts keep their two decimals
    # --examples limits the examples; the counts stay
    few = CliRunner().invoke(diff_command, [*args, "--format", "json", "--examples", "1"])
    t0 = json.loads(few.output)["impact"]["items"][0]["transitions"][0]
    assert t0["count"] == 3 and len(t0["examples"]) == 1


def test_cli_table_shows_changes(tmp_path: Path) -> None:
    old = folder(tmp_path / "old")
    new = folder(tmp_path / "new", city=CITY.replace(">= 3\n", ">= 4\n"))
    pop = tmp_path / "pop.jsonl"
    pop.write_text("".join(jsonl([app(1, "100", region="511025", homes=3)])), encoding="utf-8")
    r = CliRunner().invoke(diff_command, [str(old), str(new), "--population", str(pop)])
    assert r.exit_code == 0, r.output
    out = r.output
    assert "政策变更" in out and "修改规则" in out and "two_homes" in out
    assert ">= 3" in out and ">= 4" in out
    assert '[kind == "住房"]' in out  # shown as written, not taken for rich markup
    assert "原结果" in out and "A001" in out


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["{tmp}/nope", "{tmp}/old"], "no such file or folder"),
        (["{tmp}/old", "{tmp}/broken"], "E202"),
        (["{tmp}/old", "{tmp}/old", "--population", "{tmp}/none.jsonl"], "no such file"),
        (["{tmp}/old", "{tmp}/old", "--as-of", "2024-02-30"], "YYYY-MM-DD"),
        (["{tmp}/old", "{tmp}/old", "--examples", "-1"], "-1"),
    ],
)
def test_cli_errors_exit_2_without_traceback(tmp_path: Path, args: list[str], expect: str) -> None:
    folder(tmp_path / "old")
    folder(tmp_path / "broken", province=PROVINCE.replace("household.members", "household.membres"))
    r = CliRunner().invoke(diff_command, [a.format(tmp=tmp_path) for a in args])
    assert r.exit_code == 2
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output
    assert expect in r.output


def test_diff_is_a_yktrules_command() -> None:
    from yktrules.cli import cli

    assert cli.get_command(None, "diff") is diff_command  # type: ignore[arg-type]


def test_synthetic_population_smoke(tmp_path: Path) -> None:
    """300 synthetic applications against the policy library and a copy with a higher rural
    低保 line for Neijiang in 2024: the counts agree with screening each row directly."""
    new_dir = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", new_dir)
    prm = new_dir / "params" / "dibao.params.yaml"
    text = prm.read_text(encoding="utf-8")
    assert text.count("      2024-01-01: 560\n") == 1
    prm.write_text(text.replace("      2024-01-01: 560\n", "      2024-01-01: 900\n"))
    old, new = yktrules.load(ROOT / "policies"), yktrules.load(new_dir)
    apps = list(population(300, seed=7))
    imp = population_impact(old, new, jsonl(apps), examples=3)
    assert imp.screened == 300 and imp.invalid_count == 0

    expected: Counter[tuple[str, str, str]] = Counter()
    for a in apps:
        before = {d.item: d.outcome.value for d in old.screen_all(a)}
        after = {d.item: d.outcome.value for d in new.screen_all(a)}
        for item in before.keys() | after.keys():
            expected[(item, before.get(item, NOT_IN_FORCE), after.get(item, NOT_IN_FORCE))] += 1
    got = Counter(
        {(i, a, b): c.count for i, t in imp.items.items() for (a, b), c in t.cells.items()}
    )
    assert got == expected
    dibao = imp.items["SC-MZ-001"]
    assert dibao.moved > 0  # the raise admits someone in this population
    assert dibao.cell("eligible", "ineligible").count == 0  # a higher line excludes no one
    assert dibao.amounts["monthly"].decreased == 0
    for (a, b), c in dibao.cells.items():
        assert len(c.examples) == min(3, c.changed)
        for e in c.examples:
            assert (
                e.old.outcome if e.old else NOT_IN_FORCE,
                e.new.outcome if e.new else NOT_IN_FORCE,
            ) == (a, b)
    assert json.loads(json.dumps(imp.to_dict()))["screened"] == 300
