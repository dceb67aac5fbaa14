"""Checked rule trees compiled to DuckDB SQL.

The relation a compiled policy reads is named ``facts`` and has one row per application:
the facts document's four parts as STRUCT columns (``application``, ``applicant``,
``household``, ``records``; lists are LISTs of STRUCTs, see :mod:`yktrules.sql.schema`),
``__row`` (BIGINT, the input row number) and ``__as_of`` (DATE, the screening date).

Three-valued logic is SQL NULL: an unknown value is NULL, and the Kleene ``and``/``or``/
``not`` are SQL's ``AND``/``OR``/``NOT``.  Everything where SQL's own NULL handling differs
from the language's is written out explicitly (quantifiers, filters, ``sum``, ``in``,
``within``, ``if``).  Numbers are ``DECIMAL(38,10)``: exact for sums, differences and
products of facts; a quotient is rounded half away from zero to 10 decimal places (the
Python evaluators keep 34 significant digits), and division by zero is NULL.

Parameters are resolved by the caller (per region and date) and inlined as literals: one
SQL text per (policy, parameter values), which :func:`yktrules.sql.screen.screen_duckdb`
groups rows by.  Lets become columns added by nested sub-selects, in declaration order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .. import ir
from .. import types as T
from ..values import Unknown

DEC = "DECIMAL(38,10)"
_SCALE = "10000000000"  # 10**10, the scale of DEC


class UnsupportedError(Exception):
    """A construct the SQL compiler does not translate (yet)."""


def sql_type(t: T.Type) -> str:
    """The DuckDB type of values of a language type (the facts columns' mapping)."""
    from .schema import field_type

    if isinstance(t, T.AnyT):
        raise UnsupportedError(f"no SQL type for {t.show()}")
    try:
        return field_type(t)
    except TypeError as e:
        raise UnsupportedError(str(e)) from None


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(v: Any, t: T.Type) -> str:
    """A value (a constant or a resolved parameter) as a typed SQL literal."""
    if v is None or isinstance(v, Unknown):
        return f"CAST(NULL AS {sql_type(t)})" if not isinstance(t, T.AnyT) else "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, Decimal | int):
        return f"CAST('{Decimal(v)}' AS {DEC})"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, list | tuple):
        elem = t.elem if isinstance(t, T.ListT) else T.ANY
        if not v:
            return f"CAST([] AS {sql_type(t)})"
        return "[" + ", ".join(literal(x, elem) for x in v) + "]"
    raise UnsupportedError(f"no SQL literal for {type(v).__name__}")


def _years_between(d1: str, d2: str) -> str:
    """functions.years_between: whole years, a 29 February anniversary on 1 March."""

    def up(a: str, b: str) -> str:
        return (
            f"(year({b}) - year({a}) - CASE WHEN month({b}) * 100 + day({b}) "
            f"< month({a}) * 100 + day({a}) THEN 1 ELSE 0 END)"
        )

    return f"CASE WHEN {d2} < {d1} THEN -{up(d2, d1)} ELSE {up(d1, d2)} END"


def _months_between(d1: str, d2: str) -> str:
    """functions.months_between: whole months (31 January to 28 February is 0)."""

    def up(a: str, b: str) -> str:
        return (
            f"((year({b}) - year({a})) * 12 + month({b}) - month({a}) "
            f"- CASE WHEN day({b}) < day({a}) THEN 1 ELSE 0 END)"
        )

    return f"CASE WHEN {d2} < {d1} THEN -{up(d2, d1)} ELSE {up(d1, d2)} END"


def _num(int_expr: str) -> str:
    return f"CAST({int_expr} AS {DEC})"


def _divide(a: str, b: str) -> str:
    """Exact a / b rounded half away from zero to 10 decimals; NULL when b is 0.  DuckDB
    divides DECIMALs in DOUBLE, so this divides the scaled integers instead."""
    ia = f"CAST(CAST({a} AS {DEC}) * {_SCALE} AS HUGEINT)"
    ib = f"CAST(CAST({b} AS {DEC}) * {_SCALE} AS HUGEINT)"
    q = f"((2 * abs({ia}) * {_SCALE} + abs({ib})) // (2 * abs({ib})))"
    return (
        f"CASE WHEN {ib} = 0 THEN NULL ELSE CAST(CAST(sign({ia}) * sign({ib}) * {q} "
        f"AS DECIMAL(38,0)) * CAST('0.0000000001' AS {DEC}) AS {DEC}) END"
    )


def _elements_known(lst: str, slot: str) -> str:
    """TRUE when no element of the (non-NULL) list is NULL."""
    nulls = f"list_transform({lst}, lambda {slot}: {slot} IS NULL)"
    return f"(NOT coalesce(list_bool_or({nulls}), FALSE))"


class Compiler:
    """SQL expressions for one policy's nodes, with its parameters' values inlined."""

    def __init__(self, policy: ir.CheckedPolicy, params: Mapping[str, Any]):
        self.policy = policy
        self.params = params
        self._fresh = 0

    def fresh(self) -> str:
        self._fresh += 1
        return f"__t{self._fresh}"

    def expr(self, n: ir.Node) -> str:
        if isinstance(n, ir.Const):
            return literal(n.value, n.type)
        if isinstance(n, ir.Root):
            return ident(n.name)
        if isinstance(n, ir.Var):
            return f"__v{n.slot}"
        if isinstance(n, ir.LetRef):
            return ident(f"__let{n.index}")
        if isinstance(n, ir.Param):
            if n.name not in self.params:
                raise UnsupportedError(f"parameter {n.name} was not given")
            return literal(self.params[n.name], n.type)
        if isinstance(n, ir.AsOf):
            return "__as_of"
        if isinstance(n, ir.PolicyAttr):
            v = self.policy.code if n.name == "code" else self.policy.region
            return literal(v, T.STRING)
        if isinstance(n, ir.GetField):
            return self.get_field(n)
        if isinstance(n, ir.Filter):
            lst, v = self.expr(n.obj), f"__v{n.slot}"
            cond = self.expr(n.cond)
            return (
                f"(CASE WHEN {lst} IS NULL THEN NULL "
                f"WHEN coalesce(list_bool_or(list_transform({lst}, lambda {v}: ({cond}) IS NULL)),"
                f" FALSE) THEN NULL "
                f"ELSE list_filter({lst}, lambda {v}: coalesce({cond}, FALSE)) END)"
            )
        if isinstance(n, ir.Quant):
            return self.quant(n)
        if isinstance(n, ir.Call):
            return self.call(n)
        if isinstance(n, ir.ListLit):
            if not n.items:
                return f"CAST([] AS {sql_type(n.type)})"
            return "[" + ", ".join(self.expr(i) for i in n.items) + "]"
        if isinstance(n, ir.Neg):
            return f"CAST(-({self.expr(n.operand)}) AS {DEC})"
        if isinstance(n, ir.Not):
            return f"(NOT ({self.expr(n.operand)}))"
        if isinstance(n, ir.Arith):
            a, b = self.expr(n.left), self.expr(n.right)
            if n.op == "/":
                return _divide(a, b)
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
        obj, f = self.expr(n.obj), ident(n.field)
        if not n.project:
            return f"(({obj}).{f})"
        v = self.fresh()
        if not n.flatten:
            return f"list_transform({obj}, lambda {v}: {v}.{f})"
        # a NULL (unknown) sub-list stays one unknown element, as in the interpreter
        return (
            f"flatten(list_transform({obj}, lambda {v}: "
            f"CASE WHEN {v}.{f} IS NULL THEN [NULL] ELSE {v}.{f} END))"
        )

    def quant(self, n: ir.Quant) -> str:
        """any: TRUE if some body is TRUE, else NULL if some is NULL, else FALSE (all: the
        dual); an unknown list is NULL.  Each element scores 2/1/0 for TRUE/NULL/FALSE."""
        lst, v, body = self.expr(n.iterable), f"__v{n.slot}", self.expr(n.body)
        score = (
            f"list_transform({lst}, lambda {v}: "
            f"CASE ({body}) WHEN TRUE THEN 2 WHEN FALSE THEN 0 ELSE 1 END)"
        )
        if n.kind == "any":
            agg = f"coalesce(list_max({score}), 0)"
        elif n.kind == "all":
            agg = f"coalesce(list_min({score}), 2)"
        else:
            raise UnsupportedError(f"quantifier {n.kind}")
        return (
            f"(CASE WHEN {lst} IS NULL THEN NULL ELSE "
            f"(CASE {agg} WHEN 2 THEN TRUE WHEN 0 THEN FALSE ELSE NULL END) END)"
        )

    def call(self, n: ir.Call) -> str:
        from ..functions import BUILTINS

        names = {f.name: f.name for f in BUILTINS} | {f.zh: f.name for f in BUILTINS if f.zh}
        fn = names.get(n.func)
        if fn is None:
            raise UnsupportedError(f"host function {n.func}")
        args = [self.expr(a) for a in n.args]
        if fn == "count":
            return _num(f"len({args[0]})")
        if fn == "exists":
            return f"(len({args[0]}) > 0)"
        if fn == "known":
            return f"(({args[0]}) IS NOT NULL)"
        if fn == "abs":
            return f"abs({args[0]})"
        if fn == "age":
            return _num(_years_between(args[0], "__as_of"))
        if fn == "years_between":
            return _num(_years_between(args[0], args[1]))
        if fn == "months_between":
            return _num(_months_between(args[0], args[1]))
        if fn == "days_between":
            return _num(f"(({args[1]}) - ({args[0]}))")
        lst, v = args[0], self.fresh()
        known = _elements_known(lst, v)
        if fn == "sum":
            body = f"CAST(coalesce(list_sum({lst}), 0) AS {DEC})"
        elif fn in ("min", "max"):
            body = f"list_{fn}({lst})"
        elif fn == "avg":
            body = (
                f"CASE WHEN len({lst}) = 0 THEN NULL ELSE "
                f"{_divide(f'coalesce(list_sum({lst}), 0)', f'len({lst})')} END"
            )
        else:
            raise UnsupportedError(f"function {fn}")
        return f"(CASE WHEN {lst} IS NULL THEN NULL WHEN {known} THEN {body} ELSE NULL END)"

    def compare(self, n: ir.Cmp) -> str:
        a, b = self.expr(n.left), self.expr(n.right)
        if n.op in ("in", "not in"):
            v = self.fresh()
            found = (
                f"(CASE WHEN ({a}) IS NULL OR ({b}) IS NULL THEN NULL "
                f"WHEN list_contains({b}, {a}) THEN TRUE "
                f"WHEN {_elements_known(b, v)} THEN FALSE ELSE NULL END)"
            )
            return found if n.op == "in" else f"(NOT {found})"
        if n.op == "within":
            sig = (
                f"(CASE WHEN ({b}) LIKE '%0000' THEN ({b})[1:2] "
                f"WHEN ({b}) LIKE '%00' THEN ({b})[1:4] ELSE ({b}) END)"
            )
            return f"(({a}) = ({b}) OR starts_with({a}, {sig}))"
        if isinstance(n.left.type, T.ListT) or isinstance(n.right.type, T.ListT):
            raise UnsupportedError("comparison of lists")
        op = {"==": "=", "!=": "<>"}.get(n.op, n.op)
        if op not in ("=", "<>", "<", "<=", ">", ">="):
            raise UnsupportedError(f"comparison {n.op}")
        return f"(({a}) {op} ({b}))"


def compile_rules(policy: ir.CheckedPolicy, params: Mapping[str, Any]) -> dict[str, str]:
    """One SQL boolean expression per rule (NULL: unknown), over ``facts`` with the lets'
    columns ``__let0``, ``__let1``… added (see :func:`compile_policy`)."""
    c = Compiler(policy, params)
    return {r.name: c.expr(r.cond) for r in policy.rules}


def compile_policy(policy: ir.CheckedPolicy, params: Mapping[str, Any]) -> str:
    """A SELECT over ``facts`` giving, per row: ``__row``, ``outcome`` (eligible,
    ineligible or review), ``reasons`` and ``unknown`` (rule names, in rule order) and
    ``amount`` (rounded to 0.01 when eligible, else NULL).

    ``params`` maps each parameter the policy reads to its value for the rows' region and
    date (None or Unknown: unknown).  Raises :class:`UnsupportedError` for a construct
    without a translation.  ROUND(x, 2) on a DECIMAL rounds half away from zero, which is
    what the Python path's Decimal ROUND_HALF_UP does too (for either sign)."""
    c = Compiler(policy, params)
    rel = "facts"
    for i, let in enumerate(policy.lets):
        rel = f"(SELECT *, {c.expr(let.expr)} AS {ident(f'__let{i}')} FROM {rel})"
    cols = []
    reasons, unknown = [], []
    for k, r in enumerate(policy.rules):
        col = f"__r{k}"
        cols.append(f"{c.expr(r.cond)} AS {col}")
        hit = "TRUE" if r.kind != "require" else "FALSE"
        reasons.append(f"CASE WHEN {col} = {hit} THEN '{r.name}' END")
        unknown.append(f"CASE WHEN {col} IS NULL THEN '{r.name}' END")
    blocking = [
        f"__r{k} = {'FALSE' if r.kind == 'require' else 'TRUE'}"
        for k, r in enumerate(policy.rules)
        if r.kind in ("require", "deny")
    ]
    amount = c.expr(policy.amount) if policy.amount is not None else "NULL"
    cols.append(f"{amount} AS __amount")
    rules = f"(SELECT __row, {', '.join(cols)} FROM {rel})"

    def names(items: list[str]) -> str:
        if not items:
            return "CAST([] AS VARCHAR[])"
        return f"list_filter([{', '.join(items)}], lambda __n: __n IS NOT NULL)"

    inel = " OR ".join(f"coalesce({b}, FALSE)" for b in blocking) or "FALSE"
    any_flag = (
        " OR ".join(
            f"coalesce(__r{k} = {'FALSE' if r.kind == 'require' else 'TRUE'}, TRUE)"
            for k, r in enumerate(policy.rules)
        )
        or "FALSE"
    )
    outcome = (
        f"CASE WHEN {inel} THEN 'ineligible' WHEN {any_flag} THEN 'review' ELSE 'eligible' END"
    )
    return (
        f"SELECT __row, outcome, reasons, unknown, "
        f"CASE WHEN outcome = 'eligible' THEN ROUND(__amount, 2) END AS amount "
        f"FROM (SELECT __row, {outcome} AS outcome, {names(reasons)} AS reasons, "
        f"{names(unknown)} AS unknown, __amount FROM {rules})"
    )
