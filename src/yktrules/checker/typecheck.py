"""Names, types and enum values of one resolved policy: AST in, typed rule tree
(``yktrules.ir``) out."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from .. import ir
from ..errors import Span
from ..ir import types as T
from ..ir.functions import Function
from ..ir.values import COMPARE
from ..lang import ast
from ..lang.lexicon import POLICY_FIELDS_ZH, glued_keyword
from ..params import ParamTable
from .inherit import Resolved, RLet
from .pii import warn_pii_interpolation
from .report import Reporter

_ROOT_ZH_EXTRA = {"param": "参数", "as_of": "基准日"}
_IT = ("it", "它")


@attrs.frozen
class _Frame:
    name: str | None  # quantifier variable; None for a filter
    slot: int
    type: T.Type
    path: str | None


def _path(node: ir.Node) -> str | None:
    if isinstance(node, ir.Root):
        return node.name
    if isinstance(node, ir.GetField | ir.Var | ir.LetRef):
        return node.path
    if isinstance(node, ir.Filter):
        return _path(node.obj)
    return None


class PolicyChecker:
    allow_per_item = False  # per-item parameters (params.ParamDecl.per_item): audits only
    warn_pii = True  # W004 on messages showing personal data (audits mask them instead)

    def __init__(
        self,
        r: Resolved,
        app: T.RecordT,
        params: ParamTable,
        funcs: Mapping[str, Function],
        rep: Reporter,
    ):
        self.r = r
        self.app = app
        self.params = params
        self.funcs = funcs
        self.rep = rep
        self.lets: dict[str, tuple[int, RLet]] = {x.name: (i, x) for i, x in enumerate(r.lets)}
        self.let_ir: dict[str, ir.Node] = {}
        self.checking: set[str] = set()
        self.used_lets: set[str] = set()
        self.params_used: set[str] = set()
        self.depth = 0
        self.max_slots = 0
        self.current_let: RLet | None = None
        self.ok = True

    # ------------------------------------------------------------ reporting
    def err(self, code: str, msg: str, span: Span, hint: str | None = None) -> ir.Node:
        self.ok = False
        self.rep.error(code, msg, span, hint)
        return ir.Const(T.ANY, span, None)

    # ------------------------------------------------------------ policy
    def check(self) -> ir.CheckedPolicy | None:
        for name in self.lets:
            self._let(name, None)
        rules: list[ir.CheckedRule] = []
        for rr in self.r.rules:
            cond = self.expr(rr.expr, ())
            if cond.type != T.BOOLEAN and not isinstance(cond.type, T.AnyT):
                self.err(
                    "E208",
                    f"规则 `{rr.name}` 的条件须为真假值，实际是{cond.type.show()} / "
                    "a rule's condition must be boolean",
                    rr.expr.span,
                )
            elif _fold(cond) is False:
                self.rep.warning(
                    "W002",
                    f"规则 `{rr.name}` 的条件恒为假，永远不会成立 / the "
                    "condition can never be true",
                    rr.expr.span,
                )
            parts = self.message(rr.message)
            rules.append(
                ir.CheckedRule(rr.name, rr.kind, parts, rr.message.text, cond, rr.span, rr.origin)
            )
        amount = None
        if self.r.amount is not None:
            amount = self.expr(self.r.amount[0], ())
            if amount.type != T.NUMBER and not isinstance(amount.type, T.AnyT):
                self.err(
                    "E209",
                    f"amount 须为数值，实际是{amount.type.show()} / the amount must be a number",
                    self.r.amount[0].span,
                )
        for name, (_, rl) in self.lets.items():
            if name not in self.used_lets and rl.origin == self.r.code and not rl.override:
                self.rep.warning(
                    "W001", f"let `{name}` 定义了但从未使用 / let is never used", rl.span
                )
        m = self.r.meta
        if not self.ok or any(m.get(k, (None,))[0] is None for k in ("region", "effective")):
            return None
        return ir.CheckedPolicy(
            code=self.r.code,
            title=self.r.policy.title,
            parent=self.r.policy.parent,
            region=m["region"][0],
            effective=m["effective"][0],
            until=m["until"][0] if "until" in m else None,
            department=m.get("department", (None,))[0],
            basis=m.get("basis", (None,))[0],
            hotline=m.get("hotline", (None,))[0],
            period=m.get("period", ("monthly",))[0],
            lets=tuple(ir.CheckedLet(x.name, self.let_ir[x.name], x.span) for x in self.r.lets),
            rules=tuple(rules),
            amount=amount,
            dropped=tuple(self.r.dropped),
            params=tuple(sorted(self.params_used)),
            slots=self.max_slots,
            digest=self.r.digest,
            file=self.r.file,
            chain=self.r.chain,
        )

    def _let(self, name: str, at: Span | None) -> ir.Node:
        if name in self.let_ir:
            return self.let_ir[name]
        _, rl = self.lets[name]
        if name in self.checking:
            span = at or rl.span
            return self.err("E126", f"let `{name}` 循环引用自身 / let depends on itself", span)
        self.checking.add(name)
        saved, saved_depth = self.current_let, self.depth
        self.current_let, self.depth = rl, 0
        node = self.expr(rl.expr, ())
        self.current_let, self.depth = saved, saved_depth
        self.checking.discard(name)
        self.let_ir[name] = node
        return node

    def _visible(self, target: RLet) -> bool:
        cur = self.current_let
        return cur is None or cur.override or target.def_pos < cur.def_pos

    # ------------------------------------------------------------ messages
    def message(self, msg: ast.Message) -> tuple[ir.MessagePart, ...]:
        out: list[ir.MessagePart] = []
        for part in msg.parts:
            if isinstance(part, str):
                out.append(ir.MessagePart(text=part))
                continue
            node = self._interp(part)
            if isinstance(node.type, T.RecordT):
                self.err(
                    "E210",
                    f"消息中的 `{{{'.'.join(part.path)}}}` 是一条记录，无法显示；请写出"
                    "具体字段 / a record cannot be shown in a message: name one of its fields",
                    part.span,
                )
            elif self.warn_pii:
                text = ".".join(part.path)
                warn_pii_interpolation(self.rep, node, self.let_ir, text, part.span)
            out.append(ir.MessagePart(value=node))
        return tuple(out)

    def _interp(self, part: ast.Interp) -> ir.Node:
        sp = part.span
        head, *rest = part.path
        heads = [*self.lets, *self.app.names(), "param", "参数", "as_of", "基准日"]
        if head not in heads and head not in ("policy", "政策"):
            return self.err(
                "E210",
                f"消息中的 `{{{'.'.join(part.path)}}}` 不是已定义的 let、事实路径或参数 / "
                "interpolation of an unknown name",
                sp,
                _did_you_mean(head, heads),
            )
        expr: ast.Expr = ast.PolicyRef(sp) if head in ("policy", "政策") else ast.Name(sp, head)
        for f in rest:
            expr = ast.Field(sp, expr, f, sp)
        return self.expr(expr, ())

    # ------------------------------------------------------------ expressions
    def expr(self, e: ast.Expr, scope: tuple[_Frame, ...]) -> ir.Node:
        sp = e.span
        if isinstance(e, ast.Number):
            return ir.Const(T.NUMBER, sp, e.value)
        if isinstance(e, ast.String):
            return ir.Const(T.STRING, sp, e.value)
        if isinstance(e, ast.DateLit):
            return ir.Const(T.DATE, sp, e.value)
        if isinstance(e, ast.Bool):
            return ir.Const(T.BOOLEAN, sp, e.value)
        if isinstance(e, ast.Name):
            return self.name(e, scope)
        if isinstance(e, ast.PolicyRef):
            return self.err("E201", "`policy` 须写作 `policy.code` 或 `policy.region`", sp)
        if isinstance(e, ast.Field):
            return self.field(e, scope)
        if isinstance(e, ast.Filter):
            return self.filter(e, scope)
        if isinstance(e, ast.Call):
            return self.call(e, scope)
        if isinstance(e, ast.ListLit):
            items = tuple(self.expr(i, scope) for i in e.items)
            et: T.Type | None = T.ANY
            for i in items:
                et = T.unify(et, i.type) if et is not None else None
            if et is None:
                return self.err(
                    "E206", "列表中的元素类型不一致 / list elements of different types", sp
                )
            return ir.ListLit(T.ListT(et), sp, items)
        if isinstance(e, ast.Neg):
            o = self.expr(e.operand, scope)
            self.want(o, T.NUMBER, "取负", e.operand.span)
            return ir.Neg(T.NUMBER, sp, o)
        if isinstance(e, ast.Not):
            o = self.expr(e.operand, scope)
            self.want(o, T.BOOLEAN, "not/非", e.operand.span)
            return ir.Not(T.BOOLEAN, sp, o)
        if isinstance(e, ast.BinOp):
            a, b = self.expr(e.left, scope), self.expr(e.right, scope)
            self.want(a, T.NUMBER, f"`{e.op}`", e.left.span)
            self.want(b, T.NUMBER, f"`{e.op}`", e.right.span)
            return ir.Arith(T.NUMBER, sp, e.op, a, b)
        if isinstance(e, ast.Compare):
            return self.compare(e, scope)
        if isinstance(e, ast.And | ast.Or):
            a, b = self.expr(e.left, scope), self.expr(e.right, scope)
            word = "and/且" if isinstance(e, ast.And) else "or/或"
            self.want(a, T.BOOLEAN, word, e.left.span)
            self.want(b, T.BOOLEAN, word, e.right.span)
            cls = ir.And if isinstance(e, ast.And) else ir.Or
            return cls(T.BOOLEAN, sp, a, b)
        if isinstance(e, ast.Coalesce):
            a, b = self.expr(e.left, scope), self.expr(e.right, scope)
            t = T.unify(a.type, b.type)
            if t is None:
                return self.err(
                    "E206", f"`??` 两边类型不一致：{a.type.show()} 与 {b.type.show()}", sp
                )
            return ir.Coalesce(t, sp, a, b)
        if isinstance(e, ast.If):
            c = self.expr(e.cond, scope)
            self.want(c, T.BOOLEAN, "if/如果 的条件", e.cond.span)
            a, b = self.expr(e.then, scope), self.expr(e.else_, scope)
            t = T.unify(a.type, b.type)
            if t is None:
                return self.err(
                    "E206",
                    f"then 与 else 的类型不一致：{a.type.show()} 与 "
                    f"{b.type.show()} / branches of different types",
                    sp,
                )
            return ir.If(t, sp, c, a, b)
        if isinstance(e, ast.Quantifier):
            lst = self.expr(e.iterable, scope)
            elem = self.elem_type(lst, e.iterable.span)
            slot = self.push()
            frame = _Frame(e.var, slot, elem, _path(lst))
            body = self.expr(e.body, (*scope, frame))
            self.depth -= 1
            self.want(body, T.BOOLEAN, f"{e.kind} 的条件", e.body.span)
            return ir.Quant(T.BOOLEAN, sp, e.kind, slot, lst, body)
        return self.err("E201", "无法识别的表达式", sp)  # pragma: no cover

    def push(self) -> int:
        slot = self.depth
        self.depth += 1
        self.max_slots = max(self.max_slots, self.depth)
        return slot

    def want(self, node: ir.Node, t: T.Type, what: str, span: Span) -> None:
        if node.type == t or isinstance(node.type, T.AnyT):
            return
        self.err("E206", f"{what} 需要{t.show()}，这里是{node.type.show()} / type mismatch", span)

    def elem_type(self, lst: ir.Node, span: Span) -> T.Type:
        if isinstance(lst.type, T.ListT):
            return lst.type.elem
        if not isinstance(lst.type, T.AnyT):
            self.err("E211", f"这里需要列表，实际是{lst.type.show()} / a list is needed here", span)
        return T.ANY

    # ------------------------------------------------------------ names
    def name(self, e: ast.Name, scope: tuple[_Frame, ...]) -> ir.Node:
        n, sp = e.name, e.span
        for fr in reversed(scope):
            if fr.name is not None:
                if fr.name == n:
                    return ir.Var(fr.type, sp, fr.slot, n, fr.path)
                continue
            if n in _IT:
                return ir.Var(fr.type, sp, fr.slot, n, fr.path)
            if isinstance(fr.type, T.RecordT):
                f = fr.type.lookup(n)
                if f is not None:
                    if n in self.lets:
                        self.rep.warning(
                            "W003",
                            f"过滤条件中的字段 `{n}` 遮蔽了同名的 let / a "
                            "filter field shadows a let",
                            sp,
                        )
                    var = ir.Var(fr.type, sp, fr.slot, "it", fr.path)
                    return self._get(var, f, sp)
        if n in self.lets:
            _, rl = self.lets[n]
            self.used_lets.add(n)
            if (
                self.current_let is not None
                and self.current_let.name == n
                and not self.current_let.override
            ):
                return self.err("E126", f"let `{n}` 引用了自身 / a let cannot use itself", sp)
            if not self._visible(rl):
                return self.err(
                    "E126",
                    f"let `{n}` 在后面才定义，不能在这里使用 / a let may only use earlier lets",
                    sp,
                )
            node = self._let(n, sp)
            return ir.LetRef(node.type, sp, self.lets[n][0], n, _path(node))
        f = self.app.lookup(n)
        if f is not None:
            return ir.Root(f.type, sp, f.name)
        if n in ("as_of", "基准日"):
            return ir.AsOf(T.DATE, sp)
        if n in ("param", "参数"):
            return self.err("E201", "`param` 须写作 `param.名称` / write param.NAME", sp)
        cands = [*self.lets, *self.app.names(), "as_of", "param"]
        for fr in scope:
            if fr.name:
                cands.append(fr.name)
            elif isinstance(fr.type, T.RecordT):
                cands += fr.type.names()
        hint = _did_you_mean(n, cands)
        kw = glued_keyword(n)
        if kw:
            hint = f"`{n}` 中含关键字 `{kw}`：关键字前后须有空格 / put spaces around keywords"
        return self.err("E201", f"未知的名称 `{n}` / unknown name", sp, hint)

    def field(self, e: ast.Field, scope: tuple[_Frame, ...]) -> ir.Node:
        sp = e.span
        if (
            isinstance(e.obj, ast.Name)
            and e.obj.name in ("param", "参数")
            and not any(f.name == e.obj.name for f in scope)
            and e.obj.name not in self.lets
        ):
            decl = self.params.get(e.name)
            if decl is None and e.name in self.params.broken:
                self.ok = False  # its declaration's errors are reported in the params file
                return ir.Const(T.ANY, sp, None)
            if decl is None:
                return self.err(
                    "E203",
                    f"参数 `{e.name}` 没有在任何 .params.yaml 中声明 / unknown parameter",
                    e.name_span,
                    _did_you_mean(e.name, list(self.params.decls)),
                )
            if decl.per_item and not self.allow_per_item:
                return self.err(
                    "E213",
                    f"参数 `{e.name}` 按项目设定（per_item），只能在稽核规则（audit）中使用 / "
                    "per-item parameters are for audits",
                    e.name_span,
                )
            self.params_used.add(e.name)
            return ir.Param(decl.lang_type, sp, e.name)
        if isinstance(e.obj, ast.PolicyRef):
            en = {v: k for k, v in POLICY_FIELDS_ZH.items()}.get(e.name, e.name)
            if en not in POLICY_FIELDS_ZH:
                return self.err(
                    "E202",
                    f"`policy` 没有字段 `{e.name}`；可用 code/代码、region/地区",
                    e.name_span,
                )
            return ir.PolicyAttr(T.STRING, sp, en)
        obj = self.expr(e.obj, scope)
        t = obj.type
        if isinstance(t, T.AnyT):
            return ir.Const(T.ANY, sp, None)
        rec = t.elem if isinstance(t, T.ListT) else t
        if not isinstance(rec, T.RecordT):
            return self.err("E212", f"{t.show()} 没有字段 `{e.name}` / not a record", e.name_span)
        f = rec.lookup(e.name)
        if f is None and (kw := glued_keyword(e.name)):
            return self.err(
                "E202",
                f"{rec.show()} 没有字段 `{e.name}` / unknown field",
                e.name_span,
                f"`{e.name}` 中含关键字 `{kw}`：关键字前后须有空格 / put spaces around keywords",
            )
        if f is None:
            return self.err(
                "E202",
                f"{rec.show()} 没有字段 `{e.name}` / unknown field",
                e.name_span,
                _did_you_mean(e.name, rec.names()),
            )
        return self._get(obj, f, sp)

    def _get(self, obj: ir.Node, f: T.FieldInfo, sp: Span) -> ir.Node:
        base = _path(obj)
        path = f"{base}.{f.name}" if base else None
        if isinstance(obj.type, T.ListT):
            flatten = isinstance(f.type, T.ListT)
            rt = f.type if flatten else T.ListT(f.type)
            return ir.GetField(rt, sp, obj, f.name, path, True, flatten)
        return ir.GetField(f.type, sp, obj, f.name, path, False, False)

    def filter(self, e: ast.Filter, scope: tuple[_Frame, ...]) -> ir.Node:
        lst = self.expr(e.obj, scope)
        elem = self.elem_type(lst, e.obj.span)
        slot = self.push()
        cond = self.expr(e.cond, (*scope, _Frame(None, slot, elem, _path(lst))))
        self.depth -= 1
        self.want(cond, T.BOOLEAN, "过滤条件", e.cond.span)
        return ir.Filter(lst.type, e.span, lst, slot, cond)

    def call(self, e: ast.Call, scope: tuple[_Frame, ...]) -> ir.Node:
        fn = self.funcs.get(e.func)
        args = tuple(self.expr(a, scope) for a in e.args)
        if fn is None:
            return self.err(
                "E204",
                f"未知的函数 `{e.func}` / unknown function",
                e.func_span,
                _did_you_mean(e.func, list(self.funcs)),
            )
        if len(args) != fn.arity:
            return self.err(
                "E205",
                f"函数 `{e.func}` 需要 {fn.arity} 个参数，这里给了 {len(args)} 个"
                " / wrong number of arguments",
                e.span,
            )
        res = fn.check([a.type for a in args])
        if isinstance(res, str):
            return self.err("E206", f"函数 `{e.func}`：{res} / argument of the wrong type", e.span)
        return ir.Call(res, e.span, fn.name, args)

    def compare(self, e: ast.Compare, scope: tuple[_Frame, ...]) -> ir.Node:
        a, b = self.expr(e.left, scope), self.expr(e.right, scope)
        op, sp = e.op, e.span
        ta, tb = a.type, b.type
        if isinstance(ta, T.AnyT) or isinstance(tb, T.AnyT):
            return ir.Cmp(T.BOOLEAN, sp, op, a, b)
        if op in ("==", "!="):
            if not T.compatible(ta, tb):
                return self.err("E206", f"不能比较{ta.show()}与{tb.show()} / cannot compare", sp)
            self.enum_check(a, b)
            self.enum_check(b, a)
        elif op in ("<", "<=", ">", ">="):
            if not (ta == tb and ta in (T.NUMBER, T.DATE)):
                return self.err(
                    "E206",
                    f"`{op}` 只能比较两个数值或两个日期，这里是{ta.show()}与"
                    f"{tb.show()} / type mismatch",
                    sp,
                    "日期请用 age(…) 或 years_between(…) 换算成年数"
                    if T.DATE in (ta, tb)
                    else None,
                )
        elif op in ("in", "not in"):
            if not isinstance(tb, T.ListT):
                return self.err("E211", f"`{op}` 右边须为列表，实际是{tb.show()}", e.right.span)
            if not T.compatible(ta, tb.elem):
                return self.err("E206", f"不能在{tb.show()}中查找{ta.show()} / type mismatch", sp)
            if isinstance(b, ir.ListLit):
                for item in b.items:
                    self.enum_check(a, item)
        elif op == "within" and not (T.is_stringy(ta) and T.is_stringy(tb)):
            return self.err(
                "E206",
                "`within` 两边须为行政区划代码（文本）/ within compares region codes",
                sp,
            )
        return ir.Cmp(T.BOOLEAN, sp, op, a, b)

    def enum_check(self, enum_side: ir.Node, lit: ir.Node) -> None:
        t = enum_side.type
        if (
            isinstance(t, T.EnumT)
            and isinstance(lit, ir.Const)
            and isinstance(lit.value, str)
            and lit.value not in t.values
        ):
            self.err(
                "E207",
                f'`"{lit.value}"` 不是该字段的取值；可取：'
                + "、".join(t.values)
                + " / not one of the field's values",
                lit.span,
                _did_you_mean(lit.value, list(t.values)),
            )


def _did_you_mean(name: str, candidates: list[str]) -> str | None:
    m = difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)
    return f"是否想写 `{m[0]}`？/ did you mean `{m[0]}`?" if m else None


_NOFOLD = object()


def _fold(n: ir.Node) -> Any:
    """Constant value of a node when it has one (for the never-true warning)."""
    if isinstance(n, ir.Const):
        return n.value if n.value is not None else _NOFOLD
    if isinstance(n, ir.Not):
        v = _fold(n.operand)
        return (not v) if isinstance(v, bool) else _NOFOLD
    if isinstance(n, ir.And):
        a, b = _fold(n.left), _fold(n.right)
        if a is False or b is False:
            return False
        return True if a is True and b is True else _NOFOLD
    if isinstance(n, ir.Or):
        a, b = _fold(n.left), _fold(n.right)
        if a is True or b is True:
            return True
        return False if a is False and b is False else _NOFOLD
    if isinstance(n, ir.Cmp):
        a, b = _fold(n.left), _fold(n.right)
        if a is _NOFOLD or b is _NOFOLD or n.op not in ("==", "!=", "<", "<=", ">", ">="):
            return _NOFOLD
        if not isinstance(a, Decimal | str | date | bool) or type(a) is not type(b):
            return _NOFOLD
        return COMPARE[n.op](a, b)
    return _NOFOLD
