"""The formatter behind `yktrules fmt`: one canonical layout for `.ykt` files.  May import
``lang`` and ``errors`` only.

- :func:`format_source` turns policy text into its canonical layout, comments kept;
- :func:`ast_equal` tells whether two parsed files say the same thing (spans ignored).

The layout rules are in :mod:`.printer` (and docs/formatting.md) on the layout engine of
:mod:`.layout`, comment placement in :mod:`.comments`; the command is ``yktrules.cli.fmt``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from ..errors import PolicyError, Span
from ..lang import ast
from ..lang.lexicon import META_EN
from ..lang.parser import parse
from .comments import scan, weave
from .layout import WIDTH
from .printer import canonical_items, print_module

__all__ = ["ast_equal", "format_module", "format_source"]


def format_source(text: str, file: str = "<string>", *, width: int = WIDTH) -> str:
    """`text` in canonical layout.  Raises :class:`~yktrules.PolicyError` with the parser's
    diagnostics when the text does not parse (or has a literal the parser rejects, such as
    the date `2021-02-30`: formatting it would change what the file says).  `width` is the
    line width expressions are broken to fit (100 columns; the canonical layout uses it)."""
    module, diags = parse(text, file)
    if module is None or any(d.is_error for d in diags):
        raise PolicyError(diags)
    return format_module(module, width=width)


def format_module(module: ast.Module, *, width: int = WIDTH) -> str:
    """A module that parsed without errors, in canonical layout; its comments are read from
    ``module.text``."""
    comments, tokens = scan(module.text)
    lines, forced = print_module(module, tokens, [c.pos for c in comments], width)
    return weave(lines, comments, forced)


def ast_equal(a: ast.Module, b: ast.Module) -> bool:
    """Whether two parsed files are the same policies, ignoring everything the formatter may
    change: source spans, the file name and text, the spelling of metadata keys (`region` or
    `地区`) and the order of metadata items (compared in the formatter's canonical order).
    Numbers compare by their digits (`600.50` is not `600.5`)."""
    return _eq(a.policies, b.policies) and _eq(a.audits, b.audits)


def _eq(x: Any, y: Any) -> bool:
    if type(x) is not type(y):
        return False
    if isinstance(x, tuple | list):
        return len(x) == len(y) and all(_eq(p, q) for p, q in zip(x, y, strict=True))
    if isinstance(x, ast.Policy):
        if not _eq(canonical_items(x), canonical_items(y)):
            return False
        return _fields_eq(x, y, skip={"items"})
    if isinstance(x, ast.Meta):
        if META_EN.get(x.key, x.key) != META_EN.get(y.key, y.key):
            return False
        return _fields_eq(x, y, skip={"key"})
    if attrs.has(type(x)):
        return _fields_eq(x, y, skip=set())
    if isinstance(x, Decimal):
        return x.as_tuple() == y.as_tuple()
    return bool(x == y)


def _fields_eq(x: Any, y: Any, skip: set[str]) -> bool:
    for f in attrs.fields(type(x)):
        if f.name in skip:
            continue
        u, v = getattr(x, f.name), getattr(y, f.name)
        if isinstance(u, Span) or isinstance(v, Span):
            continue  # positions differ by design
        if not _eq(u, v):
            return False
    return True
