"""The abstract syntax tree of a policy file.  Every node carries its source span."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from ..errors import Span


@attrs.frozen
class Node:
    span: Span


# ---------------------------------------------------------------- expressions
@attrs.frozen
class Expr(Node):
    pass


@attrs.frozen
class Number(Expr):
    value: Decimal


@attrs.frozen
class String(Expr):
    value: str


@attrs.frozen
class DateLit(Expr):
    value: date


@attrs.frozen
class Bool(Expr):
    value: bool


@attrs.frozen
class Name(Expr):
    name: str


@attrs.frozen
class PolicyRef(Expr):
    """The keyword `policy` used as a value (`policy.code`)."""


@attrs.frozen
class Field(Expr):
    obj: Expr
    name: str
    name_span: Span


@attrs.frozen
class Filter(Expr):
    obj: Expr
    cond: Expr


@attrs.frozen
class Call(Expr):
    func: str
    func_span: Span
    args: tuple[Expr, ...]


@attrs.frozen
class ListLit(Expr):
    items: tuple[Expr, ...]


@attrs.frozen
class Neg(Expr):
    operand: Expr


@attrs.frozen
class Not(Expr):
    operand: Expr


@attrs.frozen
class BinOp(Expr):
    op: str  # + - * /
    left: Expr
    right: Expr


@attrs.frozen
class Compare(Expr):
    op: str  # == != < <= > >= in "not in" within
    left: Expr
    right: Expr


@attrs.frozen
class And(Expr):
    left: Expr
    right: Expr


@attrs.frozen
class Or(Expr):
    left: Expr
    right: Expr


@attrs.frozen
class Coalesce(Expr):
    left: Expr
    right: Expr


@attrs.frozen
class If(Expr):
    cond: Expr
    then: Expr
    else_: Expr


@attrs.frozen
class Quantifier(Expr):
    kind: str  # "any" | "all"
    var: str
    var_span: Span
    iterable: Expr
    body: Expr


# ---------------------------------------------------------------- messages
@attrs.frozen
class Interp(Node):
    """`{a.b.c}` inside a message."""

    path: tuple[str, ...]


@attrs.frozen
class Message(Node):
    text: str
    parts: tuple[str | Interp, ...]


# ---------------------------------------------------------------- policy items
@attrs.frozen
class Item(Node):
    pass


@attrs.frozen
class Meta(Item):
    key: str  # as written (English or Chinese)
    key_span: Span
    value: Expr


@attrs.frozen
class Let(Item):
    name: str
    name_span: Span
    expr: Expr
    override: bool = False


@attrs.frozen
class Rule(Item):
    kind: str  # "require" | "deny" | "review" | "alert" (English, whatever was written)
    name: str
    name_span: Span
    message: Message
    expr: Expr


@attrs.frozen
class OverrideRule(Item):
    name: str
    name_span: Span
    message: Message | None
    expr: Expr


@attrs.frozen
class Drop(Item):
    name: str
    name_span: Span
    justification: str


@attrs.frozen
class Policy(Node):
    code: str
    code_span: Span
    title: str
    parent: str | None
    parent_span: Span | None
    items: tuple[Item, ...]


@attrs.frozen
class Audit(Node):
    """`audit CODE TITLE { ... }`: rules over a payment roster (docs/audits.md)."""

    code: str
    code_span: Span
    title: str
    items: tuple[Item, ...]


@attrs.frozen
class Module:
    """One parsed `.ykt` file."""

    file: str
    text: str
    policies: tuple[Policy, ...]
    audits: tuple[Audit, ...] = ()
