"""Reading `*.params.yaml` files (LANGUAGE.md §7) into a :class:`~.table.ParamTable`: keys in
English or Chinese, typed and dated values, every problem of every file as a diagnostic."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..errors import Diagnostic, Span
from ..ir import regions
from ..lang import yamlio
from .table import PARAM_TYPES, ParamDecl, ParamTable

_KEYS = ("title", "unit", "type", "per_item", "values")
_ZH_KEYS = {
    "标题": "title",
    "单位": "unit",
    "类型": "type",
    "按项目": "per_item",
    "取值": "values",
}


def load_param_files(files: Iterable[tuple[str, str]]) -> tuple[ParamTable, list[Diagnostic]]:
    """Load (path, text) pairs; all problems of all files are returned together."""
    decls: dict[str, ParamDecl] = {}
    diags: list[Diagnostic] = []
    broken: set[str] = set()
    for path, text in files:
        for d in _load_one(path, text, diags, broken):
            if d.name in decls:
                other = decls[d.name].span
                diags.append(
                    _diag(
                        "E307",
                        f"参数 `{d.name}` 重复声明（已在 {other} 声明）/ parameter declared twice",
                        d.span,
                        text,
                    )
                )
                continue
            decls[d.name] = d
    return ParamTable(decls, frozenset(broken - set(decls))), diags


def _diag(code: str, msg: str, span: Span, text: str, hint: str | None = None) -> Diagnostic:
    lines = text.splitlines()
    src = lines[span.line - 1] if 0 < span.line <= len(lines) else None
    return Diagnostic(code, msg, span, hint=hint, source_line=src)


def _load_one(path: str, text: str, diags: list[Diagnostic], broken: set[str]) -> list[ParamDecl]:
    def at(pos: yamlio.Pos, width: int = 1) -> Span:
        return Span(path, pos.line, pos.col, pos.line, pos.col + width)

    try:
        doc = yamlio.load(text)
    except yamlio.YamlProblem as e:
        diags.append(_diag("E301", e.message, at(e.pos), text))
        return []
    if doc.value is None:
        return []
    if not isinstance(doc.value, dict):
        diags.append(
            _diag(
                "E301",
                "参数文件的顶层须为映射（参数名: 定义）/ the top level must be "
                "a mapping of parameter names",
                at(doc.pos(())),
                text,
            )
        )
        return []
    out: list[ParamDecl] = []
    for name, body in doc.value.items():
        name_s = str(name)
        kpos = doc.key_pos((name,))
        span = at(kpos, len(name_s))
        if (
            not (name_s[:1].isalpha() or name_s[:1] == "_")
            or not name_s.replace("_", "a").isalnum()
        ):
            diags.append(
                _diag("E302", f"参数名 `{name_s}` 不是合法的名称 / not a valid name", span, text)
            )
            continue
        if not isinstance(body, dict):
            diags.append(
                _diag("E302", f"参数 `{name_s}` 的定义须为映射，含 title、type、values", span, text)
            )
            continue
        decl = _decl(name_s, body, (name,), doc, path, text, diags, span)
        if decl is not None:
            out.append(decl)
        else:
            broken.add(name_s)
    return out


def _decl(
    name: str,
    body: dict[Any, Any],
    base: tuple[Any, ...],
    doc: yamlio.YamlDoc,
    path: str,
    text: str,
    diags: list[Diagnostic],
    span: Span,
) -> ParamDecl | None:
    def at(p: tuple[Any, ...], key: bool = False) -> Span:
        pos = doc.key_pos(p) if key else doc.pos(p)
        return Span(path, pos.line, pos.col, pos.line, pos.col + max(len(str(p[-1])), 1))

    n_before = len(diags)
    fields: dict[str, Any] = {}
    for k, v in body.items():
        key = _ZH_KEYS.get(str(k), str(k))
        if key not in _KEYS:
            sug = difflib.get_close_matches(str(k), _KEYS, n=1)
            diags.append(
                _diag(
                    "E302",
                    f"参数 `{name}` 中未知的键 `{k}` / unknown key; allowed: {', '.join(_KEYS)}",
                    at((*base, k), True),
                    text,
                    hint=f"是否想写 `{sug[0]}`？" if sug else None,
                )
            )
            continue
        fields[key] = (k, v)
    for req in ("type", "values"):
        if req not in fields:
            diags.append(_diag("E308", f"参数 `{name}` 缺少 `{req}` / missing key", span, text))
    title = fields.get("title", (None, name))[1]
    unit = fields.get("unit", (None, None))[1]
    ptype = None
    if "type" in fields:
        k, ptype = fields["type"]
        if ptype not in PARAM_TYPES:
            diags.append(
                _diag(
                    "E303",
                    f"参数 `{name}` 的类型 `{ptype}` 不存在 / unknown type; "
                    f"use one of {' | '.join(PARAM_TYPES)}",
                    at((*base, k)),
                    text,
                )
            )
            ptype = None
    per_item = False
    if "per_item" in fields:
        k, per_item = fields["per_item"]
        if not isinstance(per_item, bool):
            diags.append(_diag("E302", "per_item/按项目 须为 true 或 false", at((*base, k)), text))
            per_item = False
    values: dict[str, tuple[tuple[date, Any], ...]] = {}
    if "values" in fields:
        k, vals = fields["values"]
        vbase = (*base, k)
        shape = "「项目代码: {地区代码: {日期: 值}}」" if per_item else "「地区代码: {日期: 值}」"
        if not isinstance(vals, dict) or not vals:
            diags.append(_diag("E302", f"参数 `{name}` 的 values 须为{shape}映射", at(vbase), text))
        elif per_item:
            for item, by_region in vals.items():
                if not isinstance(by_region, dict) or not by_region:
                    diags.append(
                        _diag(
                            "E302",
                            f"项目 {item} 的取值须为「地区代码: {{日期: 值}}」映射",
                            at((*vbase, item)),
                            text,
                        )
                    )
                    continue
                _series(name, ptype, by_region, (*vbase, item), f"{item}/", values, at, text, diags)
        else:
            _series(name, ptype, vals, vbase, "", values, at, text, diags)
    if len(diags) > n_before or ptype is None:
        return None
    return ParamDecl(
        name, str(title), None if unit is None else str(unit), ptype, values, span, per_item
    )


def _series(
    name: str,
    ptype: str | None,
    vals: dict[Any, Any],
    vbase: tuple[Any, ...],
    prefix: str,
    values: dict[str, tuple[tuple[date, Any], ...]],
    at: Any,
    text: str,
    diags: list[Diagnostic],
) -> None:
    """Each region's dated values of `vals` into `values`, keyed by `prefix` + region."""
    for region, series in vals.items():
        rpath = (*vbase, region)
        rcode = str(region)
        if not regions.is_code(rcode):
            diags.append(
                _diag(
                    "E305",
                    f"无效的行政区划代码 `{region}` / a region key must "
                    'be a 6-digit division code, e.g. "511000"',
                    at(rpath, True),
                    text,
                    hint='写作 "511000"',
                )
            )
            continue
        if not isinstance(series, dict) or not series:
            diags.append(_diag("E302", f"地区 {rcode} 的取值须为「日期: 值」映射", at(rpath), text))
            continue
        entries: list[tuple[date, Any]] = []
        for d, v in series.items():
            dpath = (*rpath, d)
            if not isinstance(d, date) or isinstance(d, datetime):
                diags.append(
                    _diag(
                        "E304",
                        f"`{d}` 不是有效日期 / each value is keyed by its start date, YYYY-MM-DD",
                        at(dpath, True),
                        text,
                    )
                )
                continue
            cv = _coerce(v, ptype)
            if cv is _BAD:
                diags.append(
                    _diag(
                        "E306",
                        f"参数 `{name}` 的取值 `{v}` 不是 {ptype} 类型 / value of the wrong type",
                        at(dpath),
                        text,
                    )
                )
                continue
            entries.append((d, cv))
        values[prefix + rcode] = tuple(sorted(entries, key=lambda e: e[0]))


_BAD = object()


def _coerce(v: Any, ptype: str | None) -> Any:
    if ptype is None:
        return v
    if ptype == "decimal":
        if isinstance(v, bool) or not isinstance(v, int | Decimal):
            return _BAD
        return Decimal(v)
    if ptype == "integer":
        if isinstance(v, bool) or not isinstance(v, int | Decimal) or Decimal(v) % 1:
            return _BAD
        return Decimal(int(v))
    if ptype == "string":
        return v if isinstance(v, str) else _BAD
    if ptype == "date":
        return v if isinstance(v, date) else _BAD
    if ptype == "boolean":
        return v if isinstance(v, bool) else _BAD
    return _BAD
