"""Run-time values: the unknown value of three-valued logic, and how values render."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

import attrs

from ..errors import Span

# Exact arithmetic: 34 significant digits (IEEE decimal128), more than the 28 the contract asks.
DECIMAL_CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)
CENT = Decimal("0.01")


@attrs.frozen
class EvalError:
    """An evaluation error (division by zero…) with the source position it happened at."""

    message: str
    span: Span


class Unknown:
    """An unknown value; `missing` holds the fact paths (and `param.X`) whose absence made it
    unknown, `errors` the evaluation errors behind it."""

    __slots__ = ("errors", "missing")

    def __init__(self, missing: frozenset[str] = frozenset(), errors: tuple[EvalError, ...] = ()):
        self.missing = missing
        self.errors = errors

    def __repr__(self) -> str:
        return f"Unknown({sorted(self.missing)}{', errors' if self.errors else ''})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Unknown)
            and other.missing == self.missing
            and other.errors == self.errors
        )

    def __hash__(self) -> int:
        return hash((self.missing, self.errors))


UNKNOWN = Unknown()

# equality and order on known values (the checker folds with it, the evaluators apply it)
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def merge(values: Iterable[Any]) -> Unknown:
    """One unknown carrying everything the unknowns among `values` carry."""
    missing: set[str] = set()
    errors: list[EvalError] = []
    for v in values:
        if v.__class__ is Unknown:
            missing |= v.missing
            errors.extend(e for e in v.errors if e not in errors)
    return Unknown(frozenset(missing), tuple(errors))


def merge2(a: Unknown, b: Unknown) -> Unknown:
    if not b.missing and not b.errors:
        return a
    if not a.missing and not a.errors:
        return b
    errs = a.errors + tuple(e for e in b.errors if e not in a.errors)
    return Unknown(a.missing | b.missing, errs)


def round_amount(v: Decimal) -> Decimal:
    """Rounded to 0.01, half up (the one rounding of an amount)."""
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal) -> str:
    """An amount in yuan with two decimals, rounded as :func:`round_amount`: ``660.00``."""
    return format(round_amount(amount), "f")


def render(v: Any) -> str:
    """How a value appears in a message (LANGUAGE.md §3)."""
    if v.__class__ is Unknown:
        return "?"
    if v is True:
        return "是"
    if v is False:
        return "否"
    if isinstance(v, Decimal | int):
        d = Decimal(v).quantize(CENT, rounding=ROUND_HALF_UP)
        s = format(d, "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        return "0" if s in ("-0", "") else s
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return str(len(v))
    return str(v)
