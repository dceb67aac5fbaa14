"""The compact layout put together from per-policy columns (batch/columnar.py) equals the
same rows built one by one in Python, whatever the policies (many rules: masks over several
BIGINTs), the rows screened and the policies in force."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from yktrules.batch.columnar import Assembler, Compact
from yktrules.batch.io import DECISIONS_SCHEMA
from yktrules.sql.decisions import MASK_BITS


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[Compact], pa.RecordBatch]:
    k = draw(st.integers(0, 4))
    policies = []
    for j in range(k):
        rules = tuple(f"r{j}_{i}" for i in range(draw(st.sampled_from([0, 1, 5, 41, 70]))))
        versions = [f"v{j}.{i}" for i in range(draw(st.integers(1, 3)))]
        masks = max(1, (len(rules) + MASK_BITS - 1) // MASK_BITS)
        policies.append(
            Compact(f"p{j}_", f"ITEM-{j}", f"CODE-{j}", pa.array([None, *versions]), rules, masks)
        )
    n = draw(st.integers(0, 12))
    cols: dict[str, pa.Array] = {
        "__line": pa.array(range(1, n + 1), pa.int64()),
        "__app": pa.array([f"A{i}" for i in range(n)], pa.string()),
        "__as_of": pa.array([date(2024, 1, 1) + timedelta(days=i) for i in range(n)], pa.date32()),
        "__out": pa.array(
            draw(st.lists(st.sampled_from([True, None]), min_size=n, max_size=n)), pa.bool_()
        ),
    }
    for p in policies:
        w = draw(st.lists(st.integers(0, len(p.versions) - 1), min_size=n, max_size=n))
        cols[f"__{p.prefix}w"] = pa.array([x or None for x in w], pa.int32())
        outcomes = st.sampled_from(["eligible", "ineligible", "review"])
        cols[f"__{p.prefix}o"] = pa.array([draw(outcomes) if x else None for x in w], pa.string())
        cols[f"__{p.prefix}a"] = pa.array(
            [Decimal(draw(st.integers(0, 99999))) / 100 if x else None for x in w],
            pa.decimal128(38, 2),
        )
        for kind in "fu":
            for m in range(p.masks):
                width = min(MASK_BITS, max(0, len(p.rules) - m * MASK_BITS))
                values = [draw(st.integers(0, (1 << width) - 1)) if x else None for x in w]
                cols[f"__{p.prefix}{kind}{m}"] = pa.array(values, pa.int64())
    return policies, pa.RecordBatch.from_pydict(cols)


def _naive(policies: list[Compact], b: pa.RecordBatch) -> list[dict[str, Any]]:
    rows = b.to_pylist()
    out = []
    for r in rows:
        if not r["__out"]:
            continue
        base = {"line": r["__line"], "application": r["__app"], "error_type": None, "errors": None}
        found = []
        for p in policies:
            w = r[f"__{p.prefix}w"]
            if not w:
                continue

            def names(kind: str, p: Compact = p, r: dict[str, Any] = r) -> list[str]:
                masks = [r[f"__{p.prefix}{kind}{m}"] for m in range(p.masks)]
                return [
                    x
                    for i, x in enumerate(p.rules)
                    if (masks[i // MASK_BITS] >> (i % MASK_BITS)) & 1
                ]

            found.append(
                {
                    **base,
                    "item": p.item,
                    "policy": p.code,
                    "version": p.versions[w].as_py(),
                    "as_of": r["__as_of"],
                    "outcome": r[f"__{p.prefix}o"],
                    "amount": r[f"__{p.prefix}a"],
                    "reasons": names("f") if p.rules else [],
                    "unknown": names("u") if p.rules else [],
                }
            )
        if not found:
            empty = dict.fromkeys(
                ("item", "policy", "version", "as_of", "outcome", "amount", "reasons", "unknown")
            )
            found.append({**base, **empty})
        out += found
    return out


@settings(max_examples=150, deadline=None)
@given(batches())
def test_assembled_rows_are_the_rows_built_one_by_one(case: Any) -> None:
    policies, b = case
    asm = Assembler(policies)
    got = asm.table(b, {})
    assert got.schema == DECISIONS_SCHEMA
    want = _naive(policies, b)
    assert got.to_pylist() == [{k: r[k] for k in DECISIONS_SCHEMA.names} for r in want]
    assert asm.table(b, {}).equals(got)  # the names cached from the first batch
