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
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..sql.decisions import MASK_BITS, mask_columns
from .io import DECISIONS_SCHEMA, decision_rows
from .plan import PolicyUse

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
            mask_columns(len(rules)),
        )


def specs(uses: Sequence[PolicyUse]) -> list[Compact]:
    return [Compact.of(u) for u in uses]


class Assembler:
    """Puts a run's compact batches together (:meth:`table`); what depends only on the
    run's policies is prepared once."""

    def __init__(self, policies: Sequence[Compact]):
        self.policies = list(policies)
        k = len(self.policies)
        self.slots = k + 1  # each policy, then a place for a row without any decision
        self.items = pa.array([p.item for p in self.policies] + [None], _S)
        self.codes = pa.array([p.code for p in self.policies] + [None], _S)
        offsets: list[int] = []
        versions: list[str | None] = []
        for p in self.policies:
            offsets.append(len(versions))
            versions += p.versions.to_pylist()
        self.voffsets = np.array([*offsets, 0], np.int64)
        self.versions = pa.array([*versions, None], _S)
        self.masks = max((p.masks for p in self.policies), default=1)
        self.names: dict[tuple[str, int | str], list[str] | None] = {}

    def table(self, b: pa.RecordBatch, finished: Mapping[int, dict[str, Any]]) -> pa.Table:
        """A compact output batch as a table with :data:`DECISIONS_SCHEMA`: every screened
        row's decisions (a row screened for no item: one row of NULLs, keeping its place),
        then the rows Python finished, all in input order."""
        n, s = b.num_rows, self.slots
        screened = pc.fill_null(b.column("__out"), False).to_numpy(zero_copy_only=False)
        w = np.zeros((s, n), np.int64)  # the parameter set (version) index; 0: none
        for k, p in enumerate(self.policies):
            col = b.column(f"__{p.prefix}w")
            w[k] = pc.fill_null(col, 0).to_numpy(zero_copy_only=False)
        on = (w > 0) & screened
        on[s - 1] = screened & ~on[: s - 1].any(axis=0)
        # row by row, in the policies' order: slot k of row r is k * n + r
        order = np.arange(s * n, dtype=np.int64).reshape(s, n).T.ravel()
        at = order[on.ravel()[order]]
        row, slot = at % n, at // n
        total = len(at)
        taken = pa.array(at)

        slots = pa.array(slot)
        none = len(self.versions) - 1
        version = np.where(slot < s - 1, self.voffsets[slot] + w.ravel()[at], none)
        table = pa.Table.from_arrays(
            [
                pc.take(b.column("__line"), pa.array(row)),
                pc.take(b.column("__app"), pa.array(row)).cast(_S),
                pc.take(self.items, slots),
                pc.take(self.codes, slots),
                pc.take(self.versions, pa.array(version)),
                pc.if_else(  # a row without a decision has no date either
                    pa.array(slot == s - 1),
                    pa.nulls(total, pa.date32()),
                    pc.take(b.column("__as_of"), pa.array(row)).cast(pa.date32()),
                ),
                self._stacked(b, taken, "o", _S),
                self._stacked(b, taken, "a", pa.decimal128(38, 2)),
                self._names(b, taken, slot, "f"),
                self._names(b, taken, slot, "u"),
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

    def _stacked(
        self, b: pa.RecordBatch, taken: pa.Array, column: str, kind: pa.DataType
    ) -> pa.Array:
        """Each policy's `column` (NULL for a policy without it) one after the other, then
        NULLs for the place of a row without a decision, at the decisions `taken`."""
        names = set(b.schema.names)
        parts = [
            b.column(c).cast(kind) if c in names else pa.nulls(b.num_rows, kind)
            for c in (f"__{p.prefix}{column}" for p in self.policies)
        ]
        return pc.take(pa.concat_arrays([*parts, pa.nulls(b.num_rows, kind)]), taken)

    def _names(self, b: pa.RecordBatch, taken: pa.Array, slot: np.ndarray, kind: str) -> pa.Array:
        """The names of the rules whose bits are set in each decision's `kind` mask (``f``:
        reasons, ``u``: unknown), in rule order: one key per (policy, masks), each distinct
        key turned into its names once per run."""
        cols = [
            pc.fill_null(self._stacked(b, taken, f"{kind}{j}", pa.int64()), 0).to_numpy(
                zero_copy_only=False
            )
            for j in range(self.masks)
        ]
        if self.masks == 1 and all(len(p.rules) <= _SHORT for p in self.policies):
            key: pa.Array = pa.array((slot << _SHORT) | cols[0])  # (policy, mask) as one int
        else:
            texts = [pa.array(slot).cast(_S), *(pa.array(c).cast(_S) for c in cols)]
            key = pc.binary_join_element_wise(*texts, ":")
        distinct = pc.unique(key)
        lists = [self._rules(kind, v) for v in distinct.to_pylist()]
        return pc.take(pa.array(lists, _NAMES), pc.index_in(key, value_set=distinct))

    def _rules(self, kind: str, key: int | str) -> list[str] | None:
        got = self.names.get((kind, key), _MISSING)
        if got is not _MISSING:
            return got  # type: ignore[return-value]
        if isinstance(key, int):
            k, masks = key >> _SHORT, [key & ((1 << _SHORT) - 1)]
        else:
            k, *masks = (int(x) for x in key.split(":"))
        names: list[str] | None = None  # the place of a row without a decision
        if k < len(self.policies):
            rules = self.policies[k].rules
            names = [
                r for i, r in enumerate(rules) if (masks[i // MASK_BITS] >> (i % MASK_BITS)) & 1
            ]
        self.names[(kind, key)] = names
        return names


#: Policies with at most this many rules: a decision's (policy, mask) key is one integer.
_SHORT = 40
_MISSING = object()
