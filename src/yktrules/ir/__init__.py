"""The middle of the pipeline: the checked, typed rule tree the evaluators run, and what the
checker and every evaluator must agree on.  Imports nothing of yktrules but ``errors``.

- :mod:`.nodes`: the rule tree's nodes (re-exported here: ``ir.CheckedPolicy``, ``ir.Cmp``…);
- :mod:`.types`: the language's types and the facts schema seen through them;
- :mod:`.values`: run-time values (three-valued ``Unknown``, money rounding, rendering);
- :mod:`.functions`: the built-in functions' signatures and implementations, host functions;
- :mod:`.regions`: administrative division codes and their containment.
"""

from .nodes import (
    And,
    Arith,
    AsOf,
    Call,
    CheckedLet,
    CheckedPolicy,
    CheckedRule,
    Cmp,
    Coalesce,
    Const,
    Filter,
    GetField,
    If,
    LetRef,
    ListLit,
    MessagePart,
    Neg,
    Node,
    Not,
    Or,
    Param,
    PolicyAttr,
    Quant,
    Root,
    Var,
)

__all__ = [
    "And",
    "Arith",
    "AsOf",
    "Call",
    "CheckedLet",
    "CheckedPolicy",
    "CheckedRule",
    "Cmp",
    "Coalesce",
    "Const",
    "Filter",
    "GetField",
    "If",
    "LetRef",
    "ListLit",
    "MessagePart",
    "Neg",
    "Node",
    "Not",
    "Or",
    "Param",
    "PolicyAttr",
    "Quant",
    "Root",
    "Var",
]
