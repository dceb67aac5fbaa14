"""W004: a message that interpolates a field tagged as personal data (``pii``).

Explanations and the decision log mask ID and card numbers by pattern, but a name shown by
``{applicant.name}`` cannot be recognised in free text: the checker warns instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import ir
from ..errors import Span
from ..facts.privacy import pii_kinds
from ..ir import types as T
from .report import Reporter

__all__ = ["pii_field", "warn_pii_interpolation"]

_KIND_ZH = {"id": "身份证号", "name": "姓名", "card": "卡号"}


def _record(t: T.Type) -> T.RecordT | None:
    while isinstance(t, T.ListT):
        t = t.elem
    return t if isinstance(t, T.RecordT) else None


def pii_field(
    node: ir.Node, lets: Mapping[str, ir.Node], _seen: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    """(field name, pii kind) when the value of ``node`` is a pii-tagged field: directly,
    through a let, or as a branch of ``??`` or ``if``."""
    if isinstance(node, ir.GetField):
        rec = _record(node.obj.type)
        kind = pii_kinds(rec.model).get(node.field) if rec is not None else None
        return (node.field, kind) if kind is not None else None
    if isinstance(node, ir.LetRef) and node.name not in _seen and node.name in lets:
        return pii_field(lets[node.name], lets, _seen | {node.name})
    branches: tuple[ir.Node, ...] = ()
    if isinstance(node, ir.Coalesce):
        branches = (node.left, node.right)
    elif isinstance(node, ir.If):
        branches = (node.then, node.else_)
    for b in branches:
        found = pii_field(b, lets, _seen)
        if found is not None:
            return found
    return None


def warn_pii_interpolation(
    rep: Reporter, node: ir.Node, lets: Mapping[str, ir.Node], text: str, span: Span
) -> None:
    """Report W004 when the interpolation ``{text}`` shows a pii-tagged field."""
    found = pii_field(node, lets)
    if found is None:
        return
    field, kind = found
    rep.warning(
        "W004",
        f"消息中插入了个人信息字段 `{{{text}}}`（{_KIND_ZH.get(kind, kind)} `{field}`）；"
        "明白卡与日志默认脱敏，请勿在消息中写入姓名、身份证号、卡号 / "
        "a message shows a personal-data field",
        span,
    )
