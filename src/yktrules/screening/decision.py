"""Decisions: the outcome, the reasons, the unknown rules, the amount, and the text a
citizen reads (`explain()`).  The decision document is INTERFACES.md's."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from ..facts.paths import describe_path
from ..facts.privacy import mask_text


class Outcome(enum.StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    REVIEW = "review"

    @property
    def zh(self) -> str:
        return {"eligible": "符合条件", "ineligible": "不符合条件", "review": "需人工复核"}[
            self.value
        ]


@attrs.frozen
class Reason:
    """A rule that decided the outcome: a failed `require`, a true `deny` or `review`."""

    rule: str
    kind: str
    message: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "message": self.message,
            "source": self.source,
        }


@attrs.frozen
class EvaluationError:
    message: str
    source: str  # file:line:col

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "source": self.source}


@attrs.frozen
class UnknownRule:
    """A rule whose value is unknown, with the sorted fact paths that were missing."""

    rule: str
    kind: str
    missing: tuple[str, ...]
    message: str = ""
    source: str = ""
    errors: tuple[EvaluationError, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "rule": self.rule,
            "kind": self.kind,
            "missing": list(self.missing),
            "message": self.message,
            "source": self.source,
        }
        if self.errors:
            d["errors"] = [e.to_dict() for e in self.errors]
        return d


@attrs.frozen
class PolicyInfo:
    """What a decision keeps of the policy that made it (for `explain()` and the document)."""

    code: str
    item: str
    title: str
    department: str | None
    hotline: str | None
    period: str


_PERIOD_ZH = {"monthly": "每月", "yearly": "每年", "once": "一次性"}


@attrs.frozen
class Decision:
    item: str
    policy: str
    title: str
    version: str
    as_of: date
    outcome: Outcome
    reasons: tuple[Reason, ...]
    unknown: tuple[UnknownRule, ...]
    amount: Decimal | None
    info: PolicyInfo = attrs.field(repr=False, eq=False)
    amount_missing: tuple[str, ...] | None = None  # eligible, but the amount is unknown
    amount_errors: tuple[EvaluationError, ...] = ()  # evaluation errors behind that
    trace: dict[str, Any] | None = attrs.field(default=None, eq=False)  # reference path only

    @property
    def period(self) -> str:
        return self.info.period

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "item": self.item,
            "policy": self.policy,
            "title": self.title,
            "version": self.version,
            "as_of": self.as_of.isoformat(),
            "outcome": self.outcome.value,
            "reasons": [r.to_dict() for r in self.reasons],
            "unknown": [u.to_dict() for u in self.unknown],
            "amount": None if self.amount is None else format(self.amount, "f"),
            "period": self.info.period,
        }
        if self.amount_missing is not None:
            d["amount_missing"] = list(self.amount_missing)
        if self.amount_errors:
            d["amount_errors"] = [e.to_dict() for e in self.amount_errors]
        if self.trace is not None:
            d["trace"] = self.trace
        return d

    def explain(self, *, unmask: bool = False) -> str:
        """A Chinese text a citizen can read: outcome, reasons, missing data and whom it comes
        from, the amount, and the hotline.  ID and card numbers are masked
        (:func:`yktrules.facts.privacy.mask_text`) unless ``unmask``."""
        i = self.info
        out = [f"【{self.title}】预审结果：{self.outcome.zh}"]
        out.append(
            f"（项目 {self.item}，适用政策 {self.policy}，审核基准日 {self.as_of.isoformat()}）"
        )
        if self.outcome is Outcome.ELIGIBLE:
            out.append("经比对，您的申请符合本项目的各项条件。")
        refusals = [r for r in self.reasons if r.kind != "review"]
        reviews = [r for r in self.reasons if r.kind == "review"]
        if refusals:
            out.append("不符合的原因：")
            out += [f"  {n}. {r.message}" for n, r in enumerate(refusals, 1)]
        if reviews:
            out.append("需要工作人员复核的事项：")
            out += [f"  {n}. {r.message}" for n, r in enumerate(reviews, 1)]
        if self.unknown:
            if self.outcome is Outcome.INELIGIBLE:
                out.append("此外，以下条件因信息不全未能判断：")
            else:
                out.append("以下条件因信息不全暂时无法判断，需补充材料或由工作人员核实：")
            for n, u in enumerate(self.unknown, 1):
                out.append(f"  {n}. {u.message or u.rule}")
                for p in u.missing:
                    out.append(f"     - 缺少：{describe_path(p)}")
                for e in u.errors:
                    out.append(f"     - 计算出错：{e.message}（{e.source}）")
        if self.amount is not None:
            out.append(
                f"预计发放金额：{_PERIOD_ZH.get(i.period, '')}{format(self.amount, 'f')}元。"
            )
        elif self.amount_missing is not None:
            why = [f"缺少{describe_path(p)}" for p in self.amount_missing]
            why += [f"计算出错：{e.message}（{e.source}）" for e in self.amount_errors]
            out.append("发放金额暂无法计算：" + "；".join(why or ["原因不明"]) + "。")
        dept = i.department or "主管"
        if not dept.endswith(("局", "委", "会", "部门", "所", "中心")):
            dept += "部门"
        contact = f"如有疑问，请咨询{dept}"
        contact += f"，咨询电话 {i.hotline}。" if i.hotline else "。"
        out.append(contact)
        out.append("本结果为系统预审意见，最终以主管部门审核为准。")
        text = "\n".join(out)
        return text if unmask else mask_text(text)


def outcome_of(reasons: Sequence[Reason], unknown: Sequence[UnknownRule]) -> Outcome:
    if any(r.kind in ("require", "deny") for r in reasons):
        return Outcome.INELIGIBLE
    if reasons or unknown:
        return Outcome.REVIEW
    return Outcome.ELIGIBLE
