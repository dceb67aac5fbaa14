"""The plan of a facts schema: which fields a generated document has, of which kinds, with
which constraints, read once from the pydantic model (the standard `Application` or a
host's subclass).  strategies.py draws documents from a plan."""

from __future__ import annotations

import types as _pytypes
import typing
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..facts.models import IdNumber, RegionCode

_REGION_META = tuple(typing.get_args(RegionCode)[1:2])
_ID_META = tuple(typing.get_args(IdNumber)[1:2])


@attrs.frozen
class _Field:
    name: str
    kind: str  # model | list | literal | bool | int | decimal | date | str | region | id_number
    nullable: bool = False
    required: bool = True
    choices: tuple[Any, ...] = ()
    lo: Decimal | None = None  # inclusive bounds (exclusive ones are turned into these)
    hi: Decimal | None = None
    min_len: int = 0
    max_len: int | None = None
    sub: _Model | None = None
    elem: _Field | None = None


@attrs.frozen
class _Model:
    model: type[BaseModel]
    fields: tuple[_Field, ...]

    def get(self, name: str) -> _Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def person(self) -> bool:
        return any(f.kind == "id_number" for f in self.fields)


_PLANS: dict[type[BaseModel], _Model] = {}  # a cache: building the same plan twice is harmless


def _plan(
    model: type[BaseModel], trail: tuple[str, ...] = (), inside: tuple[type, ...] = ()
) -> _Model:
    """The generation plan of a model; raises TypeError naming the first field whose type
    the generator does not support."""
    if model in _PLANS:
        return _PLANS[model]
    if model in inside:
        raise TypeError(
            f"事实模型 {model.__name__} 递归引用自身（{'.'.join(trail)}），无法生成 / "
            "recursive models are not supported"
        )
    fields = tuple(
        _field_plan(name, info, (*trail, name), (*inside, model))
        for name, info in model.model_fields.items()
    )
    plan = _Model(model, fields)
    _PLANS[model] = plan
    return plan


def _field_plan(
    name: str, info: FieldInfo, trail: tuple[str, ...], inside: tuple[type, ...]
) -> _Field:
    meta = _flatten(info.metadata)
    f = _type_plan(name, info.annotation, meta, trail, inside)
    return attrs.evolve(f, required=info.is_required())


def _flatten(meta: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for m in meta:
        if isinstance(m, FieldInfo):
            out += _flatten(m.metadata)
        else:
            out.append(m)
    return out


def _type_plan(
    name: str, ann: Any, meta: list[Any], trail: tuple[str, ...], inside: tuple[type, ...]
) -> _Field:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        args = typing.get_args(ann)
        return _type_plan(name, args[0], meta + _flatten(args[1:]), trail, inside)
    if origin in (typing.Union, _pytypes.UnionType):
        args = typing.get_args(ann)
        rest = [a for a in args if a is not type(None)]
        nullable = len(rest) < len(args)
        if len(rest) == 1:
            f = _type_plan(name, rest[0], meta, trail, inside)
            return attrs.evolve(f, nullable=f.nullable or nullable)
        if all(typing.get_origin(a) is typing.Literal for a in rest):
            vals = tuple(v for a in rest for v in typing.get_args(a))
            return _Field(name, "literal", nullable, choices=vals)
        raise _unsupported(ann, trail)
    if origin is typing.Literal:
        return _Field(name, "literal", choices=typing.get_args(ann))
    if origin in (list, tuple, set, frozenset, typing.Sequence) or (
        origin is not None and getattr(origin, "__module__", "") == "collections.abc"
    ):
        elems = [a for a in typing.get_args(ann) if a is not Ellipsis]
        if len(elems) != 1:
            raise _unsupported(ann, trail)
        elem = _type_plan(name, elems[0], [], trail, inside)
        lo_len, hi_len = _lengths(meta)
        return _Field(name, "list", elem=elem, min_len=lo_len, max_len=hi_len, sub=elem.sub)
    if isinstance(ann, type):
        if issubclass(ann, BaseModel):
            return _Field(name, "model", sub=_plan(ann, trail, inside))
        if issubclass(ann, bool):
            return _Field(name, "bool")
        if issubclass(ann, int):
            lo, hi = _bounds(meta, Decimal(1))
            return _Field(name, "int", lo=lo, hi=hi)
        if issubclass(ann, Decimal | float):
            lo, hi = _bounds(meta, Decimal("0.01"))
            return _Field(name, "decimal", lo=lo, hi=hi)
        if issubclass(ann, datetime):
            raise _unsupported(ann, trail)
        if issubclass(ann, date):
            return _Field(name, "date")
        if issubclass(ann, str):
            lo_len, hi_len = _lengths(meta)
            kind = "str"
            if any(m in _REGION_META for m in meta):
                kind = "region"
            elif any(m in _ID_META for m in meta):
                kind = "id_number"
            return _Field(name, kind, min_len=lo_len, max_len=hi_len)
    raise _unsupported(ann, trail)


def _unsupported(ann: Any, trail: tuple[str, ...]) -> TypeError:
    return TypeError(
        f"字段 {'.'.join(trail)} 的类型 {ann!r} 不受生成器支持；可用 str、Literal、bool、int、"
        "Decimal、date、嵌套模型、列表及其 Optional / unsupported field type"
    )


_BOUNDS = (("ge", False, True), ("gt", True, True), ("le", False, False), ("lt", True, False))


def _bounds(meta: list[Any], step: Decimal) -> tuple[Decimal | None, Decimal | None]:
    lo: Decimal | None = None
    hi: Decimal | None = None
    for m in meta:
        for attr, strict, is_lo in _BOUNDS:
            v = getattr(m, attr, None)
            if v is None or isinstance(v, bool):
                continue
            d = Decimal(str(v))
            if strict:
                d = d + step if is_lo else d - step
            if is_lo:
                lo = d if lo is None else max(lo, d)
            else:
                hi = d if hi is None else min(hi, d)
    return lo, hi


def _lengths(meta: list[Any]) -> tuple[int, int | None]:
    lo, hi = 0, None
    for m in meta:
        v = getattr(m, "min_length", None)
        if isinstance(v, int):
            lo = max(lo, v)
        v = getattr(m, "max_length", None)
        if isinstance(v, int):
            hi = v if hi is None else min(hi, v)
    return lo, hi
