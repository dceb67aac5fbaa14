"""Fact paths in words: `household.vehicles` → `家庭.车辆（来源：公安 车管）`."""

from __future__ import annotations

from functools import cache

from ..ir import types as T


@cache
def _root() -> T.RecordT:
    from .models import Application

    return T.record_type(Application)


@cache
def describe_path(path: str, root: T.RecordT | None = None) -> str:
    """The Chinese path of a fact and the department it comes from, for explanations."""
    if path.startswith("param."):
        return f"参数 {path[6:]}（政策参数表未设定该地区、该日期的取值）"
    rec: T.Type = root or _root()
    zh: list[str] = []
    source: str | None = None
    for part in path.split("."):
        if isinstance(rec, T.ListT):
            rec = rec.elem
        f = rec.lookup(part) if isinstance(rec, T.RecordT) else None
        if f is None:
            return path
        zh.append(f.zh or part)
        source = f.source or source
        rec = f.type
    text = ".".join(zh)
    return f"{text}（{path}，来源：{source}）" if source else f"{text}（{path}）"
