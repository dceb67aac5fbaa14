"""The types of the policy language and the facts schema seen through them."""

from __future__ import annotations

import datetime as _dt
import types as _pytypes
import typing
from collections.abc import Mapping
from decimal import Decimal
from functools import cache

import attrs
from pydantic import BaseModel


@attrs.frozen
class Type:
    def show(self) -> str:
        raise NotImplementedError


@attrs.frozen
class Prim(Type):
    name: str  # number | string | date | boolean

    def show(self) -> str:
        return _SHOW[self.name]


_SHOW = {"number": "数值", "string": "文本", "date": "日期", "boolean": "真假值"}

NUMBER = Prim("number")
STRING = Prim("string")
DATE = Prim("date")
BOOLEAN = Prim("boolean")


@attrs.frozen
class EnumT(Type):
    """A string that takes one of a fixed set of values."""

    values: tuple[str, ...]

    def show(self) -> str:
        return "文本（" + "、".join(self.values) + "）"


@attrs.frozen
class ListT(Type):
    elem: Type

    def show(self) -> str:
        return f"列表[{self.elem.show()}]"


@attrs.frozen
class AnyT(Type):
    """The type of an expression that already has an error: accepted everywhere."""

    def show(self) -> str:
        return "?"


ANY = AnyT()


@attrs.frozen
class FieldInfo:
    name: str
    zh: str | None
    type: Type
    nullable: bool
    source: str | None
    description: str | None


@attrs.frozen(eq=False)
class RecordT(Type):
    """A record of the facts schema (a pydantic model)."""

    model: type[BaseModel]
    zh: str | None
    fields: Mapping[str, FieldInfo] = attrs.field(repr=False)
    by_zh: Mapping[str, str] = attrs.field(repr=False)

    def show(self) -> str:
        return f"记录 {self.model.__name__}"

    def lookup(self, name: str) -> FieldInfo | None:
        """A field by its English or Chinese name."""
        f = self.fields.get(name)
        if f is None and name in self.by_zh:
            f = self.fields[self.by_zh[name]]
        return f

    def names(self) -> list[str]:
        return [*self.fields, *self.by_zh]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordT) and other.model is self.model

    def __hash__(self) -> int:
        return hash(self.model)


def is_stringy(t: Type) -> bool:
    return t == STRING or isinstance(t, EnumT)


def compatible(a: Type, b: Type) -> bool:
    """Whether values of the two types can be compared for equality."""
    if isinstance(a, AnyT) or isinstance(b, AnyT):
        return True
    if is_stringy(a) and is_stringy(b):
        return True
    if isinstance(a, ListT) and isinstance(b, ListT):
        return compatible(a.elem, b.elem)
    return a == b


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two branches (of `if`, `??` or a list literal), if any."""
    if isinstance(a, AnyT):
        return b
    if isinstance(b, AnyT):
        return a
    if a == b:
        return a
    if is_stringy(a) and is_stringy(b):
        return STRING
    if isinstance(a, ListT) and isinstance(b, ListT):
        e = unify(a.elem, b.elem)
        return ListT(e) if e is not None else None
    return None


# ------------------------------------------------------------------ schema reflection
@cache
def record_type(model: type[BaseModel]) -> RecordT:
    """The RecordT of a pydantic model, with Chinese names from `json_schema_extra['zh']`."""
    fields: dict[str, FieldInfo] = {}
    by_zh: dict[str, str] = {}
    rec = RecordT(
        model, _extra(model.model_config.get("json_schema_extra")).get("zh"), fields, by_zh
    )
    for name, info in model.model_fields.items():
        extra = _extra(info.json_schema_extra)
        t, nullable = _type_of(info.annotation)
        zh = extra.get("zh")
        fields[name] = FieldInfo(name, zh, t, nullable, extra.get("source"), info.description)
        if zh:
            by_zh[zh] = name
    return rec


def _extra(x: object) -> dict[str, typing.Any]:
    return dict(x) if isinstance(x, dict) else {}


def _type_of(ann: typing.Any) -> tuple[Type, bool]:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return _type_of(typing.get_args(ann)[0])
    if origin in (typing.Union, _pytypes.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(ann))
        if len(args) == 1:
            t, n = _type_of(args[0])
            return t, nullable or n
        if all(typing.get_origin(a) is typing.Literal for a in args):
            vals = tuple(v for a in args for v in typing.get_args(a))
            return EnumT(vals), nullable
        return ANY, nullable
    if origin is typing.Literal:
        lits = typing.get_args(ann)
        if all(isinstance(v, str) for v in lits):
            return EnumT(tuple(lits)), False
        return NUMBER, False
    if origin in (list, tuple, typing.Sequence, set, frozenset):
        elems = typing.get_args(ann)
        return ListT(_type_of(elems[0])[0] if elems else ANY), False
    if isinstance(ann, type):
        if issubclass(ann, BaseModel):
            return record_type(ann), False
        if issubclass(ann, bool):
            return BOOLEAN, False
        if issubclass(ann, int | float | Decimal):
            return NUMBER, False
        if issubclass(ann, _dt.datetime):
            return ANY, False
        if issubclass(ann, _dt.date):
            return DATE, False
        if issubclass(ann, str):
            return STRING, False
    return ANY, False
