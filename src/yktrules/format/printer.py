"""AST to canonical text: the policy printer, on the layout engine of :mod:`.layout`.

The layout depends on the policy's structure, the keyword language (see below) and where
comments sit between tokens, never on the source's spacing: formatting twice gives the same
text.  Every source token the printer writes leaves a zero-width *tag* (its source position)
in the output; `comments.py` uses them to put each comment back next to the code it was
written beside.

Layout rules (docs/formatting.md explains them to policy staff):

- header `policy "CODE" "TITLE" [extends "PARENT"] {`, body indented 4 spaces, `}` alone;
- metadata first in a fixed order (region, department, effective, until, basis, hotline,
  period; unknown keys after them in source order), then lets, rules, overrides and drops in
  their source order, `amount` last;
- a blank line after the metadata, between rules, around a run of lets and before `amount`;
- a rule (or override) is `KIND NAME "MESSAGE":` with its condition always on the next line,
  indented 8 spaces;
- an expression stays on one line when it fits in 100 columns (a CJK character counts as
  two); otherwise `and`/`or` chains go one operand per line with the operator first,
  `if … then … else if … else …` one branch per line, a quantifier's body on the next line,
  and brackets open black-style (contents indented, closer on its own line);
- parentheses only where the precedence table of LANGUAGE.md §4 needs them.

Keyword language: the AST stores English words for rule kinds and operators.  A policy whose
header is written `政策` is printed with Chinese keywords, Chinese metadata keys and Chinese
`true`/`false` throughout; any other policy gets English ones.  The choice is made per policy
(one file may hold several).  Identifiers, strings and numbers are printed as written;
full-width punctuation (`（）：，`) becomes ASCII.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from decimal import Decimal

import attrs

from ..errors import Span
from ..lang import ast
from ..lang.lexicon import KEYWORDS, META_EN, META_KEYS
from .layout import (
    INDENT,
    WIDTH,
    Br,
    Doc,
    Group,
    Nest,
    OutLine,
    Pos,
    Tag,
    Text,
    render,
)

# metadata keys in the order they are printed; unknown keys follow, `amount` comes last
META_ORDER: tuple[str, ...] = (
    "region",
    "department",
    "effective",
    "until",
    "basis",
    "hotline",
    "period",
)
_ZH_KEYWORD: dict[str, str] = {en: zh for en, zh, _, _ in KEYWORDS}


# ====================================================================== helpers
def start(span: Span) -> Pos:
    return (span.line, span.col)


def end(span: Span) -> Pos:
    """The position of the last character of `span` (its end column is exclusive)."""
    return (span.end_line, max(span.end_col - 1, 1))


def quote(s: str) -> str:
    """A string literal for `s`: `\\"`, `\\\\` and `\\n` escaped."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def number(value: Decimal) -> str:
    """A number exactly as its Decimal holds it (`600.50` stays `600.50`, never `6.005E+2`)."""
    return format(value, "f")


def meta_rank(item: ast.Meta) -> int:
    key = META_EN.get(item.key, item.key)
    if key in META_ORDER:
        return META_ORDER.index(key)
    return len(META_ORDER) + (1 if key == "amount" else 0)


def canonical_items(policy: ast.Policy | ast.Audit) -> list[ast.Item]:
    """The policy's items in printed order: metadata (fixed order, stable), then lets, rules,
    overrides and drops in source order, then `amount`."""
    metas = [i for i in policy.items if isinstance(i, ast.Meta)]
    head = sorted((m for m in metas if meta_rank(m) <= len(META_ORDER)), key=meta_rank)
    body = [i for i in policy.items if not isinstance(i, ast.Meta)]
    tail = [m for m in metas if meta_rank(m) > len(META_ORDER)]
    return [*head, *body, *tail]


def uses_chinese(policy: ast.Policy | ast.Audit, text: str) -> bool:
    """The header was written with the Chinese keyword `政策` (an audit's: `稽核`)."""
    lines = text.split("\n")
    line = policy.span.line
    if not 0 < line <= len(lines):
        return False
    word = _ZH_KEYWORD["audit" if isinstance(policy, ast.Audit) else "policy"]
    return lines[line - 1][policy.span.col - 1 :].startswith(word)


# precedence levels of LANGUAGE.md §4, lowest first
_QUANT, _IF, _OR, _AND, _NOT, _CMP, _COALESCE, _ADD, _MUL, _NEG, _ATOM = range(1, 12)


def level(e: ast.Expr) -> int:
    if isinstance(e, ast.Quantifier):
        return _QUANT
    if isinstance(e, ast.If):
        return _IF
    if isinstance(e, ast.Or):
        return _OR
    if isinstance(e, ast.And):
        return _AND
    if isinstance(e, ast.Not):
        return _NOT
    if isinstance(e, ast.Compare):
        return _CMP
    if isinstance(e, ast.Coalesce):
        return _COALESCE
    if isinstance(e, ast.BinOp):
        return _ADD if e.op in ("+", "-") else _MUL
    if isinstance(e, ast.Neg):
        return _NEG
    return _ATOM


# ====================================================================== source tokens
_T_AND = ("_AND_EN", "_AND_ZH")
_T_OR = ("_OR_EN", "_OR_ZH")
_T_IN = ("IN_EN", "IN_ZH")
_T_COMPARE = (
    "EQ", "NE", "LT", "LE", "GT", "GE", "IN_EN", "IN_ZH", "WITHIN_EN", "WITHIN_ZH",
    "NOT_IN_ZH", "_NOT_EN", "_NOT_ZH",
)  # fmt: skip
_T_ARITH = ("PLUS", "MINUS", "STAR", "SLASH")


@attrs.frozen
class SourceTokens:
    """The code tokens of the source (no blanks, no comments) with their positions, to find
    where a node's keywords and punctuation were written: the printer tags them too."""

    positions: list[Pos]
    types: list[str]

    def find(self, after: Pos, *types: str) -> Pos | None:
        """The first token after `after` of one of `types`."""
        k = bisect_right(self.positions, after)
        while k < len(self.positions):
            if self.types[k] in types:
                return self.positions[k]
            k += 1
        return None

    def following(self, at: Pos) -> tuple[str, Pos | None]:
        """The type of the token at `at` and the position of the token after it."""
        k = bisect_right(self.positions, at) - 1
        kind = self.types[k] if k >= 0 and self.positions[k] == at else ""
        return kind, self.positions[k + 1] if k + 1 < len(self.positions) else None


def _mark(pos: Pos | None) -> Doc:
    return () if pos is None else Tag(pos)


# ====================================================================== the printer
class Printer:
    """Prints one policy; `zh` selects Chinese keywords.

    Every source token the printer writes leaves a tag with its source position (found in
    `tokens`), so `comments.py` can tell between which two tokens each comment was written.
    A group whose line break has a comment at that very place in the source (between two
    operands of a chain, after a quantifier's `:`, between the items of a bracket …) always
    breaks, so that the comment keeps its place; those source ranges are collected in
    `forced`."""

    def __init__(
        self, zh: bool, tokens: SourceTokens, comments: Sequence[Pos] = (), width: int = WIDTH
    ):
        self.zh = zh
        self.width = width
        self.tokens = tokens
        self.comments = sorted(comments)
        self.forced: list[tuple[Pos, Pos]] = []

    def find(self, after: Pos, *types: str) -> Pos | None:
        return self.tokens.find(after, *types)

    def must_break(self, gaps: Sequence[tuple[Pos, Pos]]) -> bool:
        """Whether a comment lies strictly inside one of `gaps` (the source ranges around
        the group's line breaks); such gaps are recorded in `forced`."""
        hit = False
        for lo, hi in gaps:
            k = bisect_right(self.comments, lo)
            if k < len(self.comments) and self.comments[k] < hi:
                self.forced.append((lo, hi))
                hit = True
        return hit

    def kw(self, en: str) -> str:
        return _ZH_KEYWORD[en] if self.zh else en

    def meta_key(self, key: str) -> str:
        en = META_EN.get(key)
        if en is None:
            return key  # an unknown key (a check error later): keep it as written
        return META_KEYS[en] if self.zh else en

    # ------------------------------------------------------------ policy
    def policy(self, p: ast.Policy | ast.Audit) -> list[OutLine]:
        title = self.find(start(p.code_span), "STRING")
        word = self.kw("audit" if isinstance(p, ast.Audit) else "policy")
        head = f"{word} {quote(p.code)} {quote(p.title)}"
        tags = [start(p.span), start(p.code_span), title]
        if isinstance(p, ast.Policy) and p.parent is not None and p.parent_span is not None:
            head += f" {self.kw('extends')} {quote(p.parent)}"
            tags += [self.find(title or start(p.code_span), "_EXTENDS_EN", "_EXTENDS_ZH")]
            tags += [start(p.parent_span)]
        tags.append(self.find(tags[-1] or start(p.code_span), "_LBRACE"))
        known = [t for t in tags if t is not None]
        out = [OutLine(head + " {", known, opens=True)]
        prev: ast.Item | None = None
        for item in canonical_items(p):
            if prev is not None and _blank_between(prev, item):
                out.append(OutLine(""))
            out.extend(render(self.item(item), INDENT, self.width))
            prev = item
        out.append(OutLine("}", [end(p.span)], closes=True))
        return out

    def item(self, it: ast.Item) -> Doc:
        body: Doc
        name: Doc = ()
        if isinstance(it, ast.Let | ast.Rule | ast.OverrideRule | ast.Drop):
            name = (Tag(start(it.name_span)), Text(it.name))
        if isinstance(it, ast.Meta):
            colon = self.find(end(it.key_span), "_COLON")
            body = (
                Tag(start(it.key_span)),
                Text(self.meta_key(it.key)),
                _mark(colon),
                Text(": "),
                self.hang(it.value),
            )
        elif isinstance(it, ast.Let):
            word: Doc = Text(self.kw("let") + " ")
            if it.override:
                let = self.find(start(it.span), "_LET_EN", "_LET_ZH")
                word = (Text(self.kw("override") + " "), _mark(let), word)
            eq = self.find(end(it.name_span), "_EQ")
            body = (word, name, _mark(eq), Text(" = "), self.hang(it.expr))
        elif isinstance(it, ast.Rule | ast.OverrideRule):
            if isinstance(it, ast.Rule):
                head: Doc = (Text(self.kw(it.kind) + " "), name)
            else:
                head = (Text(self.kw("override") + " "), name)
            after = end(it.name_span)
            if it.message is not None:
                head = (head, Text(" "), self.message(it.message))
                after = end(it.message.span)
            colon = self.find(after, "_COLON")
            body = (head, _mark(colon), Text(":"), Nest(INDENT, (Br(), self.expr(it.expr))))
        elif isinstance(it, ast.Drop):
            why = self.find(end(it.name_span), "STRING")
            just = (_mark(why), Text(quote(it.justification)))
            body = (Text(self.kw("drop") + " "), name, Text(" "), just)
        else:  # pragma: no cover - ast.Item has no other kinds
            raise TypeError(f"unknown item {type(it).__name__}")
        return (Tag(start(it.span)), body, Tag(end(it.span)))

    def message(self, m: ast.Message) -> Doc:
        return (Tag(start(m.span)), Text(quote(m.text)), Tag(end(m.span)))

    # ------------------------------------------------------------ expressions
    def expr(self, e: ast.Expr, min_level: int = _QUANT) -> Doc:
        """`e` where the grammar wants an expression of at least `min_level`."""
        doc = (Tag(start(e.span)), self.bare(e), Tag(end(e.span)))
        if level(e) >= min_level:
            return doc
        return Group((Text("("), Nest(INDENT, (Br(""), doc)), Br(""), Text(")")))

    def hang(self, e: ast.Expr) -> Doc:
        """`e` (any level) written after other text on its line: the continuation lines of an
        `and`/`or` chain or an `if` are indented one level (brackets, quantifiers and
        arithmetic indent their own continuation lines)."""
        doc = self.expr(e)
        return Nest(INDENT, doc) if isinstance(e, ast.Or | ast.And | ast.If) else doc

    def guarded(self, e: ast.Expr) -> Doc:
        """An `if`'s condition or `then` branch: a quantifier or `if` there is written in
        parentheses, so that where its body ends (`then`, `else`) is plain to a reader."""
        if isinstance(e, ast.Quantifier | ast.If):
            return self.expr(e, _OR)
        return self.hang(e)

    def bare(self, e: ast.Expr) -> Doc:
        if isinstance(e, ast.Number):
            return Text(number(e.value))
        if isinstance(e, ast.String):
            return Text(quote(e.value))
        if isinstance(e, ast.DateLit):
            return Text(e.value.isoformat())
        if isinstance(e, ast.Bool):
            return Text(self.kw("true" if e.value else "false"))
        if isinstance(e, ast.Name):
            return Text(e.name)
        if isinstance(e, ast.PolicyRef):
            return Text(self.kw("policy"))
        if isinstance(e, ast.Field):
            dot = self.find(end(e.obj.span), "_DOT")
            name = (Tag(start(e.name_span)), Text(e.name))
            return (self.expr(e.obj, _ATOM), _mark(dot), Text("."), name)
        if isinstance(e, ast.Filter):
            opener = self.find(end(e.obj.span), "_LBRACKET")
            return (self.expr(e.obj, _ATOM), self.bracketed("[", opener, [e.cond], "]", e.span))
        if isinstance(e, ast.Call):
            opener = self.find(end(e.func_span), "_LPAR")
            return (Text(e.func), self.bracketed("(", opener, e.args, ")", e.span))
        if isinstance(e, ast.ListLit):
            return self.bracketed("[", start(e.span), e.items, "]", e.span)
        if isinstance(e, ast.Neg):
            return (Text("-"), self.expr(e.operand, _NEG))
        if isinstance(e, ast.Not):
            # `not (a within b)`: a negated comparison keeps its parentheses, for readers
            inner = _COALESCE if isinstance(e.operand, ast.Compare) else _NOT
            return (Text(self.kw("not") + " "), self.expr(e.operand, inner))
        if isinstance(e, ast.Compare):
            return self.compare(e)
        if isinstance(e, ast.Or | ast.And | ast.Coalesce | ast.BinOp):
            gaps: list[tuple[Pos, Pos]] = []
            chain = self.chain(e, gaps, top=True)
            return Group(chain, self.must_break(gaps))
        if isinstance(e, ast.If):
            gaps = []
            return Group(self.if_chain(e, gaps, top=True), self.must_break(gaps))
        if isinstance(e, ast.Quantifier):
            var = (Tag(start(e.var_span)), Text(e.var))
            word = self.find(end(e.var_span), *_T_IN)
            colon = self.find(end(e.iterable.span), "_COLON")
            head = (
                Text(self.kw(e.kind) + " "),
                var,
                _mark(word),
                Text(f" {self.kw('in')} "),
                self.expr(e.iterable, _COALESCE),
                _mark(colon),
                Text(":"),
            )
            hard = self.must_break([(end(e.iterable.span), start(e.body.span))])
            return Group((head, Nest(INDENT, (Br(), self.expr(e.body)))), hard)
        raise TypeError(f"unknown expression {type(e).__name__}")  # pragma: no cover

    def compare(self, e: ast.Compare) -> Doc:
        op = self.find(end(e.left.span), *_T_COMPARE)
        marks: Doc = _mark(op)
        if op is not None:
            kind, word = self.tokens.following(op)
            if kind in ("_NOT_EN", "_NOT_ZH") and word is not None:  # `not` `in`: two tokens
                marks = (marks, Tag(word))
        text = self.kw(e.op) if e.op in ("in", "not in", "within") else e.op
        # `??` binds tighter than comparisons, but `(a ?? b) >= c` reads unambiguously to
        # people used to other languages: its operands keep their parentheses (_ADD).
        right = (Br(), marks, Text(text + " "), self.expr(e.right, _ADD))
        hard = self.must_break([(end(e.left.span), start(e.right.span))])
        return Group((self.expr(e.left, _ADD), Nest(INDENT, right)), hard)

    def bracketed(
        self,
        open_: str,
        opener: Pos | None,
        items: Sequence[ast.Expr],
        close: str,
        span: Span,
    ) -> Doc:
        """`(a, b)` / `[a, b]`; when too long, one item per line and the closer on its own
        line.  `opener` is where the opening bracket was written; `span` ends at the closer."""
        closer = end(span)
        if not items:
            return (_mark(opener), Text(open_), Tag(closer), Text(close))
        inner: list[Doc] = []
        gaps: list[tuple[Pos, Pos]] = []
        prev = opener
        for i, x in enumerate(items):
            if i:
                comma = self.find(end(items[i - 1].span), "_COMMA")
                inner += [_mark(comma), Text(","), Br()]
                prev = end(items[i - 1].span)
            if prev is not None:
                gaps.append((prev, start(x.span)))
            inner.append(self.expr(x))
        gaps.append((end(items[-1].span), closer))
        return Group(
            (
                _mark(opener),
                Text(open_),
                Nest(INDENT, (Br(""), tuple(inner))),
                Br(""),
                Tag(closer),
                Text(close),
            ),
            self.must_break(gaps),
        )

    def chain(
        self,
        e: ast.Or | ast.And | ast.Coalesce | ast.BinOp,
        gaps: list[tuple[Pos, Pos]],
        top: bool,
    ) -> Doc:
        """A left-nested chain of one operator level as one group, operator first on each
        continuation line.  `and`/`or` operands are aligned (an `and` chain that is an operand
        of `or` indents its own continuation lines); `+ - * / ??` continuation lines are
        indented.  `gaps` collects the source ranges where the lines would break."""
        lvl = level(e)
        if isinstance(e, ast.Or | ast.And):
            word = self.kw("or" if isinstance(e, ast.Or) else "and")
            op = self.find(end(e.left.span), *(_T_OR if isinstance(e, ast.Or) else _T_AND))
        elif isinstance(e, ast.Coalesce):
            word = "??"
            op = self.find(end(e.left.span), "_COALESCE")
        else:
            word = e.op
            op = self.find(end(e.left.span), *_T_ARITH)
        same = type(e.left) is type(e) and level(e.left) == lvl
        if same and isinstance(e.left, ast.Or | ast.And | ast.Coalesce | ast.BinOp):
            left: Doc = self.chain(e.left, gaps, top=False)
        else:
            left = self.operand(e.left, lvl)
        gaps.append((end(e.left.span), start(e.right.span)))
        right: Doc = (Br(), _mark(op), Text(word + " "), self.operand(e.right, lvl + 1))
        if lvl > _AND:
            right = Nest(INDENT, right)
        if top:  # the caller tags the outermost node
            return (left, right)
        return (Tag(start(e.span)), left, right, Tag(end(e.span)))

    def operand(self, e: ast.Expr, min_level: int) -> Doc:
        doc = self.expr(e, min_level)
        return Nest(INDENT, doc) if isinstance(e, ast.And) and min_level <= _AND else doc

    def if_chain(self, e: ast.If, gaps: list[tuple[Pos, Pos]], top: bool) -> Doc:
        """`if c then a` then `else if c then a` … `else b`, one branch per line if broken."""
        then = self.find(end(e.cond.span), "_THEN_EN", "_THEN_ZH")
        else_ = self.find(end(e.then.span), "_ELSE_EN", "_ELSE_ZH")
        nxt = e.else_.cond if isinstance(e.else_, ast.If) else e.else_
        gaps.append((end(e.then.span), start(nxt.span)))
        head = (
            Text(self.kw("if") + " "),
            self.guarded(e.cond),
            _mark(then),
            Text(f" {self.kw('then')} "),
            self.guarded(e.then),
        )
        if isinstance(e.else_, ast.If):
            rest: Doc = self.if_chain(e.else_, gaps, top=False)
        else:
            rest = self.hang(e.else_)
        tail = (Br(), _mark(else_), Text(self.kw("else") + " "), rest)
        if top:
            return (head, tail)
        return (Tag(start(e.span)), head, tail, Tag(end(e.span)))


def _blank_between(prev: ast.Item, item: ast.Item) -> bool:
    """No blank line inside the metadata block or inside a run of lets; one elsewhere."""
    if isinstance(prev, ast.Meta) and isinstance(item, ast.Meta):
        return meta_rank(prev) <= len(META_ORDER) and meta_rank(item) > len(META_ORDER)
    return not (isinstance(prev, ast.Let) and isinstance(item, ast.Let))


def print_module(
    module: ast.Module, tokens: SourceTokens, comments: Sequence[Pos] = (), width: int = WIDTH
) -> tuple[list[OutLine], list[tuple[Pos, Pos]]]:
    """Every policy of the module, a blank line between two policies; and the source ranges
    whose comments forced a line break (see `Printer`)."""
    out: list[OutLine] = []
    forced: list[tuple[Pos, Pos]] = []
    forms: list[ast.Policy | ast.Audit] = [*module.policies, *module.audits]
    for p in sorted(forms, key=lambda f: (f.span.line, f.span.col)):
        if out:
            out.append(OutLine(""))
        printer = Printer(uses_chinese(p, module.text), tokens, comments, width)
        out.extend(printer.policy(p))
        forced += printer.forced
    return out, forced
