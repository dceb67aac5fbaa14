"""The 明白卡 (citizen's benefit card): what a person receives, and what they may apply for,
as a plain text (counter printout, SMS) and as a printable HTML page.

Three lists: the items the person **receives** (from their roster payments), the items a
pre-screening finds them **eligible** for but not receiving, and the items **under review**
(not receiving, outcome review).  Money is exact ``Decimal`` throughout.  Names and ID
numbers are masked unless ``unmask=True``.  The page is self-contained: inline CSS sized
for A4 when printed, no scripts, no external assets (a Content-Security-Policy forbids loading
any), every value HTML-escaped.  :mod:`.mingbai` decides what goes on a card.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from html import escape
from types import MappingProxyType
from typing import Protocol

import attrs

from ..screening.decision import Outcome
from .render import department_text, money_text, period_text, zh_date

__all__ = ["NOTE", "PERIOD_KINDS", "TITLE", "Card", "Offer", "Person", "Receipt"]

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
        return card_text(self)

    def html(self) -> str:
        """A self-contained printable HTML page (inline CSS, A4, no scripts)."""
        return card_html(self)


def _per_period(pairs: Iterable[tuple[str, Decimal | None]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for kind, amount in pairs:
        if amount is not None:
            out[kind] = out.get(kind, Decimal(0)) + amount
    return {k: out[k] for k in PERIOD_KINDS if k in out}


# ---------------------------------------------------------------- rendering

TITLE = "惠民惠农财政补贴明白卡"

_PER = {"monthly": "每月", "yearly": "每年", "once": "一次性", "": ""}


def _per(kind: str, amount: Decimal) -> str:
    return f"{_PER.get(kind, '')}{money_text(amount)}元"


def _totals(totals: dict[str, Decimal]) -> str:
    return "；".join(_per(k, v) if k else f"其他 {money_text(v)}元" for k, v in totals.items())


def _offer_amount(o: Offer) -> str:
    if o.amount is not None:
        return _per(o.period_kind, o.amount)
    return "待核定"


# ------------------------------------------------------------------------------------ text


def card_text(card: Card) -> str:
    out = [TITLE, f"姓名：{card.name}　身份证号：{card.id_number}", f"截至：{zh_date(card.as_of)}"]
    out.append("")
    out.append(f"一、正在享受的补贴（{len(card.received)} 项）")
    if not card.received:
        out.append("  （花名册中没有您的发放记录）")
    for n, r in enumerate(card.received, 1):
        out += _receipt_lines(n, r)
    if card.received:
        out.append(f"  最近一期合计：{_totals(card.received_per_period())}")
        out.append(f"  花名册内累计已发放：{money_text(card.total_paid)}元")
    out.append("")
    out.append(f"二、经预审可以申请的补贴（{len(card.eligible)} 项）")
    if not card.eligible:
        out.append("  （无）")
    for n, o in enumerate(card.eligible, 1):
        out += _offer_lines(n, o)
    per = card.eligible_per_period()
    if per:
        out.append(f"  预计合计：{_totals(per)}")
    out.append("")
    out.append(f"三、需人工复核的补贴（{len(card.review)} 项）")
    if not card.review:
        out.append("  （无）")
    for n, o in enumerate(card.review, 1):
        out += _offer_lines(n, o)
    out.append("")
    out.append("说明：" + NOTE)
    return "\n".join(out) + "\n"


def _receipt_lines(n: int, r: Receipt) -> list[str]:
    return [
        f"  {n}. {r.title}（{r.item}）",
        f"     最近一期：{r.latest_period_text}，{_per(r.period_kind, r.latest_amount)}",
        f"     累计已发放：{money_text(r.total)}元（共 {r.payments} 笔）",
        f"     主管部门：{department_text(r.department)}　咨询电话：{r.hotline}",
    ]


def _offer_lines(n: int, o: Offer) -> list[str]:
    out = [
        f"  {n}. {o.title}（{o.item}）",
        f"     预审结果：{o.outcome.zh}　预计金额：{_offer_amount(o)}",
    ]
    out += [f"     需复核：{r}" for r in o.reasons]
    out += [f"     需补充：{m}" for m in o.missing]
    out.append(f"     主管部门：{department_text(o.department)}　咨询电话：{o.hotline}")
    return out


# ------------------------------------------------------------------------------------ HTML

_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimSun",
  sans-serif; color: #111; margin: 2em auto; max-width: 52em; line-height: 1.5; }
h1 { text-align: center; font-size: 1.6em; margin: 0 0 .4em; letter-spacing: .1em; }
h2 { font-size: 1.15em; border-left: 4px solid #b71c1c; padding-left: .5em; margin: 1.4em 0 .5em; }
.who { display: flex; justify-content: space-between; border-bottom: 2px solid #b71c1c;
  padding-bottom: .4em; }
table { width: 100%; border-collapse: collapse; font-size: .95em; }
th, td { border: 1px solid #999; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.money, th.money { text-align: right; white-space: nowrap; }
tfoot td { font-weight: bold; }
.none { color: #555; }
.note { margin-top: 1.5em; padding: .6em .8em; border: 1px solid #b71c1c; font-size: .9em; }
ul { margin: 0; padding-left: 1.2em; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tr, .note { page-break-inside: avoid; break-inside: avoid; }
}
"""


def _e(s: object) -> str:
    return escape(str(s), quote=True)


def card_html(card: Card) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(TITLE)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(TITLE)}</h1>",
        '<div class="who">',
        f"<span>姓名：{_e(card.name)}</span>",
        f"<span>身份证号：{_e(card.id_number)}</span>",
        f"<span>截至：{_e(zh_date(card.as_of))}</span>",
        "</div>",
    ]
    parts += _received_html(card)
    parts += _offers_html("二、经预审可以申请的补贴", card.eligible, card.eligible_per_period())
    parts += _offers_html("三、需人工复核的补贴", card.review, {})
    parts.append(f'<p class="note">说明：{_e(NOTE)}</p>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _received_html(card: Card) -> list[str]:
    out = [f"<h2>一、正在享受的补贴（{len(card.received)} 项）</h2>"]
    if not card.received:
        return [*out, '<p class="none">花名册中没有您的发放记录。</p>']
    out += [
        "<table>",
        '<thead><tr><th>项目</th><th>最近一期</th><th class="money">每期金额</th>'
        '<th class="money">累计已发放</th><th>主管部门</th><th>咨询电话</th></tr></thead>',
        "<tbody>",
    ]
    for r in card.received:
        out.append(
            f"<tr><td>{_e(r.title)}<br><small>{_e(r.item)}</small></td>"
            f"<td>{_e(r.latest_period_text)}</td>"
            f'<td class="money">{_e(_per(r.period_kind, r.latest_amount))}</td>'
            f'<td class="money">{_e(money_text(r.total))}元（{r.payments} 笔）</td>'
            f"<td>{_e(department_text(r.department))}</td><td>{_e(r.hotline)}</td></tr>"
        )
    out += [
        "</tbody>",
        "<tfoot>",
        f'<tr><td colspan="2">最近一期合计</td>'
        f'<td class="money" colspan="2">{_e(_totals(card.received_per_period()))}</td>'
        '<td colspan="2"></td></tr>',
        f'<tr><td colspan="2">花名册内累计已发放</td>'
        f'<td class="money" colspan="2">{_e(money_text(card.total_paid))}元</td>'
        '<td colspan="2"></td></tr>',
        "</tfoot>",
        "</table>",
    ]
    return out


def _offers_html(heading: str, offers: tuple[Offer, ...], totals: dict[str, Decimal]) -> list[str]:
    out = [f"<h2>{_e(heading)}（{len(offers)} 项）</h2>"]
    if not offers:
        return [*out, '<p class="none">无。</p>']
    out += [
        "<table>",
        '<thead><tr><th>项目</th><th>预审结果</th><th class="money">预计金额</th>'
        "<th>需复核或补充的事项</th><th>主管部门</th><th>咨询电话</th></tr></thead>",
        "<tbody>",
    ]
    for o in offers:
        notes = [f"需复核：{r}" for r in o.reasons] + [f"需补充：{m}" for m in o.missing]
        cell = "<ul>" + "".join(f"<li>{_e(x)}</li>" for x in notes) + "</ul>" if notes else ""
        out.append(
            f"<tr><td>{_e(o.title)}<br><small>{_e(o.item)}</small></td>"
            f"<td>{_e(o.outcome.zh)}</td>"
            f'<td class="money">{_e(_offer_amount(o))}</td>'
            f"<td>{cell}</td>"
            f"<td>{_e(department_text(o.department))}</td><td>{_e(o.hotline)}</td></tr>"
        )
    out.append("</tbody>")
    if totals:
        out.append(
            f'<tfoot><tr><td colspan="2">预计合计</td>'
            f'<td class="money" colspan="2">{_e(_totals(totals))}</td>'
            '<td colspan="2"></td></tr></tfoot>'
        )
    out.append("</table>")
    return out
