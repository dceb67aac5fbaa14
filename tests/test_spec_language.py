"""Contract tests: LANGUAGE.md §2-§4 (lexical rules, expressions, builtins, rendering)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import yktrules
from spec_helpers import (
    DELETE,
    load_body,
    make_facts,
    person,
    policy_text,
    render,
    truth,
    write_policy_folder,
)

# Body lines start at file line 5 in policy_text() (header, region, effective, blank).
BODY_LINE0 = 4


def amount_of(tmp_path, expr, facts=None, lets=""):
    ps = load_body(tmp_path, f"{lets}\namount: {expr}\n")
    d = ps.screen(facts or make_facts(), policy="T-001")
    assert d.outcome == "eligible", d.to_dict()
    return d


def assert_load_fails(tmp_path, body, params=None):
    from spec_helpers import DEFAULT_PARAMS

    with pytest.raises(yktrules.PolicyError) as ei:
        load_body(tmp_path, body, params if params is not None else DEFAULT_PARAMS)
    assert ei.value.diagnostics, "PolicyError without diagnostics"
    return ei.value


# ---------------------------------------------------------------- §2 lexical


def test_comments_are_ignored(tmp_path):
    body = """\
    # a full-line comment: require nothing "x": false
    let x = 2   # trailing comment with 中文 and "quotes"
    require r "m": x == 2   # another
    """
    assert truth(tmp_path, "x == 2", lets=body.replace('require r "m": x == 2   # another', ""))
    ps = load_body(tmp_path / "b", body)
    assert ps.screen(make_facts(), policy="T-001").outcome == "eligible"


def test_cjk_identifiers(tmp_path):
    lets = "let 人均收入 = 600\nlet 两套住房 = 人均收入 * 2"
    assert truth(tmp_path, "两套住房 == 1200", lets=lets) is True


def test_identifier_with_underscore_and_digits(tmp_path):
    assert truth(tmp_path, "per_capita_2 == 3", lets="let per_capita_2 = 3") is True


def test_string_escapes_in_message(tmp_path):
    ps = load_body(tmp_path, 'review r "a\\"b\\\\c\\nd": true\n')
    d = ps.screen(make_facts(), policy="T-001")
    assert [r.message for r in d.reasons] == ['a"b\\c\nd']


def test_string_escape_in_expression(tmp_path):
    assert truth(tmp_path, '"a\\"b" != "a b"') is True


def test_exact_decimals(tmp_path):
    assert truth(tmp_path, "0.1 + 0.2 == 0.3") is True


def test_decimal_literal_forms(tmp_path):
    assert truth(tmp_path, "600.50 == 600.5 and 0.005 * 200 == 1") is True


def test_facts_decimals_are_exact(tmp_path):
    facts = make_facts({"household": {"deposits": 0.1, "monthly_income": "0.2"}})
    assert truth(tmp_path, "household.deposits + household.monthly_income == 0.3", facts) is True


def test_valid_leap_date_literal(tmp_path):
    assert truth(tmp_path, "2020-02-29 < 2020-03-01") is True


@pytest.mark.parametrize("bad", ["2021-02-30", "2021-13-01", "2019-02-29"])
def test_invalid_date_literal_is_an_error(tmp_path, bad):
    err = assert_load_fails(tmp_path, f'require r "m": {bad} < 2030-01-01\n')
    assert any(d.span.line == BODY_LINE0 + 1 for d in err.diagnostics), err


def test_boolean_literals(tmp_path):
    assert truth(tmp_path, "true and not false") is True


def test_chinese_keyword_aliases(tmp_path):
    body = '必须 r "m": 真 且 非 假\n排除 d "n": 假 或 假\n复核 v "o": 假\n'
    ps = load_body(tmp_path, body)
    assert ps.screen(make_facts(), policy="T-001").outcome == "eligible"


# ---------------------------------------------------------------- §4 precedence


def test_not_binds_looser_than_comparison(tmp_path):
    # `not 1 == 2` is `not (1 == 2)`; `(not 1) == 2` would be a type error.
    assert truth(tmp_path, "not 1 == 2") is True


def test_coalesce_binds_looser_than_plus(tmp_path):
    facts = make_facts({"household": {"deposits": 10}})
    assert render(tmp_path, "household.deposits ?? 1 + 2", facts) == "10"
    facts = make_facts({"household": {"deposits": None}})
    assert render(tmp_path / "b", "1 + household.deposits ?? 5", facts) == "5"


def test_coalesce_binds_tighter_than_comparison(tmp_path):
    facts = make_facts({"household": {"deposits": None}})
    assert truth(tmp_path, "household.deposits ?? 0 < 5", facts) is True


def test_and_binds_tighter_than_or(tmp_path):
    assert truth(tmp_path, "true or false and false") is True
    assert truth(tmp_path / "b", "false and true or true") is True


def test_if_else_if_chain(tmp_path):
    expr = "if household.deposits > 10 then 1 else if household.deposits > 5 then 2 else 3"
    for i, (dep, want) in enumerate([(20, "1"), (7, "2"), (1, "3")]):
        facts = make_facts({"household": {"deposits": dep}})
        assert render(tmp_path / str(i), expr, facts) == want


def test_if_else_branch_extends_over_or(tmp_path):
    # `if true then false else (false or true)` is false; `(if ...) or true` would be true.
    assert truth(tmp_path, "if true then false else false or true") is False


def test_quantifier_body_extends_right(tmp_path):
    # With no properties: `any p in []: (false or true)` is false,
    # whereas `(any p in []: false) or true` would be true.
    facts = make_facts({"household": {"properties": []}})
    assert truth(tmp_path, "any p in household.properties: false or true", facts) is False
    # `all p in []: (true and false)` is true; `(all p in []: true) and false` would be false.
    assert truth(tmp_path / "b", "all p in household.properties: true and false", facts) is True


def test_comparison_is_non_associative(tmp_path):
    assert_load_fails(tmp_path, 'require r "m": 1 < 2 < 3\n')


def test_in_and_not_in(tmp_path):
    assert truth(tmp_path, '"b" in ["a", "b"]') is True
    assert truth(tmp_path / "b", '"c" in ["a", "b"]') is False
    assert truth(tmp_path / "c", '"c" not in ["a", "b"]') is True
    assert truth(tmp_path / "d", '"a" not in ["a", "b"]') is False


def test_in_list_value(tmp_path):
    facts = make_facts({"household": {"properties": [{"kind": "商铺"}, {"kind": "车库"}]}})
    assert truth(tmp_path, '"车库" in household.properties.kind', facts) is True
    assert truth(tmp_path / "b", '"住房" not in household.properties.kind', facts) is True


@pytest.mark.parametrize(
    "a,b,want",
    [
        ("511025", "511000", True),
        ("511000", "510000", True),
        ("511025", "510000", True),
        ("511025", "511025", True),
        ("511025", "512000", False),
        ("510000", "511000", False),
        ("511025", "511021", False),
    ],
)
def test_within(tmp_path, a, b, want):
    assert truth(tmp_path, f'"{a}" within "{b}"') is want


def test_within_on_facts(tmp_path):
    facts = make_facts({"applicant": {"hukou_region": "511025"}})
    assert truth(tmp_path, 'applicant.hukou_region within "511000"', facts) is True


# ---------------------------------------------------------------- filters, projection, lists


def _props():
    return make_facts(
        {
            "household": {
                "properties": [
                    {"kind": "住房", "area": 80},
                    {"kind": "商铺", "area": 20},
                    {"kind": "住房", "area": 60},
                ]
            }
        }
    )


def test_filter_with_bare_field_names(tmp_path):
    assert render(tmp_path, 'count(household.properties[kind == "住房"])', _props()) == "2"


def test_filter_with_it(tmp_path):
    assert render(tmp_path, 'count(household.properties[it.kind == "商铺"])', _props()) == "1"
    assert render(tmp_path / "b", "sum(household.properties[area > 50].area)", _props()) == "140"


def test_projection_over_members(tmp_path):
    facts = make_facts(
        members=[
            person(1, "本人", monthly_income="100.50"),
            person(2, "配偶", gender="女", monthly_income=200),
        ]
    )
    assert render(tmp_path, "sum(household.members.monthly_income)", facts) == "300.5"
    assert render(tmp_path / "b", "count(household.members.monthly_income)", facts) == "2"


def test_list_literals(tmp_path):
    assert render(tmp_path, "count([1, 2, 3])", None) == "3"
    assert render(tmp_path / "b", "sum([1, 2.5, 0.25])", None) == "3.75"


# ---------------------------------------------------------------- builtins


def test_count_and_exists(tmp_path):
    assert render(tmp_path, "count(household.properties)", _props()) == "3"
    assert truth(tmp_path / "b", "exists(household.properties)", _props()) is True
    assert truth(tmp_path / "c", "exists(household.vehicles)", make_facts()) is False


def test_sum_of_empty_is_zero(tmp_path):
    assert render(tmp_path, "sum(household.properties.area)", make_facts()) == "0"


@pytest.mark.parametrize("fn", ["min", "max", "avg"])
def test_min_max_avg_of_empty_are_unknown(tmp_path, fn):
    assert truth(tmp_path, f"{fn}(household.properties.area) > 0", make_facts()) is None
    assert render(tmp_path / "b", f"{fn}(household.properties.area)", make_facts()) == "?"


def test_min_max_avg(tmp_path):
    assert render(tmp_path, "min(household.properties.area)", _props()) == "20"
    assert render(tmp_path / "b", "max(household.properties.area)", _props()) == "80"
    assert render(tmp_path / "c", "avg(household.properties.area)", _props()) == "53.33"


@pytest.mark.parametrize("as_of,years", [(date(2020, 3, 1), 80), (date(2020, 2, 29), 79)])
def test_age(tmp_path, as_of, years):
    old = person(1, "本人", birth=date(1940, 3, 1))
    facts = make_facts(members=[old])
    assert truth(tmp_path, f"age(applicant.birth_date) == {years}", facts, as_of=as_of) is True


def test_age_uses_application_date_by_default(tmp_path):
    old = person(1, "本人", birth=date(1940, 3, 1))
    facts = make_facts(members=[old], filed="2020-02-29")
    assert render(tmp_path, "age(applicant.birth_date)", facts) == "79"


def test_years_between(tmp_path):
    assert render(tmp_path, "years_between(2000-01-15, 2010-01-14)") == "9"
    assert render(tmp_path / "b", "years_between(2000-01-15, 2010-01-15)") == "10"


def test_months_between(tmp_path):
    assert render(tmp_path, "months_between(2021-01-15, 2021-03-14)") == "1"
    assert render(tmp_path / "b", "months_between(2021-01-15, 2021-03-15)") == "2"
    assert render(tmp_path / "c", "months_between(2020-01-15, 2021-03-15)") == "14"


def test_known(tmp_path):
    facts = make_facts({"household": {"deposits": None}})
    assert truth(tmp_path, "known(household.deposits)", facts) is False
    assert truth(tmp_path / "b", "known(household.monthly_income)", facts) is True
    # never unknown: the rule is decided, not sent to review
    assert truth(tmp_path / "c", "known(household.deposits) or false", facts) is False


# ---------------------------------------------------------------- message rendering


@pytest.mark.parametrize(
    "expr,want",
    [
        ("600", "600"),
        ("600.00", "600"),
        ("1000 / 3", "333.33"),
        ("0.50", "0.5"),
        ("0.125", "0.13"),  # half-up, not half-even
        ("2.675", "2.68"),
        ("0.005", "0.01"),
        ("-1.5", "-1.5"),
        ("2021-03-01", "2021-03-01"),
        ("true", "是"),
        ("false", "否"),
        ("[1, 2, 3]", "3"),
    ],
)
def test_interpolation_rendering(tmp_path, expr, want):
    assert render(tmp_path, expr) == want


def test_interpolation_of_unknown_is_question_mark(tmp_path):
    facts = make_facts({"household": {"deposits": None}})
    assert render(tmp_path, "household.deposits", facts) == "?"


def test_interpolation_of_fact_path_and_param(tmp_path):
    facts = make_facts({"household": {"deposits": "1234.5"}})
    ps = load_body(tmp_path, 'review r "存款{household.deposits}元，标准{param.line}元": true\n')
    d = ps.screen(facts, policy="T-001")
    assert [r.message for r in d.reasons] == ["存款1234.5元，标准600元"]


def test_interpolation_of_fact_date_and_list(tmp_path):
    ps = load_body(tmp_path, 'review r "{applicant.birth_date}/{household.properties}": true\n')
    d = ps.screen(_props(), policy="T-001")
    assert [r.message for r in d.reasons] == ["1970-01-01/3"]


# ---------------------------------------------------------------- amount rounding


@pytest.mark.parametrize(
    "expr,want",
    [
        ("1 / 3 * 3", "1.00"),
        ("0.005", "0.01"),
        ("2.675", "2.68"),
        ("0.125", "0.13"),
        ("600", "600.00"),
        ("1000 / 3", "333.33"),
        ("0.004 + 0.004", "0.01"),  # rounded once at the end, not per term
    ],
)
def test_amount_rounding_half_up_once(tmp_path, expr, want):
    d = amount_of(tmp_path, expr)
    assert d.amount == Decimal(want)
    assert isinstance(d.amount, Decimal)
    assert str(d.to_dict()["amount"]) == want


def test_amount_rounded_once_through_lets(tmp_path):
    d = amount_of(tmp_path, "a + a + a", lets="let a = 1 / 3")
    assert d.to_dict()["amount"] == "1.00"


# ---------------------------------------------------------------- evaluation errors


def test_division_by_zero_makes_rule_unknown(tmp_path):
    body = 'require ok "fine": true\nrequire r "divides":\n    1 / household.deposits > 1\n'
    ps = load_body(tmp_path, body)
    d = ps.screen(make_facts({"household": {"deposits": 0}}), policy="T-001")
    assert d.outcome == "review"
    assert [u.rule for u in d.unknown] == ["r"]
    assert d.reasons == () or list(d.reasons) == []
    # The position of the division (body line 3 -> file line 7) is reported.
    text = repr(d.to_dict())
    assert "policy.ykt:7" in text, text


def test_division_by_zero_in_amount_does_not_crash(tmp_path):
    ps = load_body(tmp_path, "amount: 100 / household.deposits\n")
    d = ps.screen(make_facts({"household": {"deposits": 0}}), policy="T-001")
    assert d.amount is None
    assert d.outcome in ("eligible", "review")


def test_division_by_zero_in_batch_does_not_abort(tmp_path):
    ps = load_body(tmp_path, 'require r "m":\n    100 / household.deposits > 1\n')
    a = ps.screen(make_facts({"household": {"deposits": 0}}), policy="T-001")
    b = ps.screen(make_facts({"household": {"deposits": 10}}), policy="T-001")
    assert (a.outcome, b.outcome) == ("review", "eligible")


def test_policy_text_helper_line_numbers(tmp_path):
    # guard for BODY_LINE0 used above
    folder = write_policy_folder(tmp_path, policy_text('require r "m": false'))
    lines = (folder / "policy.ykt").read_text(encoding="utf-8").splitlines()
    assert lines[BODY_LINE0].strip().startswith("require r")
    facts = make_facts({"household": {"deposits": DELETE}})
    d = yktrules.load(folder).screen(facts, policy="T-001")
    assert d.reasons[0].source.endswith(f"policy.ykt:{BODY_LINE0 + 1}")


# ---------------------------------------------------------------- more lexical / expression checks


def test_hash_inside_string_is_not_a_comment(tmp_path):
    ps = load_body(tmp_path, 'review r "第#1号 {param.line}": true  # real comment\n')
    d = ps.screen(make_facts(), policy="T-001")
    assert [r.message for r in d.reasons] == ["第#1号 600"]


def test_identifier_cannot_start_with_digit(tmp_path):
    assert_load_fails(tmp_path, 'let 2x = 1\nrequire r "m": true\n')


def test_division_has_at_least_28_significant_digits(tmp_path):
    assert truth(tmp_path, "1 / 3 > 0.333333333333333333333333333") is True
    assert truth(tmp_path / "b", "10 / 4 == 2.5") is True


@pytest.mark.parametrize(
    "expr,want",
    [
        ("1000 * 1000", "1000000"),
        ("100.00 * 100", "10000"),
        ("1000000.001", "1000000"),
        ("0.1 * 0.1", "0.01"),
    ],
)
def test_rendering_never_uses_exponent(tmp_path, expr, want):
    assert render(tmp_path, expr) == want


def test_amount_large_value_plain(tmp_path):
    assert amount_of(tmp_path, "1000 * 1000").to_dict()["amount"] == "1000000.00"


def test_unary_minus(tmp_path):
    assert (
        truth(
            tmp_path,
            "-2 * 3 == -6 and 1 - -1 == 2 and -household.deposits == -5",
            make_facts({"household": {"deposits": 5}}),
        )
        is True
    )


def test_min_max_with_unknown_element_are_unknown(tmp_path):
    facts = make_facts({"household": {"deposits": None}})
    assert truth(tmp_path, "max([1, household.deposits]) > 0", facts) is None
    assert truth(tmp_path / "b", "min([1, household.deposits]) > 0", facts) is None


def test_avg_exact(tmp_path):
    assert render(tmp_path, "avg([1, 2])") == "1.5"


def test_dates_compare(tmp_path):
    assert (
        truth(
            tmp_path,
            "applicant.birth_date < 2000-01-01 and "
            "applicant.birth_date == 1970-01-01 and 2021-01-02 > 2021-01-01",
        )
        is True
    )


def test_policy_and_as_of_names(tmp_path):
    assert truth(tmp_path, 'policy.code == "T-001" and policy.region == "510000"') is True
    assert truth(tmp_path / "b", "as_of == 2021-03-01") is True
    assert truth(tmp_path / "c", "as_of == 2022-01-05", as_of=date(2022, 1, 5)) is True


def test_nested_quantifiers_scope(tmp_path):
    facts = make_facts(
        {"household": {"properties": [{"kind": "住房", "area": 5}]}},
        members=[person(1, monthly_income=3), person(2, "子女", monthly_income=9)],
    )
    expr = "any m in household.members: all p in household.properties: p.area > m.monthly_income"
    assert truth(tmp_path, expr, facts) is True
    expr = "all m in household.members: any p in household.properties: p.area > m.monthly_income"
    assert truth(tmp_path / "b", expr, facts) is False


def test_filter_on_boolean_field_and_unknown_list(tmp_path):
    facts = make_facts(members=[person(1), person(2, "子女", public_servant=True)])
    assert render(tmp_path, "count(household.members[public_servant])", facts) == "1"
    facts = make_facts({"household": {"vehicles": None}})
    assert truth(tmp_path / "b", "count(household.vehicles[commercial]) == 0", facts) is None
