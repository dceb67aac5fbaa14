"""A policy compiled to SQL that gives each row's decision document.

:class:`PolicySQL` gives a policy's SQL as layers of columns over a relation ``facts`` (its
lets, its rules' values and amount, their missing paths and the outcome), then the decision
document from them: a STRUCT with the keys of :meth:`yktrules.Decision.to_dict`
(:meth:`PolicySQL.struct`) or its JSON text exactly as the Python engine writes it
(:meth:`PolicySQL.json`).  Several policies share one relation with a column *prefix* each,
and a *guard* column limits each to the rows it decides (its lets and rules are computed on
those rows only); parameters and the version are then read from columns.

:func:`compile_decisions` is one policy's whole query: ``__row`` and ``decision``.  The
STRUCT has two keys always present where the Python document leaves them out when empty:
``amount_missing`` (NULL) and ``errors`` ([]) of an unknown rule; ``amount_errors``
likewise.  The JSON text leaves them out as Python does.
"""

from __future__ import annotations

import json
import re
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


def layered(rel: str, layers: list[list[str]]) -> str:
    """`rel` with each layer's columns (``<expr> AS <name>``) added, one layer on the
    previous ones (a layer may read the columns of those below it)."""
    for cols in layers:
        if cols:
            rel = f"(SELECT *, {', '.join(cols)} FROM {rel})"
    return rel


_TOKEN = re.compile(r"""'((?:[^']|'')*)'|"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_]*)""")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _tokens(sql: str) -> set[str]:
    """The names `sql` may refer to (quoted or not; words in string literals too, which only
    keeps a column that was not needed)."""
    out: set[str] = set()
    for lit, q, w in _TOKEN.findall(sql):
        if w:
            out.add(w)
        elif q:
            out.add(q.replace('""', '"'))
        elif lit:
            out.update(_WORD.findall(lit))
    return out


def _column_name(column: str) -> str:
    """The name a ``<expr> AS <name>`` column defines."""
    name = column.rsplit(" AS ", 1)[1].strip()
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def pruned(
    rel: str, base: list[str], layers: list[list[str]], final: list[str], d: Dialect = DUCKDB
) -> str:
    """``SELECT <final> FROM`` `rel` (whose columns are `base`) with the layers of columns
    added one on the other — each layer passing on only the columns a later one or the
    final list reads, so that no row carries a column it no longer needs."""
    needed = _tokens(" ".join(final))
    after: list[set[str]] = []
    kept: list[list[str]] = []
    for layer in reversed(layers):
        after.append(set(needed))
        new = [c for c in layer if _column_name(c) in needed]
        kept.append(new)
        needed = (needed - {_column_name(c) for c in layer}) | _tokens(" ".join(new))
    after.reverse()
    kept.reverse()
    avail = [n for n in base if n in needed]
    sql = f"(SELECT {', '.join(d.ident(n) for n in avail) or 'NULL AS __nothing'} FROM {rel})"
    for new, need in zip(kept, after, strict=True):
        passed = [n for n in avail if n in need]
        cols = [d.ident(n) for n in passed] + new
        if not new and passed == avail:
            continue
        sql = f"(SELECT {', '.join(cols) or 'NULL AS __nothing'} FROM {sql})"
        avail = passed + [_column_name(c) for c in new]
    return f"SELECT {', '.join(final)} FROM {sql}"


def _json(v: Any) -> str:
    """A constant's JSON text, as Python's ``json.dumps(ensure_ascii=False)`` writes it."""
    return json.dumps(v, ensure_ascii=False)


def render(c: Compiler, n: ir.Node) -> str:
    """A value as it appears in a message (values.render): 是/否, a number rounded half up
    to 0.01 without trailing zeros, an ISO date, a list's length, ``?`` when unknown."""
    v, t = c.expr(n), n.type
    if t == T.BOOLEAN:
        text = f"CASE WHEN ({v}) THEN '是' ELSE '否' END"
    elif t == T.NUMBER:
        cents = c.d.to_text(f"CAST(round({v}, 2) AS DECIMAL(38,2))")
        stripped = c.d.rtrim(c.d.rtrim(cents, "'0'"), "'.'")  # cents always has two decimals
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

#: Rules per BIGINT of a compact decision's rule masks.
MASK_BITS = 62


def mask_columns(rules: int) -> int:
    """How many BIGINTs each rule mask of a policy with this many rules takes."""
    return (rules + MASK_BITS - 1) // MASK_BITS


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


class PolicySQL:
    """One policy's SQL over ``facts`` (with ``__as_of`` and ``__as_of_ymd``).

    `params` maps each parameter to its value (inlined), or None to read them from the
    STRUCT column `params_column`; `version` likewise, else the column `version_column`.
    With a `guard` (a boolean column), the policy is computed only where it is TRUE and its
    documents are NULL elsewhere."""

    def __init__(
        self,
        policy: ir.CheckedPolicy,
        params: Mapping[str, Any] | None,
        version: str | None,
        dialect: Dialect = DUCKDB,
        *,
        prefix: str = "",
        guard: str | None = None,
        params_column: str = "__params",
        version_column: str = "__version",
    ):
        self.policy = policy
        self.d = dialect
        self.c = Compiler(policy, params, dialect, prefix, params_column)
        self.m = Missing(self.c)
        self.guard = guard
        self.version = (
            dialect.string_lit(version) if version is not None else dialect.ident(version_column)
        )
        self.rules = list(enumerate(policy.rules))

    def col(self, name: str) -> str:
        return self.d.ident(self.c.column(name))

    def _on(self, expr: str) -> str:
        return expr if self.guard is None else f"CASE WHEN {self.guard} THEN {expr} END"

    def _when(self, cond: str) -> str:
        return cond if self.guard is None else f"{self.guard} AND {cond}"

    # ---------------------------------------------------------------- the layers
    def lets(self, missing: bool = True) -> list[list[str]]:
        """Two layers per let, in declaration order: its value, then its missing paths
        (without `missing`, only its value)."""
        out: list[list[str]] = []
        for i, let in enumerate(self.policy.lets):
            value = self.c.let_column(i)
            out.append([f"{self._on(self.c.expr(let.expr))} AS {value}"])
            if missing:
                miss = f"CASE WHEN {self._when(f'{value} IS NULL')} THEN {self.m.of(let.expr)} END"
                out.append([f"{miss} AS {self.m.let_column(i)}"])
        return out

    def values(self) -> list[str]:
        """The rules' values (NULL: unknown) and the amount."""
        p = self.policy
        cols = [f"{self._on(self.c.expr(r.cond))} AS {self.col(f'r{k}')}" for k, r in self.rules]
        amount = self._on(self.c.expr(p.amount)) if p.amount else "CAST(NULL AS DECIMAL(38,10))"
        cols.append(f"{amount} AS {self.col('amount')}")
        return cols

    def outcomes(self, missing: bool = True) -> list[str]:
        """What the unknown values miss (unless not `missing`), and the outcome."""
        rules, col = self.rules, self.col
        blocking = [
            f"coalesce({col(f'r{k}')} = {'FALSE' if r.kind == 'require' else 'TRUE'}, FALSE)"
            for k, r in rules
            if r.kind in ("require", "deny")
        ]
        flagged = [
            f"coalesce({col(f'r{k}')} = {'FALSE' if r.kind == 'require' else 'TRUE'}, TRUE)"
            for k, r in rules
        ]
        outcome = (
            f"CASE WHEN {' OR '.join(blocking) or 'FALSE'} THEN 'ineligible' "
            f"WHEN {' OR '.join(flagged) or 'FALSE'} THEN 'review' ELSE 'eligible' END"
        )
        if not missing:
            return [f"{self._on(outcome)} AS {col('outcome')}"]
        cols = []
        for k, r in self.rules:
            unknown = self._when(f"{col(f'r{k}')} IS NULL")
            cols.append(f"CASE WHEN {unknown} THEN {self.m.of(r.cond)} END AS {col(f'm{k}')}")
        no_paths = f"CAST(NULL AS {self.d.list_type(self.d.string)})"
        amount_m = self.m.of(self.policy.amount) if self.policy.amount else no_paths
        unknown = self._when(f"{col('amount')} IS NULL")
        cols.append(f"CASE WHEN {unknown} THEN {amount_m} END AS {col('amount_m')}")
        cols.append(f"{self._on(outcome)} AS {col('outcome')}")
        return cols

    def messages(self) -> list[str]:
        """Each rule's message where the rule is a reason or unknown (NULL elsewhere)."""
        out = []
        for k, r in self.rules:
            shown = f"{self._fires(k, r)} OR {self.col(f'r{k}')} IS NULL"
            out.append(
                f"CASE WHEN {self._when(f'({shown})')} THEN {message(self.c, r)} END "
                f"AS {self.col(f't{k}')}"
            )
        return out

    def layers(self, compact: bool = False) -> list[list[str]]:
        """The policy's columns, a layer on the ones before; `compact`: the decision in
        short (:meth:`compact`; no missing paths, no messages)."""
        if compact:
            return [
                *self.lets(missing=False),
                self.values(),
                self.outcomes(missing=False),
                self.compact(),
            ]
        return [*self.lets(), self.values(), self.outcomes(), self.messages()]

    def compact(self) -> list[str]:
        """The decision in short, as columns (NULL where the policy is not computed): the
        amount (``<prefix>a``, DECIMAL(38,2), when eligible) and two bit masks of the
        rules, in rule order — those that are reasons (``<prefix>f0``, ``f1``, …) and those
        that are unknown (``<prefix>u0``, …), :data:`MASK_BITS` rules to a BIGINT.  The
        outcome is :meth:`outcomes`' column; the host turns the masks into rule names."""
        col = self.col
        amount = f"CASE WHEN {self._eligible()} THEN {self._cents()} END"
        cols = [f"{self._on(amount)} AS {col('a')}"]
        for m in range(mask_columns(len(self.rules))):
            j = m * MASK_BITS
            part = self.rules[j : j + MASK_BITS]
            fired = " + ".join(
                f"CASE WHEN {self._fires(k, r)} THEN {1 << (k - j)} ELSE 0 END" for k, r in part
            )
            unknown = " + ".join(
                f"CASE WHEN {col(f'r{k}')} IS NULL THEN {1 << (k - j)} ELSE 0 END" for k, _ in part
            )
            cols.append(f"{self._on(f'CAST({fired} AS BIGINT)')} AS {col(f'f{m}')}")
            cols.append(f"{self._on(f'CAST({unknown} AS BIGINT)')} AS {col(f'u{m}')}")
        return cols

    def personal(self) -> str:
        """TRUE where a message holds 16 digits in a row (an ID or card number, which
        outputs mask unless asked not to)."""
        checks = [
            f"coalesce(regexp_matches({self.col(f't{k}')}, '\\p{{Nd}}{{16}}'), FALSE)"
            for k, _ in self.rules
        ]
        return " OR ".join(checks) or "FALSE"

    # ---------------------------------------------------------------- the documents
    def _fires(self, k: int, r: ir.CheckedRule) -> str:
        return f"{self.col(f'r{k}')} = {'TRUE' if r.kind != 'require' else 'FALSE'}"

    def _eligible(self) -> str:
        return f"{self.col('outcome')} = 'eligible'"

    def _amount_unknown(self) -> str:
        a, am = self.col("amount"), self.col("amount_m")
        return f"{self._eligible()} AND {a} IS NULL AND {am} IS NOT NULL"

    def _cents(self) -> str:
        return f"CAST(round({self.col('amount')}, 2) AS DECIMAL(38,2))"

    def struct(self) -> str:
        """The decision document as a STRUCT (:func:`decision_type`)."""
        d, m, p, col = self.d, self.m, self.policy, self.col
        reasons: list[tuple[str, str]] = []
        unknown: list[tuple[str, str]] = []
        for k, r in self.rules:
            common = [("rule", d.string_lit(r.name)), ("kind", d.string_lit(r.kind))]
            source = ("source", d.string_lit(r.span.short))
            reason = d.struct([*common, ("message", col(f"t{k}")), source])
            reasons.append((self._fires(k, r), reason))
            fails = m.can_fail(r.cond)
            fields = [
                *common,
                ("missing", _paths(d, col(f"m{k}"), fails)),
                ("message", col(f"t{k}")),
                source,
                ("errors", _errors(d, col(f"m{k}"), fails)),
            ]
            unknown.append((f"{col(f'r{k}')} IS NULL", d.struct(fields)))
        error_t, reason_t, unknown_t = part_types(d)
        fails = p.amount is not None and m.can_fail(p.amount)
        doc = d.struct(
            [
                ("item", d.string_lit(p.item)),
                ("policy", d.string_lit(p.code)),
                ("title", d.string_lit(p.title)),
                ("version", self.version),
                ("as_of", "__as_of"),
                ("outcome", col("outcome")),
                ("reasons", _present(d, reasons, reason_t)),
                ("unknown", _present(d, unknown, unknown_t)),
                ("amount", f"CASE WHEN {self._eligible()} THEN {d.to_text(self._cents())} END"),
                ("period", d.string_lit(p.period)),
                (
                    "amount_missing",
                    f"CASE WHEN {self._amount_unknown()} THEN "
                    f"{_paths(d, col('amount_m'), fails)} END",
                ),
                (
                    "amount_errors",
                    f"CASE WHEN {self._amount_unknown()} THEN "
                    f"{_errors(d, col('amount_m'), fails)} ELSE {d.empty_list(error_t)} END",
                ),
            ]
        )
        return self._on(doc)

    def json(self) -> str:
        """The decision document as JSON text, byte for byte as the Python engine writes
        ``Decision.to_dict()`` (compact separators, non-ASCII as it is)."""
        d, m, p, col = self.d, self.m, self.policy, self.col
        lit = d.string_lit
        reasons, unknown = [], []
        for k, r in self.rules:
            head = "{" + '"rule":' + _json(r.name) + ',"kind":' + _json(r.kind)
            source = ',"source":' + _json(r.span.short)
            text = d.json_string(col(f"t{k}"))
            message_key = lit(head + ',"message":')
            reason = f"{message_key} || {text} || {lit(source + '}')}"
            reasons.append(f"CASE WHEN {self._fires(k, r)} THEN {reason} END")
            fails = m.can_fail(r.cond)
            errors = ""
            if fails:
                errs = _errors(d, col(f"m{k}"), fails)
                key = lit(',"errors":')
                listed = d.json_list(errs)
                errors = f" || CASE WHEN {d.length(errs)} > 0 THEN {key} || {listed} ELSE '' END"
            paths = d.json_list(_paths(d, col(f"m{k}"), fails))
            item = " || ".join(
                [lit(head + ',"missing":'), paths, lit(',"message":'), text, lit(source)]
            )
            unknown.append(f"CASE WHEN {col(f'r{k}')} IS NULL THEN {item}{errors} || '}}' END")
        fails = p.amount is not None and m.can_fail(p.amount)
        quote = lit('"')
        amount = (
            f"CASE WHEN {self._eligible()} AND {col('amount')} IS NOT NULL "
            f"THEN {quote} || {d.to_text(self._cents())} || {quote} ELSE 'null' END"
        )
        paths = d.json_list(_paths(d, col("amount_m"), fails))
        missing_key = lit(',"amount_missing":')
        missing = f"{missing_key} || {paths}"
        if fails:
            errs = _errors(d, col("amount_m"), fails)
            key = lit(',"amount_errors":')
            missing += (
                f" || CASE WHEN {d.length(errs)} > 0 THEN {key} || {d.json_list(errs)} ELSE '' END"
            )
        head = (
            '{"item":'
            + _json(p.item)
            + ',"policy":'
            + _json(p.code)
            + ',"title":'
            + _json(p.title)
            + ',"version":'
        )
        parts = [
            lit(head),
            d.json_string(self.version),
            lit(',"as_of":"'),
            d.to_text("__as_of"),
            lit('","outcome":"'),
            col("outcome"),
            lit('","reasons":['),
            d.concat_ws(",", reasons),
            lit('],"unknown":['),
            d.concat_ws(",", unknown),
            lit('],"amount":'),
            amount,
            lit(',"period":' + _json(p.period)),
            f"CASE WHEN {self._amount_unknown()} THEN {missing} ELSE '' END",
            lit("}"),
        ]
        return self._on(" || ".join(parts))


def compile_decisions(
    policy: ir.CheckedPolicy,
    params: Mapping[str, Any] | None,
    version: str | None,
    dialect: Dialect = DUCKDB,
) -> str:
    """The SELECT giving ``__row`` and ``decision`` (a STRUCT) for every row of ``facts``.

    `params` maps each parameter the policy reads to its value for the rows' region and
    date (None or Unknown: unknown); with None they are read from the STRUCT column
    ``__params``.  `version` likewise, else the ``__version`` column."""
    p = PolicySQL(policy, params, version, dialect)
    rel = layered("facts", [[as_of_column()], *p.layers()])
    return f"SELECT __row, {p.struct()} AS decision FROM {rel}"


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
