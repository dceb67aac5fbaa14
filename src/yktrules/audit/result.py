"""What an audit run produces: findings (an alert that is true for a row or a group, with the
records involved and a message a supervisor can act on), and per audit the number of
subjects it could not decide.  Personal data is masked unless the run asked otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from .. import ir
from ..checker.lookup import walk
from ..facts.privacy import mask_value, pii_kinds
from ..ir import values
from ..ir.values import money_text
from ..roster.models import Agent, Death, Payment

if TYPE_CHECKING:
    from ..checker.audits import CheckedAudit


#: field name -> pii kind, for every table an audit reads
PII_FIELDS = {**pii_kinds(Payment), **pii_kinds(Death), **pii_kinds(Agent)}


def mask(kind: str, v: str) -> str:
    return mask_value(kind, v)


@attrs.frozen
class Record:
    """A roster row: its file, line (or record number) and `id` column."""

    source: str
    line: int
    id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "id": self.id}


@attrs.frozen
class Finding:
    audit: str
    title: str
    alert: str
    severity: str
    message: str
    key: dict[str, str] | None  # a group's key, rendered (and masked)
    records: tuple[Record, ...]
    amount: Decimal  # total amount of the records
    version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "audit": self.audit,
            "title": self.title,
            "alert": self.alert,
            "severity": self.severity,
            "message": self.message,
            "key": self.key,
            "count": len(self.records),
            "amount": money_text(self.amount),
            "records": [r.to_dict() for r in self.records],
            "version": self.version,
        }

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(r.id or f"{r.source}:{r.line}" for r in self.records)


@attrs.frozen
class AuditOutcome:
    """One audit's result over a roster."""

    audit: str
    title: str
    subjects: int  # rows (row audit) or groups (group audit) examined
    findings: tuple[Finding, ...]
    undetermined: int  # subjects for which some alert was unknown and none was true
    missing_tables: tuple[str, ...]  # tables it joins to that were not supplied


def pii_kind(node: ir.Node) -> str | None:
    """The personal-data kind of an interpolated value (`{key.card_no}`), if any."""
    for x in walk(node):
        if isinstance(x, ir.GetField) and x.field in PII_FIELDS:
            return PII_FIELDS[x.field]
        break
    return None


def render_message(rule: ir.CheckedRule, vals: Sequence[Any], *, unmask: bool) -> str:
    """An alert's message with its `{…}` values rendered; personal data masked."""
    out: list[str] = []
    it = iter(vals)
    for p in rule.message:
        if p.value is None:
            out.append(p.text or "")
            continue
        v = next(it)
        text = values.render(v)
        kind = pii_kind(p.value)
        if kind and not unmask and isinstance(v, str):
            text = mask(kind, v)
        out.append(text)
    return "".join(out)


def render_key(key: dict[str, Any], *, unmask: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in key.items():
        text = "?" if v is None else values.render(v)
        if not unmask and k in PII_FIELDS and isinstance(v, str):
            text = mask(PII_FIELDS[k], v)
        out[k] = text
    return out


def make_finding(
    audit: CheckedAudit,
    rule: ir.CheckedRule,
    vals: Sequence[Any],
    key: dict[str, Any] | None,
    members: Sequence[tuple[Record, Payment]],
    *,
    unmask: bool,
) -> Finding:
    """The finding of `rule` on a row or a group (`key`: the group's key values, raw), with
    the values its message interpolates (`vals`, in order)."""
    return Finding(
        audit=audit.code,
        title=audit.title,
        alert=rule.name,
        severity=audit.severity,
        message=render_message(rule, vals, unmask=unmask),
        key=None if key is None else render_key(key, unmask=unmask),
        records=tuple(rec for rec, _ in members),
        amount=sum((p.amount for _, p in members), Decimal(0)),
        version=audit.digest,
    )
