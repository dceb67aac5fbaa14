"""A synthetic payment roster (发放花名册) of Neijiang with planted frauds, deterministic by
seed, and the findings the eight standard audits must report on it (docs/roster.md).

    from yktrules.synth.roster import synth_roster
    s = synth_roster(100_000, seed=7, plants={"AUD-08": 1, "AUD-03": 5}, standard=std)
    s.payments, s.deaths, s.agents   # rows as dicts (amounts Decimal, periods date)
    s.expected                       # every Finding(audit, ids) the data produces

Clean data produces no finding: every beneficiary has one card of their own or receives
through a registered agent (代领登记); no one is paid twice for an item and period, nor
two mutually exclusive items in a period; amounts are at most the standard; payments stop
after a registered death; approver and disburser of a batch are different staff.  Monthly
items are paid for every period of the window (period = first day of the month), the
yearly 耕地地力保护补贴 once a year (period = 1 January).  One batch per item, period and
county (``B2025-03-511025-SCMZ001``).

Plants use people, cards and (when they matter) batches of their own, so plants never
interact with each other or with clean data; what each plant triggers besides its own
audit is listed at :data:`SIDE_EFFECTS`.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, NamedTuple

import attrs

from ..facts.ids import make_id_number
from .applications import NEIJIANG
from .people import birth_date, person_name, pick

__all__ = [
    "AUDITS",
    "EXCLUSIVE",
    "ITEMS",
    "SIDE_EFFECTS",
    "Finding",
    "Standard",
    "SynthRoster",
    "batch_id",
    "synth_roster",
]

#: The standard per-period amount of an item in a region for a period; None: no standard.
Standard = Callable[[str, str, date], Decimal | None]

#: The eight standard audits (audits/*.ykt) a plant can target.
AUDITS = ("AUD-01", "AUD-02", "AUD-03", "AUD-04", "AUD-05", "AUD-06", "AUD-07", "AUD-08")

#: Item code -> (name, monthly?, nominal amount when there is no standard, (min, max) age).
ITEMS: dict[str, tuple[str, bool, Decimal, tuple[int, int]]] = {
    "SC-MZ-001": ("低保", True, Decimal(600), (18, 95)),
    "SC-MZ-002": ("特困", True, Decimal(800), (60, 95)),
    "SC-MZ-005": ("高龄津贴", True, Decimal(200), (80, 100)),
    "SC-CL-001": ("重度残疾人护理补贴", True, Decimal(100), (18, 79)),
    "SC-CL-002": ("困难残疾人生活补贴", True, Decimal(100), (18, 79)),
    "SC-MZ-010": ("失能老年人护理补贴", True, Decimal(200), (65, 95)),
    "SC-MZ-020": ("孤儿", True, Decimal(1600), (1, 17)),
    "SC-MZ-021": ("事实无人抚养儿童", True, Decimal(1300), (1, 17)),
    "NJ-MZ-032": ("困境儿童", True, Decimal(500), (1, 17)),
    "SC-NY-001": ("耕地地力保护补贴", False, Decimal(3000), (30, 80)),
}

#: Items no one may receive two of in the same period (AUD-06).
EXCLUSIVE: tuple[frozenset[str], ...] = (
    frozenset({"SC-MZ-001", "SC-MZ-002"}),
    frozenset({"SC-MZ-020", "SC-MZ-021", "NJ-MZ-032"}),
    frozenset({"SC-CL-001", "SC-MZ-010"}),
)

#: What each plant triggers besides its own audit (instance i counts from 0 per audit).
SIDE_EFFECTS: dict[str, str] = {
    "AUD-01": "even i: the second person's row is on another's card without an agent entry "
    "(AUD-02 for that person and card); odd i: registered as agent (nothing else)",
    "AUD-02": "nothing (odd i: the person has an agent entry naming someone else)",
    "AUD-03": "nothing (the copy goes into a supplementary batch with the usual staff)",
    "AUD-04": "nothing (1 to 3 periods paid after death: one finding per row)",
    "AUD-05": "nothing",
    "AUD-06": "nothing (1 to 3 periods with both items: one finding per period)",
    "AUD-07": "nothing",
    "AUD-08": "even i: holder fields forged to the beneficiary, one official approves and "
    "disburses a batch per period (AUD-07 per period); odd i: cards held by accomplices, "
    "usual batches (AUD-02 per name and card)",
}

_CARD_PREFIXES = ("621799", "622848", "623036", "621467")
_RELATIONS_ADULT = ("子女", "配偶", "子女", "兄弟姐妹")
_RELATIONS_CHILD = ("祖父母", "祖父母", "监护人")
_CENT = Decimal("0.01")


class Finding(NamedTuple):
    """An audit's finding: the audit code and the ``id`` of every payment it involves."""

    audit: str
    ids: frozenset[str]


@attrs.frozen
class SynthRoster:
    """The roster, the registries and every finding the audits must report on them."""

    payments: list[dict[str, Any]]
    deaths: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    expected: list[Finding]
    clean: int  # how many of the payments are clean


@attrs.define
class _Person:
    id: str
    name: str
    region: str
    card: str
    holder_id: str
    holder_name: str
    items: dict[str, Decimal]  # item -> fraction of the standard paid
    last: date | None = None  # last period paid (death), None: the whole window


def batch_id(item: str, period: date, region: str, supplement: int = 0) -> str:
    """``B2025-03-511025-SCMZ001``; a supplementary batch ends in ``-02``, ``-03`` …"""
    base = f"B{period:%Y-%m}-{region}-{item.replace('-', '')}"
    return f"{base}-{supplement:02d}" if supplement else base


def synth_roster(
    n_clean: int,
    *,
    seed: int,
    plants: Mapping[str, int] | None = None,
    standard: Standard,
    start: date = date(2025, 1, 1),
    months: int = 12,
    ring_cards: int = 40,
) -> SynthRoster:
    """A roster of exactly ``n_clean`` clean payments (the last person generated may be cut
    short) plus the planted ones, over ``months`` monthly periods from ``start``.

    ``plants`` maps an audit code to how many instances to plant; ``ring_cards`` is the
    number of cards of each AUD-08 ring.  ``standard(item, region, period)`` bounds clean
    amounts (and AUD-05 plants exceed it).  The same arguments give the same roster."""
    plants = dict(plants or {})
    bad = [k for k in plants if k not in AUDITS]
    if bad:
        raise ValueError(f"unknown audit code(s) {bad}; plants are one of {', '.join(AUDITS)}")
    if any(not isinstance(v, int) or v < 0 for v in plants.values()):
        raise ValueError("plant counts must be non-negative integers")
    if n_clean < 0:
        raise ValueError("n_clean must be >= 0")
    if months < 3:
        raise ValueError("the window needs at least 3 periods")
    if plants.get("AUD-08") and ring_cards < 3:
        raise ValueError("an AUD-08 ring needs at least 3 cards")
    if start.day != 1:
        raise ValueError("start must be the first day of a month")
    b = _Builder(seed, standard, start, months)
    b.clean(n_clean)
    clean = len(b.rows)
    for code in AUDITS:
        for i in range(plants.get(code, 0)):
            getattr(b, "plant_" + code[-2:])(i, ring_cards)
    return b.finish(clean)


class _Builder:
    def __init__(self, seed: int, standard: Standard, start: date, months: int) -> None:
        self.seed = seed
        self.r = random.Random(f"roster/{seed}")
        self.rp = random.Random(f"roster-plants/{seed}")
        self._standard = standard
        self._std: dict[tuple[str, str, date], Decimal | None] = {}
        self.periods = [_add_months(start, k) for k in range(months)]
        self.end = _add_months(start, months) - timedelta(days=1)
        self.ids: set[str] = set()
        self.cards: set[str] = set()
        self.rows: list[tuple[tuple[date, str, float], dict[str, Any]]] = []
        self.deaths: list[dict[str, Any]] = []
        self.agents: list[dict[str, Any]] = []
        self.groups: list[tuple[str, tuple[str, ...], tuple[Any, ...]]] = []
        self.single: list[tuple[str, dict[str, Any]]] = []
        self.supplement = 1
        staff = random.Random(f"roster-staff/{seed}")
        names: set[str] = set()
        self.approvers: dict[str, list[str]] = {}
        self.disbursers: dict[str, list[str]] = {}
        for region in NEIJIANG:
            self.approvers[region] = [_unique_name(staff, names) for _ in range(3)]
            self.disbursers[region] = [_unique_name(staff, names) for _ in range(4)]

    # --- people, cards, amounts, rows ---

    def person(self, r: random.Random, age: tuple[int, int], region: str | None = None) -> _Person:
        region = region or pick(r, tuple(zip(NEIJIANG, (20, 19, 17, 18, 16), strict=True)))
        gender = r.choice(("男", "女"))
        birth = birth_date(r, self.periods[0], r.randint(*age))
        while True:
            pid = make_id_number(region, birth, r.randrange(500), gender)
            if pid not in self.ids:
                break
            birth -= timedelta(days=1)
        self.ids.add(pid)
        name = person_name(r, gender)
        return _Person(pid, name, region, self.card(r), pid, name, {})

    def card(self, r: random.Random) -> str:
        while True:
            no = r.choice(_CARD_PREFIXES) + f"{r.randrange(10**13):013d}"
            if no not in self.cards:
                self.cards.add(no)
                return no

    def agent_for(self, r: random.Random, p: _Person, relation: str, age: tuple[int, int]) -> None:
        a = self.person(r, age, p.region)
        p.card, p.holder_id, p.holder_name = a.card, a.id, a.name
        self.agents.append({"beneficiary_id": p.id, "agent_id": a.id, "relation": relation})

    def standard(self, item: str, region: str, period: date) -> Decimal | None:
        key = (item, region, period)
        if key not in self._std:
            self._std[key] = self._standard(item, region, period)
        return self._std[key]

    def amount(self, item: str, region: str, period: date, frac: Decimal) -> Decimal:
        std = self.standard(item, region, period)
        base = ITEMS[item][2] if std is None else std
        return (base * frac).quantize(_CENT, rounding=ROUND_DOWN)

    def staff(self, item: str, period: date, region: str) -> tuple[str, str]:
        h = zlib.crc32(f"{self.seed}/{item}/{period}/{region}".encode())
        approvers, disbursers = self.approvers[region], self.disbursers[region]
        return approvers[h % len(approvers)], disbursers[(h >> 8) % len(disbursers)]

    def schedule(self, p: _Person) -> list[tuple[date, str]]:
        out = []
        for period in self.periods:
            if p.last is not None and period > p.last:
                break
            out += [(period, it) for it in p.items if ITEMS[it][1] or period.month == 1]
        return out

    def pay(
        self,
        r: random.Random,
        p: _Person,
        item: str,
        period: date,
        *,
        batch: tuple[str, str, str] | None = None,
        amount: Decimal | None = None,
        holder: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """One payment; ``batch`` is (batch id, approver, disburser), default the usual."""
        if batch is None:
            batch = (batch_id(item, period, p.region), *self.staff(item, period, p.region))
        if amount is None:
            amount = self.amount(item, p.region, period, p.items.get(item, Decimal(1)))
        hid, hname = holder or (p.holder_id, p.holder_name)
        paid = period + timedelta(days=r.randint(5, 25) if ITEMS[item][1] else r.randint(90, 150))
        row = {
            "id": None,
            "batch": batch[0],
            "item": item,
            "period": period,
            "beneficiary_id": p.id,
            "beneficiary_name": p.name,
            "card_no": p.card,
            "card_holder_id": hid,
            "card_holder_name": hname,
            "amount": amount,
            "region": p.region,
            "approved_by": batch[1],
            "disbursed_by": batch[2],
            "paid_on": paid,
        }
        self.rows.append(((period, batch[0], r.random()), row))
        return row

    def pay_all(self, r: random.Random, p: _Person) -> None:
        for period, item in self.schedule(p):
            self.pay(r, p, item, period)

    def expect(self, code: str, fields: tuple[str, ...], key: tuple[Any, ...]) -> None:
        self.groups.append((code, fields, key))

    def next_supplement(self) -> int:
        self.supplement += 1
        return self.supplement

    # --- clean data ---

    def clean(self, n: int) -> None:
        r = self.r
        total = 0
        people = 0
        while total < n:
            p = self.clean_person(r)
            rows = self.schedule(p)
            if not rows:
                continue
            people += 1
            for period, item in rows[: n - total]:
                self.pay(r, p, item, period)
            total += min(len(rows), n - total)
        for _ in range(round(people * 0.02) if people else 0):  # deaths of people never paid
            d = self.person(r, (60, 100))
            died = self.periods[0] - timedelta(days=r.randint(-300, 700))
            self.deaths.append({"id_number": d.id, "name": d.name, "death_date": died})

    def clean_person(self, r: random.Random) -> _Person:
        kind = pick(
            r, (("elderly", 26), ("disabled", 14), ("poor", 22), ("child", 6), ("farm", 32))
        )
        lo_hi = {"elderly": (80, 99), "disabled": (18, 79), "poor": (18, 79), "child": (1, 17)}
        p = self.person(r, lo_hi.get(kind, (30, 80)))
        items = p.items
        if kind == "elderly":
            items["SC-MZ-005"] = Decimal(1)
            if r.random() < 0.35:
                items[r.choice(("SC-MZ-001", "SC-MZ-001", "SC-MZ-002"))] = Decimal(1)
            if r.random() < 0.12:
                items["SC-MZ-010"] = Decimal(1)
            if r.random() < 0.35:
                items["SC-NY-001"] = Decimal(1)
            if r.random() < 0.25:
                self.agent_for(r, p, r.choice(_RELATIONS_ADULT), (40, 70))
        elif kind == "disabled":
            items["SC-CL-002" if r.random() < 0.6 else "SC-CL-001"] = Decimal(1)
            if r.random() < 0.3:
                items["SC-CL-001" if "SC-CL-002" in items else "SC-CL-002"] = Decimal(1)
            if r.random() < 0.4:
                items["SC-MZ-001"] = Decimal(1)
            if r.random() < 0.2:
                self.agent_for(r, p, r.choice(_RELATIONS_ADULT), (25, 70))
        elif kind == "poor":
            items["SC-MZ-001" if r.random() < 0.85 else "SC-MZ-002"] = Decimal(1)
            if r.random() < 0.3:
                items["SC-NY-001"] = Decimal(1)
        elif kind == "child":
            items[pick(r, (("SC-MZ-020", 3), ("SC-MZ-021", 3), ("NJ-MZ-032", 4)))] = Decimal(1)
            if r.random() < 0.85:
                self.agent_for(r, p, r.choice(_RELATIONS_CHILD), (50, 78))
        else:
            items["SC-NY-001"] = Decimal(1)
        for it in items:
            if it == "SC-MZ-001":  # 低保 pays the difference to the standard
                items[it] = Decimal(r.randint(30, 100)) / 100
            elif it == "SC-NY-001":  # by area
                items[it] = Decimal(r.randint(5, 60)) / 100
        if r.random() < (0.06 if kind == "elderly" else 0.01):
            died = self.periods[0] + timedelta(days=r.randint(0, (self.end - self.periods[0]).days))
            p.last = died
            self.deaths.append({"id_number": p.id, "name": p.name, "death_date": died})
        return p

    # --- plants: one method per audit, `i` counts instances from 0 ---

    def fresh(self, item: str, region: str | None = None) -> _Person:
        r = self.rp
        p = self.person(r, ITEMS[item][3], region)
        p.items[item] = Decimal(r.randint(50, 100)) / 100
        return p

    def plant_01(self, i: int, _k: int) -> None:
        r = self.rp
        a = self.fresh("SC-MZ-001")
        self.pay_all(r, a)
        b = self.fresh("SC-MZ-005", a.region)
        period = r.choice(self.periods)
        b.card = a.card
        self.pay(r, b, "SC-MZ-005", period, holder=(a.id, a.name))
        if i % 2:
            self.agents.append({"beneficiary_id": b.id, "agent_id": a.id, "relation": "配偶"})
        else:
            self.expect("AUD-02", ("beneficiary_id", "card_no"), (b.id, a.card))
        self.expect("AUD-01", ("card_no", "period"), (a.card, period))

    def plant_02(self, i: int, _k: int) -> None:
        r = self.rp
        a = self.fresh("SC-CL-002")
        holder = self.person(r, (25, 60), a.region)
        a.card, a.holder_id, a.holder_name = holder.card, holder.id, holder.name
        if i % 2:
            other = self.person(r, (25, 60), a.region)
            self.agents.append({"beneficiary_id": a.id, "agent_id": other.id, "relation": "子女"})
        self.pay_all(r, a)
        self.expect("AUD-02", ("beneficiary_id", "card_no"), (a.id, a.card))

    def plant_03(self, i: int, _k: int) -> None:
        r = self.rp
        a = self.fresh("SC-MZ-001")
        self.pay_all(r, a)
        period = r.choice(self.periods)
        batch = batch_id("SC-MZ-001", period, a.region, self.next_supplement())
        self.pay(
            r, a, "SC-MZ-001", period, batch=(batch, *self.staff("SC-MZ-001", period, a.region))
        )
        self.expect("AUD-03", ("beneficiary_id", "item", "period"), (a.id, "SC-MZ-001", period))

    def plant_04(self, i: int, _k: int) -> None:
        r = self.rp
        a = self.fresh("SC-MZ-005")
        after = r.randint(1, min(3, len(self.periods) - 1))
        month = self.periods[len(self.periods) - 1 - after]
        died = month + timedelta(days=r.randint(0, 27))
        self.deaths.append({"id_number": a.id, "name": a.name, "death_date": died})
        for period, item in self.schedule(a):
            row = self.pay(r, a, item, period)
            if period > died:
                self.single.append(("AUD-04", row))

    def plant_05(self, i: int, _k: int) -> None:
        r = self.rp
        period = r.choice(self.periods)
        monthly = [it for it, v in ITEMS.items() if v[1]]
        combos = [(it, reg) for it in monthly for reg in NEIJIANG]
        r.shuffle(combos)
        found = next(
            ((it, g) for it, g in combos if self.standard(it, g, period) is not None), None
        )
        if found is None:
            raise ValueError("AUD-05 plants need a standard amount for some monthly item")
        item, region = found
        a = self.fresh(item, region)
        std = self.standard(item, region, period)
        assert std is not None
        delta = r.choice((_CENT, Decimal(1), (std / 10).quantize(_CENT), std * 9))  # ×10: a typo
        over = std + max(delta, _CENT)
        for p, it in self.schedule(a):
            row = self.pay(r, a, it, p, amount=over if p == period else None)
            if p == period:
                self.single.append(("AUD-05", row))

    def plant_06(self, i: int, _k: int) -> None:
        r = self.rp
        first, second = r.sample(sorted(r.choice(EXCLUSIVE)), 2)
        a = self.fresh(first)
        self.pay_all(r, a)
        n = r.randint(1, 3)
        at = r.randrange(len(self.periods) - n + 1)
        for period in self.periods[at : at + n]:
            self.pay(r, a, second, period, amount=self.amount(second, a.region, period, Decimal(1)))
            self.expect("AUD-06", ("beneficiary_id", "period"), (a.id, period))

    def plant_07(self, i: int, _k: int) -> None:
        r = self.rp
        item = r.choice([it for it, v in ITEMS.items() if v[1]])
        region = r.choice(NEIJIANG)
        period = r.choice(self.periods)
        official = r.choice(self.disbursers[region])
        batch = (batch_id(item, period, region, self.next_supplement()), official, official)
        for _ in range(r.randint(2, 5)):
            a = self.fresh(item, region)
            for p, it in self.schedule(a):
                self.pay(r, a, it, p, batch=batch if p == period else None)
        self.expect("AUD-07", ("batch", "approved_by", "disbursed_by"), batch)

    def plant_08(self, i: int, k: int) -> None:
        """K cards, K + extra names; in period t card j is paid for name (j + t) mod M."""
        r = self.rp
        item, region = "SC-MZ-001", r.choice(NEIJIANG)
        length = r.randint(3, len(self.periods))
        at = r.randrange(len(self.periods) - length + 1)
        periods = self.periods[at : at + length]
        names = [self.fresh(item, region) for _ in range(k + r.randint(1, length - 2))]
        cards = [self.card(r) for _ in range(k)]
        forged = i % 2 == 0
        accomplices = [self.person(r, (30, 60), region) for _ in range(r.randint(1, 4))]
        holders = [r.choice(accomplices) for _ in cards]
        official = r.choice(self.disbursers[region])
        for t, period in enumerate(periods):
            batch = None
            if forged:
                batch = (batch_id(item, period, region, self.next_supplement()), official, official)
                self.expect("AUD-07", ("batch", "approved_by", "disbursed_by"), batch)
            for j, card in enumerate(cards):
                name = names[(j + t) % len(names)]
                name.card = card
                h = holders[j]
                holder = (name.id, name.name) if forged else (h.id, h.name)
                self.pay(r, name, item, period, batch=batch, holder=holder)
                if not forged:
                    self.expect("AUD-02", ("beneficiary_id", "card_no"), (name.id, card))
        for card in cards:
            self.expect("AUD-08", ("card_no",), (card,))

    # --- the result ---

    def finish(self, clean: int) -> SynthRoster:
        self.rows.sort(key=lambda e: e[0])
        payments = [row for _, row in self.rows]
        for n, row in enumerate(payments, start=1):
            row["id"] = f"P{n:07d}"
        found: set[Finding] = {Finding(code, frozenset([row["id"]])) for code, row in self.single}
        index: dict[tuple[str, ...], dict[tuple[Any, ...], set[str]]] = {}
        for _, fields, _ in self.groups:
            if fields not in index:
                index[fields] = _group(payments, fields)
        for code, fields, key in self.groups:
            found.add(Finding(code, frozenset(index[fields][key])))
        expected = sorted(found, key=lambda f: (f.audit, sorted(f.ids)))
        return SynthRoster(payments, self.deaths, self.agents, expected, clean)


def _group(
    payments: Iterable[dict[str, Any]], fields: tuple[str, ...]
) -> dict[tuple[Any, ...], set[str]]:
    out: dict[tuple[Any, ...], set[str]] = {}
    for row in payments:
        out.setdefault(tuple(row[f] for f in fields), set()).add(row["id"])
    return out


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def _unique_name(r: random.Random, seen: set[str]) -> str:
    while True:
        name = person_name(r, r.choice(("男", "女")))
        if name not in seen:
            seen.add(name)
            return name
