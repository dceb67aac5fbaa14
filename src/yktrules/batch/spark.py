"""Batch screening on Spark: the same compiled decisions as DuckDB, on a cluster.

:func:`screen_spark` reads JSON Lines as text, numbers the lines, validates each row and
resolves its policies on the executors (``mapPartitions``; the :class:`PolicySet` travels
pickled, it reloads from its sources once per executor process), then decides every row
of a policy with one Spark SQL query, :func:`~yktrules.sql.compile_decisions` in the
:class:`~yktrules.sql.dialects.spark.SparkDialect` with the parameters and version read from
columns.  The output has one row per input line, in line order, as
:func:`yktrules.batch.rows.screen_rows` gives them: ``{"line", "application", "decisions"}``
or ``{"line", "application", "error"}``.

Each policy's query runs as its own job (a few at a time); one that fails turns the rows
it should have decided into ``internal`` error rows, never losing them.  See
``docs/spark.md``.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ArgumentError, FactsError, NoPolicyError
from ..facts.privacy import mask_document, mask_text
from ..ir.values import Unknown
from ..sql import decisions
from ..sql.compiler import sql_type
from ..sql.decisions import compile_decisions
from ..sql.dialects.spark import SPARK
from ..sql.schema import facts_columns
from .io import application_text
from .rows import error_row, internal_message, line_text, peek_id
from .spark_mask import mask_messages
from .spark_session import yktrules_session

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from ..screening.policyset import PolicySet

__all__ = ["screen_spark"]

_TEXT = "STRING"
_ERROR_T = "STRUCT<type: STRING, errors: ARRAY<STRUCT<path: STRING, message: STRING>>>"
_PREPARED = (
    "line BIGINT, application STRING, app_json STRING, etype STRING, error STRING, "
    "as_of DATE, facts STRING, tasks ARRAY<STRUCT<code: STRING, params: STRING, version: STRING>>"
)
_CORRUPT = "__corrupt"
_UNREADABLE = "事实文档无法由 Spark 读取 / Spark could not read the facts"
# keys the SQL decision always has and the Python document leaves out when empty
_SQL_ONLY_KEYS = r',"(?:errors|amount_errors)":\[\]|,"amount_missing":null'


def decision_type() -> str:
    """The Spark type of a decision document (the ``decision`` column)."""
    return decisions.decision_type(SPARK)


# ------------------------------------------------------------------ on the executors
_POLICY_SETS: dict[str, PolicySet] = {}


def _policy_set(key: str, blob: Any) -> PolicySet:
    """The policy set of this run, unpickled once per executor process."""
    ps = _POLICY_SETS.get(key)
    if ps is None:
        ps = pickle.loads(blob.value)
        _POLICY_SETS.clear()
        _POLICY_SETS[key] = ps
    return ps


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=_plain)


def _plain(v: Any) -> Any:
    if isinstance(v, Unknown):
        return None
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, tuple | frozenset | set):
        return list(v)
    raise TypeError(f"{type(v).__name__} is not JSON")


def prepare_rows(
    ps: PolicySet,
    rows: Iterable[tuple[int, bytes | str]],
    item: str | None,
    all_items: bool,
    as_of: date | None,
    unmask: bool = False,
) -> Iterator[tuple[Any, ...]]:
    """One record per (line number, raw line), with the columns of ``_PREPARED``: the
    error row of a line that cannot be screened (decided exactly as
    :func:`yktrules.batch.rows.screen_rows` does, its messages masked unless `unmask`), else the
    canonical facts JSON and, per wanted item, the policy code, its parameter values as
    JSON and its version."""
    for n, raw in rows:
        try:
            t = _prepare_one(ps, n, raw, item, all_items, as_of)
        except Exception as e:  # a bug must not lose the row
            err = [{"path": "", "message": internal_message(e)}]
            t = _error(error_row(n, None, "internal", err))
        if t[3] is not None and not unmask:  # an error row
            t = (*t[:4], _json(mask_document(json.loads(t[4]))), *t[5:])
        yield t


def _error(row: dict[str, Any]) -> tuple[Any, ...]:
    app = row["application"]
    err = row["error"]
    return (row["line"], application_text(app), _json(app), err["type"], _json(err), None, None, [])


def _prepare_one(
    ps: PolicySet,
    n: int,
    raw: bytes | str,
    item: str | None,
    all_items: bool,
    as_of: date | None,
) -> tuple[Any, ...]:
    line = line_text(n, bytes(raw) if isinstance(raw, bytearray) else raw)
    if not isinstance(line, str):
        return _error(line)
    try:
        doc = ps.parse_facts(line)
    except FactsError as e:
        return _error(error_row(n, peek_id(line), "facts", e.errors))
    app_id = doc.application.id
    wanted = None if all_items else item or doc.application.item
    day = as_of or doc.application.date
    region = doc.application.region
    try:
        policies = [ps.resolve(wanted, region, day)] if wanted else ps.in_force(region, day)
        tasks = [
            (
                p.code,
                _json({name: ps._param(name, region, day) for name in p.params}),
                ps._version(p.code, region, day),
            )
            for p in policies
        ]
    except NoPolicyError as e:
        return _error(error_row(n, app_id, "no_policy", [{"path": "", "message": str(e)}]))
    except Exception as e:  # a bug must not lose the row, nor stop the batch
        err = [{"path": "", "message": internal_message(e)}]
        return _error(error_row(n, app_id, "internal", err))
    facts = doc.model_dump_json()
    return (n, application_text(app_id), _json(app_id), None, None, day, facts, tasks)


def _prepare_partition(ctx: tuple[Any, ...], rows: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
    key, blob, segments, item, all_items, as_of, unmask = ctx
    ps = _policy_set(key, blob)

    def numbered() -> Iterator[tuple[int, bytes]]:
        for raw, file, mid in rows:
            start, first = segments[(file, mid >> 33)]
            yield start + mid - first, raw

    yield from prepare_rows(ps, numbered(), item, all_items, as_of, unmask)


# ------------------------------------------------------------------ on the driver
def _segments(df: DataFrame) -> dict[tuple[str, int], tuple[int, int]]:
    """For each (file, partition) run of input lines, the number of its first line and its
    first row id: lines are numbered from 1 in the order (file path, position in file)."""
    from pyspark.sql import functions as F

    stats = (
        df.groupBy("file", F.shiftright("mid", 33).alias("pid"))
        .agg(F.min("mid").alias("first"), F.max("mid").alias("last"), F.count("*").alias("n"))
        .collect()
    )
    out: dict[tuple[str, int], tuple[int, int]] = {}
    line = 1
    for s in sorted(stats, key=lambda s: (s["file"], s["pid"])):
        if s["last"] - s["first"] + 1 != s["n"]:  # pragma: no cover - Spark reads splits whole
            raise RuntimeError("input split is not contiguous")
        out[(s["file"], s["pid"])] = (line, s["first"])
        line += s["n"]
    return out


def _param_ddl(ps: PolicySet, code: str) -> str | None:
    names = ps.policies[code].params
    if not names:
        return None
    fields = []
    for name in names:
        decl = ps.params.get(name)
        if decl is None:  # pragma: no cover - the checker rejects undeclared parameters
            raise KeyError(f"parameter {name} is not declared")
        fields.append(f"{SPARK.ident(name)} {sql_type(decl.lang_type, SPARK)}")
    return ", ".join(fields)


def _first_line(e: BaseException) -> str:
    """An exception's message as one line (a Spark error carries the JVM's stack trace)."""
    text = str(e).strip().splitlines()
    return text[0][:500] if text else type(e).__name__


def _short(e: BaseException) -> str:
    return f"内部错误 / internal error: {type(e).__name__}: {_first_line(e)}"


class _Run:
    """One screening job's DataFrames and temporary views."""

    def __init__(
        self,
        spark: SparkSession,
        ps: PolicySet,
        base: DataFrame,
        codes: list[str],
        parquet: bool,
        unmask: bool,
    ):
        self.spark, self.ps, self.base, self.parquet = spark, ps, base, parquet
        self.unmask = unmask
        prefix = "__yk_" + uuid.uuid4().hex[:12]
        self.views = {code: f"{prefix}_{i}" for i, code in enumerate(codes)}

    def decide(self, code: str) -> DataFrame | str:
        """The decisions of policy `code` (line, item, outcome, the decision as JSON or a
        STRUCT), computed and kept; or why they could not be."""
        from pyspark.sql import functions as F

        try:
            task = F.try_element_at(F.filter("tasks", lambda t: t["code"] == F.lit(code)), F.lit(1))
            rows = self.base.where(F.exists("tasks", lambda t: t["code"] == F.lit(code)))
            parts = list(facts_columns(self.ps.schema, SPARK))
            cols: list[Column | str] = [
                *parts,
                F.col("line").alias("__row"),
                F.col("as_of").alias("__as_of"),
                task["version"].alias("__version"),
            ]
            ddl = _param_ddl(self.ps, code)
            if ddl is not None:
                cols.append(F.from_json(task["params"], ddl).alias("__params"))
            view = self.views[code]
            rows.select(*cols).createOrReplaceTempView(view)
            sql = compile_decisions(self.ps.policies[code], None, None, SPARK)
            dec = self.spark.sql(f"WITH facts AS (SELECT * FROM `{view}`) {sql}")
            decision = F.col("decision")
            if not self.unmask:
                decision = mask_messages(decision, dec.schema["decision"].dataType)
            if self.parquet:
                doc = decision.cast(decision_type())
            else:
                text = F.to_json(decision, {"ignoreNullFields": "false"})
                doc = F.regexp_replace(text, _SQL_ONLY_KEYS, "")
            out = dec.select(
                F.col("__row").alias("line"),
                F.col("decision.item").alias("item"),
                F.col("decision.outcome").alias("outcome"),
                doc.alias("doc"),
            ).localCheckpoint(eager=True)
        except Exception as e:
            return _short(e)
        return out

    def close(self) -> None:
        for v in self.views.values():
            self.spark.catalog.dropTempView(v)


def screen_spark(
    policy_set: PolicySet,
    input_path: str,
    out_path: str,
    *,
    item: str | None = None,
    all_items: bool = False,
    as_of: date | None = None,
    master: str | None = None,
    spark: SparkSession | None = None,
    format: Literal["jsonl", "parquet"] | None = None,
    single_file: bool | None = None,
    parallel: int = 2,
    unmask: bool = False,
    conf: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Screen the JSON Lines at `input_path` (a file, a directory or a glob, on any file
    system Spark reads) and write one result per input line to `out_path`, in line order.

    Items as :func:`yktrules.batch.rows.screen_rows`: `item` if given, else each row's
    ``application.item``, else every item in force (`all_items` forces that).  `format`:
    ``jsonl`` (the rows of ``screen_rows`` as compact JSON) or ``parquet`` (columns
    ``line``, ``application``, ``decisions``, ``error``); by default Parquet when
    `out_path` ends in ``.parquet``.  `single_file` (default: when Spark runs locally)
    writes one file at `out_path`; otherwise `out_path` is a directory of part files,
    ``part-00000…`` in line order.  `spark` is the session to use, else the active one,
    else a new one on `master` with the Spark settings `conf` (stopped at the end); on a
    cluster, yktrules ships itself to the executors.  `parallel` policies are planned and
    decided at a time.  ID and card numbers in messages are masked (as
    :func:`yktrules.facts.privacy.mask_row` does) unless `unmask`.

    Returns the counts of :meth:`yktrules.batch.Summary.to_dict` (``rows``, ``screened``,
    ``errors`` by type, ``decisions``, ``outcomes``, ``seconds``) and ``items`` (item ->
    outcome -> count), ``failed`` (policy code -> why its query failed; its rows are
    ``internal`` error rows) and ``policies`` (how many policies were run).  A missing
    input or an unwritable output raises :class:`~yktrules.errors.ArgumentError`."""
    from pyspark.sql.functions import explode

    started = time.monotonic()
    fmt = format or ("parquet" if str(out_path).rstrip("/").endswith(".parquet") else "jsonl")
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"format must be 'jsonl' or 'parquet', not {fmt!r}")
    run: _Run | None = None
    with yktrules_session(spark, master, conf) as session:
        try:
            base = _prepared(session, policy_set, str(input_path), item, all_items, as_of, unmask)
            codes = sorted(r[0] for r in base.select(explode("tasks.code")).distinct().collect())
            run = _Run(session, policy_set, base, codes, fmt == "parquet", unmask)
            with ThreadPoolExecutor(max(1, parallel)) as pool:
                results = dict(zip(codes, pool.map(run.decide, codes), strict=True))
            failed = {
                c: r if unmask else mask_text(r) for c, r in results.items() if isinstance(r, str)
            }
            outs = [r for r in results.values() if not isinstance(r, str)]
            final = _assemble(session, base, outs, failed, fmt).localCheckpoint(eager=True)
            summary = _summary(final)
            if single_file is None:
                single_file = (session.sparkContext.master or "").startswith("local")
            _write(session, final, str(out_path), fmt, single_file)
            seconds = round(time.monotonic() - started, 3)
            return {**summary, "seconds": seconds, "failed": failed, "policies": len(codes)}
        finally:
            if run is not None:
                run.close()


def _prepared(
    spark: SparkSession,
    ps: PolicySet,
    input_path: str,
    item: str | None,
    all_items: bool,
    as_of: date | None,
    unmask: bool,
) -> DataFrame:
    """One row per input line, kept: the Python side's verdict (``_PREPARED``) with the
    facts parsed into the columns the compiled SQL reads."""
    from pyspark import cloudpickle
    from pyspark.sql import functions as F

    try:
        text = spark.read.option("lineSep", "\n").text(input_path)
    except Exception as e:  # no such file, no access…
        raise ArgumentError(f"无法读取输入 / cannot read {input_path}: {_first_line(e)}") from None
    df = text.select(
        F.col("value").cast("binary").alias("raw"),
        F.col("_metadata.file_path").alias("file"),
        F.monotonically_increasing_id().alias("mid"),
    )
    segments = _segments(df)
    sc = spark.sparkContext
    blob = cloudpickle.dumps(ps)
    key = hashlib.sha256(blob).hexdigest()
    ctx = (key, sc.broadcast(blob), segments, item, all_items, as_of, unmask)
    if df.rdd.getNumPartitions() < sc.defaultParallelism:
        df = df.repartition(sc.defaultParallelism)
    rdd = df.rdd.mapPartitions(lambda rows: _prepare_partition(ctx, rows))
    prepared = spark.createDataFrame(rdd, _PREPARED, verifySchema=False)
    cols = facts_columns(ps.schema, SPARK)
    ddl = ", ".join(f"{SPARK.ident(k)} {t}" for k, t in cols.items()) + f", {_CORRUPT} STRING"
    parsed = F.from_json("facts", ddl, {"columnNameOfCorruptRecord": _CORRUPT})
    prepared = prepared.withColumn("__f", parsed)
    corrupt = F.col("facts").isNotNull() & (
        F.col("__f").isNull() | F.col(f"__f.{_CORRUPT}").isNotNull()
    )
    unreadable = _json({"type": "internal", "errors": [{"path": "", "message": _UNREADABLE}]})
    base = prepared.select(
        "line",
        F.col("application").alias("app"),
        "app_json",
        F.when(corrupt, F.lit("internal")).otherwise(F.col("etype")).alias("etype"),
        F.when(corrupt, F.lit(unreadable)).otherwise(F.col("error")).alias("error"),
        "as_of",
        F.when(corrupt, F.filter("tasks", lambda t: F.lit(False)))
        .otherwise(F.col("tasks"))
        .alias("tasks"),
        *(F.col(f"__f.{k}").alias(k) for k in cols),
    )
    return base.localCheckpoint(eager=True)


def _assemble(
    spark: SparkSession,
    base: DataFrame,
    outs: list[DataFrame],
    failed: dict[str, str],
    fmt: str,
) -> DataFrame:
    """One row per line: ``line``, ``etype`` (the error type or NULL), ``pairs`` (item and
    outcome of each decision) and the output: ``text`` (JSON Lines) or ``application``,
    ``decisions``, ``error`` (Parquet)."""
    from functools import reduce

    from pyspark.sql import functions as F

    if outs:
        decs = reduce(lambda a, b: a.unionByName(b), outs)
    else:
        doc_t = decision_type() if fmt == "parquet" else _TEXT
        decs = spark.createDataFrame([], f"line BIGINT, item STRING, outcome STRING, doc {doc_t}")
    grouped = decs.groupBy("line").agg(
        F.sort_array(F.collect_list(F.struct("item", "outcome", "doc"))).alias("ds")
    )
    if failed:
        bad = F.filter("tasks", lambda t: t["code"].isin(sorted(failed)))
        why = F.create_map(*(F.lit(x) for c, m in sorted(failed.items()) for x in (c, m)))
        fmsg = F.try_element_at(why, F.try_element_at(bad, F.lit(1))["code"])
    else:
        fmsg = F.lit(None).cast(_TEXT)
    heads = base.select("line", "app", "app_json", "etype", "error", fmsg.alias("fmsg"))
    j = heads.join(grouped, "line", "left")
    internal = F.to_json(
        F.struct(
            F.lit("internal").alias("type"),
            F.array(F.struct(F.lit("").alias("path"), F.col("fmsg").alias("message"))).alias(
                "errors"
            ),
        )
    )
    etype = F.coalesce(F.col("etype"), F.when(F.col("fmsg").isNotNull(), F.lit("internal")))
    error = F.coalesce(F.col("error"), F.when(F.col("fmsg").isNotNull(), internal))
    ds = F.when(etype.isNull(), F.coalesce(F.col("ds"), F.filter("ds", lambda d: F.lit(False))))
    j = j.select(
        "line", "app", "app_json", etype.alias("etype"), error.alias("error"), ds.alias("ds")
    )
    pairs = F.transform(
        "ds", lambda d: F.struct(d["item"].alias("item"), d["outcome"].alias("outcome"))
    )
    head = [F.col("line"), F.col("etype"), pairs.alias("pairs")]
    if fmt == "parquet":
        return j.select(
            *head,
            F.col("app").alias("application"),
            F.transform("ds", lambda d: d["doc"]).alias("decisions"),
            F.from_json("error", _ERROR_T).alias("error"),
        )
    start = F.concat(F.lit('{"line":'), F.col("line").cast(_TEXT), F.lit(',"application":'))
    ok = F.concat(
        start,
        F.col("app_json"),
        F.lit(',"decisions":['),
        F.array_join(F.transform("ds", lambda d: d["doc"]), ","),
        F.lit("]}"),
    )
    bad_row = F.concat(start, F.col("app_json"), F.lit(',"error":'), F.col("error"), F.lit("}"))
    return j.select(*head, F.when(F.col("error").isNotNull(), bad_row).otherwise(ok).alias("text"))


def _summary(final: DataFrame) -> dict[str, Any]:
    """The keys of :meth:`yktrules.batch.Summary.to_dict` (but ``seconds``), and ``items``:
    the decisions by item and outcome."""
    from pyspark.sql import functions as F

    rows = final.count()
    errors = {
        r["etype"]: r["count"]
        for r in final.where(F.col("etype").isNotNull()).groupBy("etype").count().collect()
    }
    items: dict[str, dict[str, int]] = {}
    pairs = final.select(F.explode("pairs").alias("p")).groupBy("p.item", "p.outcome").count()
    for r in pairs.collect():
        counts = items.setdefault(r["item"], dict.fromkeys(("eligible", "ineligible", "review"), 0))
        counts[r["outcome"]] = r["count"]
    outcomes = {o: sum(c[o] for c in items.values()) for o in ("eligible", "ineligible", "review")}
    return {
        "rows": rows,
        "screened": rows - sum(errors.values()),
        "errors": dict(sorted(errors.items())),
        "decisions": sum(outcomes.values()),
        "outcomes": {o: n for o, n in outcomes.items() if n},
        "items": dict(sorted(items.items())),
    }


def _write(spark: SparkSession, final: DataFrame, out: str, fmt: str, single_file: bool) -> None:
    """Write the rows in line order: one file at `out`, or a directory of part files."""
    cols = ["text"] if fmt == "jsonl" else ["line", "application", "error", "decisions"]
    if single_file:
        ordered = final.repartition(1).sortWithinPartitions("line").select(*cols)
    else:
        ordered = final.orderBy("line").select(*cols)
    target = f"{out}.yktrules-{uuid.uuid4().hex[:8]}.tmp" if single_file else out
    writer = ordered.write.mode("overwrite")
    try:
        if fmt == "jsonl":
            writer.text(target)
        else:
            writer.parquet(target)
        if single_file:
            _move_single(spark, target, out)
    except Exception as e:
        raise ArgumentError(f"无法写入 / cannot write {out}: {_first_line(e)}") from None


def _move_single(spark: SparkSession, tmp: str, out: str) -> None:
    """Move the one part file Spark wrote under `tmp` to `out` (any Hadoop file system)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    conf = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[union-attr]
    src_dir = jvm.org.apache.hadoop.fs.Path(tmp)
    dst = jvm.org.apache.hadoop.fs.Path(out)
    fs = src_dir.getFileSystem(conf)
    parts = [
        s.getPath() for s in fs.listStatus(src_dir) if s.getPath().getName().startswith("part-")
    ]
    if fs.exists(dst):
        fs.delete(dst, True)
    fs.mkdirs(dst.getParent())
    if parts:
        fs.rename(parts[0], dst)
    else:  # no row: an empty file
        fs.create(dst).close()
    fs.delete(src_dir, True)
