"""The evaluator: each checked policy is compiled once, from its typed rule tree (never
from text), into Python closures that implement the three-valued semantics of
LANGUAGE.md §5 and record which facts were missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ir
from ..ir import regions
from ..ir.functions import Function
from ..ir.values import COMPARE, DECIMAL_CONTEXT, EvalError, Unknown, merge, merge2

Fn = Callable[["Ctx"], Any]
_UNSET = object()


class Ctx:
    """What one evaluation needs: the facts, lazily computed lets, variable slots, the date
    and a parameter lookup bound to the application's region and date."""

    __slots__ = ("as_of", "facts", "lets", "param", "vars")

    def __init__(
        self, facts: Any, as_of: Any, param: Callable[[str], Any], n_lets: int, n_slots: int
    ):
        self.facts = facts
        self.as_of = as_of
        self.param = param
        self.lets: list[Any] = [_UNSET] * n_lets
        self.vars: list[Any] = [None] * n_slots


class CompiledPolicy:
    """Closures for one checked policy: its lets, its rule conditions, message parts and
    amount."""

    def __init__(self, policy: ir.CheckedPolicy, funcs: dict[str, Function]):
        self.policy = policy
        self._funcs = funcs
        self.let_fns: list[Fn] = []
        for let in policy.lets:
            self.let_fns.append(self.compile(let.expr))
        self.rules: list[tuple[ir.CheckedRule, Fn]] = [
            (r, self.compile(r.cond)) for r in policy.rules
        ]
        self.messages: dict[str, list[str | Fn]] = {
            r.name: [self._part(p) for p in r.message] for r in policy.rules
        }
        self.amount: Fn | None = self.compile(policy.amount) if policy.amount else None

    def _part(self, p: ir.MessagePart) -> str | Fn:
        return p.text or "" if p.value is None else self.compile(p.value)

    def context(self, facts: Any, as_of: Any, param: Callable[[str], Any]) -> Ctx:
        return Ctx(facts, as_of, param, len(self.let_fns), self.policy.slots)

    # ------------------------------------------------------------ compile
    def compile(self, n: ir.Node) -> Fn:
        if isinstance(n, ir.Const):
            v = n.value
            return lambda c: v
        if isinstance(n, ir.Root):
            name = n.name
            unk = Unknown(frozenset({name}))

            def root(c: Ctx) -> Any:
                v = getattr(c.facts, name)
                return unk if v is None else v

            return root
        if isinstance(n, ir.Var):
            slot = n.slot
            return lambda c: c.vars[slot]
        if isinstance(n, ir.LetRef):
            i = n.index
            fns = self.let_fns

            def let(c: Ctx) -> Any:
                v = c.lets[i]
                if v is _UNSET:
                    v = c.lets[i] = fns[i](c)
                return v

            return let
        if isinstance(n, ir.Param):
            pname = n.name
            return lambda c: c.param(pname)
        if isinstance(n, ir.AsOf):
            return lambda c: c.as_of
        if isinstance(n, ir.PolicyAttr):
            pv = self.policy.code if n.name == "code" else self.policy.region
            return lambda c: pv
        if isinstance(n, ir.GetField):
            return self._field(n)
        if isinstance(n, ir.Filter):
            return self._filter(n)
        if isinstance(n, ir.Quant):
            return self._quant(n)
        if isinstance(n, ir.Call):
            return self._call(n)
        if isinstance(n, ir.ListLit):
            items = [self.compile(i) for i in n.items]
            return lambda c: [f(c) for f in items]
        if isinstance(n, ir.Neg):
            o = self.compile(n.operand)

            def neg(c: Ctx) -> Any:
                v = o(c)
                return v if v.__class__ is Unknown else DECIMAL_CONTEXT.minus(v)

            return neg
        if isinstance(n, ir.Not):
            o = self.compile(n.operand)

            def not_(c: Ctx) -> Any:
                v = o(c)
                return v if v.__class__ is Unknown else not v

            return not_
        if isinstance(n, ir.Arith):
            return self._arith(n)
        if isinstance(n, ir.Cmp):
            return self._cmp(n)
        if isinstance(n, ir.And | ir.Or):
            return self._junction(n)
        if isinstance(n, ir.Coalesce):
            a, b = self.compile(n.left), self.compile(n.right)

            def coalesce(c: Ctx) -> Any:
                v = a(c)
                if v.__class__ is not Unknown:
                    return v
                w = b(c)
                return merge2(v, w) if w.__class__ is Unknown else w

            return coalesce
        if isinstance(n, ir.If):
            cond, a, b = self.compile(n.cond), self.compile(n.then), self.compile(n.else_)

            def if_(c: Ctx) -> Any:
                v = cond(c)
                if v is True:
                    return a(c)
                if v is False:
                    return b(c)
                return v

            return if_
        raise TypeError(f"cannot compile {type(n).__name__}")  # pragma: no cover

    def _field(self, n: ir.GetField) -> Fn:
        obj = self.compile(n.obj)
        name = n.field
        unk = Unknown(frozenset({n.path})) if n.path else Unknown()
        if not n.project and isinstance(n.obj, ir.Root):
            rname = n.obj.name
            runk = Unknown(frozenset({rname}))

            def get_root(c: Ctx) -> Any:  # the common `applicant.x`, fused
                o = getattr(c.facts, rname)
                if o is None:
                    return runk
                v = getattr(o, name)
                return unk if v is None else v

            return get_root
        if not n.project and isinstance(n.obj, ir.Var):
            slot = n.obj.slot

            def get_var(c: Ctx) -> Any:  # `m.x` for a quantifier variable, fused
                o = c.vars[slot]
                if o.__class__ is Unknown:
                    return o
                v = getattr(o, name)
                return unk if v is None else v

            return get_var
        if not n.project:

            def get(c: Ctx) -> Any:
                o = obj(c)
                if o.__class__ is Unknown:
                    return o
                v = getattr(o, name)
                return unk if v is None else v

            return get
        flatten = n.flatten

        def project(c: Ctx) -> Any:
            o = obj(c)
            if o.__class__ is Unknown:
                return o
            out: list[Any] = []
            for x in o:
                if x.__class__ is Unknown:
                    out.append(x)
                    continue
                v = getattr(x, name)
                if v is None:
                    out.append(unk)
                elif flatten:
                    out.extend(v)
                else:
                    out.append(v)
            return out

        return project

    def _filter(self, n: ir.Filter) -> Fn:
        lst, cond, slot = self.compile(n.obj), self.compile(n.cond), n.slot

        def filter_(c: Ctx) -> Any:
            o = lst(c)
            if o.__class__ is Unknown:
                return o
            vs = c.vars
            out: list[Any] = []
            unk: Unknown | None = None
            for x in o:
                vs[slot] = x
                r = cond(c)
                if r is True:
                    out.append(x)
                elif r is not False:
                    unk = r if unk is None else merge2(unk, r)
            return out if unk is None else unk

        return filter_

    def _quant(self, n: ir.Quant) -> Fn:
        lst, body, slot = self.compile(n.iterable), self.compile(n.body), n.slot
        decisive = n.kind == "any"  # the value that settles it: True for any, False for all

        def quant(c: Ctx) -> Any:
            o = lst(c)
            if o.__class__ is Unknown:
                return o
            vs = c.vars
            unk: Unknown | None = None
            for x in o:
                vs[slot] = x
                r = body(c)
                if r is decisive:
                    return decisive
                if r is not (not decisive):
                    unk = r if unk is None else merge2(unk, r)
            return (not decisive) if unk is None else unk

        return quant

    def _call(self, n: ir.Call) -> Fn:
        fn = self._funcs[n.func]
        impl = fn.impl
        args = [self.compile(a) for a in n.args]
        span = n.span
        if not fn.strict:
            a0 = args[0]
            return lambda c: impl(c.as_of, a0(c))
        if len(args) == 1 and fn.total:
            a1 = args[0]

            def call1_total(c: Ctx) -> Any:
                v = a1(c)
                return v if v.__class__ is Unknown else impl(c.as_of, v)

            return call1_total
        if len(args) == 1:
            a1 = args[0]

            def call1(c: Ctx) -> Any:
                v = a1(c)
                if v.__class__ is Unknown:
                    return v
                return _guard(impl, span, c.as_of, v)

            return call1

        def call(c: Ctx) -> Any:
            vs = [a(c) for a in args]
            for v in vs:
                if v.__class__ is Unknown:
                    return merge(vs)
            return _guard(impl, span, c.as_of, *vs)

        return call

    def _arith(self, n: ir.Arith) -> Fn:
        a, b = self.compile(n.left), self.compile(n.right)
        op = {
            "+": DECIMAL_CONTEXT.add,
            "-": DECIMAL_CONTEXT.subtract,
            "*": DECIMAL_CONTEXT.multiply,
        }.get(n.op)
        if op is None:
            zero = Unknown(errors=(EvalError("除数为零 / division by zero", n.span),))
            divide = DECIMAL_CONTEXT.divide

            def op(x: Any, y: Any) -> Any:
                return divide(x, y) if y else zero

        return _strict(a, b, op)

    def _cmp(self, n: ir.Cmp) -> Fn:
        test = _CMP[n.op]
        a = self.compile(n.left)
        if isinstance(n.right, ir.Const) and n.right.value is not None:
            k = n.right.value

            def cmp_const(c: Ctx) -> Any:  # `x >= 2`, `kind == "住房"`: the common shape
                x = a(c)
                return x if x.__class__ is Unknown else test(x, k)

            return cmp_const
        return _strict(a, self.compile(n.right), test)

    def _junction(self, n: ir.And | ir.Or) -> Fn:
        """Kleene `and` (False absorbs) and `or` (True absorbs), short-circuiting."""
        lhs, rhs = self.compile(n.left), self.compile(n.right)
        absorbing = isinstance(n, ir.Or)
        neutral = not absorbing

        def junction(c: Ctx) -> Any:
            x = lhs(c)
            if x is absorbing:
                return absorbing
            y = rhs(c)
            if y is absorbing:
                return absorbing
            if x is neutral:
                return y
            if y is neutral:
                return x
            return merge2(x, y)

        return junction


def _strict(a: Fn, b: Fn, op: Callable[[Any, Any], Any]) -> Fn:
    """A binary operation on known values; an unknown operand makes the result unknown,
    carrying what both operands miss."""

    def strict(c: Ctx) -> Any:
        x, y = a(c), b(c)
        if x.__class__ is Unknown:
            return merge2(x, y) if y.__class__ is Unknown else x
        if y.__class__ is Unknown:
            return y
        return op(x, y)

    return strict


def _guard(impl: Callable[..., Any], span: Any, *args: Any) -> Any:
    """Call a function that may fail (a host's); a failure makes the value unknown."""
    try:
        return impl(*args)
    except Exception as e:  # a host function's bug must not abort a decision or a batch
        msg = f"计算出错 / evaluation error: {type(e).__name__}: {e}"
        return Unknown(errors=(EvalError(msg, span),))


def _member(x: Any, xs: list[Any]) -> Any:
    unk: Unknown | None = None
    for e in xs:
        if e.__class__ is Unknown:
            unk = e if unk is None else merge2(unk, e)
        elif e == x:
            return True
    return False if unk is None else unk


def _not_member(x: Any, xs: list[Any]) -> Any:
    r = _member(x, xs)
    return r if r.__class__ is Unknown else not r


_CMP: dict[str, Callable[[Any, Any], Any]] = {
    **COMPARE,
    "in": _member,
    "not in": _not_member,
    "within": regions.within,
}
