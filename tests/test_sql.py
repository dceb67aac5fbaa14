"""DuckDB batch screening (yktrules.sql) against the Python evaluators."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

duckdb = pytest.importorskip("duckdb")

import yktrules  # noqa: E402
from yktrules.batch import screen_duckdb  # noqa: E402
from yktrules.ir.functions import months_between, years_between  # noqa: E402
from yktrules.sql import compile_policy  # noqa: E402
from yktrules.sql.compiler import months_between as sql_months  # noqa: E402
from yktrules.sql.compiler import years_between as sql_years  # noqa: E402
from yktrules.sql.dialects.duckdb import DEC, DUCKDB  # noqa: E402
from yktrules.sql.schema import facts_columns  # noqa: E402
from yktrules.synth import applications as synth  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ps() -> yktrules.PolicySet:
    return yktrules.load(ROOT / "policies")


def _provincial(ps: yktrules.PolicySet) -> list[str]:
    return [c for c in ps.items if ps.policies[c].region.endswith("0000")]


def _expected(ps: yktrules.PolicySet, row: dict[str, Any], item: str) -> tuple[Any, ...]:
    try:
        d = ps.screen(row, item)
    except yktrules.errors.NoPolicyError:
        return ("error",)
    return (
        d.policy,
        d.outcome.value,
        sorted(r.rule for r in d.reasons),
        sorted(u.rule for u in d.unknown),
        d.amount,
    )


def _got(r: dict[str, Any]) -> tuple[Any, ...]:
    if r["error"]:
        return ("error",)
    return (r["policy"], r["outcome"], sorted(r["reasons"]), sorted(r["unknown"]), r["amount"])


def _differential(ps: yktrules.PolicySet, rows: list[dict[str, Any]], item: str) -> None:
    got = screen_duckdb(ps, rows, item)
    assert len(got) == len(rows)
    for i, (row, r) in enumerate(zip(rows, got, strict=True)):
        assert r["row"] == i
        assert _got(r) == _expected(ps, row, item), (item, row["application"]["id"])


def test_the_library_has_enough_provincial_items(ps: yktrules.PolicySet) -> None:
    assert "SC-MZ-001" in _provincial(ps)
    assert len(_provincial(ps)) >= 11


POP = list(synth.population(500, seed=5))
POP_UNKNOWN = list(synth.population(150, seed=11, p_unknown=0.3))


@pytest.mark.parametrize(
    "item",
    # every provincial item of the library; none is skipped (all constructs they use compile)
    [
        "SC-MZ-001",
        "SC-MZ-002",
        "SC-MZ-003",
        "SC-MZ-005",
        "SC-MZ-010",
        "SC-MZ-020",
        "SC-MZ-021",
        "SC-CL-001",
        "SC-CL-002",
        "SC-CL-003",
        "SC-CL-004",
        "SC-JY-001",
        "SC-JY-002",
        "SC-JY-003",
        "SC-LY-001",
        "SC-LY-002",
        "SC-LY-003",
        "SC-NY-001",
        "SC-NY-002",
        "SC-NY-003",
        "SC-SL-001",
        "SC-TY-001",
        "SC-TY-002",
        "SC-WJ-001",
        "SC-WJ-002",
        "SC-YJ-001",
        "SC-ZJ-001",
    ],
)
def test_duckdb_decides_as_the_python_path(ps: yktrules.PolicySet, item: str) -> None:
    assert item in _provincial(ps)
    _differential(ps, POP, item)
    _differential(ps, POP_UNKNOWN, item)


def test_the_population_exercises_every_outcome(ps: yktrules.PolicySet) -> None:
    outcomes = {r["outcome"] for r in screen_duckdb(ps, POP, "SC-MZ-001")}
    assert outcomes == {"eligible", "ineligible", "review"}
    amounts = [r["amount"] for r in screen_duckdb(ps, POP, "SC-MZ-001") if r["amount"]]
    assert amounts and all(isinstance(a, Decimal) for a in amounts)


def test_every_policy_compiles_and_binds(ps: yktrules.PolicySet) -> None:
    con = duckdb.connect()
    cols = ", ".join(f'CAST(NULL AS {t}) AS "{k}"' for k, t in facts_columns(ps.schema).items())
    facts = f"WITH facts AS (SELECT {cols}, 0::BIGINT AS __row, DATE '2024-01-01' AS __as_of) "
    for p in ps.policies.values():
        rows = con.execute(facts + compile_policy(p, dict.fromkeys(p.params))).fetchall()
        assert len(rows) == 1 and rows[0][1] is not None, p.code  # binds and runs


def test_rows_in_equal_rows_out_with_error_rows(ps: yktrules.PolicySet, tmp_path: Path) -> None:
    good = POP[:3]
    bad = {"application": {"id": "X"}}
    outside = dict(POP[0], application=dict(POP[0]["application"], region="110101"))
    rows = [good[0], bad, good[1], outside, good[2]]
    got = screen_duckdb(ps, rows, "SC-MZ-001")
    assert [r["row"] for r in got] == [0, 1, 2, 3, 4]
    assert got[1]["error"] and got[1]["outcome"] is None
    assert got[3]["error"] and "SC-MZ-001" in got[3]["error"]
    for i in (0, 2, 4):
        assert _got(got[i]) == _expected(ps, rows[i], "SC-MZ-001")
        assert got[i]["version"] == ps.screen(rows[i], "SC-MZ-001").version
    # the same from a JSON Lines file
    import json

    path = tmp_path / "apps.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    assert [_got(r) for r in screen_duckdb(ps, path, "SC-MZ-001")] == [_got(r) for r in got]


def _dates() -> list[date]:
    base = [date(2000, 2, 29), date(2001, 2, 28), date(2001, 3, 1), date(2004, 2, 29)]
    base += [date(2023, 1, 31), date(2023, 2, 28), date(2024, 2, 29), date(2024, 3, 31)]
    base += [date(1990, 12, 31) + timedelta(days=37 * k) for k in range(40)]
    return base


def test_years_and_months_between_match_the_functions() -> None:
    con = duckdb.connect()
    ds = _dates()
    pairs = [(a, b) for a in ds for b in ds]
    exprs = ", ".join(
        f"{sql_years(f'DATE {a.isoformat()!r}', f'DATE {b.isoformat()!r}')}, "
        f"{sql_months(f'DATE {a.isoformat()!r}', f'DATE {b.isoformat()!r}')}"
        for a, b in pairs[:400]
    )
    got = con.execute(f"SELECT {exprs}").fetchone()
    assert got is not None
    want: list[int] = []
    for a, b in pairs[:400]:
        want += [years_between(a, b), months_between(a, b)]
    assert list(got) == want


@pytest.mark.parametrize(
    ("a", "b"),
    [("1000", "3"), ("-1000", "3"), ("2", "-3"), ("1", "8"), ("0.00000000005", "1"), ("7", "0")],
)
def test_division_is_exact_to_ten_places_and_null_on_zero(a: str, b: str) -> None:
    con = duckdb.connect()
    row = con.execute(
        f"SELECT {DUCKDB.divide(f'CAST({a!r} AS {DEC})', f'CAST({b!r} AS {DEC})')}"
    ).fetchone()
    assert row is not None
    if Decimal(b) == 0:
        assert row[0] is None
    else:
        from decimal import ROUND_HALF_UP, localcontext

        with localcontext() as ctx:
            ctx.prec = 60
            q = Decimal(a) / Decimal(b)
        # half away from zero on the magnitude
        want = q.copy_abs().quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP).copy_sign(q)
        assert row[0] == want


_DECIMALS = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=10, allow_nan=False
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_DECIMALS, _DECIMALS), min_size=1, max_size=40))
def test_division_agrees_with_python_decimals(pairs: list[tuple[Decimal, Decimal]]) -> None:
    """The SQL quotient of any two DECIMAL(38,10) values, vectorized over a table (signs,
    zero, tiny and large magnitudes): Python's exact quotient, half away from zero."""
    from decimal import ROUND_HALF_UP, localcontext

    con = duckdb.connect()
    rows = ", ".join(f"({i}, '{a}', '{b}')" for i, (a, b) in enumerate(pairs))
    q = DUCKDB.divide(f"CAST(a AS {DEC})", f"CAST(b AS {DEC})")
    got = dict(con.execute(f"SELECT i, {q} FROM (VALUES {rows}) AS t(i, a, b)").fetchall())
    for i, (a, b) in enumerate(pairs):
        if b == 0:
            assert got[i] is None
            continue
        with localcontext() as ctx:
            ctx.prec = 80
            exact = a / b
            want = exact.copy_abs().quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP)
            if want >= Decimal(10) ** 28:  # beyond DECIMAL(38,10): not compared
                continue
            assert got[i] == want.copy_sign(exact), (a, b)
