"""The compact layout put together from columns: a DuckDB run's compact output has, per
policy, a few columns (which parameter set and version applied, the outcome, the amount, bit
masks of the rules that are reasons and of the unknown ones: :func:`.plan.compact_columns`);
here they become the rows of :data:`.io.DECISIONS_SCHEMA` — one per (application, item), in
input order and, within an application, in the policies' order, as the Python engine gives
them — with Arrow compute, never a Python loop over rows.

Rule names come from the masks through their distinct values (a batch has few): each
distinct mask is turned into its list of names once and the lists are taken by index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from ..sql.decisions import MASK_BITS
from .io import DECISIONS_SCHEMA, decision_rows
from .plan import PolicyUse, compact_columns

_S = pa.string()
_NAMES = pa.list_(_S)


@attrs.frozen
class Compact:
    """What putting a policy's decisions together needs of it."""

    prefix: str
    item: str
    code: str
    versions: pa.Array  # by parameter-set index (0: none)
    rules: tuple[str, ...]
    masks: int  # BIGINT columns per mask

    @classmethod
    def of(cls, u: PolicyUse) -> Compact:
        rules = tuple(r.name for r in u.policy.rules)
        return cls(
            u.prefix,
            u.policy.item,
            u.policy.code,
            pa.array([None, *u.versions], _S),
            rules,
            (len(compact_columns(u)) - 2) // 2,
        )


def specs(uses: Sequence[PolicyUse]) -> list[Compact]:
    return [Compact.of(u) for u in uses]


def decisions_table(
    b: pa.RecordBatch, finished: Mapping[int, dict[str, Any]], policies: Sequence[Compact]
) -> pa.Table:
    """A compact output batch as a table with :data:`DECISIONS_SCHEMA`: every screened row's
    decisions (a row screened for no item: one row of NULLs, keeping its place), then the
    rows Python finished, all in input order."""
    screened = pc.fill_null(b.column("__out"), False)
    n = b.num_rows
    k_all = len(policies) or 1
    rows: list[pa.Array] = []  # the batch row of each decision
    keys: list[pa.Array] = []  # its place: row * policies + policy
    parts: list[dict[str, pa.Array]] = []
    count = pa.array([0] * n, pa.int64())
    for k, p in enumerate(policies):
        w = b.column(f"__{p.prefix}w")
        on = pc.and_(screened, pc.is_valid(w))
        idx = pc.indices_nonzero(on)
        count = pc.add(count, pc.cast(on, pa.int64()))
        m = len(idx)
        if not m:
            continue
        col = {c: pc.take(b.column(f"__{p.prefix}{c}"), idx) for c in ("o", "a")}
        parts.append(
            {
                "item": pa.repeat(pa.scalar(p.item, _S), m),
                "policy": pa.repeat(pa.scalar(p.code, _S), m),
                "version": pc.take(p.versions, pc.take(w, idx)),
                "outcome": col["o"],
                "amount": col["a"].cast(pa.decimal128(38, 2)),
                "reasons": _names(b, idx, p, "f"),
                "unknown": _names(b, idx, p, "u"),
            }
        )
        rows.append(pc.cast(idx, pa.int64()))
        keys.append(pc.add(pc.multiply(pc.cast(idx, pa.int64()), k_all), k))
    # a screened row without any decision keeps a place: one row of NULLs
    empty = pc.indices_nonzero(pc.and_(screened, pc.equal(count, 0)))
    if len(empty):
        e = len(empty)
        parts.append({name: pa.nulls(e, DECISIONS_SCHEMA.field(name).type) for name in _FIELDS})
        rows.append(pc.cast(empty, pa.int64()))
        keys.append(pc.multiply(pc.cast(empty, pa.int64()), k_all))
    if parts:
        at = pa.concat_arrays(rows)
        order = pc.sort_indices(pa.concat_arrays(keys))
        at = pc.take(at, order)
        fields = {f: pc.take(pa.concat_arrays([q[f] for q in parts]), order) for f in _FIELDS}
    else:
        at = pa.array([], pa.int64())
        fields = {f: pa.array([], DECISIONS_SCHEMA.field(f).type) for f in _FIELDS}
    total = len(at)
    table = pa.Table.from_arrays(
        [
            pc.take(b.column("__line"), at),
            pc.take(b.column("__app"), at).cast(_S),
            fields["item"],
            fields["policy"],
            fields["version"],
            pc.if_else(  # a row without a decision has no date either
                pc.is_null(fields["item"]),
                pa.nulls(total, pa.date32()),
                pc.take(b.column("__as_of"), at).cast(pa.date32()),
            ),
            fields["outcome"],
            fields["amount"],
            fields["reasons"],
            fields["unknown"],
            pa.nulls(total, _S),
            pa.nulls(total, DECISIONS_SCHEMA.field("errors").type),
        ],
        schema=DECISIONS_SCHEMA,
    )
    if not finished:
        return table
    extra = pa.Table.from_pylist(
        decision_rows([finished[i] for i in sorted(finished)]), schema=DECISIONS_SCHEMA
    )
    return pa.concat_tables([table, extra]).sort_by([("line", "ascending")])


_FIELDS = ("item", "policy", "version", "outcome", "amount", "reasons", "unknown")


def _names(b: pa.RecordBatch, idx: pa.Array, p: Compact, kind: str) -> pa.Array:
    """The names of the rules whose bits are set in the policy's `kind` mask (``f``:
    reasons, ``u``: unknown), rows `idx`, in rule order."""
    if not p.rules:
        return pa.array([[]] * len(idx), _NAMES)
    cols = [pc.take(b.column(f"__{p.prefix}{kind}{j}"), idx) for j in range(p.masks)]
    if len(cols) == 1:
        key: pa.Array = cols[0]
    else:  # more than MASK_BITS rules: one text key of all the masks
        key = pc.binary_join_element_wise(*(pc.cast(c, _S) for c in cols), ",")
    distinct = pc.unique(key)
    lists = []
    for value in distinct.to_pylist():
        masks = [value] if len(cols) == 1 else [int(x) for x in value.split(",")]
        lists.append(
            [
                name
                for r, name in enumerate(p.rules)
                if (masks[r // MASK_BITS] >> (r % MASK_BITS)) & 1
            ]
        )
    return pc.take(pa.array(lists, _NAMES), pc.index_in(key, value_set=distinct))
