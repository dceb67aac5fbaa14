"""`-k EXPR`: choose cases by name, as `pytest -k` does.

A word matches a case whose name contains it (ignoring case); words combine with
`not`, `and`, `or` (in that order of precedence) and parentheses:
`-k 住房`, `-k "住房 and not 两套"`, `-k "(车辆 or 存款) and 转人工"`.  A word is any run
of characters other than spaces and parentheses, so a name with spaces is matched by
its parts (`-k "a and b"`)."""

from __future__ import annotations

from typing import Any

from lark import Lark, LarkError, Token, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken
from rich.cells import cell_len

_GRAMMAR = r"""
?start: disj
?disj: conj | disj "or" conj -> or_
?conj: neg | conj "and" neg -> and_
?neg: "not" neg -> not_ | atom
?atom: WORD | "(" disj ")"
WORD: /[^\s()]+/
%ignore /\s+/
"""

_parser = Lark(_GRAMMAR, parser="lalr", lexer="basic")


class Selector:
    """A parsed `-k` expression; call it with a case name."""

    def __init__(self, expr: str):
        self.expr = expr
        if not expr.strip():
            raise ValueError("-k 表达式为空 / empty -k expression")
        try:
            self._tree: Tree[Token] | Token = _parser.parse(expr)
        except UnexpectedCharacters as e:
            raise ValueError(
                _problem(expr, e.column, "无法识别的字符 / unexpected character")
            ) from None
        except UnexpectedToken as e:
            if e.token.type == "$END":
                msg, col = "表达式不完整 / incomplete expression", len(expr.rstrip()) + 1
            else:
                msg, col = f"此处不应出现 `{e.token}` / unexpected `{e.token}`", e.column
            raise ValueError(_problem(expr, col, msg)) from None
        except UnexpectedEOF:
            raise ValueError(
                _problem(expr, len(expr.rstrip()) + 1, "表达式不完整 / incomplete expression")
            ) from None
        except LarkError as e:  # pragma: no cover - any other parser failure
            raise ValueError(f"-k 表达式有误 / bad -k expression {expr!r}: {e}") from None

    def __call__(self, name: str) -> bool:
        return _eval(self._tree, name.casefold())

    def __repr__(self) -> str:
        return f"Selector({self.expr!r})"


def _eval(t: Any, name: str) -> bool:
    if isinstance(t, Token):
        return str(t).casefold() in name
    kids = t.children
    if t.data == "or_":
        return _eval(kids[0], name) or _eval(kids[1], name)
    if t.data == "and_":
        return _eval(kids[0], name) and _eval(kids[1], name)
    if t.data == "not_":
        return not _eval(kids[0], name)
    return _eval(kids[0], name)  # a parenthesised expression


def _problem(expr: str, col: int, what: str) -> str:
    pad = " " * cell_len(expr[: col - 1])  # CJK characters take two columns
    return f"-k 表达式有误 / bad -k expression: {what}\n  {expr}\n  {pad}^"
