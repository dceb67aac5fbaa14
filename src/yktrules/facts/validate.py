"""Parse and validate a facts document; export its JSON Schema.

:func:`parse_facts` is the only way facts enter the library.  It accepts a dict, JSON
text or a model instance and either returns a validated (frozen) model or raises
:class:`~yktrules.errors.FactsError` listing every problem, each with its English JSON path
and a Chinese message.  It never raises anything else for bad input.
"""

from __future__ import annotations

import copy
import decimal
import functools
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, overload

from pydantic import AliasChoices, AliasPath, BaseModel, ValidationError

from ..errors import FactsError
from .models import Application

__all__ = ["facts_json_schema", "format_path", "parse_facts"]

A = TypeVar("A", bound=BaseModel)


# --- entry point ----------------------------------------------------------------------------


@overload
def parse_facts(data: object) -> Application: ...
@overload
def parse_facts(data: object, schema: type[A]) -> A: ...


def parse_facts(data: object, schema: type[BaseModel] = Application) -> BaseModel:
    """Validate ``data`` (a dict, JSON ``str``/``bytes`` or a ``schema`` instance).

    Returns an instance of ``schema``; raises :class:`FactsError` with every error found.
    JSON text is parsed exactly: numbers with a fraction or exponent become ``Decimal``.
    """
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise TypeError(f"schema must be a pydantic model class, not {schema!r}")
    if isinstance(data, BaseModel):
        if isinstance(data, schema):
            return data
        raise FactsError(
            [
                _err(
                    "",
                    f"申请材料应为 {schema.__name__} 的实例或 JSON 对象，"
                    f"实际为 {type(data).__name__} 的实例",
                )
            ]
        )
    if isinstance(data, (str, bytes, bytearray, memoryview)):
        data = _loads(data)
    if isinstance(data, Mapping) and not isinstance(data, dict):
        data = dict(data)
    if not isinstance(data, dict):
        raise FactsError([_err("", f"申请材料应为 JSON 对象（键值映射），实际为{_kind(data)}")])
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise FactsError(translate_errors(exc, schema)) from None
    except RecursionError:
        raise FactsError([_err("", "申请材料嵌套层数过深")]) from None


def facts_json_schema(schema: type[BaseModel] = Application) -> dict[str, Any]:
    """The JSON Schema (validation mode) of ``schema``, with each field's ``zh``/``source``."""
    return copy.deepcopy(_json_schema(schema))


@functools.lru_cache(maxsize=32)
def _json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    return schema.model_json_schema(mode="validation")


# --- JSON text -----------------------------------------------------------------------------

_JSON_MESSAGES = {
    "Expecting value": "此处应为一个值",
    "Expecting property name enclosed in double quotes": "应为用双引号括起的字段名",
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "缺少冒号",
    "Unterminated string starting at": "字符串没有结束引号",
    "Extra data": "JSON 结束后还有多余内容",
    "Invalid control character at": "字符串中有非法控制字符",
    "Invalid \\escape": "非法的转义序列",
    "Invalid \\uXXXX escape": "非法的 \\uXXXX 转义",
    "Illegal trailing comma before end of object": "对象末尾多了逗号",
    "Illegal trailing comma before end of array": "数组末尾多了逗号",
}


def _loads(text: str | bytes | bytearray | memoryview) -> Any:
    if isinstance(text, memoryview):
        text = text.tobytes()
    if isinstance(text, str) and text.startswith("\ufeff"):
        text = text[1:]
    try:
        # parse_constant: NaN/Infinity become Decimals that validation then rejects with a path.
        return json.loads(text, parse_float=decimal.Decimal, parse_constant=decimal.Decimal)
    except json.JSONDecodeError as exc:
        msg = _JSON_MESSAGES.get(exc.msg, exc.msg)
        raise FactsError(
            [_err("", f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{msg}")]
        ) from None
    except UnicodeDecodeError:
        raise FactsError([_err("", "JSON 文本不是有效的 UTF-8 编码")]) from None
    except RecursionError:
        raise FactsError([_err("", "JSON 嵌套层数过深")]) from None


# --- error translation -----------------------------------------------------------------------

_TYPE_MESSAGES = {
    "missing": "缺少必填字段",
    "bool_type": "应为 true/false",
    "bool_parsing": "应为 true/false",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "string_type": "应为字符串",
    "string_too_short": "不能为空",
    "list_type": "应为列表（JSON 数组）",
    "tuple_type": "应为列表（JSON 数组）",
    "dict_type": "应为对象（JSON 对象）",
    "model_type": "应为对象（JSON 对象）",
    "model_attributes_type": "应为对象（JSON 对象）",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期，格式 YYYY-MM-DD",
    "none_required": "应为 null",
    "recursion_loop": "数据中有循环引用",
}


def translate_errors(exc: ValidationError, schema: type[BaseModel]) -> list[dict[str, str]]:
    """Every error of ``exc`` as ``{"path", "message"}`` with English paths, Chinese text."""
    out: list[dict[str, str]] = []
    for e in exc.errors(include_url=False, include_input=False):
        path, leaf = _english_path(schema, e["loc"])
        out.append(_err(path, _message(e, leaf)))
    return out


def _message(e: Any, leaf: Any) -> str:
    kind = e["type"]
    ctx = e.get("ctx") or {}
    if kind == "literal_error":
        values = _literal_values(leaf)
        if values:
            return "取值须为以下之一：" + "、".join(str(v) for v in values)
        return f"取值须为以下之一：{ctx.get('expected', '')}"
    if kind == "greater_than_equal":
        ge = ctx.get("ge")
        return "不能为负数" if ge is not None and ge == 0 else f"应不小于 {ge}"
    if kind == "greater_than":
        return f"应大于 {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"应不大于 {ctx.get('le')}"
    if kind == "less_than":
        return f"应小于 {ctx.get('lt')}"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    return str(e["msg"])  # our own PydanticCustomError messages are already Chinese


def format_path(parts: list[str | int]) -> str:
    """``["household", "members", 0, "id_number"]`` -> ``household.members[0].id_number``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out


def _english_path(schema: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, Any]:
    """Map a pydantic ``loc`` (which names the key actually used) to the English path.

    Also returns the annotation of the last field reached (for enum messages).
    """
    parts: list[str | int] = []
    model: type[BaseModel] | None = schema
    ann: Any = None
    for item in loc:
        if isinstance(item, int):
            parts.append(item)
            continue
        key = str(item)
        entry = _aliases(model).get(key) if model is not None else None
        if entry is None:
            parts.append(key)
            model, ann = None, None
            continue
        name, ann = entry
        parts.append(name)
        model = _sub_model(ann)
    return format_path(parts), ann


@functools.lru_cache(maxsize=256)
def _aliases(model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    """Every input key of ``model`` (name and aliases) -> (English name, annotation)."""
    out: dict[str, tuple[str, Any]] = {}
    for name, field in model.model_fields.items():
        keys: list[str] = []
        va = field.validation_alias
        if isinstance(va, str):
            keys.append(va)
        elif isinstance(va, AliasChoices):
            keys.extend(c for c in va.choices if isinstance(c, str))
        elif isinstance(va, AliasPath) and va.path and isinstance(va.path[0], str):
            keys.append(va.path[0])
        if field.alias:
            keys.append(field.alias)
        for k in keys:
            out.setdefault(k, (name, field.annotation))
        out[name] = (name, field.annotation)
    return out


def _unwrap(ann: Any) -> list[Any]:
    """The types inside Annotated / Optional / Union / list / tuple, outermost first."""
    seen: list[Any] = []
    stack = [ann]
    while stack:
        t = stack.pop()
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            stack.append(typing.get_args(t)[0])
        elif origin in (typing.Union, types.UnionType, list, tuple, set, frozenset) or (
            origin is not None and origin.__module__ == "collections.abc"
        ):
            stack.extend(typing.get_args(t))
        else:
            seen.append(t)
    return seen


def _sub_model(ann: Any) -> type[BaseModel] | None:
    for t in _unwrap(ann):
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
    return None


def _literal_values(ann: Any) -> list[Any]:
    for t in _unwrap(ann):
        if typing.get_origin(t) is Literal:
            return list(typing.get_args(t))
    return []


# --- helpers -------------------------------------------------------------------------------


def _err(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


def _kind(v: object) -> str:
    if v is None:
        return "空值（null）"
    if isinstance(v, bool):
        return "布尔值"
    if isinstance(v, (int, float, decimal.Decimal)):
        return "数字"
    if isinstance(v, (list, tuple)):
        return "数组"
    return f"{type(v).__name__} 类型的值"
