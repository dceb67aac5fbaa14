"""Checked rule trees compiled to SQL expressions (DuckDB by default, Spark by dialect).

The relation a compiled policy reads is named ``facts`` and has one row per application:
the facts document's four parts as STRUCT columns (``application``, ``applicant``,
``household``, ``records``; lists are LISTs of STRUCTs, see :mod:`yktrules.sql.schema`),
``__row`` (BIGINT, the input row number) and ``__as_of`` (DATE, the screening date); with
parameters read from columns, also ``__params`` (a STRUCT of the policy's parameters) and
``__version``.

Three-valued logic is SQL NULL: an unknown value is NULL, and the Kleene ``and``/``or``/
``not`` are SQL's ``AND``/``OR``/``NOT``.  Everything where SQL's own NULL handling differs
from the language's is written out explicitly (quantifiers, filters, ``sum``, ``in``,
``within``, ``if``).  Numbers are ``DECIMAL(38,10)``: exact for sums, differences and
products of facts; a quotient is rounded half away from zero to 10 decimal places (the
Python evaluators keep 34 significant digits), and division by zero is NULL.  Whole-number
results (ages, counts, day and month differences) stay integers as long as they are only
compared with whole-number constants.

Which facts made an unknown value unknown is compiled separately (:mod:`.missing`), and the
decision document around the rules' values by :mod:`.decisions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .. import ir
from ..ir import types as T
from ..ir.functions import BUILTINS
from ..ir.values import Unknown
from .dialects.duckdb import DEC, DUCKDB, Dialect

_BUILTIN_NAMES = {f.name: f.name for f in BUILTINS} | {f.zh: f.name for f in BUILTINS if f.zh}
_INTEGER_FUNCTIONS = ("count", "age", "years_between", "months_between", "days_between")
_CMP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class UnsupportedError(Exception):
    """A construct the SQL compiler does not translate (a host function…)."""


def builtin(name: str) -> str | None:
    """The English name of a built-in function called by either of its names."""
    return _BUILTIN_NAMES.get(name)


def sql_type(t: T.Type, dialect: Dialect = DUCKDB) -> str:
    """The SQL type of values of a language type (the facts columns' mapping)."""
    from .schema import field_type

    if isinstance(t, T.AnyT):
        raise UnsupportedError(f"no SQL type for {t.show()}")
    try:
        return field_type(t, dialect)
    except TypeError as e:
        raise UnsupportedError(str(e)) from None


def literal(v: Any, t: T.Type, dialect: Dialect = DUCKDB) -> str:
    """A value (a constant or a resolved parameter) as a typed SQL literal."""
    if v is None or isinstance(v, Unknown):
        return f"CAST(NULL AS {sql_type(t, dialect)})" if not isinstance(t, T.AnyT) else "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, Decimal | int):
        return f"CAST('{Decimal(v)}' AS {DEC})"
    if isinstance(v, str):
        return dialect.string_lit(v)
    if isinstance(v, date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, list | tuple):
        elem = t.elem if isinstance(t, T.ListT) else T.ANY
        if not v:
            return dialect.empty_list(sql_type(elem, dialect))
        return dialect.list_lit([literal(x, elem, dialect) for x in v])
    raise UnsupportedError(f"no SQL literal for {type(v).__name__}")


def _ymd(d: str) -> str:
    return f"(year({d}) * 10000 + month({d}) * 100 + day({d}))"


def _ym(d: str) -> str:
    return f"(year({d}) * 12 + month({d}))"


AS_OF_YMD = "__as_of_ymd"  # the screening date as YYYYMMDD, a column of the lets' relation


def as_of_column() -> str:
    return f"{_ymd('__as_of')} AS {AS_OF_YMD}"


def years_between(d1: str, d2: str, dialect: Dialect = DUCKDB, ymd2: str | None = None) -> str:
    """functions.years_between as an integer: whole years, a 29 February anniversary on 1
    March (the difference of YYYYMMDD numbers, divided by 10000).  `ymd2`: d2 as YYYYMMDD,
    when it is at hand."""
    y1, y2 = _ymd(d1), ymd2 or _ymd(d2)
    up = dialect.idiv(f"{y2} - {y1}", "10000")
    down = dialect.idiv(f"{y1} - {y2}", "10000")
    return f"(CASE WHEN ({d2}) < ({d1}) THEN -{down} ELSE {up} END)"


def months_between(d1: str, d2: str, dialect: Dialect = DUCKDB) -> str:
    """functions.months_between as an integer (31 January to 28 February is 0)."""
    up = f"({_ym(d2)} - {_ym(d1)} - CASE WHEN day({d2}) < day({d1}) THEN 1 ELSE 0 END)"
    down = f"({_ym(d1)} - {_ym(d2)} - CASE WHEN day({d1}) < day({d2}) THEN 1 ELSE 0 END)"
    return f"(CASE WHEN ({d2}) < ({d1}) THEN -{down} ELSE {up} END)"


class Compiler:
    """SQL expressions for one policy's nodes.  `params` maps each parameter to its value
    (inlined as literals); with `params=None` they are read from the ``__params`` column."""

    def __init__(
        self,
        policy: ir.CheckedPolicy,
        params: Mapping[str, Any] | None,
        dialect: Dialect = DUCKDB,
        prefix: str = "",
        params_column: str = "__params",
    ):
        self.policy = policy
        self.params = params
        self.d = dialect
        self.prefix = prefix  # of the policy's own columns, when several share a relation
        self.params_column = params_column
        self._fresh = 0

    def column(self, name: str) -> str:
        """The name of one of the policy's own columns (``__let0``, ``__r3``…)."""
        return f"__{self.prefix}{name}"

    def fresh(self) -> str:
        self._fresh += 1
        return f"__t{self._fresh}"

    def var(self, slot: int) -> str:
        return f"__v{slot}"

    def let_column(self, index: int) -> str:
        return self.d.ident(self.column(f"let{index}"))

    def param(self, n: ir.Param) -> str:
        if self.params is None:
            return self.d.field(self.params_column, n.name)
        if n.name not in self.params:
            raise UnsupportedError(f"parameter {n.name} was not given")
        return literal(self.params[n.name], n.type, self.d)

    def param_known(self, n: ir.Param) -> bool:
        """Whether a parameter is statically known (inlined and resolved)."""
        return self.params is not None and not isinstance(self.params.get(n.name), Unknown | None)

    # ---------------------------------------------------------------- values
    def expr(self, n: ir.Node) -> str:
        d = self.d
        if isinstance(n, ir.Const):
            return literal(n.value, n.type, d)
        if isinstance(n, ir.Root):
            return d.ident(n.name)
        if isinstance(n, ir.Var):
            return self.var(n.slot)
        if isinstance(n, ir.LetRef):
            return self.let_column(n.index)
        if isinstance(n, ir.Param):
            return self.param(n)
        if isinstance(n, ir.AsOf):
            return "__as_of"
        if isinstance(n, ir.PolicyAttr):
            v = self.policy.code if n.name == "code" else self.policy.region
            return literal(v, T.STRING, d)
        if isinstance(n, ir.GetField):
            return self.get_field(n)
        if isinstance(n, ir.Filter):
            lst, v, cond = self.expr(n.obj), self.var(n.slot), self.expr(n.cond)
            unknown_cond = d.some_true(d.transform(lst, v, f"({cond}) IS NULL"))
            return (
                f"(CASE WHEN {lst} IS NULL THEN NULL WHEN {unknown_cond} THEN NULL "
                f"ELSE {d.filter(lst, v, f'coalesce({cond}, FALSE)')} END)"
            )
        if isinstance(n, ir.Quant):
            return self.quant(n)
        if isinstance(n, ir.Call):
            return self.call(n)
        if isinstance(n, ir.ListLit):
            if not n.items:
                return d.empty_list(sql_type(n.type.elem, d))  # type: ignore[attr-defined]
            return d.list_lit([self.expr(i) for i in n.items])
        if isinstance(n, ir.Neg):
            return f"CAST(-({self.expr(n.operand)}) AS {DEC})"
        if isinstance(n, ir.Not):
            return f"(NOT ({self.expr(n.operand)}))"
        if isinstance(n, ir.Arith):
            a, b = self.expr(n.left), self.expr(n.right)
            if n.op == "/":
                return d.divide(a, b)
            return f"CAST(({a}) {n.op} ({b}) AS {DEC})"
        if isinstance(n, ir.Cmp):
            return self.compare(n)
        if isinstance(n, ir.And):
            return f"(({self.expr(n.left)}) AND ({self.expr(n.right)}))"
        if isinstance(n, ir.Or):
            return f"(({self.expr(n.left)}) OR ({self.expr(n.right)}))"
        if isinstance(n, ir.Coalesce):
            return f"coalesce({self.expr(n.left)}, {self.expr(n.right)})"
        if isinstance(n, ir.If):
            c = self.expr(n.cond)
            return (
                f"(CASE WHEN ({c}) IS NULL THEN NULL WHEN ({c}) THEN {self.expr(n.then)} "
                f"ELSE {self.expr(n.else_)} END)"
            )
        raise UnsupportedError(f"no SQL for {type(n).__name__}")

    def get_field(self, n: ir.GetField) -> str:
        d, obj = self.d, self.expr(n.obj)
        if not n.project:
            return d.field(obj, n.field)
        v = self.fresh()
        if not n.flatten:
            return d.transform(obj, v, d.field(v, n.field))
        # a NULL (unknown) sub-list stays one unknown element, as in the interpreter
        elem = sql_type(n.type.elem, d)  # type: ignore[attr-defined]
        one_null = d.list_lit([f"CAST(NULL AS {elem})"])
        sub = d.field(v, n.field)
        return d.flatten(
            d.transform(obj, v, f"CASE WHEN {sub} IS NULL THEN {one_null} ELSE {sub} END")
        )

    def quant(self, n: ir.Quant) -> str:
        """any: TRUE if some body is TRUE, else NULL if some is NULL, else FALSE (all: the
        dual); an unknown list is NULL.  Each element scores 2/1/0 for TRUE/NULL/FALSE."""
        d = self.d
        lst, v, body = self.expr(n.iterable), self.var(n.slot), self.expr(n.body)
        score = d.transform(lst, v, f"CASE ({body}) WHEN TRUE THEN 2 WHEN FALSE THEN 0 ELSE 1 END")
        if n.kind == "any":
            agg = f"coalesce({d.list_max(score)}, 0)"
        elif n.kind == "all":
            agg = f"coalesce({d.list_min(score)}, 2)"
        else:
            raise UnsupportedError(f"quantifier {n.kind}")
        return (
            f"(CASE WHEN {lst} IS NULL THEN NULL ELSE "
            f"(CASE {agg} WHEN 2 THEN TRUE WHEN 0 THEN FALSE ELSE NULL END) END)"
        )

    def elements_known(self, lst: str) -> str:
        """TRUE when no element of the (non-NULL) list is NULL."""
        v = self.fresh()
        return f"(NOT {self.d.some_true(self.d.transform(lst, v, f'{v} IS NULL'))})"

    def integer(self, n: ir.Node) -> str | None:
        """An integer-valued SQL expression for a whole-number node, else None."""
        d = self.d
        if isinstance(n, ir.Const) and isinstance(n.value, Decimal | int):
            v = Decimal(n.value)
            if v == v.to_integral_value() and abs(v) < 10**15:
                return f"CAST({int(v)} AS BIGINT)"
            return None
        if not isinstance(n, ir.Call) or builtin(n.func) not in _INTEGER_FUNCTIONS:
            return None
        fn, args = builtin(n.func), [self.expr(a) for a in n.args]
        if fn == "count":
            return f"CAST({d.length(args[0])} AS BIGINT)"
        if fn == "age":
            return years_between(args[0], "__as_of", d, AS_OF_YMD)
        if fn == "years_between":
            return years_between(args[0], args[1], d)
        if fn == "months_between":
            return months_between(args[0], args[1], d)
        return f"CAST({d.days_between(args[0], args[1])} AS BIGINT)"

    def call(self, n: ir.Call) -> str:
        d, fn = self.d, builtin(n.func)
        if fn is None:
            raise UnsupportedError(f"host function {n.func}")
        if fn in _INTEGER_FUNCTIONS:
            return f"CAST({self.integer(n)} AS {DEC})"
        args = [self.expr(a) for a in n.args]
        if fn == "exists":
            return f"({d.length(args[0])} > 0)"
        if fn == "known":
            return f"(({args[0]}) IS NOT NULL)"
        if fn == "abs":
            return f"abs({args[0]})"
        lst = args[0]
        if fn == "distinct":
            body = d.list_distinct(lst)
        elif fn == "sum":
            body = d.list_sum(lst)
        elif fn == "min":
            body = d.list_min(lst)
        elif fn == "max":
            body = d.list_max(lst)
        elif fn == "avg":
            body = (
                f"CASE WHEN {d.length(lst)} = 0 THEN NULL ELSE "
                f"{d.divide(d.list_sum(lst), d.length(lst))} END"
            )
        else:
            raise UnsupportedError(f"function {fn}")
        known = self.elements_known(lst)
        return f"(CASE WHEN {lst} IS NULL THEN NULL WHEN {known} THEN {body} ELSE NULL END)"

    def constant_list(self, n: ir.Node) -> list[str] | None:
        """The SQL literals of a list whose elements are all known constants, else None."""
        if isinstance(n, ir.ListLit) and all(isinstance(i, ir.Const) for i in n.items):
            items = [i.value for i in n.items]  # type: ignore[attr-defined]
        elif isinstance(n, ir.Const) and isinstance(n.value, list | tuple):
            items = list(n.value)
        elif isinstance(n, ir.Param) and self.param_known(n):
            items = self.params[n.name]  # type: ignore[index]
            if not isinstance(items, list | tuple):
                return None
        else:
            return None
        if any(x is None or isinstance(x, Unknown) for x in items):
            return None
        elem = n.type.elem if isinstance(n.type, T.ListT) else T.ANY
        return [literal(x, elem, self.d) for x in items]

    def compare(self, n: ir.Cmp) -> str:
        d = self.d
        if n.op in ("in", "not in"):
            a = self.expr(n.left)
            consts = self.constant_list(n.right)
            if consts is not None:  # SQL's IN is Kleene when the list has no NULL
                found = f"(({a}) IN ({', '.join(consts)}))" if consts else f"(({a}) <> ({a}))"
            else:
                b = self.expr(n.right)
                found = (
                    f"(CASE WHEN ({a}) IS NULL OR ({b}) IS NULL THEN NULL "
                    f"WHEN {d.contains(b, a)} THEN TRUE "
                    f"WHEN {self.elements_known(b)} THEN FALSE ELSE NULL END)"
                )
            return found if n.op == "in" else f"(NOT {found})"
        if n.op == "within":
            a, b = self.expr(n.left), self.expr(n.right)
            sig = (
                f"(CASE WHEN ({b}) LIKE '%0000' THEN substr({b}, 1, 2) "
                f"WHEN ({b}) LIKE '%00' THEN substr({b}, 1, 4) ELSE ({b}) END)"
            )
            return f"(({a}) = ({b}) OR {d.starts_with(a, sig)})"
        if isinstance(n.left.type, T.ListT) or isinstance(n.right.type, T.ListT):
            raise UnsupportedError("comparison of lists")
        op = _CMP.get(n.op)
        if op is None:
            raise UnsupportedError(f"comparison {n.op}")
        ia, ib = self.integer(n.left), self.integer(n.right)
        if ia is not None and ib is not None:
            return f"(({ia}) {op} ({ib}))"
        return f"(({self.expr(n.left)}) {op} ({self.expr(n.right)}))"


def compile_rules(
    policy: ir.CheckedPolicy, params: Mapping[str, Any] | None, dialect: Dialect = DUCKDB
) -> dict[str, str]:
    """One SQL boolean expression per rule (NULL: unknown), over ``facts`` with the lets'
    columns ``__let0``, ``__let1``… added (see :func:`yktrules.sql.decisions.with_lets`)."""
    c = Compiler(policy, params, dialect)
    return {r.name: c.expr(r.cond) for r in policy.rules}
