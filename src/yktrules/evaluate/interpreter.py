"""The reference interpreter: a direct, obviously-correct walk over the typed rule tree,
written independently of the compiler.  It is the oracle the compiled path is tested
against, and it records a trace (every let's value, every rule's value) for explanations.
It is slower than the compiled path and not used for screening."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from .. import ir
from ..ir import regions
from ..ir.functions import Function
from ..ir.values import COMPARE, DECIMAL_CONTEXT, EvalError, Unknown, merge

Param = Callable[[str], Any]


def _unknown(*vals: Any) -> Unknown | None:
    """The merged unknown among `vals`, or None when all are known."""
    if any(isinstance(v, Unknown) for v in vals):
        return merge(vals)
    return None


class Interpreter:
    def __init__(
        self,
        policy: ir.CheckedPolicy,
        funcs: dict[str, Function],
        facts: Any,
        as_of: date,
        param: Param,
    ):
        self.policy = policy
        self.funcs = funcs
        self.facts = facts
        self.as_of = as_of
        self.param = param
        self.lets: dict[int, Any] = {}
        self.trace: dict[str, Any] = {}

    def let(self, i: int) -> Any:
        if i not in self.lets:
            let = self.policy.lets[i]
            self.lets[i] = self.eval(let.expr, {})
            self.trace[let.name] = self.lets[i]
        return self.lets[i]

    def rules(self) -> list[tuple[ir.CheckedRule, Any]]:
        return [(r, self.eval(r.cond, {})) for r in self.policy.rules]

    def amount(self) -> Any:
        return self.eval(self.policy.amount, {}) if self.policy.amount is not None else None

    def message(self, rule: ir.CheckedRule) -> list[Any]:
        return [p.text if p.value is None else self.eval(p.value, {}) for p in rule.message]

    # ------------------------------------------------------------ expressions
    def eval(self, n: ir.Node, env: dict[int, Any]) -> Any:
        if isinstance(n, ir.Const):
            return n.value
        if isinstance(n, ir.Root):
            v = getattr(self.facts, n.name)
            return Unknown(frozenset({n.name})) if v is None else v
        if isinstance(n, ir.Var):
            return env[n.slot]
        if isinstance(n, ir.LetRef):
            return self.let(n.index)
        if isinstance(n, ir.Param):
            return self.param(n.name)
        if isinstance(n, ir.AsOf):
            return self.as_of
        if isinstance(n, ir.PolicyAttr):
            return self.policy.code if n.name == "code" else self.policy.region
        if isinstance(n, ir.GetField):
            return self.get_field(n, env)
        if isinstance(n, ir.Filter):
            lst = self.eval(n.obj, env)
            if isinstance(lst, Unknown):
                return lst
            conds = [self.eval(n.cond, {**env, n.slot: x}) for x in lst]
            u = _unknown(*[c for c in conds if c is not True and c is not False])
            if u is not None:
                return u
            return [x for x, c in zip(lst, conds, strict=True) if c is True]
        if isinstance(n, ir.Quant):
            lst = self.eval(n.iterable, env)
            if isinstance(lst, Unknown):
                return lst
            vals = [self.eval(n.body, {**env, n.slot: x}) for x in lst]
            want = n.kind == "any"
            if any(v is want for v in vals):
                return want
            u = _unknown(*vals)
            return u if u is not None else (not want)
        if isinstance(n, ir.Call):
            fn = self.funcs[n.func]
            args = [self.eval(a, env) for a in n.args]
            if fn.strict:
                u = _unknown(*args)
                if u is not None:
                    return u
            try:
                return fn.impl(self.as_of, *args)
            except Exception as e:  # as the compiled path: a failure is an unknown value
                msg = f"计算出错 / evaluation error: {type(e).__name__}: {e}"
                return Unknown(errors=(EvalError(msg, n.span),))
        if isinstance(n, ir.ListLit):
            return [self.eval(i, env) for i in n.items]
        if isinstance(n, ir.Neg):
            v = self.eval(n.operand, env)
            return v if isinstance(v, Unknown) else DECIMAL_CONTEXT.minus(Decimal(v))
        if isinstance(n, ir.Not):
            v = self.eval(n.operand, env)
            return v if isinstance(v, Unknown) else not v
        if isinstance(n, ir.Arith):
            return self.arith(n, env)
        if isinstance(n, ir.Cmp):
            return self.compare(n, env)
        if isinstance(n, ir.And | ir.Or):
            a, b = self.eval(n.left, env), self.eval(n.right, env)
            absorbing = isinstance(n, ir.Or)  # True absorbs `or`, False absorbs `and`
            if a is absorbing or b is absorbing:
                return absorbing
            u = _unknown(a, b)
            return u if u is not None else (not absorbing)
        if isinstance(n, ir.Coalesce):
            a = self.eval(n.left, env)
            if not isinstance(a, Unknown):
                return a
            b = self.eval(n.right, env)
            return merge([a, b]) if isinstance(b, Unknown) else b
        if isinstance(n, ir.If):
            c = self.eval(n.cond, env)
            if isinstance(c, Unknown):
                return c
            return self.eval(n.then if c else n.else_, env)
        raise TypeError(f"cannot interpret {type(n).__name__}")  # pragma: no cover

    def get_field(self, n: ir.GetField, env: dict[int, Any]) -> Any:
        obj = self.eval(n.obj, env)
        if isinstance(obj, Unknown):
            return obj
        missing = Unknown(frozenset({n.path})) if n.path else Unknown()
        if not n.project:
            v = getattr(obj, n.field)
            return missing if v is None else v
        out: list[Any] = []
        for x in obj:
            v = x if isinstance(x, Unknown) else getattr(x, n.field)
            if v is None:
                out.append(missing)
            elif n.flatten and not isinstance(v, Unknown):
                out.extend(v)
            else:
                out.append(v)
        return out

    def arith(self, n: ir.Arith, env: dict[int, Any]) -> Any:
        a, b = self.eval(n.left, env), self.eval(n.right, env)
        u = _unknown(a, b)
        if u is not None:
            return u
        if n.op == "/":
            if Decimal(b) == 0:
                return Unknown(errors=(EvalError("除数为零 / division by zero", n.span),))
            return DECIMAL_CONTEXT.divide(a, b)
        op = {
            "+": DECIMAL_CONTEXT.add,
            "-": DECIMAL_CONTEXT.subtract,
            "*": DECIMAL_CONTEXT.multiply,
        }[n.op]
        return op(a, b)

    def compare(self, n: ir.Cmp, env: dict[int, Any]) -> Any:
        a, b = self.eval(n.left, env), self.eval(n.right, env)
        u = _unknown(a, b)
        if u is not None:
            return u
        if n.op in ("in", "not in"):
            if any(x == a for x in b if not isinstance(x, Unknown)):
                found: Any = True
            else:
                found = _unknown(*b) or False
            if isinstance(found, Unknown):
                return found
            return found if n.op == "in" else not found
        if n.op == "within":
            return regions.within(a, b)
        return COMPARE[n.op](a, b)
