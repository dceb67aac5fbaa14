"""The standard facts document (FACTS.md, contract v1) as pydantic v2 models.

Every field accepts its English name or its Chinese name as input key
(``validation_alias=AliasChoices(en, zh)``) and serialises under the English name.  Each
field's ``json_schema_extra`` holds ``{"zh": <Chinese name>, "source": <department or None>}``
and each model's holds ``{"zh": <Chinese name>}``.  A field that may be ``None`` defaults to
``None``: absent and ``null`` both mean *unknown*; an empty list means *none*.

Models are frozen and ignore unknown keys.  Hosts extend the document by subclassing
(:class:`FactModel` and :func:`fact_field` are public for that).
"""

import re
from dataclasses import dataclass
from datetime import date as _date
from datetime import datetime as _datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, PydanticUndefined

from .ids import id_number_error, region_code_error

__all__ = [
    "Application",
    "Benefit",
    "Business",
    "Disability",
    "FactBool",
    "FactDate",
    "FactModel",
    "Filing",
    "Household",
    "IdNumber",
    "Money",
    "NonEmptyStr",
    "Person",
    "PriorApplication",
    "Property",
    "Records",
    "RegionCode",
    "Vehicle",
    "fact_field",
]


# --- reusable annotated types -----------------------------------------------------------


@dataclass(frozen=True)
class _JsonSchemaExtra:
    """Annotated marker that adds keys to a type's JSON Schema without adding a constraint."""

    extra: tuple[tuple[str, Any], ...]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        js = handler(core_schema)
        js.update(dict(self.extra))
        return js


#: A non-negative exact decimal (amounts, areas, mu).  Accepts int, numeric str, Decimal and
#: float (by its shortest repr); never passes a value through binary floating point.
Money = Annotated[
    Decimal,
    Field(ge=0, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {
                    "type": "string",
                    "pattern": r"^\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$",
                },
            ]
        },
        mode="validation",
    ),
]


@lru_cache(maxsize=4096)  # region codes repeat across people and rows: check each once
def _check_region(v: str) -> str:
    err = region_code_error(v)
    if err is not None:
        raise PydanticCustomError("region_code", err)
    return v


#: A 6-digit administrative division code with a real province-level prefix.
RegionCode = Annotated[
    str,
    AfterValidator(_check_region),
    _JsonSchemaExtra((("pattern", "^[0-9]{6}$"),)),
]


@lru_cache(maxsize=4096)  # the applicant is also a member: check each ID once
def _check_id_number(v: str) -> str:
    err = id_number_error(v)
    if err is not None:
        raise PydanticCustomError("id_number", err)
    return v[:17] + v[17].upper()


#: An 18-character 居民身份证号码 with a GB 11643 check digit; a lowercase ``x`` becomes ``X``.
IdNumber = Annotated[
    str,
    AfterValidator(_check_id_number),
    _JsonSchemaExtra((("pattern", "^[0-9]{17}[0-9Xx]$"),)),
]

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@lru_cache(maxsize=4096)
def _iso_date(v: str) -> _date | None:
    """`YYYY-MM-DD` as a date (None when it is not a real date); dates repeat, so cached."""
    try:
        return _date.fromisoformat(v)
    except ValueError:
        return None


def _parse_date(v: Any) -> Any:
    if type(v) is str and len(v) == 10 and v[4] == "-" and v[7] == "-" and v.isascii():
        d = _iso_date(v)
        if d is not None:
            return d
    if isinstance(v, _datetime):
        raise PydanticCustomError("date_with_time", "应为日期（不含时间），格式 YYYY-MM-DD")
    if isinstance(v, _date):
        return v
    if isinstance(v, str) and _DATE_RE.fullmatch(v):
        try:
            return _date(int(v[0:4]), int(v[5:7]), int(v[8:10]))
        except ValueError:
            raise PydanticCustomError("date_invalid", "日期不存在：{value}", {"value": v}) from None
    raise PydanticCustomError("date_format", "应为日期，格式 YYYY-MM-DD")


#: A calendar date: a :class:`datetime.date` (not a datetime) or a ``"YYYY-MM-DD"`` string.
FactDate = Annotated[_date, BeforeValidator(_parse_date)]


def _not_blank(v: str) -> str:
    if not v.strip():
        raise PydanticCustomError("string_blank", "不能为空")
    return v


#: A string that is not empty and not only whitespace.
NonEmptyStr = Annotated[str, Field(min_length=1), AfterValidator(_not_blank)]

#: A JSON boolean; ``"true"``, ``1`` and the like are rejected.
FactBool = Annotated[bool, Strict()]

#: 残疾等级, 1 to 4 (an integer, not a bool or a string).
_Grade = Annotated[int, Strict(), Field(ge=1, le=4)]


# --- field helper and base model ----------------------------------------------------------


def fact_field(
    en: str,
    zh: str,
    description: str,
    *,
    source: str | None = None,
    pii: str | None = None,
    default: Any = PydanticUndefined,
) -> Any:
    """A field of the facts document: input key ``en`` or ``zh``, metadata zh/source.

    ``en`` must be the attribute's own name.  Without ``default`` the field is required.
    ``pii`` (``id``, ``name`` or ``card``) marks personal data that :mod:`yktrules.facts.privacy`
    masks in every default output.
    """
    extra: dict[str, Any] = {"zh": zh, "source": source}
    if pii is not None:
        extra["pii"] = pii
    return Field(
        default,
        description=description,
        validation_alias=AliasChoices(en, zh),
        json_schema_extra=extra,
    )


class FactModel(BaseModel):
    """Base of every facts model: frozen, unknown keys ignored, English or Chinese keys."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


_PLATFORM = "一卡通平台"
_RECORDS_SOURCE = "一卡通平台、部门台账"


# --- the models ---------------------------------------------------------------------------


class Filing(FactModel):
    """The application being filed (来源: 一卡通平台)."""

    model_config = ConfigDict(json_schema_extra={"zh": "申请信息", "source": _PLATFORM})

    id: str = fact_field("id", "申请编号", "申请的编号", source=_PLATFORM)
    date: FactDate = fact_field(
        "date", "申请日期", "申请日期，也是默认的判定日期 as_of", source=_PLATFORM
    )
    region: RegionCode = fact_field(
        "region", "申请地", "受理申请的行政区划代码（6位）", source=_PLATFORM
    )
    item: str | None = fact_field(
        "item", "补贴项目", "所申请的补贴项目编码（如有）", source=_PLATFORM, default=None
    )


class Disability(FactModel):
    """A person's disability certificate (残疾人证)."""

    model_config = ConfigDict(json_schema_extra={"zh": "残疾情况"})

    certified: FactBool = fact_field("certified", "持证", "是否持有残疾人证；false 表示确知未持证")
    category: Literal["视力", "听力", "言语", "肢体", "智力", "精神", "多重"] | None = fact_field(
        "category", "类别", "残疾类别", default=None
    )
    grade: _Grade | None = fact_field("grade", "等级", "残疾等级，1 至 4 级", default=None)


class Person(FactModel):
    """A member of the household (the applicant is one too)."""

    model_config = ConfigDict(json_schema_extra={"zh": "人员"})

    id_number: IdNumber = fact_field(
        "id_number", "身份证号", "18位居民身份证号码，校验位按 GB 11643 校验", pii="id"
    )
    name: NonEmptyStr = fact_field("name", "姓名", "姓名", pii="name")
    gender: Literal["男", "女"] = fact_field("gender", "性别", "性别")
    birth_date: FactDate = fact_field("birth_date", "出生日期", "出生日期")
    relation: Literal["本人", "配偶", "子女", "父母", "兄弟姐妹", "祖父母", "孙子女", "其他"] = (
        fact_field("relation", "与申请人关系", "与申请人的关系")
    )
    hukou_region: RegionCode | None = fact_field(
        "hukou_region", "户籍地", "户籍所在地行政区划代码（6位）", source="公安", default=None
    )
    hukou_type: Literal["城镇", "农村"] | None = fact_field(
        "hukou_type", "户籍类型", "户籍类型", source="公安", default=None
    )
    alive: FactBool | None = fact_field(
        "alive", "健在", "是否健在；登记死亡后为 false", source="公安/殡葬", default=None
    )
    in_custody: FactBool | None = fact_field(
        "in_custody", "在押", "是否正在服刑或强制隔离戒毒", source="公安/司法", default=None
    )
    public_servant: FactBool | None = fact_field(
        "public_servant", "财政供养", "是否财政供养人员", source="人社/财政", default=None
    )
    monthly_income: Money | None = fact_field(
        "monthly_income", "月收入", "个人月收入（元）", source="人社/税务", default=None
    )
    pension_monthly: Money | None = fact_field(
        "pension_monthly", "月养老金", "每月领取的养老金（元）", source="人社", default=None
    )
    disability: Disability | None = fact_field(
        "disability", "残疾", "残疾情况", source="残联", default=None
    )
    poverty_registered: FactBool | None = fact_field(
        "poverty_registered",
        "监测对象",
        "是否建档立卡户或防返贫监测对象",
        source="乡村振兴",
        default=None,
    )
    card_no: str | None = fact_field(
        "card_no", "社保卡号", "社会保障卡的银行账号", source="人社", pii="card", default=None
    )
    # ---- added by the project for the full catalogue (FACTS.md allows additions) ----
    employment: Literal["就业", "灵活就业", "失业登记", "务农", "无"] | None = fact_field(
        "employment", "就业状态", "就业状态", source="人社", default=None
    )
    schooling: Literal["学前", "小学", "初中", "普通高中", "中职", "高校", "未在学"] | None = (
        fact_field("schooling", "在学情况", "当前就读学段", source="教育", default=None)
    )
    graduation_date: FactDate | None = fact_field(
        "graduation_date", "毕业日期", "最近一次毕业的日期", source="教育", default=None
    )
    guardianship: Literal["父母健在", "父母双亡", "事实无人抚养", "其他"] | None = fact_field(
        "guardianship",
        "监护情况",
        "未成年人的抚养情况：父母双亡（孤儿）、事实无人抚养（父母重残、服刑、失联等）",
        source="民政",
        default=None,
    )
    family_planning: (
        Literal["独生子女父母", "独生子女伤残", "独生子女死亡", "农村二女户", "无"] | None
    ) = fact_field(
        "family_planning", "计划生育情况", "计划生育家庭类别", source="卫健", default=None
    )
    veteran: (
        Literal[
            "伤残军人", "烈士遗属", "因公牺牲军人遗属", "病故军人遗属", "在乡复员军人",
            "带病回乡退伍军人", "参战参试退役人员", "农村籍退役士兵", "无",
        ]
        | None
    ) = fact_field(
        "veteran", "优抚类别", "优抚对象类别", source="退役军人", default=None
    )  # fmt: skip
    pension_insured: FactBool | None = fact_field(
        "pension_insured", "参加居民养老保险", "是否参加城乡居民基本养老保险", source="人社",
        default=None,
    )  # fmt: skip


class Property(FactModel):
    """A piece of real estate owned by the household."""

    model_config = ConfigDict(json_schema_extra={"zh": "房产"})

    kind: Literal["住房", "商铺", "车库", "宅基地房", "其他"] = fact_field(
        "kind", "类型", "房产类型"
    )
    area: Money | None = fact_field("area", "面积", "建筑面积（平方米）", default=None)
    region: RegionCode | None = fact_field(
        "region", "所在地", "房产所在地行政区划代码（6位）", default=None
    )


class Vehicle(FactModel):
    """A motor vehicle registered to a household member."""

    model_config = ConfigDict(json_schema_extra={"zh": "车辆"})

    kind: Literal["小型汽车", "货车", "摩托车", "农用车", "残疾人代步车"] = fact_field(
        "kind", "类型", "车辆类型"
    )
    value: Money | None = fact_field("value", "价值", "车辆价值（元）", default=None)
    commercial: FactBool | None = fact_field(
        "commercial", "营运", "是否登记为营运车辆", default=None
    )


class Business(FactModel):
    """A market entity a household member runs or holds shares in."""

    model_config = ConfigDict(json_schema_extra={"zh": "经营主体"})

    role: Literal["法定代表人", "股东", "个体工商户"] = fact_field(
        "role", "身份", "在该经营主体中的身份"
    )
    name: str | None = fact_field("name", "名称", "经营主体名称", default=None)
    registered_on: FactDate | None = fact_field(
        "registered_on", "登记日期", "登记注册日期", default=None
    )
    employees: Annotated[int, Strict(), Field(ge=0)] | None = fact_field(
        "employees", "带动就业人数", "吸纳就业人数", default=None
    )


class Household(FactModel):
    """The household as counted for the application."""

    model_config = ConfigDict(json_schema_extra={"zh": "家庭情况"})

    members: list[Person] = fact_field("members", "成员", "计入家庭的全部成员，含申请人")
    monthly_income: Money | None = fact_field(
        "monthly_income",
        "月收入",
        "按低保规则计算的家庭月总收入（元）",
        source="民政 核对",
        default=None,
    )
    properties: list[Property] | None = fact_field(
        "properties", "房产", "家庭拥有的房产", source="不动产", default=None
    )
    vehicles: list[Vehicle] | None = fact_field(
        "vehicles", "车辆", "家庭成员名下的车辆", source="公安 车管", default=None
    )
    businesses: list[Business] | None = fact_field(
        "businesses", "经营主体", "家庭成员登记的经营主体", source="市场监管", default=None
    )
    deposits: Money | None = fact_field(
        "deposits", "存款", "存款及金融资产（元）", source="银行/证券", default=None
    )
    farmland_mu: Money | None = fact_field(
        "farmland_mu", "承包地亩数", "承包地面积（亩）", source="农业农村", default=None
    )
    # ---- added by the project for the full catalogue (FACTS.md allows additions) ----
    grain_mu: Money | None = fact_field(
        "grain_mu", "种粮面积", "实际种植粮食面积（亩）", source="农业农村", default=None
    )
    machinery_spend: Money | None = fact_field(
        "machinery_spend", "农机购置金额", "本年度购置农机具金额（元）", source="农业农村",
        default=None,
    )  # fmt: skip
    insurance_premium: Money | None = fact_field(
        "insurance_premium", "农业保险保费", "本年度政策性农业保险保费（元）", source="农业农村",
        default=None,
    )  # fmt: skip
    returned_farmland_mu: Money | None = fact_field(
        "returned_farmland_mu", "退耕还林面积", "退耕还林面积（亩）", source="林草", default=None
    )
    public_forest_mu: Money | None = fact_field(
        "public_forest_mu", "公益林面积", "管护的公益林面积（亩）", source="林草", default=None
    )
    reservoir_migrant: FactBool | None = fact_field(
        "reservoir_migrant", "水库移民", "是否大中型水库移民", source="水利", default=None
    )
    house_safety: Literal["A", "B", "C", "D"] | None = fact_field(
        "house_safety", "住房安全等级", "住房安全鉴定等级（C、D 为危房）", source="住建",
        default=None,
    )  # fmt: skip
    disaster: Literal["无", "房屋倒塌", "房屋严重损坏", "房屋一般损坏", "因灾生活困难"] | None = (
        fact_field("disaster", "受灾情况", "本年度自然灾害受灾情况", source="应急", default=None)
    )
    medical_self_paid: Money | None = fact_field(
        "medical_self_paid", "医疗自付费用", "近12个月政策范围内自付医疗费用（元）", source="医保",
        default=None,
    )  # fmt: skip
    emergency_expense: Money | None = fact_field(
        "emergency_expense", "突发性支出", "因突发事件、意外伤害等产生的必需支出（元）",
        source="民政", default=None,
    )  # fmt: skip


class Benefit(FactModel):
    """A subsidy being paid now."""

    model_config = ConfigDict(json_schema_extra={"zh": "在享补贴"})

    item: str = fact_field("item", "补贴项目", "补贴项目编码")
    since: FactDate = fact_field("since", "起始日期", "开始享受的日期")
    until: FactDate | None = fact_field("until", "截止日期", "停止享受的日期", default=None)
    monthly_amount: Money | None = fact_field(
        "monthly_amount", "月发放金额", "每月发放金额（元）", default=None
    )
    card_no: str | None = fact_field(
        "card_no", "发放卡号", "发放补贴的卡号", pii="card", default=None
    )


class PriorApplication(FactModel):
    """An earlier application for a subsidy."""

    model_config = ConfigDict(json_schema_extra={"zh": "申请记录"})

    item: str = fact_field("item", "补贴项目", "补贴项目编码")
    date: FactDate = fact_field("date", "申请日期", "申请日期")
    status: Literal["审核中", "已批准", "已驳回"] = fact_field("status", "办理状态", "办理状态")


class Records(FactModel):
    """Benefits and applications on record (来源: 一卡通平台 and the departments' ledgers)."""

    model_config = ConfigDict(json_schema_extra={"zh": "记录", "source": _RECORDS_SOURCE})

    benefits: list[Benefit] | None = fact_field(
        "benefits", "在享补贴", "正在发放的补贴", source=_RECORDS_SOURCE, default=None
    )
    applications: list[PriorApplication] | None = fact_field(
        "applications", "申请记录", "以往的补贴申请", source=_RECORDS_SOURCE, default=None
    )


class Application(FactModel):
    """The facts document's root: one application."""

    model_config = ConfigDict(json_schema_extra={"zh": "申请材料"})

    application: Filing = fact_field("application", "申请", "本次申请")
    applicant: Person = fact_field("applicant", "申请人", "申请人（也列在家庭成员中）")
    household: Household = fact_field("household", "家庭", "申请人的家庭")
    records: Records | None = fact_field(
        "records", "记录", "在享补贴与申请记录；缺省为未知", default=None
    )
