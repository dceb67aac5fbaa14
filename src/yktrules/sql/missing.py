"""Which facts made an unknown value unknown, in SQL.

For every node :meth:`Missing.of` gives a SQL list of strings that is meaningful where the
node's value (:class:`~yktrules.sql.compiler.Compiler`) is NULL: the fact paths (and
``param.X``) the evaluators would report as missing for it, mirroring
:mod:`yktrules.evaluate.interpreter` case by case (``and``/``or`` report the unknown
operands, a quantifier the unknown bodies, ``??`` both sides, ``if`` the branch taken…).
An evaluation error (division by zero, the only one a built-in can raise) is an entry
``!file:line:col``, which :mod:`.decisions` turns into an ``errors`` item.

Lists may hold unknown elements (a projected field that is absent for some members); their
missing paths are rebuilt from the list's shape by :meth:`Missing.elements`.  One case is
approximate: a quantifier's variable over a projection of a projection whose middle level
is absent for some elements reports the paths of every absent element, not only its own.
"""

from __future__ import annotations

import attrs

from .. import ir
from ..ir.values import Unknown
from .compiler import Compiler, UnsupportedError, builtin

DIVISION_BY_ZERO = "除数为零 / division by zero"
_STRICT_SCALAR = ("abs", "age", "years_between", "months_between", "days_between")


class Missing:
    def __init__(self, c: Compiler):
        self.c = c
        self.d = c.d
        self.lists: dict[int, ir.Node] = {}  # variable slot -> the list it ranges over

    def lit(self, *paths: str) -> str:
        if not paths:
            return self.d.empty_list(self.d.string)
        return self.d.list_lit([self.d.string_lit(p) for p in paths])

    def cat(self, parts: list[str]) -> str:
        empty = self.lit()
        kept = [p for p in parts if p != empty]  # nothing is missing there: leave it out
        return self.d.concat_lists(kept, self.d.string) if kept else empty

    def if_null(self, n: ir.Node) -> str:
        """The node's missing paths where it is unknown, else an empty list."""
        if isinstance(n, ir.AsOf | ir.PolicyAttr | ir.ListLit) or (
            isinstance(n, ir.Const) and n.value is not None and not isinstance(n.value, Unknown)
        ):
            return self.lit()  # never unknown
        return f"(CASE WHEN ({self.c.expr(n)}) IS NULL THEN {self.of(n)} ELSE {self.lit()} END)"

    def let_column(self, index: int) -> str:
        return self.d.ident(self.c.column(f"letm{index}"))

    def can_fail(self, n: ir.Node) -> bool:
        """Whether the node's value can be unknown because of an evaluation error (it
        divides, or reads a let that does)."""
        if isinstance(n, ir.Arith) and n.op == "/":
            return True
        if isinstance(n, ir.LetRef):
            return self.can_fail(self.c.policy.lets[n.index].expr)
        for f in attrs.fields(type(n)):
            v = getattr(n, f.name)
            kids = v if isinstance(v, tuple) else (v,)
            if any(isinstance(k, ir.Node) and self.can_fail(k) for k in kids):
                return True
        return False

    # ---------------------------------------------------------------- unknown values
    def of(self, n: ir.Node) -> str:
        c = self.c
        if isinstance(n, ir.Root):
            return self.lit(n.name)
        if isinstance(n, ir.Param):
            return self.lit(f"param.{n.name}")
        if isinstance(n, ir.Const | ir.AsOf | ir.PolicyAttr | ir.ListLit):
            return self.lit()
        if isinstance(n, ir.LetRef):
            return self.let_column(n.index)
        if isinstance(n, ir.Var):
            return self.element(self.lists[n.slot], n)
        if isinstance(n, ir.GetField):
            if n.project:
                return self.of(n.obj)
            here = self.lit(n.path) if n.path else self.lit()
            return f"(CASE WHEN ({c.expr(n.obj)}) IS NULL THEN {self.of(n.obj)} ELSE {here} END)"
        if isinstance(n, ir.Filter | ir.Quant):
            lst = n.obj if isinstance(n, ir.Filter) else n.iterable
            body = n.cond if isinstance(n, ir.Filter) else n.body
            self.lists[n.slot] = lst
            per = self.d.transform(c.expr(lst), c.var(n.slot), self.if_null(body))
            return (
                f"(CASE WHEN ({c.expr(lst)}) IS NULL THEN {self.of(lst)} "
                f"ELSE {self.d.flatten(per)} END)"
            )
        if isinstance(n, ir.Call):
            return self.call(n)
        if isinstance(n, ir.Neg | ir.Not):
            return self.of(n.operand)
        if isinstance(n, ir.Arith):
            unknown = self.cat([self.if_null(n.left), self.if_null(n.right)])
            if n.op != "/":
                return unknown
            a, b = c.expr(n.left), c.expr(n.right)
            error = self.lit(f"!{n.span}")
            return f"(CASE WHEN ({a}) IS NULL OR ({b}) IS NULL THEN {unknown} ELSE {error} END)"
        if isinstance(n, ir.Cmp):
            return self.compare(n)
        if isinstance(n, ir.And | ir.Or):
            return self.cat([self.if_null(n.left), self.if_null(n.right)])
        if isinstance(n, ir.Coalesce):
            return self.cat([self.of(n.left), self.of(n.right)])
        if isinstance(n, ir.If):
            cond = c.expr(n.cond)
            return (
                f"(CASE WHEN ({cond}) IS NULL THEN {self.of(n.cond)} "
                f"WHEN ({cond}) THEN {self.of(n.then)} ELSE {self.of(n.else_)} END)"
            )
        raise UnsupportedError(f"no missing paths for {type(n).__name__}")

    def call(self, n: ir.Call) -> str:
        fn = builtin(n.func)
        if fn == "known":
            return self.lit()
        if fn in ("count", "exists"):
            return self.of(n.args[0])
        if fn in _STRICT_SCALAR:
            return self.cat([self.if_null(a) for a in n.args])
        # sum, min, max, avg: an unknown list, or unknown elements (an empty list's min,
        # max and avg are unknown with nothing missing)
        lst = n.args[0]
        v = self.c.expr(lst)
        return (
            f"(CASE WHEN ({v}) IS NULL THEN {self.of(lst)} "
            f"WHEN NOT {self.c.elements_known(v)} THEN {self.elements(lst)} ELSE {self.lit()} END)"
        )

    def compare(self, n: ir.Cmp) -> str:
        both = self.cat([self.if_null(n.left), self.if_null(n.right)])
        if n.op not in ("in", "not in") or self.c.constant_list(n.right) is not None:
            return both
        a, b = self.c.expr(n.left), self.c.expr(n.right)
        return (
            f"(CASE WHEN ({a}) IS NULL OR ({b}) IS NULL THEN {both} "
            f"ELSE {self.elements(n.right)} END)"
        )

    # ---------------------------------------------------------------- unknown elements
    def nullable_elements(self, n: ir.Node) -> bool:
        """Whether a (known) list may hold unknown elements."""
        if isinstance(n, ir.GetField):
            return n.project
        if isinstance(n, ir.ListLit):
            return bool(n.items)
        if isinstance(n, ir.LetRef):
            return self.nullable_elements(self.c.policy.lets[n.index].expr)
        if isinstance(n, ir.If | ir.Coalesce):
            a, b = (n.then, n.else_) if isinstance(n, ir.If) else (n.left, n.right)
            return self.nullable_elements(a) or self.nullable_elements(b)
        return False

    def elements(self, n: ir.Node) -> str:
        """The missing paths of all the unknown elements of a known list."""
        c, d = self.c, self.d
        if not self.nullable_elements(n):
            return self.lit()
        if isinstance(n, ir.GetField):  # a projection
            obj, v = c.expr(n.obj), c.fresh()
            sub = d.field(v, n.field)
            absent = d.some_true(d.transform(obj, v, f"{v} IS NOT NULL AND {sub} IS NULL"))
            here = f"(CASE WHEN {absent} THEN {self.lit(n.path or '')} ELSE {self.lit()} END)"
            if not self.nullable_elements(n.obj):
                return here
            return self.cat([self.elements(n.obj), here])
        if isinstance(n, ir.ListLit):
            return self.cat([self.if_null(i) for i in n.items])
        if isinstance(n, ir.LetRef):
            return self.elements(c.policy.lets[n.index].expr)
        if isinstance(n, ir.If):
            cond = c.expr(n.cond)
            then, else_ = self.elements(n.then), self.elements(n.else_)
            return f"(CASE WHEN ({cond}) THEN {then} ELSE {else_} END)"
        if isinstance(n, ir.Coalesce):
            left = c.expr(n.left)
            return (
                f"(CASE WHEN ({left}) IS NOT NULL THEN {self.elements(n.left)} "
                f"ELSE {self.elements(n.right)} END)"
            )
        return self.lit()  # pragma: no cover - nullable_elements is False for the rest

    def element(self, lst: ir.Node, var: ir.Var) -> str:
        """The missing paths of an unknown element of `lst` (a quantifier's variable)."""
        if isinstance(lst, ir.GetField) and lst.project and not self.nullable_elements(lst.obj):
            return self.lit(lst.path) if lst.path else self.lit()
        if var.path and not self.nullable_elements(lst):
            return self.lit(var.path)
        return self.elements(lst)
