"""Hypothesis strategies for facts documents: generated applicants that always validate.

`applications()` walks the pydantic model of the facts schema (the standard `Application`
or a host's subclass) field by field, so fields a host adds are generated too.  Supported
field kinds: `str`, `Literal[...]`, `bool`, `int`, `Decimal` (and `float`), `date`, nested
models, lists of any of these, and `Optional[...]` of any of these.  Constraints written
with `Field(ge=…, le=…, gt=…, lt=…, min_length=…, max_length=…)` are honoured; a custom
validator on a host's field is not known to the generator (its values may be rejected).

What the documents look like:

- JSON-like: dates as `"YYYY-MM-DD"`, decimals as strings (`"4999.99"`) or ints, never
  floats; 0 to 2 decimal places;
- an optional field is unknown (absent, or `null`) with probability `unknown_rate`; an
  optional list may also be empty (`[]`, "none") — the two are different facts;
- `application.date` is the decision date (`as_of`), `application.region` a real county
  code (Neijiang, other Sichuan counties, other provinces); region-coded fields (`hukou_region`,
  `properties.region`) are mostly the filing region, sometimes a neighbour or elsewhere;
- people: plausible Chinese names, birth dates 0–105 years before `as_of`, ID numbers that
  agree with the birth date, gender and household registration (GB 11643 check digit);
  the applicant is `本人` and is also the first of `household.members`;
- with `targets` (see `targets_for`), values at, just below and just above the boundaries
  the policies test, with high probability.

Field names steer plausible strings: `name` (a person's or a business's name), `id`,
`*_no` (card numbers), `item` (item codes); any other string is short Chinese text, or one
of the strings a policy compares it with.
"""

from __future__ import annotations

import abc
import copy
import functools
import random
import typing
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import attrs
from hypothesis import strategies as st
from pydantic import BaseModel

from ..errors import ArgumentError
from ..facts.ids import is_valid_region_code, make_id_number
from ..facts.models import Application
from ..ir import regions as _regions
from ..screening.policyset import PolicySet
from .plan import _Field, _Model, _plan
from .targets import Targets, shift_date, targets_for

__all__ = [
    "NEIJIANG_COUNTIES",
    "OTHER_PROVINCE_COUNTIES",
    "SICHUAN_COUNTIES",
    "Spec",
    "applications",
    "facts_for_policy",
    "in_force_range",
    "policy_spec",
    "reading_spec",
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
_ALL_COUNTIES = NEIJIANG_COUNTIES + SICHUAN_COUNTIES + OTHER_PROVINCE_COUNTIES

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林曾谢邓唐冯"
_GIVEN = "建国秀英志强桂兰文华玉梅德明春花小军丽娟永福淑珍家豪雨欣子涵浩然思远"
_PLACES = ("内江", "资中", "隆昌", "威远", "东兴", "成都", "自贡")
_TRADES = ("兴旺", "顺达", "福源", "农丰", "鑫盛", "天府", "甜城")
_SUFFIXES = ("商贸有限公司", "农业专业合作社", "餐馆", "建材经营部", "养殖场", "便利店")
_TEXT = "甲乙丙丁东南西北上下左右大小山水田土"
_ITEM_CODES = ("SC-MZ-001", "SC-MZ-002", "SC-MZ-005", "SC-CL-001", "SC-CL-002", "SC-NY-001")
_DEFAULT_AS_OF = (date(2021, 1, 1), date(2025, 12, 31))

TARGET_RATE = 0.5  # how often a targeted value is drawn when the path has targets
LEAN_RATE = 0.85  # how often a yes/no fact takes the value that passes the rules testing it
MAX_LIST = 4  # the longest list generated (a household: the applicant and up to 4 more)
_DELTAS = tuple(Decimal(x) for x in ("0", "-0.01", "0.01", "-1", "1"))
_ABSENT = object()


# ------------------------------------------------------------------ public strategies
def applications(
    schema: type[BaseModel] = Application,
    *,
    region: str | Sequence[str] | None = None,
    as_of: date | tuple[date, date] | None = None,
    targets: Targets | None = None,
    unknown_rate: float = 0.1,
) -> st.SearchStrategy[dict[str, Any]]:
    """A strategy of facts documents (JSON-like dicts) that validate against `schema`.

    - `region`: the filing region: a code or several; a county code is used as it is, a
      city or province code stands for the counties inside it that the generator knows
      (itself when it knows none).  Default: Neijiang half of the time, other Sichuan
      counties, sometimes another province.
    - `as_of`: the decision date, which is also `application.date`: a date, or a
      `(first, last)` range (default 2021-01-01 to 2025-12-31) from which it is drawn, often
      on a day when a parameter or a policy changes (`targets.as_of_dates`).
    - `targets`: from `targets_for(policy_set)`; values near the policies' boundaries.
    - `unknown_rate`: the chance that an optional fact is unknown (absent or null).
    """
    return _spec(schema, region, as_of, targets, unknown_rate).strategy()


def facts_for_policy(
    policy_set: PolicySet, code: str, *, unknown_rate: float = 0.1
) -> st.SearchStrategy[dict[str, Any]]:
    """Applicants for one policy: filed inside its region, decided while it is in force,
    aimed at its boundaries (`targets_for(policy_set, code)`), against the set's schema."""
    return policy_spec(policy_set, code, unknown_rate=unknown_rate).strategy()


def policy_spec(policy_set: PolicySet, code: str, *, unknown_rate: float = 0.1) -> Spec:
    """The generator settings `facts_for_policy` uses (the fuzz engine samples them)."""
    targets = targets_for(policy_set, code)
    p = policy_set.policies[code]
    return _spec(
        policy_set.schema, p.region, in_force_range(policy_set, code), targets, unknown_rate
    )


def reading_spec(spec: Spec, reads: Iterable[str]) -> Spec:
    """The same generator, leaving out the optional facts that are not on `reads` (the fact
    paths a policy reads): smaller documents, quicker to generate and to shrink, and the
    same decisions."""
    return attrs.evolve(spec, reads=frozenset(reads))


def in_force_range(policy_set: PolicySet, code: str) -> tuple[date, date]:
    """The decision dates worth trying for a policy: from its `effective` to its `until`,
    or, when it has none, two years past the last date anything in the set changes."""
    p = policy_set.policies[code]
    if p.until is not None:
        return p.effective, p.until
    changes = [q.effective for q in policy_set.policies.values()]
    changes += [
        d for decl in policy_set.params.decls.values() for s in decl.values.values() for d, _ in s
    ]
    last = max([p.effective, *changes])
    return p.effective, shift_date(last, "years", -2) or last


def _region_choices(region: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if region is None:
        return None
    codes = [region] if isinstance(region, str) else list(region)
    if not codes:
        raise ArgumentError("region 不能为空列表 / region must name at least one code")
    out: list[str] = []
    for c in codes:
        if not isinstance(c, str) or not is_valid_region_code(c):
            raise ArgumentError(f"region 须为6位行政区划代码，而不是 {c!r}")
        if _regions.level(c) == "county":
            out.append(c)
            continue
        inside = [k for k in _ALL_COUNTIES if _regions.within(k, c)]
        out += inside or [c]
    return tuple(dict.fromkeys(out))


@attrs.frozen
class Spec:
    """Everything that shapes the generated documents; `strategy()` for Hypothesis,
    `sample(rnd)` for independent draws from a seeded `random.Random`."""

    plan: _Model
    regions: tuple[str, ...] | None
    as_of: date | tuple[date, date]
    near: tuple[date, ...]  # decision dates worth hitting (changes of parameters, policies)
    targets: Targets
    unknown_rate: float
    reads: frozenset[str] | None = None  # when set, optional facts off these paths stay absent

    def strategy(self) -> st.SearchStrategy[dict[str, Any]]:
        return _documents(self)

    def sample(self, rnd: random.Random) -> dict[str, Any]:
        return self.build(_Seeded(rnd))

    def build(self, src: _Source) -> dict[str, Any]:
        if isinstance(self.as_of, date):
            day = self.as_of
        elif self.near and src.boolean():
            day = src.pick(self.near)
        else:
            first, last = self.as_of
            day = first + timedelta(days=src.uniform((last - first).days + 1))
        if self.regions:
            region = src.pick(self.regions)
        else:
            k = src.integer(0, 9)
            group = (
                NEIJIANG_COUNTIES
                if k < 5
                else SICHUAN_COUNTIES
                if k < 8
                else OTHER_PROVINCE_COUNTIES
            )
            region = src.pick(group)
        gen = _Gen(src, day, region, self.targets, self.unknown_rate, self.reads)
        return gen.root(self.plan)


def _spec(
    schema: type[BaseModel],
    region: str | Sequence[str] | None,
    as_of: date | tuple[date, date] | None,
    targets: Targets | None,
    unknown_rate: float,
) -> Spec:
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise ArgumentError(f"schema 须为 pydantic 模型类，而不是 {schema!r}")
    if isinstance(unknown_rate, bool) or not isinstance(unknown_rate, int | float):
        raise ArgumentError(f"unknown_rate 须为 0 到 1 之间的数，而不是 {unknown_rate!r}")
    if not 0 <= unknown_rate <= 1:
        raise ArgumentError(f"unknown_rate 须在 0 到 1 之间，而不是 {unknown_rate}")
    if targets is not None and not isinstance(targets, Targets):
        raise ArgumentError(f"targets 须由 targets_for(...) 得到，而不是 {targets!r}")
    tg = targets or Targets()
    if isinstance(as_of, datetime):
        raise ArgumentError(f"as_of 须为日期（不含时间），而不是 {as_of!r}")
    near: tuple[date, ...] = ()
    if not isinstance(as_of, date):
        pair = _DEFAULT_AS_OF if as_of is None else as_of
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and all(isinstance(d, date) and not isinstance(d, datetime) for d in pair)
            and pair[0] <= pair[1]
        ):
            raise ArgumentError(f"as_of 须为日期或 (起, 止) 日期对，而不是 {as_of!r}")
        first, last = pair
        as_of = (first, last)
        near = tuple(
            sorted(
                {
                    d + timedelta(days=k)
                    for d in tg.as_of_dates
                    for k in (-1, 0, 1)
                    if first <= d + timedelta(days=k) <= last
                }
            )
        )
    return Spec(_plan(schema), _region_choices(region), as_of, near, tg, float(unknown_rate))


@st.composite
def _documents(draw: st.DrawFn, spec: Spec) -> dict[str, Any]:
    return spec.build(_Drawn(draw))


# ------------------------------------------------------------------ where choices come from
class _Source(abc.ABC):
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


class _Drawn(_Source):
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


class _Seeded(_Source):
    def __init__(self, rnd: random.Random):
        self.rnd = rnd

    def integer(self, lo: int, hi: int) -> int:
        return self.rnd.randint(lo, hi)

    def uniform(self, n: int) -> int:
        return self.rnd.randrange(n)


# ------------------------------------------------------------------ the generator
class _Gen:
    def __init__(
        self,
        src: _Source,
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
            near = [c for c in _ALL_COUNTIES if c[:4] == self.region[:4] and c != self.region]
            near = near or [c for c in _ALL_COUNTIES if c[:2] == self.region[:2]]
            return self.pick(near or _ALL_COUNTIES)  # type: ignore[no-any-return]
        return self.pick(_ALL_COUNTIES)  # type: ignore[no-any-return]

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
