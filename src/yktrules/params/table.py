"""A parameter table and its declarations (LANGUAGE.md §7): resolution of a value by region,
date and (for audits) item."""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from ..errors import Span
from ..ir import regions, types

PARAM_TYPES: dict[str, types.Type] = {
    "decimal": types.NUMBER,
    "integer": types.NUMBER,
    "string": types.STRING,
    "date": types.DATE,
    "boolean": types.BOOLEAN,
}


@attrs.frozen
class ParamDecl:
    name: str
    title: str
    unit: str | None
    type: str
    # region code -> ((date, value), ...) sorted by date; "ITEM/REGION" when per_item
    values: Mapping[str, tuple[tuple[date, Any], ...]]
    span: Span
    per_item: bool = False  # set per subsidy item (audits only, docs/audits.md)

    @property
    def lang_type(self) -> types.Type:
        return PARAM_TYPES[self.type]

    def resolve(
        self, region: str, as_of: date, item: str | None = None
    ) -> tuple[str, date, Any] | None:
        """Most specific region key containing `region` with a value dated on or before
        `as_of`; its latest such value.  None when there is none (the parameter is unknown).
        A per-item parameter looks among `item`'s values only."""
        prefix = f"{item}/" if self.per_item else ""
        for key in regions.ancestors(region):
            series = self.values.get(prefix + key)
            if not series:
                continue
            i = bisect_right(series, as_of, key=lambda e: e[0])
            if i:
                d, v = series[i - 1]
                return key, d, v
        return None


@attrs.frozen
class ParamTable:
    decls: Mapping[str, ParamDecl]
    broken: frozenset[str] = frozenset()  # declared, but with errors (already reported)

    def get(self, name: str) -> ParamDecl | None:
        return self.decls.get(name)

    def suggest(self, name: str) -> str | None:
        m = difflib.get_close_matches(name, list(self.decls), n=1, cutoff=0.6)
        return m[0] if m else None
