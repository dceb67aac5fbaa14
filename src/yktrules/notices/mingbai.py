"""What goes on a person's 明白卡: the items they receive (from their roster payments), the
items a pre-screening finds them eligible for and the items under review
(:func:`mingbai_card`); the card itself and its text and HTML are :mod:`.card`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import attrs

from ..facts.paths import describe_path
from ..facts.privacy import mask_id, mask_name, mask_text
from ..roster.models import Payment
from ..screening.decision import Decision, Outcome
from ..screening.policyset import PolicySet
from .card import Card, Offer, Person, Receipt
from .render import FALLBACK_HOTLINE, applicable_policy

__all__ = ["mingbai_card"]


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
