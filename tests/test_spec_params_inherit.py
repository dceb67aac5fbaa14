"""Contract tests: LANGUAGE.md §7 (parameters) and §8 (inheritance and resolution)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import yktrules
from spec_helpers import (
    NJ_MZ_001,
    SC_MZ_001,
    dibao_folder,
    family,
    homes,
    make_facts,
    policy_text,
    write_policy_folder,
)

# ---------------------------------------------------------------- §7 parameter resolution


def param_probe(tmp_path, params, region, as_of, policy_region="510000"):
    body = 'review r "<{param.p}>": true\nrequire q "m": param.p == param.p\n'
    text = policy_text(body, effective="2000-01-01", region=policy_region)
    folder = write_policy_folder(tmp_path / "pp", text, params)
    d = yktrules.load(folder).screen(make_facts(region=region), policy="T-001", as_of=as_of)
    return d


PARAMS_P = """\
p:
  title: 测试
  type: decimal
  values:
    "510000":
      2020-01-01: 560
      2021-01-01: 600
    "511000":
      2021-01-01: 640
      2022-01-01: 680
    "511025":
      2023-01-01: 700
"""


@pytest.mark.parametrize(
    "region,as_of,want",
    [
        ("511025", date(2023, 6, 1), "700"),  # county key
        ("511025", date(2023, 1, 1), "700"),  # dated on as_of counts
        ("511025", date(2022, 12, 31), "680"),  # county has nothing yet -> city latest
        ("511025", date(2021, 6, 1), "640"),
        ("511025", date(2020, 6, 1), "560"),  # city has nothing yet -> province
        ("511011", date(2023, 6, 1), "680"),  # other county of the city
        ("511421", date(2023, 6, 1), "600"),  # other city -> province latest
        ("511421", date(2020, 12, 31), "560"),
    ],
)
def test_param_resolution_chain(tmp_path, region, as_of, want):
    d = param_probe(tmp_path, PARAMS_P, region, as_of)
    assert [r.message for r in d.reasons] == [f"<{want}>"]


def test_param_without_value_is_unknown(tmp_path):
    d = param_probe(tmp_path, PARAMS_P, "511025", date(2019, 6, 1))
    assert [r.message for r in d.reasons] == ["<?>"]
    assert d.outcome == "review"
    assert [u.rule for u in d.unknown] == ["q"]
    assert any("p" in m and "param" in m for m in d.unknown[0].missing), d.unknown[0].missing


def test_param_outside_any_region_is_unknown(tmp_path):
    # a Guangdong policy: no key of the parameter contains 440305
    d = param_probe(tmp_path, PARAMS_P, "440305", date(2023, 6, 1), policy_region="440000")
    assert [r.message for r in d.reasons] == ["<?>"]
    assert [u.rule for u in d.unknown] == ["q"]


def test_param_as_of_defaults_to_filing_date(tmp_path):
    body = 'review r "<{param.p}>": true\n'
    folder = write_policy_folder(tmp_path, policy_text(body, effective="2000-01-01"), PARAMS_P)
    d = yktrules.load(folder).screen(make_facts(filed="2021-06-01"), policy="T-001")
    assert [r.message for r in d.reasons] == ["<640>"]
    assert d.to_dict()["as_of"] == "2021-06-01"


def _param_error(tmp_path, params_text):
    folder = write_policy_folder(tmp_path, policy_text('require r "m": param.p > 0'), params_text)
    with pytest.raises(yktrules.PolicyError) as ei:
        yktrules.load(folder)
    diags = [d for d in ei.value.diagnostics if d.span.file.endswith("test.params.yaml")]
    assert diags, ei.value.diagnostics
    return diags


@pytest.mark.parametrize(
    "bad_line,line_no",
    [
        ("  titel: 拼错", 3),  # unknown key
        ('    "510000":\n      2021-02-30: 600', 6),  # bad date
        ('    "51000":\n      2021-01-01: 600', 5),  # bad region code
        ('    "510000":\n      2021-01-01: abc', 6),  # wrong-typed value
    ],
)
def test_param_file_errors_have_file_and_line(tmp_path, bad_line, line_no):
    text = "p:\n  title: 测试\n  type: decimal\n  values:\n"
    if bad_line.startswith("  titel"):
        text = "p:\n  title: 测试\n" + bad_line + "\n  type: decimal\n  values:\n"
        text += '    "510000":\n      2021-01-01: 600\n'
    else:
        text += bad_line + "\n"
    diags = _param_error(tmp_path, text)
    assert line_no in [d.span.line for d in diags], [(d.span.line, d.message) for d in diags]


def test_param_integer_type_rejects_fraction(tmp_path):
    text = 'p:\n  title: 测试\n  type: integer\n  values:\n    "510000":\n      2021-01-01: 6.5\n'
    diags = _param_error(tmp_path, text)
    assert 6 in [d.span.line for d in diags]


def test_undeclared_param_is_check_error(tmp_path):
    folder = write_policy_folder(tmp_path, policy_text('require r "m": param.nope > 0'))
    with pytest.raises(yktrules.PolicyError) as ei:
        yktrules.load(folder)
    diags = ei.value.diagnostics
    assert any(d.span.file.endswith("policy.ykt") and d.span.line == 5 for d in diags), diags
    assert "nope" in str(ei.value)


# ---------------------------------------------------------------- §8 the spec example


def test_spec_example_loads(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    assert isinstance(ps, yktrules.PolicySet)


def test_county_applicant_is_screened_by_city_policy(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    d = ps.screen(family("511025"), policy="SC-MZ-001")
    assert (d.item, d.policy, d.outcome) == ("SC-MZ-001", "NJ-MZ-001", "eligible")
    assert d.to_dict()["title"] == "内江市城乡居民最低生活保障金"
    # inherited amount with the city parameter: (640 - 600/3) * 3
    assert d.amount == Decimal("1320")


def test_other_city_applicant_is_screened_by_province_policy(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    d = ps.screen(family("511421"), policy="SC-MZ-001")
    assert (d.item, d.policy, d.outcome) == ("SC-MZ-001", "SC-MZ-001", "eligible")
    assert d.to_dict()["title"] == "城乡居民最低生活保障金"
    assert d.amount == Decimal("1200")


def test_override_keeps_kind_and_changes_condition(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    assert (
        ps.screen(family("511025", properties=homes(2)), policy="SC-MZ-001").outcome == "eligible"
    )
    d = ps.screen(family("511025", properties=homes(3)), policy="SC-MZ-001")
    assert d.outcome == "ineligible"
    assert [(r.rule, r.kind, r.message) for r in d.reasons] == [
        ("two_homes", "deny", "家庭拥有3套住房")
    ]
    d = ps.screen(family("511421", properties=homes(2)), policy="SC-MZ-001")
    assert [(r.rule, r.kind, r.message) for r in d.reasons] == [
        ("two_homes", "deny", "家庭拥有2套住房")
    ]


def test_child_adds_rule(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    biz = [{"role": "个体工商户"}]
    d = ps.screen(family("511025", businesses=biz), policy="SC-MZ-001")
    assert [(r.rule, r.kind) for r in d.reasons] == [("business_owner", "deny")]
    assert ps.screen(family("511421", businesses=biz), policy="SC-MZ-001").outcome == "eligible"


def test_child_drops_rule(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    rich = 10**6
    assert ps.screen(family("511025", deposits=rich), policy="SC-MZ-001").outcome == "eligible"
    d = ps.screen(family("511421", deposits=rich), policy="SC-MZ-001")
    assert [(r.rule, r.kind) for r in d.reasons] == [("large_deposit", "review")]


def test_inherited_rules_and_messages(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    d = ps.screen(family("511025", monthly_income=2100), policy="SC-MZ-001")
    assert [(r.rule, r.message) for r in d.reasons] == [
        ("low_income", "家庭月人均收入700元，须低于低保标准640元")
    ]
    facts = family("511025")
    facts["household"]["vehicles"] = None
    facts["household"]["businesses"] = None
    d = ps.screen(facts, policy="SC-MZ-001")
    assert [(u.rule, list(u.missing)) for u in d.unknown] == [
        ("business_owner", ["household.businesses"])
    ]


def test_override_let(tmp_path):
    child = NJ_MZ_001.replace('region: "511000"', 'region: "511000"\n    override let members = 2')
    ps = yktrules.load(dibao_folder(tmp_path, {"neijiang/dibao.ykt": child}))
    d = ps.screen(family("511025"), policy="SC-MZ-001")
    assert d.policy == "NJ-MZ-001"
    assert d.amount == Decimal("680")  # (640 - 600/2) * 2


def test_screen_with_child_code_resolves_from_item(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    d = ps.screen(family("511421"), policy="NJ-MZ-001")
    assert (d.item, d.policy) == ("SC-MZ-001", "SC-MZ-001")
    d = ps.screen(family("511025"), policy="NJ-MZ-001")
    assert (d.item, d.policy) == ("SC-MZ-001", "NJ-MZ-001")


@pytest.mark.parametrize("as_of", [date(2020, 12, 31), date(2031, 1, 1)])
def test_not_in_force_raises_no_policy_error(tmp_path, as_of):
    ps = yktrules.load(dibao_folder(tmp_path))
    with pytest.raises(yktrules.NoPolicyError):
        ps.screen(family("511025"), policy="SC-MZ-001", as_of=as_of)


def test_until_is_inclusive_and_effective_is_inclusive(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    for day in (date(2021, 1, 1), date(2030, 12, 31)):
        assert ps.screen(family("511421"), policy="SC-MZ-001", as_of=day).policy == "SC-MZ-001"


def test_no_policy_for_region(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path))
    with pytest.raises(yktrules.NoPolicyError):
        ps.screen(family("440305"), policy="SC-MZ-001")


def test_child_not_in_force_falls_back_to_parent(tmp_path):
    child = NJ_MZ_001.replace('region: "511000"', 'region: "511000"\n    effective: 2025-01-01')
    ps = yktrules.load(dibao_folder(tmp_path, {"neijiang/dibao.ykt": child}))
    assert ps.screen(family("511025"), policy="SC-MZ-001").policy == "SC-MZ-001"
    d = ps.screen(family("511025"), policy="SC-MZ-001", as_of=date(2025, 1, 1))
    assert d.policy == "NJ-MZ-001"


COUNTY = """\
policy "NJ-ZZ-MZ-001" "资中县低保" extends "NJ-MZ-001" {
    region: "511025"
    deny x "县规则": false
}
"""
SAME_REGION_DEEPER = """\
policy "NJ-MZ-001-B" "内江市低保补充" extends "NJ-MZ-001" {
    region: "511000"
}
"""


def test_smallest_region_wins(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path, {"zizhong/dibao.ykt": COUNTY}))
    assert ps.screen(family("511025"), policy="SC-MZ-001").policy == "NJ-ZZ-MZ-001"
    assert ps.screen(family("511011"), policy="SC-MZ-001").policy == "NJ-MZ-001"
    d = ps.screen(family("511025"), policy="NJ-ZZ-MZ-001")
    assert (d.item, d.policy) == ("SC-MZ-001", "NJ-ZZ-MZ-001")


def test_deepest_in_chain_wins_among_equal_regions(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path, {"neijiang/b.ykt": SAME_REGION_DEEPER}))
    assert ps.screen(family("511025"), policy="SC-MZ-001").policy == "NJ-MZ-001-B"


OTHER_ITEM = """\
policy "SC-XX-002" "另一项目" {
    region: "510000"
    effective: 2021-01-01
    require r "m": true
}
"""
GUIZHOU_ITEM = """\
policy "GZ-XX-001" "贵州项目" {
    region: "520000"
    effective: 2021-01-01
    require r "m": true
}
"""
FUTURE_ITEM = """\
policy "SC-XX-003" "未来项目" {
    region: "510000"
    effective: 2029-01-01
    require r "m": true
}
"""


def test_screen_all_one_decision_per_item_in_force(tmp_path):
    extra = {
        "a.ykt": OTHER_ITEM,
        "b.ykt": GUIZHOU_ITEM,
        "c.ykt": FUTURE_ITEM,
        "zizhong/dibao.ykt": COUNTY,
    }
    ps = yktrules.load(dibao_folder(tmp_path, extra))
    ds = ps.screen_all(family("511025"))
    got = sorted((d.item, d.policy) for d in ds)
    assert got == [("SC-MZ-001", "NJ-ZZ-MZ-001"), ("SC-XX-002", "SC-XX-002")]
    ds = ps.screen_all(family("511025"), as_of=date(2029, 6, 1))
    assert sorted(d.item for d in ds) == ["SC-MZ-001", "SC-XX-002", "SC-XX-003"]


# ---------------------------------------------------------------- §8 check errors


def _inherit_error(tmp_path, child_text, extra=None):
    files = {"neijiang/dibao.ykt": child_text}
    files.update(extra or {})
    with pytest.raises(yktrules.PolicyError) as ei:
        yktrules.load(dibao_folder(tmp_path, files))
    diags = ei.value.diagnostics
    assert diags and all(d.code and d.span.line >= 1 for d in diags)
    return diags


def test_adding_an_inherited_name_is_error(tmp_path):
    child = NJ_MZ_001.replace("deny business_owner", "deny two_homes")
    diags = _inherit_error(tmp_path, child.replace("    override two_homes", "    # "))
    assert any(d.span.file.endswith("neijiang/dibao.ykt") for d in diags)


def test_overriding_non_inherited_name_is_error(tmp_path):
    diags = _inherit_error(tmp_path, NJ_MZ_001.replace("override two_homes", "override three"))
    assert any(d.span.file.endswith("neijiang/dibao.ykt") and d.span.line == 3 for d in diags)


def test_overriding_non_inherited_let_is_error(tmp_path):
    child = NJ_MZ_001.replace('region: "511000"', 'region: "511000"\n    override let nope = 1')
    _inherit_error(tmp_path, child)


def test_dropping_non_inherited_name_is_error(tmp_path):
    diags = _inherit_error(tmp_path, NJ_MZ_001.replace("drop large_deposit", "drop huge"))
    assert any(d.span.file.endswith("neijiang/dibao.ykt") and d.span.line == 6 for d in diags)


def test_drop_without_justification_is_error(tmp_path):
    _inherit_error(tmp_path, NJ_MZ_001.replace(' "内江市不设存款人工核查"', ""))


def test_extending_unknown_code_is_error(tmp_path):
    diags = _inherit_error(
        tmp_path, NJ_MZ_001.replace('extends "SC-MZ-001"', 'extends "SC-MZ-999"')
    )
    assert any(d.span.line == 1 and "SC-MZ-999" in d.message for d in diags)


def test_extends_cycle_is_error(tmp_path):
    a = 'policy "A-1" "甲" extends "B-1" {\n    region: "511000"\n    effective: 2021-01-01\n}\n'
    b = 'policy "B-1" "乙" extends "A-1" {\n    region: "511000"\n    effective: 2021-01-01\n}\n'
    folder = write_policy_folder(tmp_path, {"a.ykt": a, "b.ykt": b}, None)
    with pytest.raises(yktrules.PolicyError) as ei:
        yktrules.load(folder)
    assert ei.value.diagnostics


def test_child_region_must_lie_within_parent(tmp_path):
    _inherit_error(tmp_path, NJ_MZ_001.replace('region: "511000"', 'region: "520100"'))


def test_policy_code_names_the_applied_policy(tmp_path):
    who = '    review who "{policy.region}": policy.code == "NJ-MZ-001"\n'
    parent = SC_MZ_001.replace("    amount:", who + "    amount:")
    ps = yktrules.load(dibao_folder(tmp_path, {"sichuan/dibao.ykt": parent}))
    d = ps.screen(family("511025"), policy="SC-MZ-001")
    assert [(r.rule, r.message) for r in d.reasons] == [("who", "511000")]
    assert ps.screen(family("511421"), policy="SC-MZ-001").outcome == "eligible"


def test_override_without_message_keeps_parent_message(tmp_path):
    child = NJ_MZ_001.replace(
        'override two_homes "家庭拥有{homes}套住房": homes >= 3', "override two_homes: homes >= 3"
    )
    ps = yktrules.load(dibao_folder(tmp_path, {"neijiang/dibao.ykt": child}))
    d = ps.screen(family("511025", properties=homes(3)), policy="SC-MZ-001")
    assert [(r.rule, r.kind, r.message) for r in d.reasons] == [
        ("two_homes", "deny", "家庭拥有3套住房")
    ]
    assert (
        ps.screen(family("511025", properties=homes(2)), policy="SC-MZ-001").outcome == "eligible"
    )


def test_override_with_new_message(tmp_path):
    child = NJ_MZ_001.replace(
        'override two_homes "家庭拥有{homes}套住房"', 'override two_homes "内江：{homes}套"'
    )
    ps = yktrules.load(dibao_folder(tmp_path, {"neijiang/dibao.ykt": child}))
    d = ps.screen(family("511025", properties=homes(4)), policy="SC-MZ-001")
    assert [r.message for r in d.reasons] == ["内江：4套"]


GRANDCHILD = """\
policy "NJ-ZZ-MZ-001" "资中县低保" extends "NJ-MZ-001" {
    region: "511025"
    override business_owner: count(household.businesses) >= 2
    drop low_income "资中县另行核定收入"
}
"""


def test_grandchild_overrides_and_drops_transitively_inherited(tmp_path):
    ps = yktrules.load(dibao_folder(tmp_path, {"zizhong/dibao.ykt": GRANDCHILD}))
    biz = [{"role": "股东"}]
    d = ps.screen(family("511025", businesses=biz, monthly_income=9000), policy="SC-MZ-001")
    assert (d.policy, d.outcome) == ("NJ-ZZ-MZ-001", "eligible")
    d = ps.screen(family("511025", businesses=biz * 2, properties=homes(3)), policy="SC-MZ-001")
    assert sorted(r.rule for r in d.reasons) == ["business_owner", "two_homes"]
    assert [r.kind for r in d.reasons] == ["deny", "deny"]
    # the city still applies low_income
    d = ps.screen(family("511011", monthly_income=9000), policy="SC-MZ-001")
    assert (d.policy, [r.rule for r in d.reasons]) == ("NJ-MZ-001", ["low_income"])


def test_self_extension_is_error(tmp_path):
    title = '"城乡居民最低生活保障金"'
    me = SC_MZ_001.replace(title + " {", title + ' extends "SC-MZ-001" {')
    with pytest.raises(yktrules.PolicyError):
        yktrules.load(dibao_folder(tmp_path, {"sichuan/dibao.ykt": me}))


TYPED_PARAMS = """\
s:
  title: 户籍类型
  type: string
  values:
    "510000":
      2021-01-01: 农村
d:
  title: 起始日
  type: date
  values:
    "510000":
      2021-01-01: 2021-06-01
b:
  title: 开关
  type: boolean
  values:
    "510000":
      2021-01-01: true
n:
  title: 人数
  type: integer
  values:
    "510000":
      2021-01-01: 3
"""


def test_typed_params(tmp_path):
    body = (
        'require r1 "m": applicant.hukou_type == param.s\n'
        'require r2 "m": as_of >= param.d\n'
        'require r3 "m": param.b and true\n'
        'require r4 "m": count(household.members) < param.n\n'
        'review show "{param.s}/{param.d}/{param.b}/{param.n}": true\n'
    )
    folder = write_policy_folder(tmp_path, policy_text(body), TYPED_PARAMS)
    ps = yktrules.load(folder)
    d = ps.screen(make_facts(), policy="T-001", as_of=date(2021, 7, 1))
    assert [(r.rule, r.message) for r in d.reasons] == [("show", "农村/2021-06-01/是/3")]
    d = ps.screen(make_facts(), policy="T-001", as_of=date(2021, 5, 1))
    assert [r.rule for r in d.reasons] == ["r2", "show"]


@pytest.mark.parametrize(
    "expr", ["param.s > 1", "param.d + 1 > 0", "param.b > 0", 'param.n == "3"']
)
def test_param_types_are_checked(tmp_path, expr):
    folder = write_policy_folder(tmp_path, policy_text(f'require r "m": {expr}'), TYPED_PARAMS)
    with pytest.raises(yktrules.PolicyError) as ei:
        yktrules.load(folder)
    assert any(
        d.span.file.endswith("policy.ykt") and d.span.line == 5 for d in ei.value.diagnostics
    )


@pytest.mark.parametrize("old,new,line", [("2021-06-01", "soon", 12), ("true", "maybe", 18)])
def test_param_value_type_errors(tmp_path, old, new, line):
    diags = _param_error(tmp_path, TYPED_PARAMS.replace(old, new))
    assert line in [d.span.line for d in diags]
