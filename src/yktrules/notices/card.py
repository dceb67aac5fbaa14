"""The 明白卡 (citizen's benefit card): what a person receives, and what they may apply for.

Three lists: the items the person **receives** (from their roster payments), the items a
pre-screening finds them **eligible** for but not receiving, and the items **under review**
(not receiving, outcome review).  Money is exact ``Decimal`` throughout.  Names and ID
numbers are masked unless ``unmask=True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Protocol

import attrs

from ..facts.paths import describe_path
from ..facts.privacy import mask_id, mask_name, mask_text
from ..roster.models import Payment
from ..screening.decision import Decision, Outcome
from ..screening.policyset import PolicySet
from .render import FALLBACK_HOTLINE, applicable_policy, period_text

__all__ = ["NOTE", "PERIOD_KINDS", "Card", "Offer", "Person", "Receipt", "mingbai_card"]

#: Period kinds in display order, with their Chinese names ("" for a kind not known).
PERIOD_KINDS: Mapping[str, str] = MappingProxyType(
    {"monthly": "按月", "yearly": "按年", "once": "一次性", "": "其他"}
)

#: The note every card carries.
NOTE = (
    "“可以申请”“需人工复核”两栏是系统根据现有信息作出的预审结果，不是审批决定；"
    "是否符合条件、发放多少，以主管部门审核为准。"
)


class Person(Protocol):
    """The applicant: anything with a ``name`` and an ``id_number`` (the facts' applicant)."""

    @property
    def name(self) -> str: ...

    @property
    def id_number(self) -> str: ...


@attrs.frozen
class Receipt:
    """An item the person receives: the latest period paid, its amount (every payment of
    that period added up), the total paid in the roster and the number of payments."""

    item: str
    policy: str | None
    title: str
    period_kind: str  # monthly | yearly | once | "" (no policy known)
    latest_period: date
    latest_amount: Decimal
    total: Decimal
    payments: int
    department: str | None
    hotline: str

    @property
    def latest_period_text(self) -> str:
        return period_text(self.latest_period, self.period_kind or None)


@attrs.frozen
class Offer:
    """An item a pre-screening finds the person eligible for (or to be reviewed for) and
    that they do not receive: amount per period if known, what is missing, why review."""

    item: str
    policy: str
    title: str
    outcome: Outcome
    period_kind: str
    amount: Decimal | None
    missing: tuple[str, ...]
    reasons: tuple[str, ...]
    department: str | None
    hotline: str


@attrs.frozen
class Card:
    """A person's 明白卡; render it with :meth:`text` or :meth:`html`."""

    name: str  # masked unless unmask
    id_number: str  # masked unless unmask
    as_of: date
    received: tuple[Receipt, ...]
    eligible: tuple[Offer, ...]
    review: tuple[Offer, ...]
    masked: bool

    @property
    def total_paid(self) -> Decimal:
        """Everything paid to the person in the roster (up to ``as_of``)."""
        return sum((r.total for r in self.received), Decimal(0))

    def received_per_period(self) -> dict[str, Decimal]:
        """Period kind -> the latest amounts of the items received, added up."""
        return _per_period((r.period_kind, r.latest_amount) for r in self.received)

    def eligible_per_period(self) -> dict[str, Decimal]:
        """Period kind -> the amounts of the eligible items, where known, added up."""
        return _per_period((o.period_kind, o.amount) for o in self.eligible)

    def text(self) -> str:
        """Plain text for a counter printout or an SMS."""
        from .card_render import card_text

        return card_text(self)

    def html(self) -> str:
        """A self-contained printable HTML page (inline CSS, A4, no scripts)."""
        from .card_render import card_html

        return card_html(self)


def _per_period(pairs: Iterable[tuple[str, Decimal | None]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for kind, amount in pairs:
        if amount is not None:
            out[kind] = out.get(kind, Decimal(0)) + amount
    return {k: out[k] for k in PERIOD_KINDS if k in out}


def _item_of(policies: PolicySet, code: str) -> str:
    p = policies.policies.get(code)
    return p.item if p is not None else code


def _receipts(
    policies: PolicySet, payments: Iterable[Payment], person_id: str, as_of: date
) -> list[Receipt]:
    by_item: dict[str, list[Payment]] = {}
    for p in payments:
        if p.beneficiary_id.upper() != person_id or p.period > as_of:
            continue
        by_item.setdefault(_item_of(policies, p.item), []).append(p)
    out: list[Receipt] = []
    for item in sorted(by_item):
        rows = by_item[item]
        latest = max(r.period for r in rows)
        last = [r for r in rows if r.period == latest]
        policy, _ = applicable_policy(policies, item, last[-1].region, latest)
        if policy is None:  # not in force for that period: describe it by its item's policy
            policy = policies.policies.get(item)
        out.append(
            Receipt(
                item=item,
                policy=policy.code if policy is not None else None,
                title=policy.title if policy is not None else item,
                period_kind=policy.period if policy is not None else "",
                latest_period=latest,
                latest_amount=sum((r.amount for r in last), Decimal(0)),
                total=sum((r.amount for r in rows), Decimal(0)),
                payments=len(rows),
                department=policy.department if policy is not None else None,
                hotline=(policy.hotline if policy is not None else None) or FALLBACK_HOTLINE,
            )
        )
    return out


def _offer(d: Decision) -> Offer:
    missing: list[str] = []
    for u in d.unknown:
        missing += [describe_path(m) for m in u.missing]
    missing += [describe_path(m) for m in d.amount_missing or ()]
    reasons = [r.message for r in d.reasons if r.kind == "review"]
    return Offer(
        item=d.item,
        policy=d.policy,
        title=d.title,
        outcome=d.outcome,
        period_kind=d.period,
        amount=d.amount,
        missing=tuple(dict.fromkeys(missing)),
        reasons=tuple(reasons),
        department=d.info.department,
        hotline=d.info.hotline or FALLBACK_HOTLINE,
    )


def _masked_offer(o: Offer) -> Offer:
    """An offer with ID and card numbers in its free text masked."""
    return attrs.evolve(
        o,
        missing=tuple(mask_text(m) for m in o.missing),
        reasons=tuple(mask_text(r) for r in o.reasons),
    )


def mingbai_card(
    person: Person,
    *,
    policies: PolicySet,
    payments: Iterable[Payment] = (),
    decisions: Iterable[Decision] = (),
    as_of: date,
    unmask: bool = False,
) -> Card:
    """The 明白卡 of ``person`` on ``as_of``.

    ``payments`` are roster rows; only the person's (``beneficiary_id`` equal to their
    ``id_number``) with a period on or before ``as_of`` count.  ``decisions`` are the
    person's screening decisions (:meth:`PolicySet.screen_all`); eligible and review
    decisions for an item the person does not receive become the "eligible" and "review"
    lists, in item-code order."""
    pid = person.id_number.upper()
    received = _receipts(policies, payments, pid, as_of)
    have = {r.item for r in received}
    eligible: list[Offer] = []
    review: list[Offer] = []
    for d in sorted(decisions, key=lambda d: d.item):
        if d.item in have or d.outcome is Outcome.INELIGIBLE:
            continue
        have.add(d.item)  # one line per item even if a decision is passed twice
        o = _offer(d) if unmask else _masked_offer(_offer(d))
        (eligible if d.outcome is Outcome.ELIGIBLE else review).append(o)
    return Card(
        name=person.name if unmask else mask_name(person.name),
        id_number=person.id_number if unmask else mask_id(person.id_number),
        as_of=as_of,
        received=tuple(received),
        eligible=tuple(eligible),
        review=tuple(review),
        masked=not unmask,
    )
