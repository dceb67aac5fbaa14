"""A policy compiled to one SQL query that returns each row's decision document.

:func:`compile_decisions` builds a SELECT over ``facts`` with two columns, ``__row`` and
``decision``: a STRUCT with the keys of :meth:`yktrules.Decision.to_dict` — outcome,
reasons with their rendered messages, unknown rules with their sorted missing fact paths
and evaluation errors, the amount as a string with two decimals, ``amount_missing`` — so a
batch never returns to Python per decision.  Two keys are always present where the Python
document leaves them out when empty: ``amount_missing`` (NULL) and ``errors`` ([]) of an
unknown rule; ``amount_errors`` likewise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .. import ir
from ..ir import types as T
from ..ir.values import Unknown
from .compiler import Compiler, as_of_column, sql_type
from .dialects.duckdb import DUCKDB, Dialect
from .missing import DIVISION_BY_ZERO, Missing


def with_lets(c: Compiler, m: Missing | None, rel: str = "facts") -> str:
    """`rel` with each let's value (``__let0``…) and, with `m`, its missing paths where it is
    unknown (``__letm0``…) added as columns, in declaration order."""
    rel = f"(SELECT *, {as_of_column()} FROM {rel})"
    for i, let in enumerate(c.policy.lets):
        rel = f"(SELECT *, {c.expr(let.expr)} AS {c.let_column(i)} FROM {rel})"
        if m is not None:
            miss = f"CASE WHEN {c.let_column(i)} IS NULL THEN {m.of(let.expr)} END"
            rel = f"(SELECT *, {miss} AS {m.let_column(i)} FROM {rel})"
    return rel


def render(c: Compiler, n: ir.Node) -> str:
    """A value as it appears in a message (values.render): 是/否, a number rounded half up
    to 0.01 without trailing zeros, an ISO date, a list's length, ``?`` when unknown."""
    v, t = c.expr(n), n.type
    if t == T.BOOLEAN:
        text = f"CASE WHEN ({v}) THEN '是' ELSE '否' END"
    elif t == T.NUMBER:
        cents = c.d.to_text(f"CAST(round({v}, 2) AS DECIMAL(38,2))")
        stripped = f"regexp_replace(regexp_replace({cents}, '0+$', ''), '[.]$', '')"
        text = f"CASE WHEN round({v}, 2) = 0 THEN '0' ELSE {stripped} END"
    elif t == T.DATE:
        text = c.d.to_text(v)
    elif isinstance(t, T.ListT):
        text = c.d.to_text(c.d.length(v))
    else:
        text = c.d.to_text(v)
    return f"coalesce({text}, '?')"


def message(c: Compiler, rule: ir.CheckedRule) -> str:
    """A rule's message: its text with each ``{expression}`` rendered."""
    parts = [
        render(c, p.value) if p.value is not None else c.d.string_lit(p.text or "")
        for p in rule.message
        if p.value is not None or p.text
    ]
    return " || ".join(parts) if parts else "''"


_BANG = "'!'"
_CENTS = "CAST(round(__amount, 2) AS DECIMAL(38,2))"


def _paths(d: Dialect, m: str, can_fail: bool = True) -> str:
    if not can_fail:
        return d.distinct_sorted(m)
    return d.distinct_sorted(d.filter(m, "__p", "NOT " + d.starts_with("__p", _BANG)))


def _error_type(d: Dialect) -> str:
    return d.struct_type([("message", d.string), ("source", d.string)])


def part_types(d: Dialect) -> tuple[str, str, str]:
    """The SQL types of a decision document's error, reason and unknown-rule items."""
    text, error_t = d.string, _error_type(d)
    reason_t = d.struct_type([(k, text) for k in ("rule", "kind", "message", "source")])
    unknown_t = d.struct_type(
        [
            ("rule", text),
            ("kind", text),
            ("missing", d.list_type(text)),
            ("message", text),
            ("source", text),
            ("errors", d.list_type(error_t)),
        ]
    )
    return error_t, reason_t, unknown_t


def decision_type(d: Dialect = DUCKDB) -> str:
    """The SQL type of the ``decision`` column of :func:`compile_decisions`."""
    error, reason, unknown = part_types(d)
    s = d.string
    fields = [(k, s) for k in ("item", "policy", "title", "version")]
    fields += [("as_of", "DATE"), ("outcome", s), ("reasons", d.list_type(reason))]
    fields += [("unknown", d.list_type(unknown)), ("amount", s), ("period", s)]
    fields += [("amount_missing", d.list_type(s)), ("amount_errors", d.list_type(error))]
    return d.struct_type(fields)


def _errors(d: Dialect, m: str, can_fail: bool = True) -> str:
    """The evaluation errors among missing entries (empty when the value cannot fail)."""
    if not can_fail:
        return d.empty_list(_error_type(d))
    errs = d.distinct_sorted(d.filter(m, "__p", d.starts_with("__p", _BANG)))
    one = d.struct([("message", d.string_lit(DIVISION_BY_ZERO)), ("source", "substr(__e, 2)")])
    return d.transform(errs, "__e", one)


def _present(d: Dialect, items: list[tuple[str, str]], elem: str) -> str:
    """The list of the (condition, value) items whose condition holds, in order."""
    one = [f"CASE WHEN {c} THEN {d.list_lit([v])} ELSE {d.empty_list(elem)} END" for c, v in items]
    return d.concat_lists(one, elem)


def compile_decisions(
    policy: ir.CheckedPolicy,
    params: Mapping[str, Any] | None,
    version: str | None,
    dialect: Dialect = DUCKDB,
) -> str:
    """The SELECT giving ``__row`` and ``decision`` for every row of ``facts``.

    `params` maps each parameter the policy reads to its value for the rows' region and
    date (None or Unknown: unknown); with None they are read from the STRUCT column
    ``__params``.  `version` likewise, else the ``__version`` column."""
    d = dialect
    c = Compiler(policy, params, d)
    m = Missing(c)
    rules = list(enumerate(policy.rules))
    # level 1: the rules' values and the amount, over the facts and the lets
    values = [f"{c.expr(r.cond)} AS __r{k}" for k, r in rules]
    values.append(
        f"{c.expr(policy.amount) if policy.amount else 'CAST(NULL AS DECIMAL(38,10))'} AS __amount"
    )
    if version is not None:
        values.append(f"{d.string_lit(version)} AS __version")
    rel = f"(SELECT *, {', '.join(values)} FROM {with_lets(c, m, 'facts')})"
    # level 2: what unknown values miss, and the outcome
    blocking = [
        f"coalesce(__r{k} = {'FALSE' if r.kind == 'require' else 'TRUE'}, FALSE)"
        for k, r in rules
        if r.kind in ("require", "deny")
    ]
    flagged = [
        f"coalesce(__r{k} = {'FALSE' if r.kind == 'require' else 'TRUE'}, TRUE)" for k, r in rules
    ]
    outcome = (
        f"CASE WHEN {' OR '.join(blocking) or 'FALSE'} THEN 'ineligible' "
        f"WHEN {' OR '.join(flagged) or 'FALSE'} THEN 'review' ELSE 'eligible' END"
    )
    level2 = [f"CASE WHEN __r{k} IS NULL THEN {m.of(r.cond)} END AS __m{k}" for k, r in rules]
    no_paths = f"CAST(NULL AS {d.list_type(d.string)})"
    amount_m = m.of(policy.amount) if policy.amount else no_paths
    level2.append(f"CASE WHEN __amount IS NULL THEN {amount_m} END AS __amount_m")
    level2.append(f"{outcome} AS __outcome")
    rel = f"(SELECT *, {', '.join(level2)} FROM {rel})"
    # level 3: the decision document
    reasons: list[tuple[str, str]] = []
    unknown: list[tuple[str, str]] = []
    for k, r in rules:
        hit = "TRUE" if r.kind != "require" else "FALSE"
        common = [("rule", d.string_lit(r.name)), ("kind", d.string_lit(r.kind))]
        source = ("source", d.string_lit(r.span.short))
        reason = d.struct([*common, ("message", message(c, r)), source])
        reasons.append((f"__r{k} = {hit}", reason))
        fields = [
            *common,
            ("missing", _paths(d, f"__m{k}", m.can_fail(r.cond))),
            ("message", message(c, r)),
            source,
            ("errors", _errors(d, f"__m{k}", m.can_fail(r.cond))),
        ]
        unknown.append((f"__r{k} IS NULL", d.struct(fields)))
    error_t, reason_t, unknown_t = part_types(d)
    eligible = "__outcome = 'eligible'"
    amount_fails = policy.amount is not None and m.can_fail(policy.amount)
    decision = d.struct(
        [
            ("item", d.string_lit(policy.item)),
            ("policy", d.string_lit(policy.code)),
            ("title", d.string_lit(policy.title)),
            ("version", "__version"),
            ("as_of", "__as_of"),
            ("outcome", "__outcome"),
            ("reasons", _present(d, reasons, reason_t)),
            ("unknown", _present(d, unknown, unknown_t)),
            ("amount", f"CASE WHEN {eligible} THEN {d.to_text(_CENTS)} END"),
            ("period", d.string_lit(policy.period)),
            (
                "amount_missing",
                f"CASE WHEN {eligible} AND __amount IS NULL AND __amount_m IS NOT NULL "
                f"THEN {_paths(d, '__amount_m', amount_fails)} END",
            ),
            (
                "amount_errors",
                f"CASE WHEN {eligible} AND __amount IS NULL AND __amount_m IS NOT NULL "
                f"THEN {_errors(d, '__amount_m', amount_fails)} ELSE {d.empty_list(error_t)} END",
            ),
        ]
    )
    return f"SELECT __row, {decision} AS decision FROM {rel}"


def compile_policy(
    policy: ir.CheckedPolicy, params: Mapping[str, Any] | None, dialect: Dialect = DUCKDB
) -> str:
    """The decisions in short: ``__row``, ``outcome``, ``reasons`` and ``unknown`` (rule
    names, in rule order) and ``amount`` (a DECIMAL rounded to 0.01 when eligible)."""
    d = dialect
    sql = compile_decisions(policy, params, "", d)
    names = (
        "reasons",
        "unknown",
    )
    rule = "__n"
    cols = ", ".join(
        f"{d.transform(d.field('decision', k), rule, d.field(rule, 'rule'))} AS {k}" for k in names
    )
    return (
        f"SELECT __row, {d.field('decision', 'outcome')} AS outcome, {cols}, "
        f"CAST({d.field('decision', 'amount')} AS DECIMAL(38,2)) AS amount FROM ({sql})"
    )


def params_type(
    policy: ir.CheckedPolicy, types: Mapping[str, T.Type], dialect: Dialect = DUCKDB
) -> str:
    """The type of the ``__params`` column a policy reads (one field per parameter, typed by
    `types`, the parameter tables' declared types)."""
    return dialect.struct_type([(n, sql_type(types[n], dialect)) for n in policy.params])


def params_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as JSON for the ``__params`` column (unknown: null; numbers as
    strings, so that they stay exact)."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if v is None or isinstance(v, Unknown):
            out[k] = None
        elif isinstance(v, bool):
            out[k] = v
        elif isinstance(v, Decimal | int | date):
            out[k] = str(v) if not isinstance(v, date) else v.isoformat()
        else:
            out[k] = v
    return out
