"""Contract tests: LANGUAGE.md §9 (static checking), FACTS.md Chinese field names."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import yktrules
from spec_helpers import (
    DEFAULT_PARAMS,
    _mutations,
    load_body,
    make_facts,
    policy_text,
    write_policy_folder,
)

CLI = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "yktrules")
L0 = 4  # body line k of policy_text() is file line L0 + k


def errors_of(tmp_path, body, params=DEFAULT_PARAMS, **kw):
    with pytest.raises(yktrules.PolicyError) as ei:
        load_body(tmp_path, body, params, **kw)
    diags = list(ei.value.diagnostics)
    assert diags
    for d in diags:
        assert d.code and isinstance(d.code, str)
        assert d.message
        assert d.span.file.endswith(".ykt") or d.span.file.endswith(".yaml")
        assert d.span.line >= 1 and d.span.col >= 1
    return ei.value, diags


def text_of(d):
    return f"{d.message} {getattr(d, 'hint', '') or ''}"


# ---------------------------------------------------------------- each listed check


def test_unknown_field_with_suggestion(tmp_path):
    _, diags = errors_of(tmp_path, 'require r "m": applicant.birth_dat < 2000-01-01\n')
    assert len(diags) == 1
    d = diags[0]
    assert d.span.file.endswith("policy.ykt")
    assert d.span.line == L0 + 1
    assert d.span.col in (20, 30)  # start of the path or of the bad field
    assert "birth_date" in text_of(d)


def test_unknown_name_with_suggestion(tmp_path):
    _, diags = errors_of(tmp_path, 'require r "m": exists(househld.vehicles)\n')
    assert any("household" in text_of(d) for d in diags), diags


def test_unknown_let_name_with_suggestion(tmp_path):
    _, diags = errors_of(tmp_path, 'let per_capita = 1\nrequire r "m": per_capita2 > 0\n')
    assert any("per_capita" in text_of(d) and d.span.line == L0 + 2 for d in diags), diags


def test_let_using_later_let_is_error(tmp_path):
    errors_of(tmp_path, 'let a = b + 1\nlet b = 2\nrequire r "m": a > 0\n')


@pytest.mark.parametrize(
    "expr",
    [
        "applicant.birth_date > 80",
        'household.deposits + "a" > 0',
        "count(household.deposits) > 0",
        "age(600) > 1",
        '"a" < "b"',
        "household.deposits and true",
    ],
)
def test_wrong_types(tmp_path, expr):
    _, diags = errors_of(tmp_path, f'require r "m": {expr}\n')
    assert all(d.span.line == L0 + 1 for d in diags), diags


def test_enum_value_not_allowed_lists_values(tmp_path):
    _, diags = errors_of(tmp_path, 'require r "m": applicant.gender == "M"\n')
    t = " ".join(text_of(d) for d in diags)
    assert "男" in t and "女" in t, t


def test_enum_value_in_filter(tmp_path):
    _, diags = errors_of(tmp_path, 'deny r "m": exists(household.properties[kind == "房子"])\n')
    t = " ".join(text_of(d) for d in diags)
    for v in ("住房", "商铺", "车库", "宅基地房", "其他"):
        assert v in t, t


def test_enum_value_in_list(tmp_path):
    errors_of(tmp_path, 'require r "m": applicant.hukou_type in ["城镇", "乡村"]\n')


@pytest.mark.parametrize("expr", ["1 + 2", '"yes"', "household.deposits", "2021-01-01"])
def test_non_boolean_rule(tmp_path, expr):
    _, diags = errors_of(tmp_path, f'review r "m": {expr}\n')
    assert {d.span.line for d in diags} == {L0 + 1}


@pytest.mark.parametrize("expr", ["true", '"600"', "2021-01-01", "household.properties"])
def test_non_decimal_amount(tmp_path, expr):
    _, diags = errors_of(tmp_path, f'require r "m": true\namount: {expr}\n')
    assert {d.span.line for d in diags} == {L0 + 2}


def test_two_amounts_is_error(tmp_path):
    errors_of(tmp_path, "amount: 1\namount: 2\n")


def test_duplicate_rule_names(tmp_path):
    _, diags = errors_of(tmp_path, 'require r "m": true\ndeny r "n": false\n')
    assert {d.span.line for d in diags} == {L0 + 2}


def test_unknown_metadata_key(tmp_path):
    _, diags = errors_of(tmp_path, 'require r "m": true', extra_meta='colour: "red"')
    assert {d.span.line for d in diags} == {4}


def test_invalid_period(tmp_path):
    errors_of(tmp_path, 'require r "m": true', extra_meta="period: weekly")


@pytest.mark.parametrize("region", ["51000", "5100AB", "5100000", "x"])
def test_bad_region_code(tmp_path, region):
    _, diags = errors_of(tmp_path, 'require r "m": true', region=region)
    assert {d.span.line for d in diags} == {2}


@pytest.mark.parametrize("meta", ["effective", "until"])
def test_bad_metadata_date(tmp_path, meta):
    if meta == "effective":
        _, diags = errors_of(tmp_path, 'require r "m": true', effective="2021-02-30")
        assert {d.span.line for d in diags} == {3}
    else:
        _, diags = errors_of(tmp_path, 'require r "m": true', extra_meta="until: 2030-02-30")
        assert {d.span.line for d in diags} == {4}


@pytest.mark.parametrize("missing", ["region", "effective"])
def test_required_metadata(tmp_path, missing):
    text = policy_text('require r "m": true')
    text = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith(missing + ":"))
    folder = write_policy_folder(tmp_path, text + "\n")
    with pytest.raises(yktrules.PolicyError):
        yktrules.load(folder)


def test_interpolation_of_unknown_name(tmp_path):
    _, diags = errors_of(tmp_path, 'review r "值为{nope}": true\n')
    assert all(d.span.line == L0 + 1 for d in diags)
    assert any("nope" in text_of(d) for d in diags)


def test_interpolation_of_unknown_fact_path(tmp_path):
    _, diags = errors_of(tmp_path, 'review r "值为{household.depo}": true\n')
    assert any("deposits" in text_of(d) for d in diags), diags


def test_interpolation_of_undeclared_param(tmp_path):
    errors_of(tmp_path, 'review r "值为{param.nope}": true\n')


def test_duplicate_policy_code(tmp_path):
    a = policy_text('require r "m": true')
    folder = write_policy_folder(tmp_path, {"a.ykt": a, "b.ykt": a})
    with pytest.raises(yktrules.PolicyError):
        yktrules.load(folder)


# ---------------------------------------------------------------- several errors, formatting


MANY = """\
require a "m": applicant.birth_date > 80
require b "m": household.depositz > 0
review c "m": 1 + 1
amount: true
"""


def test_all_errors_of_a_file_are_reported(tmp_path):
    _, diags = errors_of(tmp_path, MANY)
    assert sorted({d.span.line for d in diags}) == [L0 + 1, L0 + 2, L0 + 3, L0 + 4]


def test_errors_of_several_files_are_reported(tmp_path):
    a = policy_text('require r "m": applicant.birth_date > 80', code="A-1")
    b = policy_text('require r "m": household.depositz > 0', code="B-1")
    folder = write_policy_folder(tmp_path, {"a.ykt": a, "sub/b.ykt": b})
    with pytest.raises(yktrules.PolicyError) as ei:
        yktrules.load(folder)
    files = {Path(d.span.file).name for d in ei.value.diagnostics}
    assert files == {"a.ykt", "b.ykt"}


def test_str_of_policy_error_format(tmp_path):
    err, diags = errors_of(tmp_path, 'require r "m": applicant.birth_dat < 2000-01-01\n')
    s = str(err)
    d = diags[0]
    head = f"{d.span.file}:{d.span.line}:{d.span.col}: error[{d.code}]:"
    assert head in s, s
    lines = s.splitlines()
    i = next(k for k, ln in enumerate(lines) if head in ln)
    rest = lines[i + 1 : i + 6]
    src = next(k for k, ln in enumerate(rest) if "applicant.birth_dat" in ln)
    caret = rest[src + 1]
    assert set(caret.strip()) <= {"^", "~"} and "^" in caret
    # the caret sits under the offending span
    assert rest[src][caret.index("^") :].startswith(("applicant", "birth_dat"))


def test_str_of_policy_error_matches_cli_check(tmp_path):
    err, _ = errors_of(tmp_path, MANY)
    folder = tmp_path / "pol"
    r = subprocess.run([CLI, "check", str(folder)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    for ln in str(err).splitlines():
        if "error[" in ln:
            assert ln in r.stdout + r.stderr


# ---------------------------------------------------------------- warnings


WARN_BODIES = {
    "unused_let": 'let unused = 1\nrequire r "m": true\n',
    "never_true": 'deny r "m": 1 > 2\n',
    "shadowing_filter_field": 'let kind = "商铺"\n'
    'deny r "m": count(household.properties[kind == "住房"]) >= 2\n',
}


@pytest.mark.parametrize("name", list(WARN_BODIES))
def test_warnings_do_not_fail_load(tmp_path, name):
    ps = load_body(tmp_path, WARN_BODIES[name])
    assert ps.screen(make_facts(), policy="T-001").outcome == "eligible"


@pytest.mark.parametrize("name", list(WARN_BODIES))
def test_cli_check_reports_warnings_with_exit_0(tmp_path, name):
    folder = write_policy_folder(tmp_path, policy_text(WARN_BODIES[name]))
    r = subprocess.run([CLI, "check", str(folder)], capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert re.search(r"policy\.ykt:5:\d+: warning", out), out
    assert "error[" not in out


def test_shadowing_filter_field_means_the_field(tmp_path):
    # inside the brackets the element's field wins (hence the warning)
    facts = make_facts({"household": {"properties": [{"kind": "住房"}, {"kind": "住房"}]}})
    d = load_body(tmp_path, WARN_BODIES["shadowing_filter_field"]).screen(facts, policy="T-001")
    assert d.outcome == "ineligible"


# ---------------------------------------------------------------- Chinese field names


def _zh():
    s = yktrules.facts_json_schema()
    root = {k: v["zh"] for k, v in s["properties"].items()}
    hh = {k: v["zh"] for k, v in s["$defs"]["Household"]["properties"].items()}
    prop = {k: v["zh"] for k, v in s["$defs"]["Property"]["properties"].items()}
    person = {k: v["zh"] for k, v in s["$defs"]["Person"]["properties"].items()}
    return root, hh, prop, person


def test_schema_has_chinese_names():
    root, hh, prop, person = _zh()
    names = list(root.values()) + list(hh.values()) + list(prop.values()) + list(person.values())
    assert all(isinstance(n, str) and n for n in names)
    assert len(set(hh.values())) == len(hh)


def test_chinese_paths_equal_english(tmp_path):
    root, hh, prop, person = _zh()
    zh = f'count({root["household"]}.{hh["properties"]}[{prop["kind"]} == "住房"])'
    en = 'count(household.properties[kind == "住房"])'
    facts = make_facts(
        {"household": {"properties": [{"kind": "住房"}, {"kind": "住房"}, {"kind": "商铺"}]}}
    )
    body = (
        f'let zh = {zh}\nlet en = {en}\nreview r "{{zh}}/{{en}}": zh == en\n'
        f'deny d "出生{{{root["applicant"]}.{person["birth_date"]}}}":\n'
        f"    {root['applicant']}.{person['birth_date']} > applicant.birth_date\n"
    )
    d = load_body(tmp_path, body).screen(facts, policy="T-001")
    assert [(r.rule, r.message) for r in d.reasons] == [("r", "2/2")]


def test_chinese_missing_path_reported_in_english(tmp_path):
    root, hh, _, _ = _zh()
    body = f'deny car "有车": exists({root["household"]}.{hh["vehicles"]})\n'
    d = load_body(tmp_path, body).screen(
        make_facts({"household": {"vehicles": None}}), policy="T-001"
    )
    assert [list(u.missing) for u in d.unknown] == [["household.vehicles"]]


def test_chinese_unknown_field_is_error(tmp_path):
    root, _, _, _ = _zh()
    errors_of(tmp_path, f'require r "m": exists({root["household"]}.不存在的字段)\n')


# ---------------------------------------------------------------- robustness


HEAD = 'policy "X" "标题" {\n    region: "510000"\n    effective: 2021-01-01\n'
MALFORMED = [
    "policy",
    'policy "X" {',
    'policy "X" "标题" {\n    region: "510000"\n',
    HEAD + '    require r "m: true\n}\n',
    HEAD + '    require r "m": (1 +\n}\n',
    "}}}}{{{{",
    "\x00\x01\x02",
    'policy "X" "标题" extends {\n}\n',
    'policy "X" "标题" {\n    let = 1\n}\n',
    'policy "X" "标题" {\n    region: 510000\n    effective: "2021-01-01"\n}\n',
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_input_gives_policy_error(tmp_path, text):
    folder = write_policy_folder(tmp_path, {"bad.ykt": text}, None)
    with pytest.raises(yktrules.PolicyError) as ei:
        yktrules.load(folder)
    assert ei.value.diagnostics


def test_empty_file_does_not_crash(tmp_path):
    # an empty .ykt holds no policy: either accepted or a PolicyError, never a crash
    folder = write_policy_folder(tmp_path, {"empty.ykt": ""}, None)
    try:
        yktrules.load(folder)
    except yktrules.PolicyError as e:
        assert e.diagnostics


def test_truncated_policies_never_crash(tmp_path):
    from spec_helpers import DIBAO_PARAMS, SC_MZ_001

    for i, cut in enumerate(range(0, len(SC_MZ_001), 13)):
        folder = write_policy_folder(tmp_path / str(i), {"p.ykt": SC_MZ_001[:cut]}, DIBAO_PARAMS)
        try:
            yktrules.load(folder)
        except yktrules.PolicyError as e:
            assert e.diagnostics, cut


def test_mutated_policies_never_crash(tmp_path):
    from spec_helpers import DIBAO_PARAMS, NJ_MZ_001, SC_MZ_001

    for i, text in enumerate(_mutations(SC_MZ_001 + NJ_MZ_001, 300, 1234)):
        folder = write_policy_folder(tmp_path / str(i), {"p.ykt": text}, DIBAO_PARAMS)
        try:
            yktrules.load(folder)
        except yktrules.PolicyError as e:
            assert e.diagnostics, text
            str(e)


def test_mutated_param_files_never_crash(tmp_path):
    from spec_helpers import DIBAO_PARAMS, SC_MZ_001

    for i, text in enumerate(_mutations(DIBAO_PARAMS, 200, 99)):
        folder = write_policy_folder(tmp_path / str(i), {"p.ykt": SC_MZ_001}, text)
        try:
            yktrules.load(folder)
        except yktrules.PolicyError as e:
            assert e.diagnostics, text
            str(e)
