"""The checked, typed rule tree that the evaluators run.

Built only by the checker, from the AST; every node knows its type and source span, and a
fact access knows its static fact path (`household.members.public_servant`), which is what
an unknown value reports as missing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs

from ..errors import Span
from .types import Type


@attrs.frozen
class Node:
    type: Type
    span: Span


@attrs.frozen
class Const(Node):
    value: Any


@attrs.frozen
class Root(Node):
    """`application`, `applicant`, `household` or `records`."""

    name: str


@attrs.frozen
class Var(Node):
    """A quantifier variable or a filter's element (`it`), by slot."""

    slot: int
    name: str
    path: str | None  # static fact path of the element, if it comes from the facts


@attrs.frozen
class LetRef(Node):
    index: int
    name: str
    path: str | None = None  # static fact path of the let's value, when it is one


@attrs.frozen
class Param(Node):
    name: str


@attrs.frozen
class AsOf(Node):
    pass


@attrs.frozen
class PolicyAttr(Node):
    name: str  # code | region


@attrs.frozen
class GetField(Node):
    obj: Node
    field: str
    path: str | None  # static fact path, e.g. household.members.public_servant
    project: bool  # obj is a list of records: project the field over it
    flatten: bool  # projected field is itself a list: concatenate


@attrs.frozen
class Filter(Node):
    obj: Node
    slot: int
    cond: Node


@attrs.frozen
class Call(Node):
    func: str
    args: tuple[Node, ...]


@attrs.frozen
class ListLit(Node):
    items: tuple[Node, ...]


@attrs.frozen
class Neg(Node):
    operand: Node


@attrs.frozen
class Not(Node):
    operand: Node


@attrs.frozen
class Arith(Node):
    op: str
    left: Node
    right: Node


@attrs.frozen
class Cmp(Node):
    op: str
    left: Node
    right: Node


@attrs.frozen
class And(Node):
    left: Node
    right: Node


@attrs.frozen
class Or(Node):
    left: Node
    right: Node


@attrs.frozen
class Coalesce(Node):
    left: Node
    right: Node


@attrs.frozen
class If(Node):
    cond: Node
    then: Node
    else_: Node


@attrs.frozen
class Quant(Node):
    kind: str
    slot: int
    iterable: Node
    body: Node


# ------------------------------------------------------------------ checked policy
@attrs.frozen
class MessagePart:
    text: str | None = None
    value: Node | None = None


@attrs.frozen
class CheckedRule:
    name: str
    kind: str  # require | deny | review
    message: tuple[MessagePart, ...]
    message_text: str
    cond: Node
    span: Span  # where the rule (or its override) is written
    origin: str  # code of the policy that wrote the condition


@attrs.frozen
class CheckedLet:
    name: str
    expr: Node
    span: Span


@attrs.frozen
class CheckedPolicy:
    code: str
    title: str
    parent: str | None
    region: str
    effective: date
    until: date | None
    department: str | None
    basis: str | None
    hotline: str | None
    period: str
    lets: tuple[CheckedLet, ...]
    rules: tuple[CheckedRule, ...]
    amount: Node | None
    dropped: tuple[tuple[str, str], ...]  # (rule, justification)
    params: tuple[str, ...]  # every parameter the policy reads
    slots: int  # variable slots its expressions need
    digest: str  # sha256 of its resolved text and its ancestors'
    file: str
    chain: tuple[str, ...]  # codes from the item (root) down to this policy

    @property
    def item(self) -> str:
        return self.chain[0]

    @property
    def level(self) -> str:
        r = self.region
        if r.endswith("0000"):
            return "province"
        if r.endswith("00"):
            return "city"
        return "county"
