"""Text to AST: the Lark LALR parser and its errors in words a policy officer reads."""

from __future__ import annotations

import re

from lark import Token, Tree
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from ..errors import Diagnostic, Span
from . import ast
from .builder import SyntaxProblem, build_module
from .grammar import lark_parser
from .lexicon import describe_expected, glued_keyword


def parse(text: str, file: str = "<string>") -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse one policy file.  Returns the module (None on a syntax error) and diagnostics."""
    lines = text.splitlines()
    try:
        tree = lark_parser().parse(text)
    except UnexpectedInput as e:
        return None, _all_syntax_errors(e, text, lines, file)
    except LarkError as e:  # any other parser failure is still a diagnostic
        return None, [Diagnostic("E001", f"无法解析 / cannot parse: {e}", Span(file, 1, 1, 1, 2))]
    problems: list[SyntaxProblem] = []
    module = build_module(tree, text, file, problems)
    diags = [
        Diagnostic(p.code, p.message, p.span, hint=p.hint, source_line=_line(lines, p.span.line))
        for p in problems
    ]
    return module, diags  # literal-level problems are recoverable: keep checking


_ITEM_START = re.compile(
    r"^\s*(?:require|deny|review|let|override|drop|必须|排除|复核|令|覆盖|删除|policy|政策|\}|"
    r"[^\W\d]\w*\s*[:：])"
)
_MAX_SYNTAX_ERRORS = 20


def _all_syntax_errors(
    first: UnexpectedInput, text: str, lines: list[str], file: str
) -> list[Diagnostic]:
    """Report the first syntax error, then blank out the item it is in (keeping every
    position) and parse again, so that one run shows every broken item of the file."""
    diags = [_syntax_diagnostic(first, text, lines, file)]
    work = lines[:]
    err: UnexpectedInput | None = first
    while err is not None and len(diags) < _MAX_SYNTAX_ERRORS:
        at = (getattr(err, "line", None) or len(work)) - 1
        col = (getattr(err, "column", None) or 1) - 1
        if 0 < at < len(work) and _ITEM_START.match(work[at]) and not work[at][:col].strip():
            at -= 1  # the error is the start of an item: the broken one is the item before
        start = at
        while start > 0 and not _ITEM_START.match(work[start]):
            start -= 1
        end = at + 1
        while end < len(work) and not _ITEM_START.match(work[end]):
            end += 1
        if all(not work[i].strip() for i in range(start, end)):
            break  # nothing left to blank: stop rather than loop
        for i in range(start, end):
            keep_brace = work[i].rstrip().endswith("}") and i != start
            work[i] = " " * len(work[i]) + ("}" if keep_brace else "")
        try:
            lark_parser().parse("\n".join(work))
            err = None
        except UnexpectedInput as e:
            d = _syntax_diagnostic(e, text, lines, file)
            if any(x.span == d.span for x in diags):
                break
            diags.append(d)
            err = e
        except LarkError:
            break
    return diags


def _starts_item(tok: Token, lines: list[str]) -> bool:
    """The token is the first word of an item on its own line (`require`, `let`, `}` …)."""
    line = _line(lines, tok.line or 0)
    if line is None or tok.type == "$END":
        return False
    return bool(_ITEM_START.match(line)) and not line[: (tok.column or 1) - 1].strip()


def _line(lines: list[str], n: int) -> str | None:
    return lines[n - 1] if 0 < n <= len(lines) else None


_FULLWIDTH_QUOTES = "“”‘’「」"


def _syntax_diagnostic(e: UnexpectedInput, text: str, lines: list[str], file: str) -> Diagnostic:
    line = getattr(e, "line", 1) or 1
    col = getattr(e, "column", 1) or 1
    hint: str | None = None
    if isinstance(e, UnexpectedCharacters):
        pos = e.pos_in_stream or 0
        ch = text[pos] if 0 <= pos < len(text) else "?"
        span = Span(file, line, col, line, col + 1)
        if ch == '"':
            msg = '字符串没有结束引号 / unterminated string: a `"` opens a string that never closes'
            hint = "字符串须写在同一行内，以英文双引号结尾"
        elif ch in _FULLWIDTH_QUOTES:
            msg = f"中文引号 `{ch}` 不能用作字符串引号 / use ASCII double quotes for strings"
            hint = '把 “…” 改为 "…"'
        else:
            expected = describe_expected(set(e.allowed or ()))
            msg = f"意外的字符 / unexpected character `{ch}`"
            if expected:
                msg += f"; expected {_join(expected)}"
        return Diagnostic("E001", msg, span, hint=hint, source_line=_line(lines, line))
    if isinstance(e, UnexpectedToken):
        tok = e.token
        expected_names = set(e.expected or ())
        found = _describe_token(tok)
        context = _context(e, expected_names)
        glued = _glued_before(e)
        if glued is not None:
            name_tok, kw = glued
            line, col = name_tok.line or line, name_tok.column or col
            tok = name_tok
            context = None
            hint = (
                f"`{name_tok}` 中含关键字 `{kw}`：关键字前后须有空格 / put spaces around keywords"
            )
            found = f"`{name_tok}`, which joins the keyword `{kw}` to a name"
        expected = describe_expected(expected_names)
        if tok.type == "$END":
            line = len(lines) or 1
            col = len(lines[-1]) + 1 if lines else 1
        end_col = col + max(len(str(tok.value)), 1) if tok.type != "$END" else col + 1
        span = Span(file, line, col, line, end_col)
        msg = f"expected {context or _join(expected)}, found {found}"
        if hint is None and tok.type == "$END" and "_RBRACE" in expected_names:
            hint = "政策末尾缺少 `}` / the policy is missing its closing `}`"
        elif hint is None and _starts_item(tok, lines):
            hint = "前面的表达式没有写完 / the expression before this line is incomplete"
        return Diagnostic(
            "E001",
            f"语法错误 / syntax error: {msg}",
            span,
            hint=hint,
            source_line=_line(lines, line),
        )
    if isinstance(e, UnexpectedEOF):
        line = len(lines) or 1
        col = len(lines[-1]) + 1 if lines else 1
        expected = describe_expected(set(e.expected or ()))
        msg = f"语法错误 / syntax error: the file ends early; expected {_join(expected)}"
        return Diagnostic(
            "E001", msg, Span(file, line, col, line, col + 1), source_line=_line(lines, line)
        )
    return Diagnostic(
        "E001",
        f"语法错误 / syntax error: {e}",
        Span(file, line, col, line, col + 1),
        source_line=_line(lines, line),
    )


def _glued_before(e: UnexpectedToken) -> tuple[Token, str] | None:
    """The name just before the error, when it hides a Chinese keyword (`且申请人`)."""
    try:
        stack = list(e.interactive_parser.parser_state.value_stack)  # type: ignore[union-attr]
    except Exception:
        return None
    cands = [e.token, *reversed(stack[-2:])]
    for v in cands:
        if isinstance(v, Token) and v.type == "NAME" and (kw := glued_keyword(str(v))):
            return v, kw
        if isinstance(v, Tree) and v.data == "name" and v.children:
            t = v.children[0]
            if isinstance(t, Token) and (kw := glued_keyword(str(t))):
                return t, kw
    return None


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the file"
    return f"`{tok.value}`"


def _join(items: list[str]) -> str:
    if not items:
        return "something else"
    if len(items) > 6:
        items = [*items[:6], "…"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _context(e: UnexpectedToken, expected: set[str]) -> str | None:
    """Say what was expected in terms of the construct being written, when we can tell."""
    try:
        stack = list(e.interactive_parser.parser_state.value_stack)  # type: ignore[union-attr]
    except Exception:
        return None
    if e.token.type == "$END" and "_RBRACE" in expected:
        return "`}` to close the policy"
    kinds = [_kind(v) for v in stack[-4:]]
    tail = kinds[-3:]
    if "_COLON" in expected:
        if tail[-1:] == ["STRING"] and len(tail) >= 3 and tail[-3] == "rule_kind":
            return "`:` after the rule's message"
        if tail[-2:] == ["rule_kind", "NAME"]:
            return "the rule's message (a string in double quotes) after the rule's name"
        if tail[-2:] == ["_OVERRIDE", "NAME"] or tail[-1:] == ["STRING"]:
            return "`:` before the condition"
        if tail[-1:] == ["NAME"]:
            return '`:` after the metadata key (e.g. `region: "510000"`)'
    if "STRING" in expected:
        if tail[-1:] == ["POLICY"]:
            return 'the policy\'s code in double quotes (e.g. `policy "SC-MZ-001" "…" {`)'
        if tail[-2:] == ["POLICY", "STRING"]:
            return "the policy's title in double quotes after its code"
        if tail[-2:] == ["rule_kind", "NAME"]:
            return "the rule's message (a string in double quotes) after the rule's name"
        if tail[-2:] == ["_DROP", "NAME"]:
            return "the justification for dropping the rule (a string in double quotes)"
    if "NAME" in expected and tail[-1:] == ["rule_kind"]:
        return "the rule's name after its kind"
    if "_EQ" in expected and tail[-2:] == ["_LET", "NAME"]:
        return "`=` after the let's name"
    if {"NUMBER", "NAME", "STRING"} <= expected:
        return "an expression (a number, a name, a string, `(` …)"
    if "_THEN_EN" in expected:
        return "`then`/`则` after the condition of `if`"
    if "_ELSE_EN" in expected:
        return "`else`/`否则`: every `if … then …` needs an `else`"
    return None


_INLINED = {"_policy": "POLICY", "_let": "_LET", "_override": "_OVERRIDE", "_drop": "_DROP"}


def _kind(v: object) -> str:
    if isinstance(v, Token):
        t = v.type
        for stem in ("POLICY", "_OVERRIDE", "_DROP", "_LET"):
            if t in (stem + "_EN", stem + "_ZH"):
                return stem
        if t.startswith(("REQUIRE", "DENY", "REVIEW")):
            return "rule_kind"
        return t
    if isinstance(v, Tree):
        data = str(v.data)
        return _INLINED.get(data, data)
    return type(v).__name__
