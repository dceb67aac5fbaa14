"""A batch run's one query: validation, the policy in force for each row and item, every
policy's decision and the output row, as SQL over the source's rows — planned once per run,
whatever the number of rows.

Which policy decides an item, its version and its parameter values depend on the region only
through the region's ancestors that the library names (a policy's region or a key of a
parameter table): its *class*; and on the day only through the library's change dates: its
*epoch*.  Both are computed per row in SQL, and the (class, epoch) pairs — a few hundred at
most, known before any row is read — index constant lists of each policy's parameter
values and version.  A policy is computed on the rows it decides only (its *guard*).

The query's rows stay in input order (no join, no sort) and carry for each row either its
output (JSON text, or the decisions as STRUCTs) or, when the SQL did not decide it, what
Python needs to: the row itself (it failed the SQL validation) or why no policy is in force.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from .. import ir
from ..errors import NoPolicyError
from ..ir import regions
from ..ir.values import Unknown
from ..sql.compiler import AS_OF_YMD, as_of_column, literal, sql_type
from ..sql.decisions import PolicySQL, decision_type, mask_columns, pruned
from ..sql.dialects.duckdb import DUCKDB, Dialect
from ..sql.json_validation import json_document, json_layers
from ..sql.validation import typed_document
from . import share

if TYPE_CHECKING:
    import pyarrow as pa

    from ..screening.policyset import PolicySet

#: What an output row holds: JSON text (``jsonl``), the decisions as STRUCTs (``arrow``) or
#: the decisions in short as columns, a few per policy (``compact``: no messages, no missing
#: facts; :func:`compact_columns`, put together by :mod:`.columnar`).
OUTPUTS = ("jsonl", "arrow", "compact")


# ---- regions and days ----------------------------------------------------------------------


def named_regions(ps: PolicySet) -> frozenset[str]:
    """The region codes the library names: policies' regions and parameter table keys."""
    named = {p.region for p in ps.policies.values()}
    for decl in ps.params.decls.values():
        named.update(key.rsplit("/", 1)[-1] for key in decl.values)
    return frozenset(named)


def region_class(region: str, named: frozenset[str]) -> tuple[str, ...]:
    """The region's ancestors the library names, most specific first: all that resolution
    depends on."""
    return tuple(a for a in regions.ancestors(region) if a in named)


def classes(named: frozenset[str]) -> dict[tuple[str, ...], str]:
    """Every class a region can have, with a region of that class."""
    reps: list[str] = list(named)
    for code in named:
        for k in range(1, 100):  # a child the library does not name
            child = code[:4] + f"{k:02d}" if code.endswith("00") else ""
            if code.endswith("0000"):
                child = code[:2] + f"{k:02d}01"
            if child and child not in named and child[:4] + "00" not in named:
                reps.append(child)
                break
            if child and code.endswith("00") and not code.endswith("0000") and child not in named:
                reps.append(child)
                break
    for k in range(11, 100):  # a province the library does not name
        if not any(c.startswith(f"{k:02d}") for c in named):
            reps.append(f"{k:02d}0101")
            break
    out: dict[tuple[str, ...], str] = {}
    for r in sorted(reps):
        out.setdefault(region_class(r, named), r)
    return out


def class_expr(region: str, named: frozenset[str], keys: list[tuple[str, ...]]) -> str:
    """The 0-based index in `keys` of the region's class (SQL, NULL-safe)."""
    names = ", ".join(f"'{n}'" for n in sorted(named)) or "''"
    county = f"CASE WHEN {region} IN ({names}) THEN {region} END"
    city_code = f"substr({region}, 1, 4) || '00'"
    city = f"CASE WHEN {region} NOT LIKE '%00' AND {city_code} IN ({names}) THEN {city_code} END"
    prov_code = f"substr({region}, 1, 2) || '0000'"
    prov = f"CASE WHEN {region} NOT LIKE '%0000' AND {prov_code} IN ({names}) THEN {prov_code} END"
    text = f"concat_ws('|', {county}, {city}, {prov})"
    labels = ", ".join("'" + "|".join(k) + "'" for k in keys)
    return f"(list_position([{labels}], {text}) - 1)"


def epoch_expr(day: str, changes: tuple[date, ...]) -> str:
    """The number of change dates on or before `day` (bisect_right), in SQL."""
    if not changes:
        return "0"
    parts = " + ".join(
        f"CASE WHEN {day} >= DATE '{d.isoformat()}' THEN 1 ELSE 0 END" for d in changes
    )
    return f"({parts})"


# ---- the plan ------------------------------------------------------------------------------


@attrs.frozen
class PolicyUse:
    """A policy in the run: its column prefix, and per (class, epoch) index which of its
    parameter sets applies (0: the policy is not in force there)."""

    policy: ir.CheckedPolicy
    prefix: str
    which: tuple[int, ...]
    params: tuple[dict[str, Any], ...]  # the distinct parameter sets, from index 1
    versions: tuple[str, ...]


@attrs.define
class Stage:
    """A query of a staged run: its SQL and the policies it decides."""

    sql: str
    uses: list[PolicyUse]


@attrs.define
class Plan:
    """The query of a run and what the rows it leaves to Python need.

    A large library is *staged*, so that memory stays bounded: DuckDB keeps a vector of
    working space for every expression of a running query, and one query deciding every
    item would hold gigabytes.  Then ``stage0`` validates the rows and resolves their day
    and class once (its result is written to a file that the relation ``__stage0`` reads),
    each of ``stages`` decides a group of policies over it (its result written to a file of
    its own, row for row), and :func:`.zip.combine` puts a row's outputs together, in item
    order.  Otherwise ``sql`` does it all."""

    sql: str
    uses: list[PolicyUse]
    keys: list[tuple[str, ...]]  # the classes
    source: str  # "json" (a column `__text` of JSON Lines) or "typed"
    stage0: str = ""
    stages: list[Stage] = attrs.Factory(list)


#: The size of the policy SQL one query may hold (characters of its columns, before common
#: columns are shared — sharing within a group makes its query smaller): the fastest
#: grouping measured under 1 GB of memory (benchmarks/README.md).  A library larger than
#: :data:`STAGE_ABOVE` is staged in groups of this size.
STAGE_BUDGET = 100_000
#: The most policy SQL one query holds (about 300 MB of working space): more is staged.
#: Every item's policies fit in one query: staging pays off only for many items.
STAGE_ABOVE = 300_000


def build(
    ps: PolicySet,
    relation: str,
    *,
    source: str,
    schema: pa.Schema | None,
    item: str | None,
    all_items: bool,
    as_of: date | None,
    output: str,
    dialect: Dialect = DUCKDB,
    budget: int | None = None,
    keep_raw: bool = False,
) -> Plan:
    """The run's query over `relation`: for a ``json`` source its columns are ``__line``,
    ``__text`` (a JSON Lines line) and ``__error`` (the row's error row as JSON text, when
    the line could not even be read); for a ``typed`` one ``__line`` and the document's
    parts as columns of the Arrow `schema`.  `budget`: the most policy SQL a query holds
    (default :data:`STAGE_BUDGET`; above it, the run is staged); `keep_raw`: a staged run
    keeps every row as it came (the source cannot be read twice)."""
    named = named_regions(ps)
    cls = classes(named)
    keys = list(cls)
    changes = ps._changes
    epochs = len(changes) + 1
    uses = _uses(ps, cls, changes, item, all_items)
    d = dialect
    model = ps.validation_schema
    # layer 1: the typed document, whether the SQL accepts it, and the row as it came
    layers: list[list[str]] = []
    if source == "json":
        base = ["__line", "__text", "__error"]
        typed = [f"__d.v.{d.ident(f)} AS {d.ident(f)}" for f in _parts(model)]
        layers += [
            *json_layers(model, "__text"),
            [f"{json_document(model, '__text')} AS __d"],
            ["__error IS NULL AND NOT __d.b AS __ok", *typed],
        ]
        raw = "__text"
        error = "__error"
    else:
        assert schema is not None
        names = [n for n in schema.names if n != "__line"]
        base = ["__line", *("__src_" + n for n in names)]
        renamed = ", ".join(f"{d.ident(n)} AS {d.ident('__src_' + n)}" for n in names)
        relation = f"(SELECT __line{', ' if names else ''}{renamed} FROM {relation})"
        values, bad = typed_document(model, schema, "__src_")
        layers.append([f"NOT ({bad}) AS __ok", *values])
        # the row as it came, for Python: built only where Python needs it
        raw = d.struct([(n, d.ident("__src_" + n)) for n in names]) if names else "NULL"
        error = "CAST(NULL AS VARCHAR)"
    # layer 2: the day, the region's class and epoch, the wanted item
    day = f"DATE '{as_of.isoformat()}'" if as_of is not None else "(application).date"
    wanted = "NULL" if all_items else (d.string_lit(item) if item else "(application).item")
    items = sorted({p.code: p.item for p in ps.policies.values()}.items())
    item_of = (
        f"[{', '.join(d.string_lit(i) for _, i in items)}]"
        f"[list_position([{', '.join(d.string_lit(c) for c, _ in items)}], __wanted)]"
    )
    region = "(application).region"
    ce = f"({class_expr(region, named, keys)} * {epochs} + {epoch_expr('__as_of', changes)})"
    layers += [
        [
            f"CASE WHEN __ok THEN {day} END AS __as_of",
            f"CASE WHEN __ok THEN {wanted} END AS __wanted",
        ],
        [f"{item_of} AS __wanted_item", f"{ce} AS __ce", as_of_column()],
    ]
    compact = output == "compact"
    sqls = [_policy_sql(u, d) for u in uses]
    groups = _groups(sqls, compact, STAGE_BUDGET if budget is None else budget)
    glob = share.global_params(uses, len(keys) * epochs)
    param_cols = _param_columns(ps, glob, d)
    if len(groups) <= 1:
        env_cols: list[str] = [c for u in uses for c in _env(ps, u, d)] + param_cols
        own, rename = share.shared([s.layers(compact) for s in sqls], glob)
        layers += [env_cols, *own]
        final = _final(uses, sqls, output, d, error=error, raw=raw)
        final = [share.renamed(c, rename, glob) for c in final]
        return Plan(pruned(relation, base, layers, final, d), uses, keys, source)
    # staged: the rows once, then each group of policies over them
    app = ["CASE WHEN __ok THEN (application).id END AS __app"]
    if output == "jsonl":
        app.append(f"{d.json_string('(application).id')} AS __appjson")
    need_raw = "TRUE" if keep_raw else "NOT __ok OR __wanted IS NOT NULL"
    head = [
        "__line",
        f"{error} AS __error",
        f"CASE WHEN {need_raw} THEN {raw} END AS __raw",
        "__ok",
        "__as_of",
        "__wanted",
        "__wanted_item",
        "__ce",
        AS_OF_YMD,
        *(d.ident(f) for f in _parts(model)),
        *app,
    ]
    stage0 = pruned(relation, base, layers, head, d)
    base0 = [_name(c) for c in head]
    stages = []
    for group in groups:
        gu = [uses[k] for k in group]
        gs = [sqls[k] for k in group]
        own, rename = share.shared([s.layers(compact) for s in gs], glob)
        env_cols = [c for u in gu for c in _env(ps, u, d)] + param_cols
        glayers = [env_cols, *own]
        final = [share.renamed(c, rename, glob) for c in _group_final(gu, gs, output, d)]
        stages.append(Stage(pruned("__stage0", base0, glayers, final, d), gu))
    return Plan("", uses, keys, source, stage0=stage0, stages=stages)


def _name(column: str) -> str:
    return column.rsplit(" AS ", 1)[-1].strip('"')


def _policy_sql(u: PolicyUse, d: Dialect) -> PolicySQL:
    return PolicySQL(
        u.policy,
        None,
        None,
        d,
        prefix=u.prefix,
        guard=d.ident(f"__{u.prefix}on"),
        params_column=d.ident(f"__{u.prefix}params"),
        version_column=f"__{u.prefix}version",
    )


def _env(ps: PolicySet, u: PolicyUse, d: Dialect) -> list[str]:
    """The policy's guard, parameters and version, per row."""
    pk = f"coalesce([{', '.join(map(str, u.which))}][__ce + 1], 0)"
    on = f"({pk} > 0 AND (__wanted IS NULL OR __wanted_item = {d.string_lit(u.policy.item)}))"
    ptype = _params_type(ps, u.policy, d)
    plist = [f"CAST(NULL AS {ptype})"] + [_params_literal(ps, u.policy, v, d) for v in u.params]
    vlist = ["NULL"] + [d.string_lit(v) for v in u.versions]
    return [
        f"{pk} AS {d.ident(f'__{u.prefix}pk')}",
        f"coalesce(__ok AND {on}, FALSE) AS {d.ident(f'__{u.prefix}on')}",
        f"[{', '.join(plist)}][{pk} + 1] AS {d.ident(f'__{u.prefix}params')}",
        f"[{', '.join(vlist)}][{pk} + 1] AS {d.ident(f'__{u.prefix}version')}",
    ]


def _groups(sqls: list[PolicySQL], compact: bool, budget: int) -> list[list[int]]:
    """The policies in groups of at most `budget` characters of SQL, in order; one group
    when they all come to no more than :data:`STAGE_ABOVE` (or `budget`, if larger)."""
    costs = [sum(len(c) for layer in s.layers(compact) for c in layer) for s in sqls]
    if sum(costs) <= max(budget, STAGE_ABOVE):
        return [list(range(len(sqls)))] if sqls else []
    groups: list[list[int]] = [[]]
    size = 0
    for k, cost in enumerate(costs):
        if groups[-1] and size + cost > budget:
            groups.append([])
            size = 0
        groups[-1].append(k)
        size += cost
    return groups if groups[0] else []


def _outputs(sqls: list[PolicySQL], output: str, d: Dialect, cast: bool = False) -> str:
    """The row's decisions by these policies: JSON text, comma-separated (empty: none), or
    a list of STRUCTs (`cast` to the one decision type: stages' lists are put together)."""
    if output == "jsonl":
        return d.concat_ws(",", [s.json() for s in sqls]) if sqls else "''"
    kind = decision_type(d)
    structs = [s.struct() for s in sqls]
    if not structs:
        return f"CAST([] AS {kind}[])"
    kept = f"list_filter([{', '.join(structs)}], lambda __z: __z IS NOT NULL)"
    return f"CAST({kept} AS {kind}[])" if cast else kept


def _pii(uses: list[PolicyUse], sqls: list[PolicySQL], output: str, d: Dialect) -> str:
    if output == "compact" or not sqls:
        return "FALSE"  # no message in a compact decision
    guards = [d.ident(f"__{u.prefix}on") for u in uses]
    terms = [f"({g} AND ({s.personal()}))" for g, s in zip(guards, sqls, strict=True)]
    return f"coalesce({' OR '.join(terms)}, FALSE)"


def _n_on(uses: list[PolicyUse], d: Dialect) -> str:
    return " + ".join(f"CAST({d.ident(f'__{u.prefix}on')} AS INTEGER)" for u in uses) or "0"


def _outcomes(uses: list[PolicyUse], d: Dialect) -> list[str]:
    return [f"{d.ident(f'__{u.prefix}outcome')} AS {d.ident(f'__{u.prefix}o')}" for u in uses]


def compact_columns(u: PolicyUse) -> list[str]:
    """The names of a policy's columns in a compact output, besides its outcome
    (``__<prefix>o``): which of its parameter sets and versions applied (``w``: 1, 2, …;
    NULL where it is not in force), the amount, the masks of the rules that are reasons and
    of the unknown ones."""
    masks = range(mask_columns(len(u.policy.rules)))
    return [
        f"__{u.prefix}w",
        f"__{u.prefix}a",
        *(f"__{u.prefix}f{j}" for j in masks),
        *(f"__{u.prefix}u{j}" for j in masks),
    ]


def _compact(uses: list[PolicyUse], d: Dialect) -> list[str]:
    out = []
    for u in uses:
        on, pk = d.ident(f"__{u.prefix}on"), d.ident(f"__{u.prefix}pk")
        out.append(f"CASE WHEN {on} THEN {pk} END AS {d.ident(f'__{u.prefix}w')}")
        out += [d.ident(c) for c in compact_columns(u)[1:]]
    return out


def _final(
    uses: list[PolicyUse], sqls: list[PolicySQL], output: str, d: Dialect, *, error: str, raw: str
) -> list[str]:
    """The output row of an unstaged run."""
    nopolicy = f"(__ok AND __wanted IS NOT NULL AND ({_n_on(uses, d)}) = 0)"
    screened = f"__ok AND NOT {nopolicy}"
    docs = _outputs(sqls, output, d) if output != "compact" else ""
    if output == "jsonl":
        app = d.json_string("(application).id")
        line = (
            f"'{{\"line\":' || CAST(__line AS VARCHAR) || ',\"application\":' || {app} || "
            f"',\"decisions\":[' || {docs} || ']}}'"
        )
    elif output == "compact":  # the decisions are the policies' columns
        line = "TRUE"
    else:
        line = docs
    return [
        "__line",
        f"{error} AS __error",
        f"CASE WHEN NOT ({screened}) THEN {raw} END AS __raw",
        "CASE WHEN __ok THEN (application).id END AS __app",
        "__as_of",
        f"CASE WHEN {screened} THEN {line} END AS __out",
        f"{_pii(uses, sqls, output, d)} AS __pii",
        *_outcomes(uses, d),
        *(_compact(uses, d) if output == "compact" else []),
    ]


def _group_final(
    uses: list[PolicyUse], sqls: list[PolicySQL], output: str, d: Dialect
) -> list[str]:
    """A stage's output row: its decisions, whether a message may hold an ID number, how
    many of its policies are in force, and their outcomes."""
    if output == "compact":
        return [f"({_n_on(uses, d)}) AS __on", *_outcomes(uses, d), *_compact(uses, d)]
    return [
        f"{_outputs(sqls, output, d, cast=True)} AS __out",
        f"{_pii(uses, sqls, output, d)} AS __pii",
        f"({_n_on(uses, d)}) AS __on",
        *_outcomes(uses, d),
    ]


def _parts(model: Any) -> list[str]:
    return list(model.model_fields)


def _param_columns(ps: PolicySet, glob: dict[str, list[Any]], d: Dialect) -> list[str]:
    """Each parameter read from its own column: its value for the row's (class, epoch)."""
    out = []
    for name, per in sorted(glob.items()):
        t = ps.params.decls[name].lang_type
        distinct: list[str] = [literal(None, t, d)]
        index: dict[str, int] = {}
        at = []
        for v in per:
            text = literal(v, t, d)
            if text not in index:
                index[text] = len(distinct)
                distinct.append(text)
            at.append(str(index[text] + 1))
        pick = f"[{', '.join(at)}][__ce + 1]"
        out.append(f"[{', '.join(distinct)}][coalesce({pick}, 1)] AS {share.param_column(name)}")
    return out


def _params_type(ps: PolicySet, policy: ir.CheckedPolicy, d: Dialect) -> str:
    if not policy.params:
        return "STRUCT(__none BOOLEAN)"
    return d.struct_type([(n, sql_type(ps.params.decls[n].lang_type, d)) for n in policy.params])


def _params_literal(
    ps: PolicySet, policy: ir.CheckedPolicy, values: dict[str, Any], d: Dialect
) -> str:
    if not policy.params:
        return "struct_pack(__none := NULL::BOOLEAN)"
    fields = [(n, literal(values[n], ps.params.decls[n].lang_type, d)) for n in policy.params]
    return d.struct(fields)


def _uses(
    ps: PolicySet,
    cls: dict[tuple[str, ...], str],
    changes: tuple[date, ...],
    item: str | None,
    all_items: bool,
) -> list[PolicyUse]:
    """For every policy in force somewhere: where, and with which parameters and version."""
    from ..screening.environment import epoch_start

    epochs = len(changes) + 1
    found: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], int]] = {}
    where: dict[str, list[int]] = {}
    sets: dict[str, list[tuple[dict[str, Any], str]]] = {}
    wanted_item = None
    if item and not all_items:
        p = ps.policies.get(item)
        wanted_item = p.item if p is not None else ""
    for ci, rep in enumerate(cls.values()):
        for e in range(epochs):
            day = epoch_start(changes, e)
            for env in _in_force(ps, rep, day, e, item if wanted_item is not None else None):
                pol = env.plan.policy
                values = {n: None if isinstance(v, Unknown) else v for n, v in env.params.items()}
                key = (env.version, tuple((n, repr(values[n])) for n in pol.params))
                seen = found.setdefault(pol.code, {})
                if key not in seen:
                    seen[key] = len(seen) + 1
                    sets.setdefault(pol.code, []).append((values, env.version))
                where.setdefault(pol.code, [0] * (len(cls) * epochs))[ci * epochs + e] = seen[key]
    uses = []
    for n, code in enumerate(sorted(where, key=lambda c: (ps.policies[c].item, c))):
        uses.append(
            PolicyUse(
                ps.policies[code],
                f"p{n}_",
                tuple(where[code]),
                tuple(v for v, _ in sets[code]),
                tuple(ver for _, ver in sets[code]),
            )
        )
    return uses


def _in_force(ps: PolicySet, region: str, day: date, epoch: int, item: str | None) -> list[Any]:
    """The environments of the policies in force for the region in the epoch: every item's,
    or only `item`'s (without resolving the others)."""
    if item is None:
        return list(ps._env(region, day).entries)
    try:
        p = ps._resolve_uncached(item, region, day)
    except NoPolicyError:
        return []
    return [ps._policy_env(p.code, region, epoch)]
