"""The per-item standard amounts a synthetic roster pays (:func:`load_standards`): the
``payment_standard`` parameter the standard audits use (``audits/``), or a plain YAML mapping
item -> amount."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from ..bundle.loader import read_sources
from ..errors import render_all
from ..params import load_param_files
from ..roster.io import InputError
from .roster import Standard

__all__ = ["load_standards"]


def load_standards(path: str | Path) -> Standard:
    """The standard amounts in ``path``: a folder or ``.params.yaml`` file with the per-item
    parameter ``payment_standard`` (as in ``audits/``), or a YAML mapping item -> amount.
    Raises :class:`InputError` with a Chinese message when neither can be read."""

    p = Path(path)
    if p.is_file() and not p.name.endswith(".params.yaml"):
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            raise InputError(p, f"无法读取发放标准文件 {p}：{e}") from None
        if isinstance(data, dict) and "payment_standard" not in data:
            return _flat(p, data)
    sources, diags = read_sources([p])
    table, more = load_param_files(sources.params)
    diags += more
    if any(d.is_error for d in diags):
        raise InputError(p, f"发放标准 {p} 有错误：\n{render_all(diags)}")
    decl = table.get("payment_standard")
    if decl is None or not decl.per_item:
        raise InputError(
            p,
            f"{p} 中没有按项目设定的参数 payment_standard，也不是“项目代码: 金额”的映射 / "
            "no per-item payment_standard",
        )

    def standard(item: str, region: str, period: date) -> Decimal | None:
        hit = decl.resolve(region, period, item)
        return None if hit is None else Decimal(str(hit[2]))

    return standard


def _flat(p: Path, data: dict[Any, Any]) -> Standard:
    amounts: dict[str, Decimal] = {}
    for k, v in data.items():
        try:
            if isinstance(v, bool):
                raise InvalidOperation
            amounts[str(k)] = Decimal(str(v))
        except InvalidOperation:
            raise InputError(p, f"发放标准文件 {p} 中 {k} 的金额 `{v}` 不是数字") from None
    return lambda item, _region, _period: amounts.get(item)
