"""Lark parse tree to AST (ast.py), with spans; literal-level errors become problems."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
from lark import Token, Tree

from ..errors import Span
from . import ast


@attrs.frozen
class SyntaxProblem:
    code: str
    message: str
    span: Span
    hint: str | None = None


_RULE_KINDS = {
    "require": "require",
    "必须": "require",
    "deny": "deny",
    "排除": "deny",
    "review": "review",
    "复核": "review",
    "alert": "alert",
    "预警": "alert",
}
_COMPARE = {"==", "!=", "<", "<=", ">", ">=", "in", "属于", "within", "位于"}
_COMPARE_EN = {"属于": "in", "位于": "within"}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n"}
_INTERP = re.compile(r"\{([^{}]*)\}")
_IDENT = re.compile(r"^[^\W\d]\w*$")


def build_module(tree: Tree, text: str, file: str, problems: list[SyntaxProblem]) -> ast.Module:
    b = _Builder(file, problems)
    forms = [t for t in tree.children if isinstance(t, Tree)]
    policies = tuple(b.policy(t) for t in forms if t.data == "policy")
    audits = tuple(b.audit(t) for t in forms if t.data == "audit")
    return ast.Module(file=file, text=text, policies=policies, audits=audits)


class _Builder:
    def __init__(self, file: str, problems: list[SyntaxProblem]):
        self.file = file
        self.problems = problems

    # ------------------------------------------------------------ helpers
    def tspan(self, tok: Token) -> Span:
        return Span(
            self.file,
            tok.line or 1,
            tok.column or 1,
            tok.end_line or tok.line or 1,
            tok.end_column or (tok.column or 1) + len(tok),
        )

    def span(self, tree: Tree | Token) -> Span:
        if isinstance(tree, Token):
            return self.tspan(tree)
        m = tree.meta
        if getattr(m, "empty", True):
            return Span(self.file, 1, 1, 1, 2)
        return Span(self.file, m.line, m.column, m.end_line, m.end_column)

    def problem(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.problems.append(SyntaxProblem(code, message, span, hint))

    def string(self, tok: Token) -> str:
        raw = str(tok)[1:-1]
        out: list[str] = []
        i = 0
        while i < len(raw):
            c = raw[i]
            if c == "\\" and i + 1 < len(raw):
                nxt = raw[i + 1]
                if nxt in _ESCAPES:
                    out.append(_ESCAPES[nxt])
                else:
                    sp = self.tspan(tok)
                    col = sp.col + 1 + i
                    self.problem(
                        "E002",
                        f"字符串中未知的转义 `\\{nxt}` / unknown escape in string",
                        Span(self.file, sp.line, col, sp.line, col + 2),
                        hint='只支持 \\" \\\\ \\n',
                    )
                    out.append(nxt)
                i += 2
                continue
            out.append(c)
            i += 1
        return "".join(out)

    # ------------------------------------------------------------ policy
    def policy(self, t: Tree) -> ast.Policy:
        kids: list[Any] = [
            k for k in t.children if not (isinstance(k, Token) and k.type.startswith("POLICY"))
        ]
        code_tok, title_tok, parent_tok, *items = kids
        parent = self.string(parent_tok) if parent_tok is not None else None
        return ast.Policy(
            span=self.span(t),
            code=self.string(code_tok),
            code_span=self.tspan(code_tok),
            title=self.string(title_tok),
            parent=parent,
            parent_span=self.tspan(parent_tok) if parent_tok is not None else None,
            items=tuple(self.item(i) for i in items),
        )

    def audit(self, t: Tree) -> ast.Audit:
        kids: list[Any] = [k for k in t.children if k is not None]
        code_tok, title_tok, *items = kids
        return ast.Audit(
            span=self.span(t),
            code=self.string(code_tok),
            code_span=self.tspan(code_tok),
            title=self.string(title_tok),
            items=tuple(self.item(i) for i in items),
        )

    def item(self, t: Tree) -> ast.Item:
        sp = self.span(t)
        k: list[Any] = list(t.children)
        if t.data == "meta":
            return ast.Meta(sp, str(k[0]), self.tspan(k[0]), self.expr(k[1]))
        if t.data == "let":
            return ast.Let(sp, str(k[0]), self.tspan(k[0]), self.expr(k[1]))
        if t.data == "override_let":
            return ast.Let(sp, str(k[0]), self.tspan(k[0]), self.expr(k[1]), override=True)
        if t.data == "rule":
            kind_tok = k[0].children[0]
            return ast.Rule(
                sp,
                _RULE_KINDS[str(kind_tok)],
                str(k[1]),
                self.tspan(k[1]),
                self.message(k[2]),
                self.expr(k[3]),
            )
        if t.data == "override_rule":
            msg = self.message(k[1]) if k[1] is not None else None
            return ast.OverrideRule(sp, str(k[0]), self.tspan(k[0]), msg, self.expr(k[2]))
        if t.data == "drop":
            return ast.Drop(sp, str(k[0]), self.tspan(k[0]), self.string(k[1]))
        raise AssertionError(f"unknown item {t.data}")  # the grammar has no other items

    def message(self, tok: Token) -> ast.Message:
        text = self.string(tok)
        sp = self.tspan(tok)
        parts: list[str | ast.Interp] = []
        pos = 0
        for m in _INTERP.finditer(text):
            if m.start() > pos:
                parts.append(text[pos : m.start()])
            inner = m.group(1).strip()
            # columns: best effort (exact when the message has no escapes before `{`)
            col = sp.col + 1 + m.start()
            isp = Span(self.file, sp.line, col, sp.line, col + len(m.group(0)))
            path = tuple(p.strip() for p in inner.split("."))
            if not path or not all(_IDENT.match(p) for p in path):
                self.problem(
                    "E003",
                    f"消息中的插值 `{{{m.group(1)}}}` 只能是名称或字段路径 / "
                    "an interpolation may only name a let, a fact path or param.NAME",
                    isp,
                    hint="先用 let 定义要显示的值，再写 {名称}",
                )
                parts.append(m.group(0))
            else:
                parts.append(ast.Interp(isp, path))
            pos = m.end()
        if pos < len(text):
            parts.append(text[pos:])
        if re.search(r"[{}]", _INTERP.sub("", text)):
            self.problem("E003", "消息中的 `{` 没有配对的 `}` / unbalanced `{` in message", sp)
        return ast.Message(sp, text, tuple(parts))

    # ------------------------------------------------------------ expressions
    def expr(self, t: Tree | Token) -> ast.Expr:
        sp = self.span(t)
        if isinstance(t, Token):  # only via `(expr)` collapsing to a bare token
            raise AssertionError(f"bare token {t.type}")
        d = t.data
        k: list[Any] = list(t.children)
        if d == "number":
            try:
                return ast.Number(sp, Decimal(str(k[0])))
            except InvalidOperation:  # pragma: no cover - the lexer admits only digits
                self.problem("E004", f"无效的数字 `{k[0]}`", sp)
                return ast.Number(sp, Decimal(0))
        if d == "string":
            return ast.String(sp, self.string(k[0]))
        if d == "date":
            try:
                return ast.DateLit(sp, date.fromisoformat(str(k[0])))
            except ValueError:
                self.problem(
                    "E005",
                    f"无效的日期 `{k[0]}` / invalid date",
                    sp,
                    hint="日期写作 YYYY-MM-DD，且须为真实存在的日期",
                )
                return ast.DateLit(sp, date(1, 1, 1))
        if d == "true":
            return ast.Bool(sp, True)
        if d == "false":
            return ast.Bool(sp, False)
        if d == "name":
            return ast.Name(sp, str(k[0]))
        if d == "policy_ref":
            return ast.PolicyRef(sp)
        if d == "field":
            return ast.Field(sp, self.expr(k[0]), str(k[1]), self.tspan(k[1]))
        if d == "filter":
            return ast.Filter(sp, self.expr(k[0]), self.expr(k[1]))
        if d == "call":
            args = tuple(self.expr(a) for a in k[1:] if a is not None)
            return ast.Call(sp, str(k[0]), self.tspan(k[0]), args)
        if d == "list":
            return ast.ListLit(sp, tuple(self.expr(a) for a in k if a is not None))
        if d == "neg":
            return ast.Neg(sp, self.expr(k[1]))
        if d == "not_":
            return ast.Not(sp, self.expr(k[0]))
        if d == "binop":
            return ast.BinOp(sp, str(k[1]), self.expr(k[0]), self.expr(k[2]))
        if d == "compare":
            op_tree = k[1]
            op_child = op_tree.children[0]
            if isinstance(op_child, Tree):  # not_in
                op = "not in"
            else:
                op = _COMPARE_EN.get(str(op_child), str(op_child))
            return ast.Compare(sp, op, self.expr(k[0]), self.expr(k[2]))
        if d == "and_":
            return ast.And(sp, self.expr(k[0]), self.expr(k[1]))
        if d == "or_":
            return ast.Or(sp, self.expr(k[0]), self.expr(k[1]))
        if d == "coalesce":
            return ast.Coalesce(sp, self.expr(k[0]), self.expr(k[1]))
        if d == "conditional":
            return ast.If(sp, self.expr(k[0]), self.expr(k[1]), self.expr(k[2]))
        if d == "quantifier":
            kind_tok = k[0].children[0]
            kind = "any" if str(kind_tok) in ("any", "任一") else "all"
            rest: list[Any] = [
                c for c in k[1:] if not (isinstance(c, Token) and c.type.startswith("IN_"))
            ]
            var, iterable, body = rest
            return ast.Quantifier(
                sp, kind, str(var), self.tspan(var), self.expr(iterable), self.expr(body)
            )
        raise AssertionError(f"unknown expression {d}")
