"""The reference evaluation of audits, in Python: the language's own interpreter over each row
and each group, with joins as dictionary lookups.  It is the oracle the SQL engine is tested
against, and the engine for small rosters (``--engine python``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from types import SimpleNamespace
from typing import Any

from .. import ir
from ..checker.audit_scope import ROSTER
from ..checker.audits import CheckedAudit
from ..checker.lookup import Lookup
from ..evaluate.interpreter import Interpreter
from ..ir.functions import Function
from ..ir.values import Unknown
from ..params import ParamTable
from ..roster.models import Payment
from .result import AuditOutcome, Finding, Record, make_finding

Row = tuple[Record, Payment]


class Tables:
    """The roster and the registries (None: not supplied), indexed by field on first use."""

    def __init__(self, roster: Sequence[Payment], registries: Mapping[str, Sequence[Any] | None]):
        self.data: dict[str, Sequence[Any] | None] = {ROSTER: roster, **registries}
        self.index: dict[tuple[str, str], dict[Any, list[Any]]] = {}

    def lookup(self, table: str, field: str, key: Any) -> list[Any] | None:
        rows = self.data.get(table)
        if rows is None:
            return None
        idx = self.index.get((table, field))
        if idx is None:
            idx = defaultdict(list)
            for r in rows:
                idx[getattr(r, field)].append(r)
            self.index[(table, field)] = idx
        return list(idx.get(key, ()))


class _Interp(Interpreter):
    def __init__(
        self,
        stage: ir.CheckedPolicy,
        funcs: dict[str, Function],
        facts: Any,
        as_of: date,
        param: Callable[[str], Any],
        tables: Tables,
    ):
        super().__init__(stage, funcs, facts, as_of, param)
        self.tables = tables

    def eval(self, n: ir.Node, env: dict[int, Any]) -> Any:
        if not isinstance(n, Lookup):
            return super().eval(n, env)
        key = self.eval(n.key, env)
        if isinstance(key, Unknown):
            return key
        found = self.tables.lookup(n.table, n.field, key)
        if found is None:
            return Unknown(frozenset({n.path}))
        if n.rest is None:
            return found
        conds = [self.eval(n.rest, {**env, n.slot: x}) for x in found]
        unknown = [c for c in conds if isinstance(c, Unknown)]
        if unknown:
            return unknown[0]
        return [x for x, c in zip(found, conds, strict=True) if c is True]


def _param(params: ParamTable, p: Payment) -> Callable[[str], Any]:
    def get(name: str) -> Any:
        decl = params.get(name)
        hit = decl.resolve(p.region, p.period, p.item) if decl else None
        return Unknown(frozenset({f"param.{name}"})) if hit is None else hit[2]

    return get


def _no_param(name: str) -> Any:  # group stages read no parameters (checked)
    return Unknown(frozenset({f"param.{name}"}))


def run_reference(
    audit: CheckedAudit,
    rows: Sequence[Row],
    registries: Mapping[str, Sequence[Any] | None],
    params: ParamTable,
    funcs: dict[str, Function],
    as_of: date,
    *,
    unmask: bool = False,
) -> AuditOutcome:
    tables = Tables([p for _, p in rows], registries)
    scope_registry = SimpleNamespace(**{k: v for k, v in registries.items()})
    findings: list[Finding] = []
    undetermined = 0

    def decide(
        stage: ir.CheckedPolicy,
        facts: Any,
        param: Callable[[str], Any],
        members: Sequence[Row],
        key: dict[str, Any] | None,
    ) -> _Interp:
        nonlocal undetermined
        it = _Interp(stage, funcs, facts, as_of, param, tables)
        vals = it.rules()
        hits = [r for r, v in vals if v is True]
        if not hits and any(isinstance(v, Unknown) for _, v in vals):
            undetermined += 1
        for r in hits:
            vals = [it.eval(p.value, {}) for p in r.message if p.value is not None]
            findings.append(make_finding(audit, r, vals, key, members, unmask=unmask))
        return it

    if not audit.group:
        for rec, p in rows:
            facts = SimpleNamespace(row=p, registry=scope_registry)
            decide(audit.row, facts, _param(params, p), [(rec, p)], None)
    else:
        assert audit.grouped is not None
        groups: dict[tuple[Any, ...], list[tuple[Row, Any]]] = {}
        for rec, p in rows:
            facts = SimpleNamespace(row=p, registry=scope_registry)
            it = _Interp(audit.row, funcs, facts, as_of, _param(params, p), tables)
            extra = {x.name: it.let(i) for i, x in enumerate(audit.row.lets)}
            extra = {k: None if isinstance(v, Unknown) else v for k, v in extra.items()}
            elem = SimpleNamespace(**dict(p), **extra) if extra else p
            k = tuple(getattr(p, f) for f in audit.group)
            groups.setdefault(k, []).append(((rec, p), elem))
        for k, members in groups.items():
            key = dict(zip(audit.group, k, strict=True))
            facts = SimpleNamespace(
                key=SimpleNamespace(**key), rows=[e for _, e in members], registry=scope_registry
            )
            decide(audit.grouped, facts, _no_param, [m for m, _ in members], key)
    n = (
        len(rows)
        if not audit.group
        else len({tuple(getattr(p, f) for f in audit.group) for _, p in rows})
    )
    return AuditOutcome(
        audit=audit.code,
        title=audit.title,
        subjects=n,
        findings=tuple(findings),
        undetermined=undetermined,
        missing_tables=tuple(t for t in audit.tables if registries.get(t) is None and t != ROSTER),
    )
