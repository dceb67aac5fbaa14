"""Regression tests for problems found in review (one test each, named for the problem)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import yktrules
from yktrules.bundle.loader import Sources, load_sources
from yktrules.facts import Application, make_id_number

HEADER = 'policy "R-1" "回归" {\n region: "510000"\n effective: 2020-01-01\n'


def folder(tmp: Path, body: str, params: str = "") -> Path:
    (tmp / "r.ykt").write_text(HEADER + body + "\n}\n", encoding="utf-8")
    if params:
        (tmp / "r.params.yaml").write_text(params, encoding="utf-8")
    return tmp


def facts(**household: Any) -> dict[str, Any]:
    pid = make_id_number("511025", date(1950, 1, 2), 3, "女")
    me = {
        "id_number": pid,
        "name": "李秀英",
        "gender": "女",
        "birth_date": "1950-01-02",
        "relation": "本人",
    }
    return {
        "application": {"id": "A", "date": "2024-05-01", "region": "511025"},
        "applicant": me,
        "household": {"members": [me], **household},
    }


def codes(tmp: Path) -> list[str]:
    with pytest.raises(yktrules.PolicyError) as e:
        yktrules.load(tmp)
    return [d.code for d in e.value.diagnostics]


def test_datetime_parameter_key_is_rejected(tmp_path: Path) -> None:
    folder(
        tmp_path,
        ' require r "x{param.p}": true',
        'p:\n  type: decimal\n  values:\n    "510000":\n      2021-01-01 10:00:00: 5\n',
    )
    assert codes(tmp_path) == ["E304"]


def test_amount_evaluation_error_is_reported(tmp_path: Path) -> None:
    folder(tmp_path, ' require r "x": true\n amount: 1 / (count(household.members) - 1)')
    d = yktrules.load(tmp_path).screen(facts(), policy="R-1")
    assert d.outcome == "eligible" and d.amount is None
    assert d.amount_missing == () and "division by zero" in d.amount_errors[0].message
    assert d.to_dict()["amount_errors"][0]["source"].endswith("r.ykt:5:10")
    assert "除数为零" in d.explain()


def test_missing_path_through_a_let_bound_list(tmp_path: Path) -> None:
    folder(tmp_path, ' let ms = household.members\n deny p "x": any m in ms: m.public_servant')
    d = yktrules.load(tmp_path).screen(facts(), policy="R-1")
    assert d.unknown[0].missing == ("household.members.public_servant",)


def test_host_function_failures_make_the_rule_unknown(tmp_path: Path) -> None:
    folder(tmp_path, ' review a "x": bad_type(1)\n review b "y": raises(1)')
    fns = [
        yktrules.HostFunction("bad_type", ["number"], "boolean", lambda x: "yes"),
        yktrules.HostFunction("raises", ["number"], "boolean", lambda x: {}["k"]),
    ]
    d = yktrules.load(tmp_path, functions=fns).screen(facts(), policy="R-1")
    assert [u.rule for u in d.unknown] == ["a", "b"]
    assert "TypeError" in d.unknown[0].errors[0].message
    assert "KeyError" in d.unknown[1].errors[0].message


def test_sum_is_exact_beyond_28_digits(tmp_path: Path) -> None:
    folder(
        tmp_path,
        ' require r "x": true\n'
        " amount: sum([1000000000000000000000000000000, 1]) - 1000000000000000000000000000000",
    )
    assert yktrules.load(tmp_path).screen(facts(), policy="R-1").amount == Decimal("1.00")


def test_bad_as_of_is_a_library_error(tmp_path: Path) -> None:
    folder(tmp_path, ' require r "x": true')
    ps = yktrules.load(tmp_path)
    with pytest.raises(yktrules.ArgumentError):
        ps.screen(facts(), policy="R-1", as_of="2024/01/01")


def test_parameter_files_alone_can_be_checked(tmp_path: Path) -> None:
    (tmp_path / "only.params.yaml").write_text(
        'p:\n  type: decimal\n  values:\n    "510000":\n      2021-01-01: 5\n', encoding="utf-8"
    )
    sources = Sources(
        (),
        (
            (
                (str(tmp_path / "only.params.yaml")),
                (tmp_path / "only.params.yaml").read_text(encoding="utf-8"),
            ),
        ),
    )
    assert not load_sources(sources, Application).diagnostics


def test_missing_closing_brace_says_so() -> None:
    from yktrules.lang.parser import parse

    _, diags = parse(HEADER + ' require r "x": applicant.alive\n', "f.ykt")
    assert "`}` to close the policy" in diags[0].message


def test_invalid_interpolation_is_not_also_unbalanced(tmp_path: Path) -> None:
    folder(tmp_path, ' require r "x{1+2}": true')
    assert codes(tmp_path) == ["E003"]


def test_let_using_itself_says_so(tmp_path: Path) -> None:
    folder(tmp_path, ' let a = a + 1\n require r "x{a}": true')
    with pytest.raises(yktrules.PolicyError) as e:
        yktrules.load(tmp_path)
    assert [d.code for d in e.value.diagnostics] == ["E126"]
    assert "自身" in e.value.diagnostics[0].message


def test_record_interpolation_is_a_check_error(tmp_path: Path) -> None:
    folder(tmp_path, ' require r "x{applicant.disability}": true')
    assert codes(tmp_path) == ["E210"]


def test_glued_keyword_in_a_field_name_gets_the_spacing_hint(tmp_path: Path) -> None:
    folder(tmp_path, ' require r "x": applicant.alive且true')
    with pytest.raises(yktrules.PolicyError) as e:
        yktrules.load(tmp_path)
    assert "空格" in (e.value.diagnostics[0].hint or "")
