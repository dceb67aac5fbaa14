"""Spark SQL spellings of the compiled policies (:class:`SparkDialect`), and the session
settings the compiled SQL relies on.

The compiler (:mod:`.compiler`, :mod:`.missing`, :mod:`.decisions`) writes every
engine-specific construct through a :class:`~.dialect.Dialect`; this one spells them for
Spark SQL 3.5/4.x: backtick identifiers, ``x -> body`` lambdas, ``array(...)``,
``named_struct``, ``STRING``, ``ARRAY<...>`` and ``STRUCT<name: type>``.

Semantics are written out where Spark's defaults differ from DuckDB's or depend on the
session (``spark.sql.ansi.enabled``, ``spark.sql.legacy.sizeOfNull``):

- the length of an unknown (NULL) list is NULL (``array_size``, never ``size``'s -1);
- ``flatten`` skips NULL sub-lists, as DuckDB's does (Spark's would return NULL);
- ``exists`` is three-valued in Spark: :meth:`SparkDialect.some_true` maps NULL to FALSE;
- sums and quotients are exact ``DECIMAL(38,10)`` whatever
  ``spark.sql.decimalOperations.allowPrecisionLoss`` says, and a quotient out of range
  (beyond 10**17) is NULL instead of an ANSI overflow error.

The compiler's ``+``, ``-`` and ``*`` of two ``DECIMAL(38,10)`` are written directly as
``CAST((a) + (b) AS DECIMAL(38,10))``; with Spark's default
``allowPrecisionLoss=true`` a sum is typed ``DECIMAL(38,9)`` and loses its tenth decimal,
so a session that runs compiled policies sets :data:`SESSION_CONF` (``screen_spark`` does).
"""

from __future__ import annotations

from .duckdb import DEC, SCALE, Dialect

#: Session settings compiled policies need on Spark: exact DECIMAL sums and products of
#: the compiler's arithmetic, string literals with backslash escapes, and no code
#: generation: a compiled policy is mostly higher-order functions (``transform``,
#: ``filter``…), which Spark interprets anyway, and compiling the rest of its very large
#: expressions takes longer than evaluating them (and often fails Java's 64 KB method
#: limit, which Spark logs as an error before falling back).
SESSION_CONF: dict[str, str] = {
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.parser.escapedStringLiterals": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}

_EXACT = "DECIMAL(37,10)"  # DECIMAL(37,10) + DECIMAL(37,10) is an exact DECIMAL(38,10)
_UNIT = "CAST('0.0000000001' AS DECIMAL(10,10))"
_SCALE = f"CAST({SCALE} AS DECIMAL(11,0))"  # 10**10
_TWICE = f"CAST(2{SCALE[1:]} AS DECIMAL(11,0))"  # 2 * 10**10


class SparkDialect(Dialect):
    """Spark SQL (``spark.sql``), for :func:`yktrules.sql.compile_decisions`."""

    def rtrim(self, s: str, chars: str) -> str:
        return f"TRIM(TRAILING {chars} FROM {s})"

    name = "spark"
    string = "STRING"

    # ---------------------------------------------------------------- names and types
    def ident(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def list_type(self, elem: str) -> str:
        return f"ARRAY<{elem}>"

    def struct_type(self, fields: list[tuple[str, str]]) -> str:
        return "STRUCT<" + ", ".join(f"{self.ident(n)}: {t}" for n, t in fields) + ">"

    # ---------------------------------------------------------------- literals
    def string_lit(self, s: str) -> str:
        """A string literal; backslash escapes (``escapedStringLiterals=false``, the
        default), so a quote, a backslash and line breaks are escaped."""
        out = s.replace("\\", "\\\\").replace("'", "\\'")
        return "'" + out.replace("\n", "\\n").replace("\r", "\\r") + "'"

    def list_lit(self, items: list[str]) -> str:
        return "array(" + ", ".join(items) + ")"

    def empty_list(self, elem: str) -> str:
        return f"CAST(array() AS {self.list_type(elem)})"

    def struct(self, fields: list[tuple[str, str]]) -> str:
        return "named_struct(" + ", ".join(f"{self.string_lit(n)}, {e}" for n, e in fields) + ")"

    # ---------------------------------------------------------------- lists
    def transform(self, lst: str, var: str, body: str) -> str:
        return f"transform({lst}, {var} -> {body})"

    def filter(self, lst: str, var: str, body: str) -> str:
        return f"filter({lst}, {var} -> {body})"

    def length(self, lst: str) -> str:
        # size(NULL) is -1 unless ANSI mode is on; array_size(NULL) is always NULL
        return f"array_size({lst})"

    def contains(self, lst: str, x: str) -> str:
        return f"array_contains({lst}, {x})"

    def collect_list(self, expr: str) -> str:
        return f"collect_list({expr})"

    def ordered_list(self, expr: str, order: str) -> str:
        pairs = f"array_sort(collect_list(named_struct('o', {order}, 'v', {expr})))"
        return f"transform({pairs}, __ol -> __ol.v)"

    def list_distinct(self, lst: str) -> str:
        return f"array_distinct({lst})"

    def list_max(self, lst: str) -> str:
        return f"array_max({lst})"

    def list_min(self, lst: str) -> str:
        return f"array_min({lst})"

    def list_sum(self, lst: str) -> str:
        acc = f"CAST(CAST(__sa AS {_EXACT}) + CAST(__sx AS {_EXACT}) AS {DEC})"  # exact in any mode
        return f"aggregate({lst}, CAST(0 AS {DEC}), (__sa, __sx) -> {acc})"

    def some_true(self, bools: str) -> str:
        # Spark's exists is three-valued (NULL when no element is TRUE and one is NULL)
        return f"coalesce(exists({bools}, __b -> coalesce(__b, FALSE)), FALSE)"

    def flatten(self, lists: str) -> str:
        # DuckDB's flatten skips NULL sub-lists; Spark's returns NULL
        return f"flatten(filter({lists}, __fl -> __fl IS NOT NULL))"

    def distinct_sorted(self, lst: str) -> str:
        return f"array_sort(array_distinct({lst}))"

    # ---------------------------------------------------------------- scalars
    def starts_with(self, s: str, prefix: str) -> str:
        return f"startswith({s}, {prefix})"

    def days_between(self, d1: str, d2: str) -> str:
        return f"datediff({d2}, {d1})"

    def idiv(self, a: str, b: str) -> str:
        return f"(({a}) div ({b}))"

    def to_text(self, x: str) -> str:
        return f"CAST({x} AS STRING)"

    def divide(self, a: str, b: str) -> str:
        """Exact a / b rounded half away from zero to 10 decimals; NULL when b is 0.

        Spark types a DECIMAL quotient by the session's precision-loss setting (6 or 18
        decimals), so this divides the scaled integers X = |a| * 10**10 and
        Y = |b| * 10**10 twice, each time taking the floor of Spark's quotient and
        correcting it by the exact remainder: the integer part i = X div Y with remainder
        r, then the ten decimals f = (2 * r * 10**10 + Y) div 2Y (half up).  Values are
        bound once through lambda variables.  A quotient of 10**20 or more, or an operand
        of 10**17 or more, is NULL, never an ANSI overflow error."""
        scaled = f"CAST(try_multiply(CAST({{x}} AS {DEC}), {_SCALE}) AS DECIMAL(38,0))"
        two = "CAST(2 AS DECIMAL(1,0))"
        i0 = "CAST(floor(try_divide(__dn.x, __dn.y)) AS DECIMAL(38,0))"
        r0 = f"try_subtract(__dn.x, try_multiply({i0}, __dn.y))"
        # the integer part and its remainder, corrected
        i = (
            "(CASE WHEN __di.r0 < 0 THEN __di.i0 - 1 WHEN __di.r0 >= __dn.y THEN __di.i0 + 1 "
            "ELSE __di.i0 END)"
        )
        r = (
            "(CASE WHEN __di.r0 < 0 THEN __di.r0 + __dn.y "
            "WHEN __di.r0 >= __dn.y THEN __di.r0 - __dn.y ELSE __di.r0 END)"
        )
        n2 = f"try_add(try_multiply({r}, {_TWICE}), __dn.y)"
        d2 = f"try_multiply(__dn.y, {two})"
        f0 = "CAST(floor(try_divide(__df.n2, __df.d2)) AS DECIMAL(38,0))"
        r2 = f"try_subtract(__df.n2, try_multiply({f0}, __df.d2))"
        f = (
            "(CASE WHEN __dr.r2 < 0 THEN __dr.f0 - 1 WHEN __dr.r2 >= __df.d2 THEN __dr.f0 + 1 "
            "ELSE __dr.f0 END)"
        )
        # the sign goes on the integers: Spark's minus of a DECIMAL(38,10) keeps 34 digits
        si = "(CASE WHEN __dn.neg THEN -__df.i ELSE __df.i END)"
        sf = f"(CASE WHEN __dn.neg THEN -{f} ELSE {f} END)"
        q = f"try_add(try_cast({si} AS DECIMAL(27,0)), CAST({sf} AS DECIMAL(11,0)) * {_UNIT})"
        signed = f"CAST({q} AS {DEC})"
        body = _let(self.struct([("f0", f0), ("r2", r2)]), "__dr", signed)
        body = _let(self.struct([("i", i), ("n2", n2), ("d2", d2)]), "__df", body)
        body = _let(self.struct([("i0", i0), ("r0", r0)]), "__di", body)
        xy = [("x", "abs(__dv.a)"), ("y", "abs(__dv.b)"), ("neg", "(__dv.a < 0) <> (__dv.b < 0)")]
        body = _let(self.struct(xy), "__dn", body)
        body = (
            f"CASE WHEN __dv.a IS NULL OR __dv.b IS NULL OR __dv.b = 0 THEN CAST(NULL AS {DEC}) "
            f"ELSE {body} END"
        )
        ab = self.struct([("a", scaled.format(x=a)), ("b", scaled.format(x=b))])
        return _let(ab, "__dv", body)


def _let(value: str, var: str, body: str) -> str:
    """`body` with `var` bound to `value` (evaluated once)."""
    return f"element_at(transform(array({value}), {var} -> {body}), 1)"


SPARK = SparkDialect()
