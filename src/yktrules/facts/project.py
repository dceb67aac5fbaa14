"""Validate only what the policies read: the fact paths a policy set reads, and the facts
schema projected onto them.

:func:`paths_read` walks the checked IR of policies (every let, rule condition, message
interpolation and amount) and returns the English fact paths they can read, closed under
prefixes (``household``, ``household.members``, ``household.members.birth_date``), plus what
screening itself reads (:data:`SCREENING_PATHS`).  A record that is used as a whole value
(compared with ``==`` or ``in``) counts as reading every field under it; a list given to
``count``/``exists``/``known`` or shown in a message (as its length) reads only the list.

:func:`projected_schema` builds, once per ``(schema, paths)``, a pydantic model family with
only the fields on those paths.  Each kept field has the original annotation (with its
sub-model replaced by the projected sub-model), validators, aliases, default and the model's
config, and the classes keep their names, so :func:`~yktrules.facts.validate.parse_facts`
reports, for the fields kept, the same errors (paths and messages) as for the full schema and
produces equal values.  Unread fields are not validated at all (in a model that forbids or
keeps extra keys they stay known keys, of any value, so only keys of no field are extra).
A model that cannot be projected faithfully (decorator validators or serialisers, computed
fields, a custom ``model_post_init``, private attributes, a root model) is kept whole, as is
a field whose annotation mixes a record with anything other than ``None``.
"""

from __future__ import annotations

import copy
import functools
import operator
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model
from pydantic.fields import FieldInfo

from .. import ir
from ..ir import types as T

__all__ = ["SCREENING_PATHS", "paths_read", "projected_schema"]

#: What screening reads besides the policies: the filing's id (batch rows), date (default
#: ``as_of``), region (resolution, parameters) and item (batch: the item applied for).
SCREENING_PATHS = frozenset(
    {"application", "application.id", "application.date", "application.region", "application.item"}
)

#: Built-in functions that look at a list's length or a value's presence, not at the fields
#: of the records they are given.
_STRUCTURAL = frozenset({"count", "exists", "known"})

_Env = Mapping[int, frozenset[str]]


# --- the paths a policy set reads -------------------------------------------------------------


def paths_read(policies: Iterable[ir.CheckedPolicy]) -> set[str]:
    """Every fact path the policies can read, prefix-closed, with :data:`SCREENING_PATHS`."""
    walker = _Walker()
    for p in policies:
        walker.policy(p)
    return walker.read | SCREENING_PATHS


class _Walker:
    """Abstract evaluation of the IR: each node's *origins* are the fact paths its value (or
    its elements) may come from; reading a field of an origin reads ``origin.field``."""

    def __init__(self) -> None:
        self.read: set[str] = set()
        self._lets: tuple[ir.CheckedLet, ...] = ()
        self._let_origins: dict[int, frozenset[str]] = {}
        self._walking: set[int] = set()

    def policy(self, p: ir.CheckedPolicy) -> None:
        self._lets, self._let_origins, self._walking = p.lets, {}, set()
        for i in range(len(p.lets)):
            self._let(i)
        for rule in p.rules:
            self.consume(rule.cond, {})
            for part in rule.message:
                if part.value is None:
                    continue
                # A message shows a list as its length (values.render): only a record
                # shown whole (which the checker refuses) would read its fields.
                if isinstance(part.value.type, T.RecordT):
                    self.consume(part.value, {})
                else:
                    self.walk(part.value, {})
        if p.amount is not None:
            self.consume(p.amount, {})

    def _let(self, i: int) -> frozenset[str]:
        hit = self._let_origins.get(i)
        if hit is not None:
            return hit
        if i in self._walking or not 0 <= i < len(self._lets):
            return frozenset()
        self._walking.add(i)
        out = self._let_origins[i] = self.walk(self._lets[i].expr, {})
        self._walking.discard(i)
        return out

    def consume(self, n: ir.Node, env: _Env) -> None:
        """``n``'s value is used as a whole: a record's every field is read."""
        for origin in self.walk(n, env):
            self._whole(origin, n.type, frozenset())

    def _whole(self, path: str, t: T.Type, seen: frozenset[type[BaseModel]]) -> None:
        while isinstance(t, T.ListT):
            t = t.elem
        if not isinstance(t, T.RecordT) or t.model in seen:
            return
        for f in t.fields.values():
            sub = f"{path}.{f.name}"
            self.read.add(sub)
            self._whole(sub, f.type, seen | {t.model})

    def walk(self, n: ir.Node, env: _Env) -> frozenset[str]:
        """Record what ``n`` reads; return its origins."""
        if isinstance(n, ir.Root):
            self.read.add(n.name)
            return frozenset({n.name})
        if isinstance(n, ir.GetField):
            out = frozenset(f"{b}.{n.field}" for b in self.walk(n.obj, env))
            self.read |= out
            return out
        if isinstance(n, ir.Var):
            if n.slot in env:
                return env[n.slot]
            return frozenset({n.path}) if n.path else frozenset()
        if isinstance(n, ir.LetRef):
            return self._let(n.index)
        if isinstance(n, ir.Filter):
            base = self.walk(n.obj, env)
            self.consume(n.cond, {**env, n.slot: base})
            return base
        if isinstance(n, ir.Quant):
            base = self.walk(n.iterable, env)
            self.consume(n.body, {**env, n.slot: base})
            return frozenset()
        if isinstance(n, ir.If):
            self.consume(n.cond, env)
            return self.walk(n.then, env) | self.walk(n.else_, env)
        if isinstance(n, ir.Coalesce):
            return self.walk(n.left, env) | self.walk(n.right, env)
        if isinstance(n, ir.ListLit):
            return frozenset().union(*(self.walk(x, env) for x in n.items))
        if isinstance(n, ir.Call) and n.func in _STRUCTURAL:
            for a in n.args:
                self.walk(a, env)
            return frozenset()
        # Everything else (comparisons, arithmetic, logic, other calls, constants) uses its
        # operands' values whole; none of them yields a record.
        for child in _children(n):
            self.consume(child, env)
        return frozenset()


def _children(n: ir.Node) -> list[ir.Node]:
    out: list[ir.Node] = []
    for a in attrs.fields(type(n)):
        v = getattr(n, a.name)
        if isinstance(v, ir.Node):
            out.append(v)
        elif isinstance(v, tuple):
            out.extend(x for x in v if isinstance(x, ir.Node))
    return out


# --- the projected schema ---------------------------------------------------------------------


def projected_schema(schema: type[BaseModel], paths: Iterable[str]) -> type[BaseModel]:
    """``schema`` with only the fields on ``paths`` (English dotted paths, list indices left
    out); cached per ``(schema, frozenset(paths))``.  Returns ``schema`` itself when every
    field is kept."""
    return _project(schema, _closed(frozenset(paths)))


def _closed(paths: frozenset[str]) -> frozenset[str]:
    """``paths`` with every prefix added (reading ``a.b`` reads ``a``)."""
    out = set(paths)
    for p in paths:
        parts = p.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts)))
    out.discard("")
    return frozenset(out)


@functools.lru_cache(maxsize=256)
def _project(model: type[BaseModel], paths: frozenset[str]) -> type[BaseModel]:
    if not _projectable(model):
        return model
    below: dict[str, set[str]] = {}
    for p in paths:
        head, _, rest = p.partition(".")
        sub = below.setdefault(head, set())
        if rest:
            sub.add(rest)
    extra = model.model_config.get("extra")
    fields: dict[str, Any] = {}
    changed = False
    for name, info in model.model_fields.items():
        if name not in below:
            changed = True
            if extra in ("forbid", "allow"):
                # Its keys must stay known keys (not "extra"), but the value is not checked.
                fields[name] = (Any, _placeholder(info))
            continue
        ann = _rewrite(info.annotation, frozenset(below[name]))
        changed = changed or ann is not info.annotation
        kept = copy.copy(info)  # create_model must not touch the schema's own FieldInfo
        kept.annotation = ann
        fields[name] = (ann, kept)
    if not changed:
        return model
    projected: type[BaseModel] = create_model(
        model.__name__,
        __config__=ConfigDict(**model.model_config),
        __doc__=model.__doc__,
        __module__=__name__,
        **fields,
    )
    return projected


def _placeholder(info: FieldInfo) -> Any:
    """An unread field of a model that forbids or keeps extra keys: any value, not dumped."""
    return Field(None, validation_alias=info.validation_alias, alias=info.alias, exclude=True)


def _projectable(model: type[BaseModel]) -> bool:
    """Whether a copy with fewer fields validates the kept fields exactly as ``model`` does."""
    if issubclass(model, RootModel):
        return False
    d = model.__pydantic_decorators__
    if (
        d.validators
        or d.field_validators
        or d.root_validators
        or d.field_serializers
        or d.model_serializers
        or d.model_validators
        or d.computed_fields
    ):
        return False
    if model.__pydantic_post_init__ is not None or model.__private_attributes__:
        return False
    # A custom core schema hook would not be carried over by create_model.
    hook = getattr(model, "__get_pydantic_core_schema__", None)
    base_hook = getattr(BaseModel, "__get_pydantic_core_schema__", None)
    return getattr(hook, "__func__", hook) is getattr(base_hook, "__func__", base_hook)


def _rewrite(ann: Any, paths: frozenset[str]) -> Any:
    """``ann`` with its record replaced by the record projected onto ``paths``; ``ann``
    itself when it holds no record, or mixes one with anything other than ``None``."""
    leaves = _leaves(ann)
    models = {t for t in leaves if isinstance(t, type) and issubclass(t, BaseModel)}
    if len(models) != 1 or any(t is not type(None) and t not in models for t in leaves):
        return ann
    (old,) = models
    new = _project(old, paths)
    return ann if new is old else _substitute(ann, old, new)


_CONTAINERS = (list, tuple, set, frozenset)


def _leaves(ann: Any) -> list[Any]:
    """The types inside Annotated / Union / list / tuple / set / frozenset / abc generics."""
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return _leaves(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType) or _is_container(origin):
        return [t for a in typing.get_args(ann) if a is not Ellipsis for t in _leaves(a)]
    return [ann]


def _is_container(origin: Any) -> bool:
    return origin in _CONTAINERS or (
        origin is not None and getattr(origin, "__module__", None) == "collections.abc"
    )


def _substitute(ann: Any, old: type[BaseModel], new: type[BaseModel]) -> Any:
    if ann is old:
        return new
    origin = typing.get_origin(ann)
    if origin is None:
        return ann
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        return typing.Annotated[(_substitute(args[0], old, new), *ann.__metadata__)]
    subs = tuple(a if a is Ellipsis else _substitute(a, old, new) for a in args)
    if origin is typing.Union:
        return typing.Union[subs]  # noqa: UP007
    if origin is types.UnionType:
        return functools.reduce(operator.or_, subs)
    if isinstance(ann, types.GenericAlias):
        return types.GenericAlias(origin, subs)
    return ann.copy_with(subs)
