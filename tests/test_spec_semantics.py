"""Contract tests: LANGUAGE.md §5 (three-valued logic) and §6 (outcome of a decision)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spec_helpers import DELETE, load_body, make_facts, person, render, truth

T, F, U = True, False, None

# Expressions with a known truth value and one that is unknown (deposits null).
LIT = {T: "true", F: "false", U: "household.deposits > 0"}


def unknown_facts(**over):
    return make_facts({"household": {"deposits": None}, **over})


# ---------------------------------------------------------------- absent / null / []


def test_absent_list_is_unknown_with_missing_path(tmp_path):
    ps = load_body(tmp_path, 'deny car "有车": exists(household.vehicles)\n')
    d = ps.screen(make_facts({"household": {"vehicles": DELETE}}), policy="T-001")
    assert d.outcome == "review"
    assert [(u.rule, u.kind, list(u.missing)) for u in d.unknown] == [
        ("car", "deny", ["household.vehicles"])
    ]
    assert d.to_dict()["unknown"][0]["missing"] == ["household.vehicles"]


def test_null_list_is_unknown(tmp_path):
    ps = load_body(tmp_path, 'deny car "有车": count(household.vehicles) > 0\n')
    d = ps.screen(make_facts({"household": {"vehicles": None}}), policy="T-001")
    assert d.outcome == "review"
    assert list(d.unknown[0].missing) == ["household.vehicles"]


def test_empty_list_means_none(tmp_path):
    ps = load_body(tmp_path, 'deny car "有车": exists(household.vehicles)\n')
    d = ps.screen(make_facts({"household": {"vehicles": []}}), policy="T-001")
    assert d.outcome == "eligible"
    assert list(d.unknown) == [] and list(d.reasons) == []


def test_false_is_not_unknown(tmp_path):
    facts = make_facts({"applicant": {"public_servant": False}})
    assert truth(tmp_path, "not applicant.public_servant", facts) is True
    facts = make_facts({"applicant": {"public_servant": None}})
    assert truth(tmp_path / "b", "not applicant.public_servant", facts) is None


def test_absent_records_is_unknown(tmp_path):
    ps = load_body(tmp_path, 'deny paid "已享受": exists(records.benefits)\n')
    d = ps.screen(make_facts({"records": DELETE}), policy="T-001")
    assert d.outcome == "review"
    assert [u.rule for u in d.unknown] == ["paid"]
    assert d.unknown[0].missing and all(m.startswith("records") for m in d.unknown[0].missing)


def test_unknown_in_arithmetic_and_comparison(tmp_path):
    facts = unknown_facts()
    assert truth(tmp_path, "household.deposits + 1 > 0", facts) is None
    assert truth(tmp_path / "b", "household.deposits == household.deposits", facts) is None
    assert (
        truth(
            tmp_path / "c",
            'applicant.hukou_region within "510000"',
            make_facts({"applicant": {"hukou_region": None}}),
        )
        is None
    )
    assert (
        truth(
            tmp_path / "d",
            'applicant.hukou_type in ["农村"]',
            make_facts({"applicant": {"hukou_type": None}}),
        )
        is None
    )


def test_sum_with_unknown_element_is_unknown(tmp_path):
    facts = make_facts(
        members=[
            person(1, "本人", monthly_income=100),
            person(2, "配偶", gender="女", monthly_income=None),
        ]
    )
    assert truth(tmp_path, "sum(household.members.monthly_income) < 1000", facts) is None


def test_missing_paths_for_member_field(tmp_path):
    facts = make_facts(
        members=[person(1, "本人"), person(2, "配偶", gender="女", public_servant=None)]
    )
    ps = load_body(tmp_path, 'deny ps "财政供养": any m in household.members: m.public_servant\n')
    d = ps.screen(facts, policy="T-001")
    assert d.outcome == "review"
    assert list(d.unknown[0].missing) == ["household.members.public_servant"]


def test_missing_paths_are_sorted_and_distinct(tmp_path):
    facts = make_facts({"household": {"vehicles": None, "deposits": None, "businesses": None}})
    body = (
        'deny x "多项":\n    exists(household.vehicles) or household.deposits > 10'
        " or exists(household.businesses) or count(household.vehicles) > 1\n"
    )
    d = load_body(tmp_path, body).screen(facts, policy="T-001")
    assert list(d.unknown[0].missing) == [
        "household.businesses",
        "household.deposits",
        "household.vehicles",
    ]


# ---------------------------------------------------------------- Kleene logic

AND = {
    (T, T): T,
    (T, F): F,
    (T, U): U,
    (F, T): F,
    (F, F): F,
    (F, U): F,
    (U, T): U,
    (U, F): F,
    (U, U): U,
}
OR = {
    (T, T): T,
    (T, F): T,
    (T, U): T,
    (F, T): T,
    (F, F): F,
    (F, U): U,
    (U, T): T,
    (U, F): U,
    (U, U): U,
}


@pytest.mark.parametrize("a,b", list(AND))
def test_kleene_and(tmp_path, a, b):
    assert truth(tmp_path, f"{LIT[a]} and {LIT[b]}", unknown_facts()) is AND[(a, b)]


@pytest.mark.parametrize("a,b", list(OR))
def test_kleene_or(tmp_path, a, b):
    assert truth(tmp_path, f"{LIT[a]} or {LIT[b]}", unknown_facts()) is OR[(a, b)]


@pytest.mark.parametrize("a,want", [(T, F), (F, T), (U, U)])
def test_kleene_not(tmp_path, a, want):
    assert truth(tmp_path, f"not ({LIT[a]})", unknown_facts()) is want


# ---------------------------------------------------------------- quantifiers and filters


def _members(*public_servant):
    ms = [
        person(i + 1, "本人" if i == 0 else "子女", public_servant=v)
        for i, v in enumerate(public_servant)
    ]
    return make_facts(members=ms)


@pytest.mark.parametrize(
    "values,any_want,all_want",
    [
        ((True, False), T, F),
        ((False, False), F, F),
        ((True, True), T, T),
        ((None, True), T, U),
        ((None, False), U, F),
        ((None, None), U, U),
    ],
)
def test_any_all_with_unknown_elements(tmp_path, values, any_want, all_want):
    facts = _members(*values)
    assert truth(tmp_path, "any m in household.members: m.public_servant", facts) is any_want
    assert truth(tmp_path / "b", "all m in household.members: m.public_servant", facts) is all_want


def test_quantifier_over_unknown_list(tmp_path):
    facts = make_facts({"household": {"vehicles": None}})
    assert truth(tmp_path, "any v in household.vehicles: v.commercial", facts) is None
    assert truth(tmp_path / "b", "all v in household.vehicles: v.commercial", facts) is None


def test_quantifier_over_empty_list(tmp_path):
    assert truth(tmp_path, "any v in household.vehicles: v.commercial") is False
    assert truth(tmp_path / "b", "all v in household.vehicles: v.commercial") is True


def test_filter_with_unknown_condition_is_unknown(tmp_path):
    facts = make_facts(
        {
            "household": {
                "properties": [{"kind": "住房", "area": None}, {"kind": "住房", "area": 90}]
            }
        }
    )
    assert truth(tmp_path, "count(household.properties[area > 50]) >= 1", facts) is None
    assert render(tmp_path / "b", "count(household.properties[area > 50])", facts) == "?"


def test_filter_with_known_conditions(tmp_path):
    facts = make_facts(
        {
            "household": {
                "properties": [{"kind": "住房", "area": None}, {"kind": "商铺", "area": 90}]
            }
        }
    )
    # kind is known on every element, so the filter is known even though area is not.
    assert render(tmp_path, 'count(household.properties[kind == "住房"])', facts) == "1"


# ---------------------------------------------------------------- ?? known if


def test_coalesce(tmp_path):
    assert render(tmp_path, "household.deposits ?? 7", unknown_facts()) == "7"
    assert (
        render(
            tmp_path / "b", "household.deposits ?? 7", make_facts({"household": {"deposits": 3}})
        )
        == "3"
    )
    assert truth(tmp_path / "c", "household.deposits ?? 0 < 1", unknown_facts()) is True


def test_known_is_never_unknown(tmp_path):
    assert truth(tmp_path, "not known(household.deposits)", unknown_facts()) is True
    assert truth(tmp_path / "b", "known(household.deposits > 0)", unknown_facts()) is False


@pytest.mark.parametrize("then,else_", [("true", "true"), ("1", "1")])
def test_if_with_unknown_condition_is_unknown(tmp_path, then, else_):
    expr = f"(if household.deposits > 0 then {then} else {else_})"
    if then == "1":
        expr += " == 1"
    assert truth(tmp_path, expr, unknown_facts()) is None


def test_if_with_known_condition(tmp_path):
    facts = make_facts({"household": {"deposits": 5}})
    assert truth(tmp_path, "if household.deposits > 0 then true else false", facts) is True


# ---------------------------------------------------------------- §6 outcome


BODY = """\
let dep = household.deposits
require req "要求{dep}": dep < 100
deny den "排除{dep}": dep > 1000
review rev "复核{dep}": dep > 50
deny car "有车": exists(household.vehicles)
amount: 600 - dep
"""


def screen(tmp_path, deposits, vehicles=()):
    cars = list(vehicles) if vehicles is not None else None
    facts = make_facts({"household": {"deposits": deposits, "vehicles": cars}})
    return load_body(tmp_path, BODY).screen(facts, policy="T-001")


def test_eligible_with_amount(tmp_path):
    d = screen(tmp_path, 10)
    assert d.outcome == "eligible"
    assert list(d.reasons) == [] and list(d.unknown) == []
    assert d.amount == Decimal("590")
    assert d.to_dict()["amount"] == "590.00"


def test_review_true_gives_review_without_amount(tmp_path):
    d = screen(tmp_path, 60)
    assert d.outcome == "review"
    assert [(r.rule, r.kind, r.message) for r in d.reasons] == [("rev", "review", "复核60")]
    assert d.amount is None and d.to_dict()["amount"] is None


def test_unknown_rule_gives_review(tmp_path):
    d = screen(tmp_path, 10, vehicles=None)
    assert d.outcome == "review"
    assert list(d.reasons) == []
    assert [(u.rule, u.kind, list(u.missing)) for u in d.unknown] == [
        ("car", "deny", ["household.vehicles"])
    ]
    assert d.amount is None


def test_ineligible_beats_review_and_unknown(tmp_path):
    d = screen(tmp_path, 2000, vehicles=None)
    assert d.outcome == "ineligible"
    # reasons in source order: failed require, true deny, true review
    assert [(r.rule, r.kind) for r in d.reasons] == [
        ("req", "require"),
        ("den", "deny"),
        ("rev", "review"),
    ]
    assert [r.message for r in d.reasons] == ["要求2000", "排除2000", "复核2000"]
    assert [u.rule for u in d.unknown] == ["car"]
    assert d.amount is None


def test_all_unknown_rules_are_listed(tmp_path):
    d = screen(tmp_path, None, vehicles=None)
    assert d.outcome == "review"
    assert list(d.reasons) == []
    assert [(u.rule, u.kind, list(u.missing)) for u in d.unknown] == [
        ("req", "require", ["household.deposits"]),
        ("den", "deny", ["household.deposits"]),
        ("rev", "review", ["household.deposits"]),
        ("car", "deny", ["household.vehicles"]),
    ]


def test_true_deny_alone_is_ineligible(tmp_path):
    d = screen(tmp_path, 10, vehicles=[{"kind": "小型汽车"}])
    assert d.outcome == "ineligible"
    assert [(r.rule, r.message) for r in d.reasons] == [("car", "有车")]


def test_reason_source_is_file_and_line(tmp_path):
    d = screen(tmp_path, 2000)
    sources = [r.source for r in d.reasons]
    # body lines 2, 3, 4 are file lines 6, 7, 8 (see spec_helpers.policy_text)
    assert [s.rsplit(":", 1)[1] for s in sources] == ["6", "7", "8"]
    assert all(s.rsplit(":", 1)[0].endswith("policy.ykt") for s in sources)
    assert d.to_dict()["reasons"][0]["source"] == sources[0]


def test_passed_requires_and_false_denies_are_not_reasons(tmp_path):
    d = screen(tmp_path, 60)
    assert "req" not in [r.rule for r in d.reasons]
    assert "den" not in [r.rule for r in d.reasons]


def test_amount_with_zero_fact(tmp_path):
    d = screen(tmp_path, 0)
    assert d.amount == Decimal("600") and d.to_dict()["amount"] == "600.00"


def test_no_amount_clause_gives_null(tmp_path):
    ps = load_body(tmp_path, 'require r "m": true\n')
    d = ps.screen(make_facts(), policy="T-001")
    assert d.outcome == "eligible" and d.amount is None and d.to_dict()["amount"] is None


def test_unknown_amount_for_eligible(tmp_path):
    # every rule true, but the amount depends on an unknown fact: not a crash
    ps = load_body(tmp_path, 'require r "m": true\namount: household.deposits * 2\n')
    d = ps.screen(unknown_facts(), policy="T-001")
    assert d.amount is None
