"""The generator behind the strategies: where choices come from (Hypothesis's draws, which
shrink, or a seeded ``random.Random``), and the walk over a facts model's plan that turns
them into a document that validates, aimed at the policies' boundaries (:mod:`.targets`)."""

from __future__ import annotations

import abc
import copy
import functools
import random
import typing
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from ..facts.ids import is_valid_region_code, make_id_number
from .plan import _Field, _Model
from .targets import Targets, shift_date

__all__ = [
    "ALL_COUNTIES",
    "NEIJIANG_COUNTIES",
    "OTHER_PROVINCE_COUNTIES",
    "SICHUAN_COUNTIES",
    "Drawn",
    "Generator",
    "Seeded",
    "Source",
]

#: 内江市: 市中区, 东兴区, 威远县, 资中县, 隆昌市.
NEIJIANG_COUNTIES: tuple[str, ...] = ("511002", "511011", "511024", "511025", "511083")
#: Other counties of Sichuan (成都 锦江/武侯/温江, 自贡 沿滩, 泸州 江阳, 德阳 中江, 南充 南部,
#: 眉山 仁寿, 宜宾 翠屏, 凉山 西昌).
SICHUAN_COUNTIES: tuple[str, ...] = (
    "510104",
    "510107",
    "510115",
    "510311",
    "510502",
    "510623",
    "511321",
    "511421",
    "511502",
    "513401",
)
#: Counties of other provinces (北京 朝阳, 上海 浦东, 深圳 南山, 重庆 渝北, 昆明 五华,
#: 贵阳 南明, 武汉 武昌, 西安 雁塔).
OTHER_PROVINCE_COUNTIES: tuple[str, ...] = (
    "110105",
    "310115",
    "440305",
    "500112",
    "530102",
    "520102",
    "420106",
    "610113",
)
ALL_COUNTIES = NEIJIANG_COUNTIES + SICHUAN_COUNTIES + OTHER_PROVINCE_COUNTIES

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林曾谢邓唐冯"
_GIVEN = "建国秀英志强桂兰文华玉梅德明春花小军丽娟永福淑珍家豪雨欣子涵浩然思远"
_PLACES = ("内江", "资中", "隆昌", "威远", "东兴", "成都", "自贡")
_TRADES = ("兴旺", "顺达", "福源", "农丰", "鑫盛", "天府", "甜城")
_SUFFIXES = ("商贸有限公司", "农业专业合作社", "餐馆", "建材经营部", "养殖场", "便利店")
_TEXT = "甲乙丙丁东南西北上下左右大小山水田土"
_ITEM_CODES = ("SC-MZ-001", "SC-MZ-002", "SC-MZ-005", "SC-CL-001", "SC-CL-002", "SC-NY-001")

TARGET_RATE = 0.5  # how often a targeted value is drawn when the path has targets
LEAN_RATE = 0.85  # how often a yes/no fact takes the value that passes the rules testing it
MAX_LIST = 4  # the longest list generated (a household: the applicant and up to 4 more)
_DELTAS = tuple(Decimal(x) for x in ("0", "-0.01", "0.01", "-1", "1"))
_ABSENT = object()


# ------------------------------------------------------------------ where choices come from
class Source(abc.ABC):
    """The choices the generator makes.  Hypothesis's draws (shrinkable) or a seeded
    `random.Random` (independent, evenly spread examples)."""

    @abc.abstractmethod
    def integer(self, lo: int, hi: int) -> int:
        """An integer in `lo..hi`."""

    @abc.abstractmethod
    def uniform(self, n: int) -> int:
        """An integer in `0..n-1`, evenly spread."""

    def boolean(self) -> bool:
        return self.integer(0, 1) == 1

    def pick(self, options: Sequence[Any]) -> Any:
        return options[self.integer(0, len(options) - 1)]


class Drawn(Source):
    def __init__(self, draw: st.DrawFn):
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def boolean(self) -> bool:
        return self.draw(st.booleans())

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def uniform(self, n: int) -> int:
        # Hypothesis draws a wide `integers(0, n)` from a distribution skewed towards small
        # values; base-100 digits are spread evenly and still shrink towards 0.
        if n <= 100:
            return self.draw(st.integers(0, n - 1))
        digits, top = 1, 100
        while top < n:
            digits, top = digits + 1, top * 100
        x = 0
        for _ in range(digits):
            x = x * 100 + self.draw(st.integers(0, 99))
        return x * n // top


class Seeded(Source):
    def __init__(self, rnd: random.Random):
        self.rnd = rnd

    def integer(self, lo: int, hi: int) -> int:
        return self.rnd.randint(lo, hi)

    def uniform(self, n: int) -> int:
        return self.rnd.randrange(n)


# ------------------------------------------------------------------ the generator
class Generator:
    def __init__(
        self,
        src: Source,
        as_of: date,
        region: str,
        targets: Targets,
        unknown_rate: float,
        reads: frozenset[str] | None = None,
    ):
        self.reads = reads
        self.src = src
        self.as_of = as_of
        self.region = region
        self.t = targets
        self.unknown_rate = unknown_rate
        self.applicant: dict[str, Any] | None = None

    def chance(self, p: float) -> bool:
        if p <= 0:
            return False
        if p >= 1:
            return True
        if round(p * 100) == p * 100:  # one choice when whole percents will do
            return self.src.uniform(100) < round(p * 100)
        return self.src.uniform(10_000) < round(p * 10_000)

    def pick(self, options: Sequence[Any]) -> Any:
        return self.src.pick(list(options))

    def lookup(
        self, table: typing.Mapping[str, tuple[Any, ...]], paths: tuple[str, ...]
    ) -> list[Any]:
        out: list[Any] = []
        for p in paths:
            out += [v for v in table.get(p, ()) if v not in out]
        return out

    # -------------------------------------------------------------- documents and records
    def root(self, plan: _Model) -> dict[str, Any]:
        app_field = plan.get("applicant")
        if app_field is not None and app_field.kind == "model" and app_field.sub is not None:
            self.applicant = self.record(
                self._applicant_plan(plan, app_field.sub),
                ("applicant", "household.members"),
                "applicant",
            )
        return self.record(plan, (), None)

    def _applicant_plan(self, root: _Model, applicant: _Model) -> _Model:
        """The applicant is also a household member: when the members' model extends the
        applicant's, generate the applicant with it (both then validate)."""
        for f in root.fields:
            if f.kind != "model" or f.sub is None:
                continue
            members = f.sub.get("members")
            if (
                members is not None
                and members.sub is not None
                and issubclass(members.sub.model, applicant.model)
            ):
                return members.sub
        return applicant

    def record(self, plan: _Model, paths: tuple[str, ...], role: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in plan.fields:
            sub = tuple(f"{p}.{f.name}" if p else f.name for p in paths) or (f.name,)
            if f.kind == "id_number":
                out[f.name] = _ABSENT  # filled in below, from the birth date and gender
                continue
            if not paths and f.name == "applicant" and self.applicant is not None:
                out[f.name] = self.applicant
                continue
            out[f.name] = self.field(f, sub, plan, role)
        for f in plan.fields:
            if f.kind == "id_number":
                out[f.name] = self.optional(f, functools.partial(self.id_number, out))
        return {k: v for k, v in out.items() if v is not _ABSENT}

    def optional(self, f: _Field, make: typing.Callable[[], Any]) -> Any:
        """An unknown (absent or null) with probability `unknown_rate` when the field may
        be null; else a value."""
        if f.nullable and self.chance(self.unknown_rate):
            if not f.required and not self.src.boolean():
                return _ABSENT
            return None
        return make()

    def field(self, f: _Field, paths: tuple[str, ...], plan: _Model, role: str | None) -> Any:
        path = paths[0]
        if path == "application.date" and f.kind == "date":
            return self.as_of.isoformat()
        if path == "application.region" and f.kind == "region":
            return self.region
        if plan.person and f.name == "relation" and f.kind == "literal" and "本人" in f.choices:
            if role == "applicant":
                return "本人"
            if role == "member":
                others = [c for c in f.choices if c != "本人"] or list(f.choices)
                return self.optional(f, lambda: self.pick(others))
        if f.kind == "list" and f.name == "members" and self.applicant is not None and f.sub:
            return self.members(f, paths)
        if not f.required and self.reads is not None and not self.read(paths):
            return _ABSENT
        return self.optional(f, lambda: self.value(f, paths, plan, role))

    def read(self, paths: tuple[str, ...]) -> bool:
        """Whether a policy reads the fact at one of `paths` or something inside it.  (A
        record or list read as a whole, `known(applicant.disability)` or
        `count(household.members)`, needs only its required fields.)"""
        assert self.reads is not None
        return any(p == r or r.startswith(p + ".") for p in paths for r in self.reads)

    def value(self, f: _Field, paths: tuple[str, ...], plan: _Model, role: str | None) -> Any:
        k = f.kind
        if k == "model":
            assert f.sub is not None
            return self.record(f.sub, paths, role if f.sub.person else None)
        if k == "list":
            return self.list_(f, paths, role)
        if k == "literal":
            return self.literal(f, paths)
        if k == "bool":
            lean = self.lookup(self.t.booleans, paths)
            if len(lean) == 1:
                return lean[0] if self.chance(LEAN_RATE) else not lean[0]
            return self.src.boolean()
        if k == "int":
            return self.integer(f, paths)
        if k == "decimal":
            return self.decimal(f, paths)
        if k == "date":
            if plan.person and f.name == "birth_date":
                return self.birth_date(paths).isoformat()
            return self.date_(paths).isoformat()
        if k == "region":
            return self.region_code(paths)
        return self.string(f, paths, plan)

    # -------------------------------------------------------------- lists
    def list_length(self, paths: tuple[str, ...], lo: int, hi: int, usual: int) -> int:
        """A targeted length (±1) within `lo..hi`, or any length in `lo..usual`."""
        wanted = self.lookup(self.t.lengths, paths)
        if wanted and self.chance(TARGET_RATE):
            n = self.pick(wanted) + self.pick((0, -1, 1))
            return int(min(max(n, lo), hi))
        return self.src.integer(lo, max(lo, min(usual, hi)))

    def list_(self, f: _Field, paths: tuple[str, ...], role: str | None) -> list[Any]:
        assert f.elem is not None
        lo = f.min_len
        hi = max(lo, MAX_LIST if f.max_len is None else min(MAX_LIST, f.max_len))
        n = self.list_length(paths, lo, hi, 3)
        elem = f.elem
        fake_plan = _Model(BaseModel, ())
        return [
            self.optional(elem, lambda: self.value(elem, paths, fake_plan, None)) for _ in range(n)
        ]

    def members(self, f: _Field, paths: tuple[str, ...]) -> list[Any]:
        assert f.sub is not None and self.applicant is not None
        lo = max(1, f.min_len)
        hi = max(lo, MAX_LIST + 1 if f.max_len is None else min(MAX_LIST + 1, f.max_len))
        n = self.list_length(paths, lo, hi, hi)
        others = [self.record(f.sub, paths, "member") for _ in range(n - 1)]
        return [copy.deepcopy(self.applicant), *others]

    # -------------------------------------------------------------- scalars
    def literal(self, f: _Field, paths: tuple[str, ...]) -> Any:
        wanted = [v for v in self.lookup(self.t.strings, paths) if v in f.choices]
        if wanted and self.chance(TARGET_RATE):
            return self.pick(wanted)
        return self.pick(f.choices)

    def integer(self, f: _Field, paths: tuple[str, ...]) -> int:
        lo = int(f.lo.to_integral_value(ROUND_HALF_UP)) if f.lo is not None else 0
        hi = int(f.hi.to_integral_value(ROUND_HALF_UP)) if f.hi is not None else max(lo, 0) + 100
        wanted = [
            int(v) + d
            for v in self.lookup(self.t.numbers, paths)
            if v == v.to_integral_value()
            for d in (0, -1, 1)
            if lo <= int(v) + d <= hi
        ]
        if wanted and self.chance(TARGET_RATE):
            return int(self.pick(sorted(set(wanted), key=wanted.index)))
        return self.src.integer(lo, hi)

    def decimal(self, f: _Field, paths: tuple[str, ...]) -> Any:
        lo = Decimal(0) if f.lo is None else max(f.lo, Decimal(0))
        hi = f.hi
        v: Decimal | None = None
        wanted = self.lookup(self.t.numbers, paths)
        if wanted and self.chance(TARGET_RATE):
            v = self.pick(wanted) + self.pick(_DELTAS)
            if v.as_tuple().exponent < -2:  # type: ignore[operator]
                v = v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if v < lo or (hi is not None and v > hi):
                v = None
        if v is None:
            scale = self.pick((100, 10_000, 1_000_000))
            places = self.src.integer(0, 2)
            v = (Decimal(self.src.uniform(scale * 100)) / 100).quantize(
                Decimal(1).scaleb(-places), rounding=ROUND_DOWN
            )
            v = max(v, lo)
            if hi is not None:
                v = min(v, hi)
        if v == v.to_integral_value() and self.src.boolean():
            return int(v)
        return _decimal_text(v)

    def birth_date(self, paths: tuple[str, ...]) -> date:
        """0 to 105 years before `as_of`, often exactly a targeted age, a day short of it,
        or a day past it."""
        aimed = self.aimed_dates(paths)
        if aimed and self.chance(TARGET_RATE):
            d = self.pick(aimed)
            if d <= self.as_of:
                return d
        oldest = shift_date(self.as_of, "years", 105) or self.as_of
        return self.as_of - timedelta(days=self.src.uniform((self.as_of - oldest).days + 1))

    def date_(self, paths: tuple[str, ...]) -> date:
        """Within ten years before `as_of` to one after, or near a targeted date."""
        aimed = self.aimed_dates(paths)
        if aimed and self.chance(TARGET_RATE):
            return self.pick(aimed)  # type: ignore[no-any-return]
        return self.as_of - timedelta(days=self.src.uniform(366 + 3653 + 1) - 366)

    def aimed_dates(self, paths: tuple[str, ...]) -> list[date]:
        out: list[date] = []
        anchors = list(self.lookup(self.t.dates, paths))
        for unit, n in self.lookup(self.t.relative, paths):
            d = shift_date(self.as_of, unit, n)
            if d is not None:
                anchors.append(d)
        for d in anchors:
            for k in (0, 1, -1):
                try:
                    x = d + timedelta(days=k)
                except OverflowError:
                    continue
                if date(1000, 1, 1) <= x and x not in out:
                    out.append(x)
        return out

    def region_code(self, paths: tuple[str, ...]) -> str:
        wanted = [c for c in self.lookup(self.t.strings, paths) if is_valid_region_code(c)]
        k = self.src.integer(0, 99)
        if k < 60:
            return self.region
        if k < 75 and wanted:
            return self.pick(wanted)  # type: ignore[no-any-return]
        if k < 88:
            near = [c for c in ALL_COUNTIES if c[:4] == self.region[:4] and c != self.region]
            near = near or [c for c in ALL_COUNTIES if c[:2] == self.region[:2]]
            return self.pick(near or ALL_COUNTIES)  # type: ignore[no-any-return]
        return self.pick(ALL_COUNTIES)  # type: ignore[no-any-return]

    def id_number(self, person: dict[str, Any]) -> str:
        birth = person.get("birth_date")
        born = date.fromisoformat(birth) if isinstance(birth, str) else None
        if born is None or born.year < 1000:
            born = self.birth_date(())
        gender = person.get("gender")
        if gender not in ("男", "女"):
            gender = self.pick(("男", "女"))
        where = person.get("hukou_region")
        if not (isinstance(where, str) and is_valid_region_code(where)):
            where = self.region
        return make_id_number(where, born, self.src.integer(0, 499), gender)

    def string(self, f: _Field, paths: tuple[str, ...], plan: _Model) -> str:
        wanted = self.lookup(self.t.strings, paths)
        if wanted and self.chance(0.7):
            s = str(self.pick(wanted))
        elif f.name == "name" and plan.person:
            s = self.pick(_SURNAMES) + self.pick(_GIVEN)
            if self.src.boolean():
                s += self.pick(_GIVEN)
        elif f.name == "name":
            s = self.pick(_PLACES) + self.pick(_TRADES) + self.pick(_SUFFIXES)
        elif f.name == "id":
            s = f"APP-{self.src.integer(0, 99_999_999):08d}"
        elif f.name.endswith("_no"):
            s = f"6217{self.src.integer(0, 10**15 - 1):015d}"
        elif f.name == "item":
            s = self.pick(self.t.codes or _ITEM_CODES)
        else:
            n = self.src.integer(1, 6)
            s = "".join(self.pick(_TEXT) for _ in range(n))
        if f.max_len is not None:
            s = s[: max(f.max_len, 0)]
        if len(s) < f.min_len:
            s += "某" * (f.min_len - len(s))
        return s


def _decimal_text(v: Decimal) -> str:
    s = format(v, "f")
    return "0" if s in ("-0", "-0.00", "-0.0") else s
