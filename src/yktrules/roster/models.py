"""The payment roster (发放花名册) and the registries that audits read, as pydantic models.

A roster is a table: one row per payment onto a card.  Columns are named in English or in
Chinese (the ``zh`` of each field), as in the facts document.  Fields that identify a person
carry ``json_schema_extra["pii"]`` (``id``, ``name`` or ``card``): what
:mod:`yktrules.facts.privacy` masks in every default output.

Registries are other departments' tables an audit joins to by key: the death register
(``deaths``, 公安/民政) and the register of authorised agents who may receive a payment on
someone else's behalf (``agents``, 代领登记).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError, PydanticUndefined

from ..facts.models import FactDate, FactModel, IdNumber, Money, NonEmptyStr, RegionCode, fact_field

__all__ = ["TABLES", "Agent", "Death", "Payment", "Registries", "RosterDate", "roster_field"]

# 2025/3/1, 2025-3-1 (what spreadsheets export); with `month`, 2025-03 or 2025/3 too
_SPREADSHEET_DAY = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})")
_MONTH = re.compile(r"(\d{4})[/-](\d{1,2})")


def _roster_date(v: Any, *, month: bool = False) -> Any:
    """A roster date as spreadsheets write it, as a date; anything else goes on to the facts
    document's date rules (``YYYY-MM-DD``, with their messages)."""
    if not isinstance(v, str):
        return v
    s = v.strip()
    m = _SPREADSHEET_DAY.fullmatch(s)
    day = 1
    if m is None and month:
        m = _MONTH.fullmatch(s)
    if m is None:
        return v
    if m.lastindex == 3:
        day = int(m.group(3))
    try:
        return date(int(m.group(1)), int(m.group(2)), day)
    except ValueError:
        raise PydanticCustomError("date_invalid", "日期不存在：{value}", {"value": v}) from None


#: A date in a roster or registry: ``YYYY-MM-DD``, or ``YYYY/M/D`` and ``YYYY-M-D`` as
#: spreadsheets export them.
RosterDate = Annotated[FactDate, BeforeValidator(_roster_date)]

#: A payment period: a date as :data:`RosterDate`, or its month (``2025-03``, ``2025/3``),
#: read as the month's first day.
PeriodDate = Annotated[FactDate, BeforeValidator(lambda v: _roster_date(v, month=True))]


def roster_field(
    en: str,
    zh: str,
    description: str,
    *,
    pii: str | None = None,
    default: Any = PydanticUndefined,
) -> Any:
    """A column: input key ``en`` or ``zh``; ``pii`` marks personal data (id | name | card)."""
    return fact_field(en, zh, description, pii=pii, default=default)


class Payment(FactModel):
    """One payment of a payment roster (发放花名册的一行)."""

    model_config = ConfigDict(json_schema_extra={"zh": "发放记录"})

    id: str | None = roster_field("id", "流水号", "发放记录的流水号（可缺省）", default=None)
    batch: NonEmptyStr = roster_field("batch", "批次号", "发放批次号")
    item: NonEmptyStr = roster_field("item", "补贴项目", "补贴项目编码，如 SC-MZ-001")
    period: PeriodDate = roster_field(
        "period", "发放期", "所发放的期间的第一天（按月发放为当月1日，按年发放为当年1月1日）"
    )
    beneficiary_id: IdNumber = roster_field(
        "beneficiary_id", "受益人身份证号", "受益人18位身份证号", pii="id"
    )
    beneficiary_name: NonEmptyStr = roster_field(
        "beneficiary_name", "受益人姓名", "受益人姓名", pii="name"
    )
    card_no: NonEmptyStr = roster_field("card_no", "卡号", "收款的社保卡或一卡通账号", pii="card")
    card_holder_id: IdNumber = roster_field(
        "card_holder_id", "持卡人身份证号", "银行登记的持卡人身份证号", pii="id"
    )
    card_holder_name: NonEmptyStr = roster_field(
        "card_holder_name", "持卡人姓名", "银行登记的持卡人姓名", pii="name"
    )
    amount: Money = roster_field("amount", "金额", "本条发放金额（元）")
    region: RegionCode = roster_field("region", "行政区划", "受益人所属的6位行政区划代码")
    approved_by: NonEmptyStr = roster_field("approved_by", "审核人", "审核这笔发放的经办人")
    disbursed_by: NonEmptyStr = roster_field("disbursed_by", "发放人", "录入并发放这笔款的经办人")
    paid_on: RosterDate | None = roster_field("paid_on", "发放日期", "实际发放日期", default=None)


class Death(FactModel):
    """A registered death (死亡登记)."""

    model_config = ConfigDict(json_schema_extra={"zh": "死亡登记"})

    id_number: IdNumber = roster_field("id_number", "身份证号", "死者身份证号", pii="id")
    name: str | None = roster_field("name", "姓名", "死者姓名", pii="name", default=None)
    death_date: RosterDate = roster_field("death_date", "死亡日期", "登记的死亡日期")


class Agent(FactModel):
    """A registered agent who may receive someone's payments (代领登记)."""

    model_config = ConfigDict(json_schema_extra={"zh": "代领登记"})

    beneficiary_id: IdNumber = roster_field(
        "beneficiary_id", "受益人身份证号", "被代领人身份证号", pii="id"
    )
    agent_id: IdNumber = roster_field("agent_id", "代领人身份证号", "代领人身份证号", pii="id")
    relation: str | None = roster_field("relation", "关系", "代领人与受益人的关系", default=None)


class Registries(FactModel):
    """The registries an audit may join to; a registry not supplied is unknown."""

    model_config = ConfigDict(json_schema_extra={"zh": "登记表"})

    deaths: list[Death] | None = roster_field(
        "deaths", "死亡登记", "公安、民政死亡登记", default=None
    )
    agents: list[Agent] | None = roster_field("agents", "代领登记", "代领人登记", default=None)


#: The registry tables by name, with their row models.
TABLES: dict[str, type[FactModel]] = {"deaths": Death, "agents": Agent}
