"""The facts boundary: models, validation, error reporting, ID and region helpers."""

from __future__ import annotations

import copy
import json
import pickle
import re
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AliasChoices, BaseModel, ValidationError

from yktrules.errors import FactsError
from yktrules.facts import (
    PROVINCE_CODES,
    Application,
    Benefit,
    Business,
    Disability,
    FactModel,
    Filing,
    Household,
    Person,
    PriorApplication,
    Property,
    Records,
    Vehicle,
    fact_field,
    facts_json_schema,
    id_check_digit,
    is_valid_id_number,
    is_valid_region_code,
    make_id_number,
    parse_facts,
)
from yktrules.facts.ids import id_birth_date, id_gender

ALL_MODELS: list[type[BaseModel]] = [
    Application,
    Filing,
    Person,
    Disability,
    Household,
    Property,
    Vehicle,
    Business,
    Records,
    Benefit,
    PriorApplication,
]

REGION = "511025"


def person(i: int, relation: str, gender: str = "男", **extra: Any) -> dict[str, Any]:
    birth = date(1960 + i, 3, 1)
    return {
        "id_number": make_id_number(REGION, birth, i, gender),
        "name": f"张{i}",
        "gender": gender,
        "birth_date": birth.isoformat(),
        "relation": relation,
        "hukou_region": REGION,
        "hukou_type": "农村",
        "alive": True,
        "in_custody": False,
        "public_servant": False,
        "monthly_income": "300.50",
        "pension_monthly": 120,
        "disability": {"certified": True, "category": "肢体", "grade": 2},
        "poverty_registered": False,
        "card_no": "6217000000000001",
        **extra,
    }


def make_doc() -> dict[str, Any]:
    """A typical application: applicant + 3 members, 1 property, 1 vehicle, 1 benefit."""
    return {
        "application": {"id": "A-001", "date": "2021-03-01", "region": REGION, "item": "SC-MZ-001"},
        "applicant": person(0, "本人"),
        "household": {
            "members": [person(0, "本人"), person(1, "配偶", "女"), person(2, "子女")],
            "monthly_income": "900",
            "properties": [{"kind": "住房", "area": "80.5", "region": REGION}],
            "vehicles": [{"kind": "摩托车", "value": 3000, "commercial": False}],
            "businesses": [],
            "deposits": "12000.00",
            "farmland_mu": "2.5",
        },
        "records": {
            "benefits": [
                {
                    "item": "SC-CJ-001",
                    "since": "2020-01-01",
                    "until": None,
                    "monthly_amount": "100",
                    "card_no": "6217000000000001",
                }
            ],
            "applications": [{"item": "SC-MZ-001", "date": "2019-05-01", "status": "已驳回"}],
        },
    }


def errors_of(data: Any, **kw: Any) -> list[dict[str, str]]:
    with pytest.raises(FactsError) as info:
        parse_facts(data, **kw)
    return info.value.errors


def by_path(errors: list[dict[str, str]]) -> dict[str, str]:
    return {e["path"]: e["message"] for e in errors}


def to_chinese_keys(data: Any, model: type[BaseModel]) -> Any:
    """Rename every key of a document to the field's Chinese name."""
    out = {}
    for key, value in data.items():
        field = model.model_fields[key]
        zh = field.json_schema_extra["zh"]  # type: ignore[index]
        sub = _sub_model(field.annotation)
        if sub is not None and isinstance(value, dict):
            value = to_chinese_keys(value, sub)
        elif sub is not None and isinstance(value, list):
            value = [to_chinese_keys(v, sub) for v in value]
        out[zh] = value
    return out


def _sub_model(ann: Any) -> type[BaseModel] | None:
    from yktrules.facts.validate import _sub_model as sub

    return sub(ann)


# --- valid documents ---------------------------------------------------------------------------


def test_valid_document_round_trips() -> None:
    doc = make_doc()
    app = parse_facts(doc)
    assert isinstance(app, Application)
    assert app.application.date == date(2021, 3, 1)
    assert app.household.members[1].gender == "女"
    assert app.household.monthly_income == Decimal("900")
    assert app.records is not None and app.records.benefits is not None
    assert app.records.benefits[0].until is None
    # JSON mode dump -> parse is the identity, and so is JSON text.
    dumped = app.model_dump(mode="json")
    assert dumped["household"]["deposits"] == "12000.00"
    assert parse_facts(dumped) == app
    assert parse_facts(json.dumps(dumped)) == app
    assert parse_facts(json.dumps(dumped).encode()) == app
    assert parse_facts(app.model_dump()) == app
    # Serialisation uses the English names.
    assert set(dumped) == {"application", "applicant", "household", "records"}


def test_instance_is_returned_as_is_and_models_are_frozen_and_picklable() -> None:
    app = parse_facts(make_doc())
    assert parse_facts(app) is app
    with pytest.raises(ValidationError):
        app.applicant.name = "李四"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(app)) == app


def test_chinese_keys_are_accepted() -> None:
    doc = make_doc()
    zh = to_chinese_keys(doc, Application)
    assert "申请人" in zh and "身份证号" in zh["申请人"] and "成员" in zh["家庭"]
    assert parse_facts(zh) == parse_facts(doc)
    # Mixed keys work too.
    mixed = copy.deepcopy(doc)
    mixed["家庭"] = mixed.pop("household")
    mixed["家庭"]["车辆"] = mixed["家庭"].pop("vehicles")
    assert parse_facts(mixed) == parse_facts(doc)


def test_unknown_keys_are_ignored() -> None:
    doc = make_doc()
    doc["whatever"] = {"x": 1}
    doc["applicant"]["nickname"] = "阿三"
    assert parse_facts(doc) == parse_facts(make_doc())


def test_absent_null_and_empty_list_are_distinct() -> None:
    doc = make_doc()
    del doc["household"]["vehicles"]  # absent: unknown
    doc["household"]["properties"] = None  # null: unknown
    doc["household"]["businesses"] = []  # empty: none
    del doc["records"]
    doc["applicant"]["disability"] = None
    del doc["applicant"]["alive"]
    app = parse_facts(doc)
    assert app.household.vehicles is None
    assert app.household.properties is None
    assert app.household.businesses == []
    assert app.records is None
    assert app.applicant.disability is None
    assert app.applicant.alive is None
    # false is a value, not unknown
    assert app.applicant.in_custody is False


# --- decimals --------------------------------------------------------------------------------


def test_float_is_taken_by_its_shortest_repr() -> None:
    doc = make_doc()
    doc["household"]["deposits"] = 0.1
    doc["applicant"]["monthly_income"] = 0.30000000000000004
    app = parse_facts(doc)
    assert app.household.deposits == Decimal("0.1")
    assert type(app.household.deposits) is Decimal
    assert str(app.household.deposits) == "0.1"
    assert app.applicant.monthly_income == Decimal("0.30000000000000004")


def test_json_text_numbers_stay_exact() -> None:
    doc = make_doc()
    text = json.dumps(doc)
    text = text.replace('"12000.00"', "600.50")
    text = text.replace('"2.5"', "0.1000000000000000055511151231257827")
    text = text.replace('"80.5"', "1E+2")
    app = parse_facts(text)
    assert str(app.household.deposits) == "600.50"
    assert app.household.farmland_mu == Decimal("0.1000000000000000055511151231257827")
    assert str(app.household.farmland_mu) == "0.1000000000000000055511151231257827"
    assert app.household.properties is not None
    assert app.household.properties[0].area == Decimal(100)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (600, Decimal(600)),
        ("600.50", Decimal("600.50")),
        (Decimal("1.25"), Decimal("1.25")),
        ("0", Decimal(0)),
        ("-0.00", Decimal("-0.00")),  # numerically zero: not negative
        ("1e3", Decimal("1E+3")),
        ("1_000", Decimal("1000")),  # Python decimal syntax, as pydantic-core parses it
    ],
)
def test_money_accepts(value: Any, ok: Decimal) -> None:
    doc = make_doc()
    doc["household"]["deposits"] = value
    got = parse_facts(doc).household.deposits
    assert got == ok and str(got) == str(ok)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "不能为负数"),
        ("-0.01", "不能为负数"),
        (Decimal("-5"), "不能为负数"),
        (-0.5, "不能为负数"),
        (True, "应为数字"),
        ("abc", "应为数字"),
        ("", "应为数字"),
        ([1], "应为数字"),
        (float("nan"), "应为有限的数字"),
        (float("inf"), "应为有限的数字"),
        ("NaN", "应为有限的数字"),
        ("Infinity", "应为有限的数字"),
        (Decimal("NaN"), "应为有限的数字"),
    ],
)
def test_money_rejects(value: Any, message: str) -> None:
    doc = make_doc()
    doc["household"]["deposits"] = value
    assert errors_of(doc) == [{"path": "household.deposits", "message": message}]


def test_nan_in_json_text_is_rejected_with_its_path() -> None:
    text = json.dumps(make_doc()).replace('"12000.00"', "NaN")
    assert by_path(errors_of(text)) == {"household.deposits": "应为有限的数字"}


# --- dates, booleans, enums, strings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2021-02-30", "日期不存在：2021-02-30"),
        ("2021-13-01", "日期不存在：2021-13-01"),
        ("2021/03/01", "应为日期，格式 YYYY-MM-DD"),
        ("20210301", "应为日期，格式 YYYY-MM-DD"),
        ("2021-3-1", "应为日期，格式 YYYY-MM-DD"),
        ("2021-03-01T00:00:00", "应为日期，格式 YYYY-MM-DD"),
        (1614556800, "应为日期，格式 YYYY-MM-DD"),
        (datetime(2021, 3, 1), "应为日期（不含时间），格式 YYYY-MM-DD"),
        (None, "应为日期，格式 YYYY-MM-DD"),
    ],
)
def test_bad_dates(value: Any, message: str) -> None:
    doc = make_doc()
    doc["application"]["date"] = value
    assert errors_of(doc) == [{"path": "application.date", "message": message}]


def test_date_objects_are_accepted() -> None:
    doc = make_doc()
    doc["application"]["date"] = date(2021, 3, 1)
    assert parse_facts(doc).application.date == date(2021, 3, 1)


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "1"])
def test_booleans_are_strict(value: Any) -> None:
    doc = make_doc()
    doc["household"]["vehicles"][0]["commercial"] = value
    assert errors_of(doc) == [
        {"path": "household.vehicles[0].commercial", "message": "应为 true/false"}
    ]


def test_enum_message_lists_the_allowed_values() -> None:
    doc = make_doc()
    doc["applicant"]["gender"] = "M"
    doc["household"]["properties"][0]["kind"] = "别墅"
    doc["applicant"]["hukou_type"] = "城市"
    assert by_path(errors_of(doc)) == {
        "applicant.gender": "取值须为以下之一：男、女",
        "applicant.hukou_type": "取值须为以下之一：城镇、农村",
        "household.properties[0].kind": "取值须为以下之一：住房、商铺、车库、宅基地房、其他",
    }


def test_disability_grade() -> None:
    doc = make_doc()
    doc["applicant"]["disability"]["grade"] = 5
    doc["household"]["members"][0]["disability"]["grade"] = True
    doc["household"]["members"][1]["disability"]["grade"] = 0
    assert by_path(errors_of(doc)) == {
        "applicant.disability.grade": "应不大于 4",
        "household.members[0].disability.grade": "应为整数",
        "household.members[1].disability.grade": "应不小于 1",
    }


def test_name_must_not_be_empty_and_strings_must_be_strings() -> None:
    doc = make_doc()
    doc["applicant"]["name"] = ""
    doc["household"]["members"][0]["name"] = "  "
    doc["application"]["id"] = 17
    assert by_path(errors_of(doc)) == {
        "application.id": "应为字符串",
        "applicant.name": "不能为空",
        "household.members[0].name": "不能为空",
    }


# --- error reporting ----------------------------------------------------------------------------


def test_all_errors_are_reported_at_once_with_paths() -> None:
    doc = make_doc()
    doc["applicant"]["birth_date"] = "1960-02-30"
    doc["applicant"]["id_number"] = doc["applicant"]["id_number"][:17] + "0"
    del doc["household"]["members"][1]["name"]
    doc["household"]["members"][2]["hukou_region"] = "99100"
    doc["household"]["deposits"] = -1
    doc["household"]["vehicles"] = {"kind": "货车"}
    doc["records"]["applications"][0]["status"] = "通过"
    errors = errors_of(doc)
    expected_id = id_check_digit(doc["applicant"]["id_number"][:17])
    assert errors == [
        {"path": "applicant.id_number", "message": f"身份证号码校验位错误：应为 {expected_id}"},
        {"path": "applicant.birth_date", "message": "日期不存在：1960-02-30"},
        {"path": "household.members[1].name", "message": "缺少必填字段"},
        {"path": "household.members[2].hukou_region", "message": "行政区划代码须为6位数字"},
        {"path": "household.vehicles", "message": "应为列表（JSON 数组）"},
        {"path": "household.deposits", "message": "不能为负数"},
        {
            "path": "records.applications[0].status",
            "message": "取值须为以下之一：审核中、已批准、已驳回",
        },
    ]
    # str() is the readable summary
    with pytest.raises(FactsError, match=r"7 处错误"):
        parse_facts(doc)


def test_paths_are_english_when_input_uses_chinese_keys() -> None:
    zh = to_chinese_keys(make_doc(), Application)
    zh["申请人"]["性别"] = "X"
    del zh["家庭"]["成员"][0]["姓名"]
    zh["家庭"]["存款"] = "-3"
    zh["记录"]["在享补贴"][0]["起始日期"] = "2020-01"
    zh["申请"]["申请地"] = "990000"
    assert by_path(errors_of(zh)) == {
        "application.region": "行政区划代码的省级部分 99 不存在",
        "applicant.gender": "取值须为以下之一：男、女",
        "household.members[0].name": "缺少必填字段",
        "household.deposits": "不能为负数",
        "records.benefits[0].since": "应为日期，格式 YYYY-MM-DD",
    }


def test_missing_sections_and_wrong_section_types() -> None:
    assert by_path(errors_of({})) == {
        "application": "缺少必填字段",
        "applicant": "缺少必填字段",
        "household": "缺少必填字段",
    }
    doc = make_doc()
    doc["applicant"] = "张三"
    doc["records"] = []
    assert by_path(errors_of(doc)) == {
        "applicant": "应为对象（JSON 对象）",
        "records": "应为对象（JSON 对象）",
    }


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"application": ', "第 1 行第 17 列"),
        ("{\n  'a': 1\n}", "第 2 行第 3 列"),
        ("", "第 1 行第 1 列"),
        ('{"a": 1} x', "多余内容"),
    ],
)
def test_bad_json(text: str, fragment: str) -> None:
    errors = errors_of(text)
    assert len(errors) == 1
    assert errors[0]["path"] == ""
    assert errors[0]["message"].startswith("JSON 格式错误")
    assert fragment in errors[0]["message"]


def test_bad_bytes() -> None:
    assert errors_of(b'{"a": "\xff"}') == [
        {"path": "", "message": "JSON 文本不是有效的 UTF-8 编码"}
    ]


@pytest.mark.parametrize("value", [None, 3, [1, 2], "[1, 2]", "null", "true", 1.5, ("a",)])
def test_non_object_top_level(value: Any) -> None:
    errors = errors_of(value)
    assert len(errors) == 1
    assert errors[0]["path"] == ""
    assert "应为 JSON 对象" in errors[0]["message"]


def test_instance_of_another_model_is_rejected() -> None:
    app = parse_facts(make_doc())
    errors = errors_of(app.applicant)
    assert errors[0]["path"] == ""
    assert "Person" in errors[0]["message"]


def test_facts_error_is_picklable() -> None:
    with pytest.raises(FactsError) as info:
        parse_facts({})
    again = pickle.loads(pickle.dumps(info.value))
    assert again.errors == info.value.errors
    assert str(again) == str(info.value)


# --- extending the schema -----------------------------------------------------------------------


class MyPerson(Person):
    employer: str | None = fact_field(
        "employer", "工作单位", "工作单位", source="人社", default=None
    )


class MyHousehold(Household):
    members: list[MyPerson] = fact_field("members", "成员", "家庭成员")


class MyApplication(Application):
    channel: str | None = None
    applicant: MyPerson = fact_field("applicant", "申请人", "申请人")
    household: MyHousehold = fact_field("household", "家庭", "家庭")


def test_subclassed_schema() -> None:
    doc = make_doc()
    doc["channel"] = "窗口"
    doc["household"]["members"][2]["工作单位"] = "某厂"
    app = parse_facts(doc, schema=MyApplication)
    assert isinstance(app, MyApplication)
    assert app.channel == "窗口"
    assert app.household.members[2].employer == "某厂"
    assert parse_facts(app, schema=MyApplication) is app
    assert parse_facts(app) is app  # a MyApplication is an Application
    # An Application is not a MyApplication.
    base = parse_facts(make_doc())
    assert errors_of(base, schema=MyApplication)[0]["path"] == ""
    # Errors in extended models still get English paths.
    doc["household"]["members"][2]["工作单位"] = 5
    assert by_path(errors_of(doc, schema=MyApplication)) == {
        "household.members[2].employer": "应为字符串"
    }
    schema = facts_json_schema(MyApplication)
    assert schema["$defs"]["MyPerson"]["properties"]["employer"]["zh"] == "工作单位"


# --- ID numbers ----------------------------------------------------------------------------------


def test_id_check_digit_known_values() -> None:
    # The GB 11643 example number.
    assert id_check_digit("11010519491231002") == "X"
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("11010519491231002x")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("11010519491231002")
    assert not is_valid_id_number("11010519491231002XX")
    assert not is_valid_id_number("1101051949123100２X")
    assert not is_valid_id_number(None)
    with pytest.raises(ValueError):
        id_check_digit("123")


def test_id_number_in_document() -> None:
    doc = make_doc()
    doc["applicant"]["id_number"] = "11010519491231002x"
    assert parse_facts(doc).applicant.id_number == "11010519491231002X"
    doc["applicant"]["id_number"] = "110105194912310020"
    doc["household"]["members"][0]["id_number"] = "1101051949123100"
    doc["household"]["members"][1]["id_number"] = "11010519491231002Y"
    doc["household"]["members"][2]["id_number"] = 110105194912310020
    assert by_path(errors_of(doc)) == {
        "applicant.id_number": "身份证号码校验位错误：应为 X",
        "household.members[0].id_number": "身份证号码应为18位，实际为16位",
        "household.members[1].id_number": "身份证号码应为17位数字加1位校验码（数字或X）",
        "household.members[2].id_number": "应为字符串",
    }


@given(
    region=st.sampled_from(["110105", "510000", "511025", "650102", "820000"]),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)),
    seq=st.integers(0, 499),
    gender=st.sampled_from(["男", "女"]),
)
def test_make_id_number_is_always_valid(region: str, birth: date, seq: int, gender: str) -> None:
    s = make_id_number(region, birth, seq, gender)
    assert len(s) == 18
    assert is_valid_id_number(s)
    assert s[:6] == region
    assert id_birth_date(s) == birth
    assert id_gender(s) == gender


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)),
    seq=st.integers(0, 499),
    gender=st.sampled_from(["男", "女"]),
    pos=st.integers(0, 17),
    delta=st.integers(1, 10),
)
def test_any_single_substitution_is_caught(
    birth: date, seq: int, gender: str, pos: int, delta: int
) -> None:
    s = make_id_number("511025", birth, seq, gender)
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    if pos < 17:
        delta = delta % 10 or 1
    old = alphabet.index(s[pos])
    new = alphabet[(old + delta) % len(alphabet)]
    assert new != s[pos]
    mutated = s[:pos] + new + s[pos + 1 :]
    assert not is_valid_id_number(mutated)


def test_make_id_number_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        make_id_number("991000", date(1980, 1, 1), 1, "男")
    with pytest.raises(ValueError):
        make_id_number("510000", date(1980, 1, 1), 500, "男")
    with pytest.raises(ValueError):
        make_id_number("510000", date(1980, 1, 1), 1, "M")


# --- region codes --------------------------------------------------------------------------------


def test_region_codes() -> None:
    assert len(PROVINCE_CODES) == 34
    for code in ["110000", "510000", "511025", "710000", "810000", "820000", "650102"]:
        assert is_valid_region_code(code), code
    for code in [
        "99000",
        "9900000",
        "990000",
        "000000",
        "16000a",
        "５１００００",
        "510000\n",
        510000,
    ]:
        assert not is_valid_region_code(code), code


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("51000", "行政区划代码须为6位数字"),
        ("51000a", "行政区划代码须为6位数字"),
        ("５１００００", "行政区划代码须为6位数字"),
        ("160000", "行政区划代码的省级部分 16 不存在"),
        ("000000", "行政区划代码的省级部分 00 不存在"),
        (510000, "应为字符串"),
    ],
)
def test_region_code_in_document(value: Any, message: str) -> None:
    doc = make_doc()
    doc["household"]["properties"][0]["region"] = value
    assert errors_of(doc) == [{"path": "household.properties[0].region", "message": message}]


# --- metadata and JSON Schema ------------------------------------------------------------------

_ZH_NAME = re.compile(r"[\u4e00-\u9fff_][\u4e00-\u9fff0-9_]*")


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_field_metadata(model: type[BaseModel]) -> None:
    assert _ZH_NAME.fullmatch(model.model_config["json_schema_extra"]["zh"])  # type: ignore[index]
    zh_names = []
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        assert isinstance(extra, dict), name
        assert set(extra) - {"pii"} == {"zh", "source"}, name
        assert extra.get("pii", "id") in ("id", "name", "card"), name
        assert _ZH_NAME.fullmatch(str(extra["zh"])), name
        assert field.description, name
        assert isinstance(field.validation_alias, AliasChoices)
        assert field.validation_alias.choices == [name, extra["zh"]]
        zh_names.append(extra["zh"])
    assert len(zh_names) == len(set(zh_names)), f"duplicate Chinese names in {model.__name__}"


def test_nullable_fields_default_to_none_and_others_are_required() -> None:
    for model in ALL_MODELS:
        for name, field in model.model_fields.items():
            nullable = type(None) in typing.get_args(field.annotation)
            if nullable:
                assert field.default is None, (model.__name__, name)
            else:
                assert field.is_required(), (model.__name__, name)


def test_json_schema_has_chinese_names_and_sources() -> None:
    schema = facts_json_schema()
    assert schema["zh"] == "申请材料"
    props = schema["properties"]
    assert props["applicant"]["zh"] == "申请人"
    person = schema["$defs"]["Person"]
    assert person["zh"] == "人员"
    assert person["properties"]["id_number"]["zh"] == "身份证号"
    assert person["properties"]["disability"]["source"] == "残联"
    assert schema["$defs"]["Household"]["properties"]["properties"]["source"] == "不动产"
    assert schema["$defs"]["Filing"]["properties"]["date"]["source"] == "一卡通平台"
    assert schema["$defs"]["Filing"]["properties"]["date"]["format"] == "date"
    assert set(schema["required"]) == {"application", "applicant", "household"}
    deposits = schema["$defs"]["Household"]["properties"]["deposits"]
    assert {"type": "number", "minimum": 0} in deposits["anyOf"]
    assert {"type": "null"} in deposits["anyOf"]
    text = json.dumps(schema, ensure_ascii=False)
    assert '"ge"' not in text
    # Every model and every field carries its Chinese name.
    for model in ALL_MODELS:
        d = schema if model is Application else schema["$defs"][model.__name__]
        assert "zh" in d
        for prop in d["properties"].values():
            assert "zh" in prop and "source" in prop
    # A copy each time: callers may mutate it.
    schema["zh"] = "x"
    assert facts_json_schema()["zh"] == "申请材料"


# --- robustness ----------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.decimals()
    | st.text(max_size=20)
    | st.dates().map(str),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)

_PATHS: list[tuple[Any, ...]] = [
    ("application",),
    ("application", "date"),
    ("application", "region"),
    ("applicant",),
    ("applicant", "id_number"),
    ("applicant", "disability"),
    ("applicant", "monthly_income"),
    ("household",),
    ("household", "members"),
    ("household", "members", 0),
    ("household", "members", 1, "birth_date"),
    ("household", "properties"),
    ("household", "vehicles", 0, "value"),
    ("records",),
    ("records", "benefits", 0),
    ("records", "benefits", 0, "since"),
]


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(_PATHS), value=_json_values)
def test_any_value_anywhere_gives_a_model_or_facts_error(path: tuple[Any, ...], value: Any) -> None:
    doc: Any = make_doc()
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    try:
        parse_facts(doc)
    except FactsError as exc:
        assert exc.errors
        for e in exc.errors:
            assert set(e) == {"path", "message"}
            assert isinstance(e["path"], str) and e["message"]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=50) | st.binary(max_size=50))
def test_any_text_gives_a_model_or_facts_error(text: str | bytes) -> None:
    try:
        parse_facts(text)
    except FactsError as exc:
        assert exc.errors


def test_base_model_helpers_are_public() -> None:
    class Extra(FactModel):
        note: str = fact_field("note", "备注", "备注")

    assert Extra.model_validate({"备注": "x"}).note == "x"
    assert Extra.model_fields["note"].json_schema_extra == {"zh": "备注", "source": None}
