"""A chunk of batch rows: prepared in Python, decided on DuckDB (:mod:`.runner`).

:class:`Preparer` (the worker thread) validates each row (``PolicySet.parse_facts``; a
:class:`~yktrules.errors.FactsError` is an error row) and resolves its wanted items to
policies for its region and day.  A policy with its parameter values and version is a
*group*, computed once per (wanted item, region, day) *key*.  The validated documents go,
as canonical JSON with ``__row``, ``__as_of`` and ``__key``, to a temporary file.

:class:`Engine` (the calling thread, one DuckDB connection per run) loads that file with
``read_json`` and the facts schema's column types, runs one query per group
(:func:`_group_query`) into a table of decisions, and hands back each row's decisions in
item-code order, as JSON text or as an Arrow list of STRUCTs.  A row DuckDB cannot load
and the rows of a group whose query fails become ``internal`` error rows.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from .. import ir
from ..errors import FactsError, NoPolicyError
from ..ir.values import Unknown
from ..sql.decisions import compile_decisions
from ..sql.schema import facts_columns
from . import io
from .rows import error_row, internal_message, line_text, peek_id
from .summary import Summary

if TYPE_CHECKING:
    import duckdb

    from ..screening.policyset import PolicySet

#: A chunk ends after `chunk_size` rows or once its rows are due this many decisions (all
#: items: some 50 a row), which DuckDB holds and sorts at once: about 1.5 GB.
MAX_DECISIONS = 1_000_000
# keys Decision.to_dict() leaves out when empty; DuckDB's JSON of the STRUCT has them
_OPTIONAL_JSON = (',"errors":[]', ',"amount_missing":null', ',"amount_errors":[]')


def _group_query(policy: ir.CheckedPolicy, params: Mapping[str, Any], version: str) -> str:
    """The SELECT giving ``__row`` and ``decision`` (the decision document as a STRUCT) for
    every row of ``facts``, all decided by `policy` with these parameter values."""
    return compile_decisions(policy, params, version)


# ---- preparing a chunk (worker thread) ---------------------------------------------------


@attrs.frozen
class Group:
    policy: ir.CheckedPolicy
    params: Mapping[str, Any]
    version: str
    key: tuple[Any, ...]


@attrs.define
class Chunk:
    lines: list[int] = attrs.field(factory=list)
    apps: list[Any] = attrs.field(factory=list)
    errors: dict[int, dict[str, Any]] = attrs.field(factory=dict)  # index -> error row
    path: str = ""  # the screened rows' documents, with __row, __as_of and __key
    screened: int = 0
    keys: int = 0
    pairs: list[tuple[int, int]] = attrs.field(factory=list)  # (key, group)
    sizes: list[int] = attrs.field(factory=list)  # per key: how many groups
    key_rows: list[int] = attrs.field(factory=list)  # per key: how many rows
    expected: list[int] = attrs.field(factory=list)  # per row: decisions due (-1: none)
    groups: list[Group] = attrs.field(factory=list)
    seconds: float = 0.0
    failure: str = ""  # why DuckDB failed on this chunk, if it did


class Preparer:
    """Validates rows and resolves their groups; writes each chunk's documents to a file."""

    def __init__(
        self,
        ps: PolicySet,
        item: str | None,
        all_items: bool,
        as_of: date | None,
        tmpdir: str,
    ):
        self.ps, self.item, self.all_items, self.as_of = ps, item, all_items, as_of
        self.tmpdir = tmpdir
        self.count = 0

    def chunk(self, rows: Iterable[tuple[int, Any]], stop: threading.Event) -> Chunk:
        """The rows up to the end of `rows`, prepared; fewer when `stop` is set or once they
        are due :data:`MAX_DECISIONS` decisions (the rest stay in `rows` for the next)."""
        t0 = time.perf_counter()
        c = Chunk(path=os.path.join(self.tmpdir, f"chunk-{self.count}.jsonl"))
        self.count += 1
        keys: dict[tuple[Any, ...], int | str] = {}  # (wanted, region, day) -> key or why not
        groups: dict[tuple[Any, ...], int] = {}
        due = 0
        with open(c.path, "w", encoding="utf-8") as f:
            for i, (n, raw) in enumerate(rows):
                if stop.is_set():
                    break
                c.lines.append(n)
                c.apps.append(None)
                c.expected.append(-1)
                try:
                    line = self._row(c, i, n, raw, keys, groups)
                except Exception as e:  # a bug must not lose the row, nor stop the batch
                    c.errors[i] = internal_row(n, c.apps[i], e)
                    continue
                if line is not None:
                    f.write(line)
                    c.screened += 1
                    due += c.expected[i]
                    if due >= MAX_DECISIONS:
                        break
        c.seconds = time.perf_counter() - t0
        return c

    def _row(
        self,
        c: Chunk,
        i: int,
        n: int,
        raw: Any,
        keys: dict[tuple[Any, ...], int | str],
        groups: dict[tuple[Any, ...], int],
    ) -> str | None:
        if isinstance(raw, str | bytes):
            text = line_text(n, raw)
            if not isinstance(text, str):
                c.errors[i] = text
                return None
            raw = text
        try:
            doc = self.ps.parse_facts(raw)
        except FactsError as e:
            c.apps[i] = peek_id(raw)
            c.errors[i] = error_row(n, c.apps[i], "facts", e.errors)
            return None
        app = doc.application
        c.apps[i] = app.id
        wanted = None if self.all_items else self.item or app.item
        day = self.as_of or app.date
        k = (wanted, app.region, day)
        key = keys.get(k)
        if key is None:
            key = keys[k] = self._key(c, k, groups)
        if isinstance(key, str):
            c.errors[i] = error_row(n, app.id, "no_policy", [{"path": "", "message": key}])
            return None
        body = doc.model_dump_json()
        c.expected[i] = c.sizes[key]
        c.key_rows[key] += 1
        return f'{body[:-1]},"__row":{i},"__as_of":"{day.isoformat()}","__key":{key}}}\n'

    def _key(self, c: Chunk, k: tuple[Any, ...], groups: dict[tuple[Any, ...], int]) -> int | str:
        """A new key: the groups that decide rows with this (wanted item, region, day), or
        why no policy is in force."""
        wanted, region, day = k
        ps = self.ps
        if wanted:
            try:
                policies = [ps.resolve(wanted, region, day)]
            except NoPolicyError as e:
                return str(e)
        else:
            policies = ps.in_force(region, day)
        pairs = []
        for p in policies:
            params = {n: ps._param(n, region, day) for n in p.params}
            params = {n: None if isinstance(v, Unknown) else v for n, v in params.items()}
            version = ps._version(p.code, region, day)
            gk = (p.code, version, tuple(repr(params[n]) for n in p.params))
            g = groups.get(gk)
            if g is None:
                g = groups[gk] = len(c.groups)
                c.groups.append(Group(p, params, version, gk))
            pairs.append(g)
        key = c.keys
        c.keys += 1
        c.pairs.extend((key, g) for g in pairs)
        c.sizes.append(len(pairs))
        c.key_rows.append(0)
        return key


def fail_chunk(c: Chunk, e: BaseException) -> None:
    """DuckDB failed on the chunk as a whole: its rows become internal error rows."""
    c.failure = f"{type(e).__name__}: {_first_line(e)}"
    for i, n in enumerate(c.lines):
        if i not in c.errors:
            c.errors[i] = internal_row(n, c.apps[i], e)


def internal_row(n: int, app: Any, e: BaseException) -> dict[str, Any]:
    return error_row(n, app, "internal", [{"path": "", "message": internal_message(e)}])


# ---- deciding a chunk (DuckDB, the calling thread) ---------------------------------------


class Engine:
    """The run's one DuckDB connection; loads and decides one prepared chunk at a time."""

    def __init__(self, ps: PolicySet, tmpdir: str):
        import duckdb

        self.error = duckdb.Error
        self.con: duckdb.DuckDBPyConnection = duckdb.connect(
            config={"threads": os.cpu_count() or 1, "temp_directory": tmpdir}
        )
        cols = {
            **facts_columns(ps.schema),
            "__row": "BIGINT",
            "__as_of": "DATE",
            "__key": "INTEGER",
        }
        self.columns = cols
        self.read = (
            "read_json(?, format = 'newline_delimited', columns = {"
            + ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in cols.items())
            + "})"
        )
        self.tmpdir = tmpdir
        self.sql: dict[tuple[Any, ...], str] = {}
        # cursors: connections to the same in-memory database, for the group queries
        self.cursors = [self.con.cursor() for _ in range(max(1, os.cpu_count() or 1))]

    def close(self) -> None:
        for cur in self.cursors:
            cur.close()
        self.con.close()

    def decide(self, c: Chunk, summary: Summary, json_text: bool) -> None:
        """Load the chunk's documents, run every group's query into ``__dec`` (decisions as
        JSON text, or as STRUCTs) and count the decisions.  Rows that cannot be loaded or
        whose group fails become error rows."""
        con = self.con
        try:
            con.execute(f"CREATE OR REPLACE TABLE __facts AS SELECT * FROM {self.read}", [c.path])
        except self.error as e:
            self._load_by_halves(c, e)
        keys = pa.table(
            {
                "__key": pa.array([k for k, _ in c.pairs], pa.int32()),
                "__group": pa.array([g for _, g in c.pairs], pa.int32()),
            }
        )
        con.register("__kg_in", keys)
        con.execute("CREATE OR REPLACE TABLE __kg AS SELECT * FROM __kg_in")
        con.unregister("__kg_in")
        payload = "VARCHAR" if json_text else io.DECISION_SQL
        con.execute(
            "CREATE OR REPLACE TABLE __dec "
            f"(__row BIGINT, item VARCHAR, outcome VARCHAR, decision {payload})"
        )
        failed = self._run_groups(c, json_text)
        if failed:
            self._fail_groups(c, failed)
        for item, outcome, n in con.execute(
            "SELECT item, outcome, count(*) FROM __dec GROUP BY ALL"
        ).fetchall():
            summary.decisions[(item, outcome)] += n

    def _run_groups(self, c: Chunk, json_text: bool) -> dict[int, str]:
        """Every group's query, inserting into ``__dec``.  A table this small is scanned by
        one thread, so the groups run side by side on a cursor per core, largest first;
        each cursor (a connection of its own) has its own temporary table ``facts``.
        Returns why each failed group failed."""
        rows = [0] * len(c.groups)
        for k, g in c.pairs:
            rows[g] += c.key_rows[k]
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for g in sorted(range(len(c.groups)), key=lambda g: -rows[g]):
            todo.put(g)
        failed: dict[int, str] = {}
        payload = f"CAST(decision AS {io.DECISION_SQL})"
        if json_text:  # made here, where the groups run in parallel
            payload = f"to_json({payload})"
            for key in _OPTIONAL_JSON:
                payload = f"replace({payload}, {_quote(key)}, '')"

        def work(cursor: duckdb.DuckDBPyConnection) -> None:
            while True:
                try:
                    g = todo.get_nowait()
                except queue.Empty:
                    return
                group = c.groups[g]
                rel = (
                    "SELECT * FROM __facts WHERE __key IN "
                    f"(SELECT __key FROM __kg WHERE __group = {g})"
                )
                try:
                    sql = self._sql(group)
                    insert = (
                        "INSERT INTO __dec SELECT __row, decision.item, decision.outcome, "
                        f"{payload} FROM "
                    )
                    if rows[g] * 3 < c.screened:
                        # a small part of the chunk: its rows copied to a table of their
                        # own (a temporary one, the cursor's) make many policies 2-3 times
                        # faster; copying most of the chunk costs more than it saves
                        cursor.execute(f"CREATE OR REPLACE TEMP TABLE facts AS {rel}")
                        cursor.execute(f"{insert}({sql})")
                    else:
                        cursor.execute(f"{insert}(WITH facts AS ({rel}) {sql})")
                except Exception as e:  # one failing group must not stop the others
                    failed[g] = f"{group.policy.code}: {type(e).__name__}: {_first_line(e)}"

        helpers = [threading.Thread(target=work, args=(cur,)) for cur in self.cursors[1:]]
        for t in helpers:
            t.start()
        work(self.cursors[0])
        for t in helpers:
            t.join()
        return failed

    def results(self, batch_size: int) -> Iterator[pa.RecordBatch]:
        """``__row`` and ``decision`` of every decision, by row and then item code: a sort,
        which DuckDB does far faster than an ordered ``list()`` aggregate per row."""
        rel = self.con.sql("SELECT __row, decision FROM __dec ORDER BY __row, item")
        fetch = getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader
        reader = fetch(batch_size)
        try:
            yield from reader
        finally:
            reader.close()

    def _sql(self, group: Group) -> str:
        sql = self.sql.get(group.key)
        if sql is None:
            if len(self.sql) > 4096:
                self.sql.clear()
            sql = self.sql[group.key] = _group_query(group.policy, group.params, group.version)
        return sql

    def _load_by_halves(self, c: Chunk, failed: Exception) -> None:
        """Load what can be loaded; a row DuckDB cannot take (a number beyond DECIMAL(38,10)…)
        becomes an error row, found by loading halves of halves."""
        ddl = ", ".join(f"{_ident(k)} {v}" for k, v in self.columns.items())
        self.con.execute(f"CREATE OR REPLACE TABLE __facts ({ddl})")
        with open(c.path, encoding="utf-8") as f:
            lines = f.readlines()
        part = os.path.join(self.tmpdir, "part.jsonl")

        def load(lines: list[str], e: Exception | None = None) -> None:
            if e is None:  # not known to fail yet
                with open(part, "w", encoding="utf-8") as f:
                    f.writelines(lines)
                try:
                    self.con.execute(f"INSERT INTO __facts SELECT * FROM {self.read}", [part])
                    return
                except self.error as failure:
                    e = failure
            if len(lines) > 1:
                half = len(lines) // 2
                load(lines[:half])
                load(lines[half:])
            elif lines:
                i = int(lines[0][lines[0].rindex('"__row":') + 8 :].split(",", 1)[0])
                msg = "DuckDB 引擎不能载入这一行 / the duckdb engine cannot load this row: "
                c.errors[i] = error_row(
                    c.lines[i], c.apps[i], "internal", [{"path": "", "message": msg + _cause(e)}]
                )

        load(lines, failed)

    def _fail_groups(self, c: Chunk, failed: dict[int, str]) -> None:
        """The rows of failed groups become internal error rows (their other decisions are
        dropped: a row is screened whole or not at all)."""
        con = self.con
        ids = ", ".join(str(g) for g in failed)
        rows = (
            "SELECT f.__row, k.__group FROM __facts f JOIN __kg k USING (__key) "
            f"WHERE k.__group IN ({ids})"
        )
        for i, g in con.execute(rows).fetchall():
            if i not in c.errors:
                msg = "内部错误 / internal error: 政策的查询失败 / the query of policy " + failed[g]
                c.errors[i] = error_row(
                    c.lines[i], c.apps[i], "internal", [{"path": "", "message": msg}]
                )
        con.execute(f"DELETE FROM __dec WHERE __row IN (SELECT __row FROM ({rows}))")


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _first_line(e: BaseException) -> str:
    return str(e).strip().split("\n", 1)[0]


def _cause(e: BaseException) -> str:
    """DuckDB's reason for refusing a line, without the temporary file's name."""
    text = _first_line(e)
    marker = text.find(", in line ")
    if marker >= 0 and ": " in text[marker:]:
        return text[marker:].split(": ", 1)[1]
    return text
