"""Where SQL engines differ: list functions, lambdas, literals, types and quoting.

The compiler (:mod:`yktrules.sql.compiler`) writes every engine-specific construct through a
:class:`Dialect`; :data:`DUCKDB` is the default, and the Spark dialect
(:mod:`yktrules.sql.dialects.spark`) overrides the methods whose spelling differs.  Everything else
(``CASE``, ``coalesce``, ``AND``/``OR``/``NOT``, ``IN (...)``, ``||``, ``substr``,
``year``/``month``/``day``, ``regexp_replace``) is written directly, in the SQL both engines
accept.
"""

from __future__ import annotations

DEC = "DECIMAL(38,10)"
SCALE = "10000000000"  # 10**10, the scale of DEC


class Dialect:
    """DuckDB's SQL (the default engine)."""

    name = "duckdb"
    string = "VARCHAR"

    # ---------------------------------------------------------------- names and types
    def ident(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def field(self, obj: str, name: str) -> str:
        """A STRUCT's field."""
        return f"({obj}).{self.ident(name)}"

    def list_type(self, elem: str) -> str:
        return f"{elem}[]"

    def struct_type(self, fields: list[tuple[str, str]]) -> str:
        return "STRUCT(" + ", ".join(f"{self.ident(n)} {t}" for n, t in fields) + ")"

    # ---------------------------------------------------------------- literals
    def string_lit(self, s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    def list_lit(self, items: list[str]) -> str:
        return "[" + ", ".join(items) + "]"

    def empty_list(self, elem: str) -> str:
        return f"CAST([] AS {self.list_type(elem)})"

    def struct(self, fields: list[tuple[str, str]]) -> str:
        """A STRUCT value with these fields (name, SQL expression), in order."""
        return "struct_pack(" + ", ".join(f"{self.ident(n)} := {e}" for n, e in fields) + ")"

    # ---------------------------------------------------------------- lists
    def transform(self, lst: str, var: str, body: str) -> str:
        return f"list_transform({lst}, lambda {var}: {body})"

    def filter(self, lst: str, var: str, body: str) -> str:
        return f"list_filter({lst}, lambda {var}: {body})"

    def length(self, lst: str) -> str:
        return f"len({lst})"

    def contains(self, lst: str, x: str) -> str:
        return f"list_contains({lst}, {x})"

    def collect_list(self, expr: str) -> str:
        """An aggregate: the group's values of `expr` as a list."""
        return f"list({expr})"

    def ordered_list(self, expr: str, order: str) -> str:
        """An aggregate: the group's values of `expr` as a list, ordered by `order`."""
        return f"list({expr} ORDER BY {order})"

    def list_distinct(self, lst: str) -> str:
        """A list without repeated values (its elements are known: no NULLs)."""
        return f"list_distinct({lst})"

    def list_max(self, lst: str) -> str:
        return f"list_max({lst})"

    def list_min(self, lst: str) -> str:
        return f"list_min({lst})"

    def list_sum(self, lst: str) -> str:
        """The exact sum of a non-NULL list of DECIMALs without NULL elements (0 if empty)."""
        return f"CAST(coalesce(list_sum({lst}), 0) AS {DEC})"

    def some_true(self, bools: str) -> str:
        """TRUE when some element of a non-NULL list of non-NULL booleans is TRUE."""
        return f"coalesce(list_bool_or({bools}), FALSE)"

    def flatten(self, lists: str) -> str:
        return f"flatten({lists})"

    def concat_lists(self, lists: list[str], elem: str) -> str:
        """The concatenation of non-NULL lists of `elem`."""
        if not lists:
            return self.empty_list(elem)
        if len(lists) == 1:
            return lists[0]
        return self.flatten(self.list_lit(lists))

    def distinct_sorted(self, lst: str) -> str:
        return f"list_sort(list_distinct({lst}))"

    # ---------------------------------------------------------------- scalars
    def starts_with(self, s: str, prefix: str) -> str:
        return f"starts_with({s}, {prefix})"

    def days_between(self, d1: str, d2: str) -> str:
        """Whole days from d1 to d2 (an integer)."""
        return f"(({d2}) - ({d1}))"

    def idiv(self, a: str, b: str) -> str:
        """Integer division of integers (floor; used on non-negative values)."""
        return f"(({a}) // ({b}))"

    def to_text(self, x: str) -> str:
        return f"CAST({x} AS VARCHAR)"

    def rtrim(self, s: str, chars: str) -> str:
        """`s` without the trailing characters of `chars` (a string literal)."""
        return f"rtrim({s}, {chars})"

    # ---------------------------------------------------------------- JSON text
    def json_string(self, s: str) -> str:
        """The JSON text of a string, as yktrules writes JSON Lines (``batch.io.dumps``:
        Python's json with non-ASCII as it is and ``\\u001F`` escapes in upper case)."""
        return f"CAST(to_json({s}) AS VARCHAR)"

    def json_list(self, lst: str) -> str:
        """The JSON text of a list of strings or of STRUCTs of strings (compact)."""
        return f"CAST(to_json({lst}) AS VARCHAR)"

    def concat_ws(self, sep: str, parts: list[str]) -> str:
        """The non-NULL parts joined by `sep` ('' when none)."""
        if not parts:
            return "''"
        return f"concat_ws({self.string_lit(sep)}, {', '.join(parts)})"

    def divide(self, a: str, b: str) -> str:
        """Exact a / b (DECIMALs) rounded half away from zero to 10 decimals; NULL when b
        is 0.  DuckDB divides DECIMALs in DOUBLE, so this divides the scaled integers (of
        the absolute values: each scaled once for the quotient, once more for the
        divisor's half; the signs and the zero test read the DECIMALs)."""
        da, db = f"CAST({a} AS {DEC})", f"CAST({b} AS {DEC})"
        ia = f"CAST(abs({da}) * {SCALE} AS HUGEINT)"
        ib = f"CAST(abs({db}) * {SCALE} AS HUGEINT)"
        q = f"((2 * {ia} * {SCALE} + {ib}) // (2 * {ib}))"
        return (
            f"CASE WHEN {db} = 0 THEN NULL ELSE CAST(CAST(sign({da}) * sign({db}) * {q} "
            f"AS DECIMAL(38,0)) * CAST('0.0000000001' AS {DEC}) AS {DEC}) END"
        )


DUCKDB = Dialect()
