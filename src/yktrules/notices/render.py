"""Payment notices (发放告知书): one roster row, the policy that applies, its template.

The applicable policy is resolved from the payment's item, region and period (its first day
is the resolution date); its template is the policy's own, else the nearest ancestor's, else
``default`` (:meth:`Templates.lookup`).  Personal data is masked unless ``unmask=True``: the
name as ``张*英``, the card only as its last four digits, and no ID number ever.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from ..errors import NoPolicyError
from ..facts.privacy import mask_name, mask_text
from ..ir import CheckedPolicy
from ..ir.values import money_text
from ..roster.models import Payment
from ..screening.policyset import PolicySet
from .templates import Template, Templates

__all__ = [
    "FALLBACK_HOTLINE",
    "Notice",
    "department_text",
    "money_text",
    "period_text",
    "render_notice",
    "zh_date",
]

#: The hotline named when a policy gives none: 12345, the government service hotline.
FALLBACK_HOTLINE = "12345"

_DEPT_ENDINGS = ("局", "委", "会", "联", "部门", "所", "中心", "办", "站", "厅")


def zh_date(d: date) -> str:
    """``2025年3月10日``."""
    return f"{d.year}年{d.month}月{d.day}日"


def period_text(period: date, kind: str | None) -> str:
    """The period paid for: ``2025年3月`` (monthly), ``2025年度`` (yearly), the date (once,
    or a kind not known)."""
    if kind == "monthly":
        return f"{period.year}年{period.month}月"
    if kind == "yearly":
        return f"{period.year}年度"
    return zh_date(period)


def department_text(department: str | None) -> str:
    """The department as a citizen reads it: ``民政`` -> ``民政部门``; ``县民政局`` as it is."""
    if not department:
        return "主管部门"
    if department.endswith(_DEPT_ENDINGS):
        return department
    return department + "部门"


def card_tail(card_no: str) -> str:
    """The last four characters of a card number."""
    return card_no.strip()[-4:]


@attrs.frozen
class Notice:
    """A rendered payment notice.

    ``policy`` is the applicable policy's code (None when no policy was in force, in which
    case ``note`` says so and the default template was used); ``template`` is the key of
    the template used and ``source`` where it is written; ``missing`` names placeholders the
    payment had no value for (rendered as ``（发放日期未登记）``)."""

    text: str
    item: str
    policy: str | None
    title: str
    amount: Decimal
    period: date
    period_text: str
    paid_on: date | None
    department: str | None
    hotline: str
    template: str
    source: str
    masked: bool
    note: str | None = None
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "text": self.text,
            "item": self.item,
            "policy": self.policy,
            "title": self.title,
            "amount": money_text(self.amount),
            "period": self.period.isoformat(),
            "period_text": self.period_text,
            "paid_on": self.paid_on.isoformat() if self.paid_on else None,
            "department": self.department,
            "hotline": self.hotline,
            "template": self.template,
            "masked": self.masked,
        }
        if self.note:
            d["note"] = self.note
        if self.missing:
            d["missing"] = list(self.missing)
        return d


def applicable_policy(
    policies: PolicySet, item: str, region: str, on: date
) -> tuple[CheckedPolicy | None, str | None]:
    """The policy screening ``item`` for ``region`` on ``on``, or (None, why not)."""
    try:
        return policies.resolve(item, region, on), None
    except NoPolicyError as e:
        if item not in policies.policies:
            return None, f"政策库中没有项目 {item}，按默认模板生成 / unknown item code"
        return None, (
            f"项目 {e.item} 在地区 {region} 于 {on.isoformat()} 没有生效的政策，按默认模板生成"
            f" / no policy in force"
        )


_UNRECORDED = "（发放日期未登记）"


def render_notice(
    payment: Payment, policies: PolicySet, templates: Templates, *, unmask: bool = False
) -> Notice:
    """The notice for one payment.  Never raises for a payment whose item has no policy in
    force: the default template is used, the item code stands in for the title, and
    ``note`` says why."""
    policy, note = applicable_policy(policies, payment.item, payment.region, payment.period)
    template: Template
    kind: str | None
    if policy is not None:
        template = templates.lookup(policy.chain)
        title, item, kind = policy.title, policy.item, policy.period
        department, hotline = policy.department, policy.hotline or FALLBACK_HOTLINE
    else:  # the item code stands in for the title; a known item still gives its period kind
        template = templates.default
        title = item = payment.item
        known = policies.policies.get(payment.item)
        kind = known.period if known is not None else None
        department, hotline = None, FALLBACK_HOTLINE
    name = payment.beneficiary_name if unmask else mask_name(payment.beneficiary_name)
    missing: list[str] = []
    if payment.paid_on is not None:
        paid = zh_date(payment.paid_on)
    else:
        paid = _UNRECORDED
        if "paid_on" in template.fields:
            missing.append("paid_on")
    ptext = period_text(payment.period, kind)
    values = {
        "name": name,
        "item": item,
        "title": title if policy is not None else f"补贴（项目代码 {item}）",
        "amount": money_text(payment.amount),
        "period": ptext,
        "paid_on": paid,
        "hotline": hotline,
        "department": department_text(department),
        "card_tail": card_tail(payment.card_no),
    }
    text = template.fill(values)
    if not unmask:
        text = mask_text(text)
    return Notice(
        text=text,
        item=item,
        policy=policy.code if policy is not None else None,
        title=title,
        amount=payment.amount,
        period=payment.period,
        period_text=ptext,
        paid_on=payment.paid_on,
        department=department,
        hotline=hotline,
        template=template.key,
        source=template.source,
        masked=not unmask,
        note=note,
        missing=tuple(missing),
    )
