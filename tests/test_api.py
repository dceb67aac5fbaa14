"""The Python API beyond the contract's examples: host schemas and functions, warnings,
pickling, threads."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import yktrules
from yktrules.facts import Application, Household, fact_field, make_id_number

HEADER = 'policy "T-1" "测试" {\n region: "510000"\n effective: 2020-01-01\n'


def write(tmp: Path, body: str, params: str = "") -> Path:
    (tmp / "t.ykt").write_text(HEADER + body + "\n}\n", encoding="utf-8")
    if params:
        (tmp / "t.params.yaml").write_text(params, encoding="utf-8")
    return tmp


def facts(**household: Any) -> dict[str, Any]:
    pid = make_id_number("511025", date(1950, 1, 2), 3, "女")
    me = {
        "id_number": pid,
        "name": "李秀英",
        "gender": "女",
        "birth_date": "1950-01-02",
        "relation": "本人",
        "hukou_region": "511025",
    }
    return {
        "application": {"id": "A", "date": "2024-05-01", "region": "511025"},
        "applicant": me,
        "household": {"members": [me], **household},
    }


def test_host_function_is_type_checked_and_called(tmp_path: Path) -> None:
    border = yktrules.HostFunction(
        "border_town", ["string"], "boolean", lambda code: code.startswith("5110")
    )
    write(tmp_path, ' review b "边界乡镇": border_town(applicant.hukou_region)')
    ps = yktrules.load(tmp_path, functions=[border])
    assert ps.screen(facts(), policy="T-1").outcome == "review"
    write(tmp_path, ' review b "边界乡镇": border_town(applicant.birth_date)')
    with pytest.raises(yktrules.PolicyError) as e:
        yktrules.load(tmp_path, functions=[border])
    assert e.value.diagnostics[0].code == "E206"


def test_host_function_errors_make_the_rule_unknown(tmp_path: Path) -> None:
    def boom(x: Decimal) -> bool:
        raise ValueError("no data service")

    write(tmp_path, ' review b "x": boom(1)')
    ps = yktrules.load(
        tmp_path, functions=[yktrules.HostFunction("boom", ["number"], "boolean", boom)]
    )
    d = ps.screen(facts(), policy="T-1")
    assert d.outcome == "review" and d.unknown[0].errors
    assert "no data service" in d.unknown[0].errors[0].message


class Farm(Household):
    orchard_mu: Decimal | None = fact_field(
        "orchard_mu", "果园亩数", "果园面积", source="农业农村", default=None
    )


class FarmApplication(Application):
    household: Farm = fact_field("household", "家庭", "家庭情况")


def test_host_schema_subclass(tmp_path: Path) -> None:
    write(tmp_path, ' require orchard "果园{household.orchard_mu}亩": 家庭.果园亩数 > 1')
    with pytest.raises(yktrules.PolicyError):
        yktrules.load(tmp_path)  # the standard schema has no orchard
    ps = yktrules.load(tmp_path, schema=FarmApplication)
    assert ps.screen(facts(orchard_mu="2.5"), policy="T-1").outcome == "eligible"
    d = ps.screen(facts(), policy="T-1")
    assert d.unknown[0].missing == ("household.orchard_mu",)


def test_warnings_do_not_fail_loading(tmp_path: Path) -> None:
    write(
        tmp_path,
        ' let unused = 1\n let kind = "x"\n'
        ' deny never "x": 1 > 2\n'
        ' deny shadow "x": count(household.properties[kind == "住房"]) > 5',
    )
    ps = yktrules.load(tmp_path)
    codes = sorted(w.code for w in ps.warnings)
    assert codes == ["W001", "W001", "W002", "W003"]


def test_policy_set_pickles_and_is_thread_safe(tmp_path: Path) -> None:
    write(
        tmp_path,
        ' let n = count(household.members)\n deny many "{n}人": n > 1\n amount: param.rate * n',
        'rate:\n  type: decimal\n  values:\n    "510000":\n      2020-01-01: 10.005\n',
    )
    ps = pickle.loads(pickle.dumps(yktrules.load(tmp_path)))
    docs = [facts(deposits=str(i)) for i in range(200)]
    with ThreadPoolExecutor(4) as pool:
        out = list(pool.map(lambda f: ps.screen(f, policy="T-1"), docs))
    assert {d.amount for d in out} == {Decimal("10.01")}
    assert pickle.loads(pickle.dumps(out[0])) == out[0]
    with pytest.raises(AttributeError):
        out[0].outcome = yktrules.Outcome.REVIEW  # type: ignore[misc]
