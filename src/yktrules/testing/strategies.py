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

import random
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import attrs
from hypothesis import strategies as st
from pydantic import BaseModel

from ..errors import ArgumentError
from ..facts.ids import is_valid_region_code
from ..facts.models import Application
from ..ir import regions as _regions
from ..screening.policyset import PolicySet
from .generator import (
    ALL_COUNTIES,
    NEIJIANG_COUNTIES,
    OTHER_PROVINCE_COUNTIES,
    SICHUAN_COUNTIES,
    Drawn,
    Generator,
    Seeded,
    Source,
)
from .plan import _Model, _plan
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

_DEFAULT_AS_OF = (date(2021, 1, 1), date(2025, 12, 31))


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
        inside = [k for k in ALL_COUNTIES if _regions.within(k, c)]
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
        return self.build(Seeded(rnd))

    def build(self, src: Source) -> dict[str, Any]:
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
        gen = Generator(src, day, region, self.targets, self.unknown_rate, self.reads)
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
    return spec.build(Drawn(draw))
