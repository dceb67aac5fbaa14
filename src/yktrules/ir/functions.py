"""Built-in functions: their signatures (for the checker) and implementations (for the
evaluators).  Hosts may register more (`HostFunction`), type-checked the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from . import types as T
from .values import DECIMAL_CONTEXT, Unknown, merge

Check = Callable[[Sequence[T.Type]], "T.Type | str"]


@attrs.frozen
class Function:
    name: str
    zh: str | None
    arity: int
    check: Check
    impl: Callable[..., Any]  # (as_of, *args) -> value; args are known (not Unknown)
    doc: str
    strict: bool = True  # an unknown argument makes the result unknown
    total: bool = True  # never raises on well-typed known arguments (host functions may)


def _list_of(pred: Callable[[T.Type], bool], what: str) -> Check:
    def check(args: Sequence[T.Type]) -> T.Type | str:
        a = args[0]
        if isinstance(a, T.AnyT):
            return T.ANY
        if not isinstance(a, T.ListT) or not (pred(a.elem) or isinstance(a.elem, T.AnyT)):
            return f"参数须为{what}的列表，实际是{a.show()}"
        return a.elem if not isinstance(a.elem, T.AnyT) else T.NUMBER

    return check


def _ret(t: T.Type, check: Check) -> Check:
    def c(args: Sequence[T.Type]) -> T.Type | str:
        r = check(args)
        return r if isinstance(r, str) else t

    return c


def _any_list(args: Sequence[T.Type]) -> T.Type | str:
    a = args[0]
    if isinstance(a, T.ListT | T.AnyT):
        return T.NUMBER
    return f"参数须为列表，实际是{a.show()}"


def _dates(n: int) -> Check:
    def check(args: Sequence[T.Type]) -> T.Type | str:
        for a in args[:n]:
            if a != T.DATE and not isinstance(a, T.AnyT):
                return f"参数须为日期，实际是{a.show()}"
        return T.NUMBER

    return check


def _is_num(t: T.Type) -> bool:
    return t == T.NUMBER


def _is_orderable(t: T.Type) -> bool:
    return t in (T.NUMBER, T.DATE)


def _elements_known(xs: list[Any]) -> list[Any] | Unknown:
    for x in xs:
        if x.__class__ is Unknown:
            return merge(xs)
    return xs


def _count(_: date, xs: list[Any]) -> Decimal:
    return Decimal(len(xs))


def _sum(_: date, xs: list[Any]) -> Any:
    k = _elements_known(xs)
    if k.__class__ is Unknown:
        return k
    total = Decimal(0)
    for x in xs:
        total = DECIMAL_CONTEXT.add(total, x)
    return total


def _min(_: date, xs: list[Any]) -> Any:
    k = _elements_known(xs)
    if k.__class__ is Unknown:
        return k
    return min(xs) if xs else Unknown()


def _max(_: date, xs: list[Any]) -> Any:
    k = _elements_known(xs)
    if k.__class__ is Unknown:
        return k
    return max(xs) if xs else Unknown()


def _avg(_: date, xs: list[Any]) -> Any:
    k = _elements_known(xs)
    if k.__class__ is Unknown:
        return k
    if not xs:
        return Unknown()
    return DECIMAL_CONTEXT.divide(_sum(_, xs), Decimal(len(xs)))


def _distinct_check(args: Sequence[T.Type]) -> T.Type | str:
    a = args[0]
    if isinstance(a, T.AnyT):
        return T.ANY
    if not isinstance(a, T.ListT) or isinstance(a.elem, T.ListT | T.RecordT):
        return f"参数须为数值、文本、日期或真假值的列表，实际是{a.show()}"
    return a


def _distinct(_: date, xs: list[Any]) -> Any:
    k = _elements_known(xs)
    if k.__class__ is Unknown:
        return k  # an unknown element might equal a known one: the count is unknown
    return list(dict.fromkeys(xs))


def _exists(_: date, xs: list[Any]) -> bool:
    return len(xs) > 0


def years_between(d1: date, d2: date) -> int:
    """Whole years from d1 to d2 (negative when d2 is earlier).  A 29 February
    anniversary falls on 1 March in common years."""
    if d2 < d1:
        return -years_between(d2, d1)
    y = d2.year - d1.year
    if (d2.month, d2.day) < (d1.month, d1.day):
        y -= 1
    return y


def months_between(d1: date, d2: date) -> int:
    """Whole months from d1 to d2 (31 January to 28 February is 0 months)."""
    if d2 < d1:
        return -months_between(d2, d1)
    m = (d2.year - d1.year) * 12 + d2.month - d1.month
    if d2.day < d1.day:
        m -= 1
    return m


def _age(as_of: date, d: date) -> Decimal:
    return Decimal(years_between(d, as_of))


def _years(_: date, d1: date, d2: date) -> Decimal:
    return Decimal(years_between(d1, d2))


def _months(_: date, d1: date, d2: date) -> Decimal:
    return Decimal(months_between(d1, d2))


def _days(_: date, d1: date, d2: date) -> Decimal:
    return Decimal((d2 - d1).days)


def _known(_: date, x: Any) -> bool:
    return x.__class__ is not Unknown


def _abs(_: date, x: Decimal) -> Decimal:
    return DECIMAL_CONTEXT.abs(x)


def _any_type(args: Sequence[T.Type]) -> T.Type | str:
    return T.BOOLEAN


def _num(args: Sequence[T.Type]) -> T.Type | str:
    a = args[0]
    if a == T.NUMBER or isinstance(a, T.AnyT):
        return T.NUMBER
    return f"参数须为数值，实际是{a.show()}"


BUILTINS: list[Function] = [
    Function("count", "计数", 1, _any_list, _count, "number of elements"),
    Function(
        "sum",
        "求和",
        1,
        _ret(T.NUMBER, _list_of(_is_num, "数值")),
        _sum,
        "sum of a list of numbers; `sum([])` is 0",
    ),
    Function(
        "min",
        "最小",
        1,
        _list_of(_is_orderable, "数值或日期"),
        _min,
        "smallest element; unknown for an empty list",
    ),
    Function(
        "max",
        "最大",
        1,
        _list_of(_is_orderable, "数值或日期"),
        _max,
        "largest element; unknown for an empty list",
    ),
    Function(
        "avg",
        "平均",
        1,
        _ret(T.NUMBER, _list_of(_is_num, "数值")),
        _avg,
        "mean of a list of numbers; unknown for an empty list",
    ),
    Function("exists", "存在", 1, _ret(T.BOOLEAN, _any_list), _exists, "the list is not empty"),
    Function("age", "年龄", 1, _dates(1), _age, "whole years from the date to `as_of`"),
    Function("years_between", "相隔年数", 2, _dates(2), _years, "whole years from d1 to d2"),
    Function("months_between", "相隔月数", 2, _dates(2), _months, "whole months from d1 to d2"),
    Function("days_between", "相隔天数", 2, _dates(2), _days, "days from d1 to d2"),
    Function(
        "known",
        "已知",
        1,
        _any_type,
        _known,
        "true when the value is known; never unknown",
        strict=False,
    ),
    Function("abs", "绝对值", 1, _num, _abs, "absolute value"),
    Function(
        "distinct",
        "去重",
        1,
        _distinct_check,
        _distinct,
        "the list without repeated values (first occurrences, in order); unknown when an "
        "element is unknown",
    ),
]


_TYPE_WORDS: dict[str, T.Type] = {
    "number": T.NUMBER,
    "decimal": T.NUMBER,
    "string": T.STRING,
    "date": T.DATE,
    "boolean": T.BOOLEAN,
}


def parse_type(word: str) -> T.Type:
    """`number`, `string`, `date`, `boolean`, or `list[…]` of one of them."""
    w = word.strip()
    if w.startswith("list[") and w.endswith("]"):
        return T.ListT(parse_type(w[5:-1]))
    if w not in _TYPE_WORDS:
        raise ValueError(f"unknown type {word!r}; use number, string, date, boolean or list[…]")
    return _TYPE_WORDS[w]


@attrs.frozen
class HostFunction:
    """A pure function a host registers: `HostFunction("is_border_town", ["string"],
    "boolean", fn)`.  `fn` receives known values (Decimal, str, date, bool, list) and an
    unknown argument makes the result unknown without calling it."""

    name: str
    params: Sequence[str]
    returns: str
    fn: Callable[..., Any]
    doc: str = ""

    def to_function(self) -> Function:
        ptypes = [parse_type(p) for p in self.params]
        rtype = parse_type(self.returns)

        def check(args: Sequence[T.Type]) -> T.Type | str:
            for i, (a, p) in enumerate(zip(args, ptypes, strict=False)):
                if not (T.compatible(a, p) or isinstance(a, T.AnyT)):
                    return f"第{i + 1}个参数须为{p.show()}，实际是{a.show()}"
            return rtype

        fn, name = self.fn, self.name
        coerce = _result_coercer(rtype)

        def call(_as_of: date, *args: Any) -> Any:
            return coerce(name, fn(*args))

        return Function(
            name, None, len(ptypes), check, call, self.doc or "host function", total=False
        )


def _result_coercer(t: T.Type) -> Callable[[str, Any], Any]:
    """Check a host function's result against its declared type (ints become Decimals;
    None means unknown); a wrong type raises TypeError, which makes the value unknown."""

    def one(name: str, v: Any, t: T.Type = t) -> Any:
        if v is None:
            return Unknown()
        if t == T.NUMBER and isinstance(v, int | Decimal) and not isinstance(v, bool):
            return Decimal(v)
        if (
            (t == T.BOOLEAN and isinstance(v, bool))
            or (t == T.STRING and isinstance(v, str))
            or (t == T.DATE and isinstance(v, date))
        ):
            return v
        if isinstance(t, T.ListT) and isinstance(v, list | tuple):
            return [one(name, x, t.elem) for x in v]
        raise TypeError(f"host function {name} returned {type(v).__name__}, not {t.show()}")

    return one


def table(host: Sequence[HostFunction] = ()) -> dict[str, Function]:
    out: dict[str, Function] = {}
    for f in BUILTINS:
        out[f.name] = f
        if f.zh:
            out[f.zh] = f
    for h in host:
        out[h.name] = h.to_function()
    return out
