"""Facts validation in SQL (yktrules.sql.validation) against the Python validator, on
generated documents and on mutations of them: whatever the SQL accepts, the Python
validator accepts with the same values (the SQL is conservative); the documents the library
generates are accepted by the SQL (so they never need Python); JSON text and typed Parquet
columns are checked alike."""

from __future__ import annotations

import json
import random
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yktrules.errors import FactsError
from yktrules.facts import parse_facts
from yktrules.facts.models import Application
from yktrules.sql.json_validation import json_document, json_layers
from yktrules.sql.validation import arrow_schema, typed_document
from yktrules.synth.applications import population

DOCS = list(population(60, seed=99, p_unknown=0.2))
ZH = {
    "application": "申请",
    "applicant": "申请人",
    "household": "家庭",
    "members": "成员",
    "monthly_income": "月收入",
    "name": "姓名",
    "deposits": "存款",
}
VALUES: list[Any] = [
    None, 5, -1, 0, 2.5, "abc", "", "   ", "\u3000", True, False, [], {}, "1300", "1300.50",
    "1e3", "+5", "１２", "-0", "2024-02-30", "2024-1-01", "0000-01-01", "2024-02-29",
    "511025195001020064", "51102519500102006x", "51102519500102006X", "110101", "990000",
    "男", "本人", 1.0, 10**20, "9" * 40, [1, 2], {"a": 1},
    # more places than DECIMAL(38,10) holds: Python keeps every digit, so the SQL must not
    "600.00000000001", 600.00000000001, 0.30000000000000004, "1.123456789012", 1e-05, 2e3,
]  # fmt: skip


def _paths(v: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here] if here else []
    if isinstance(v, dict):
        for k, x in v.items():
            out += _paths(x, (*here, k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out += _paths(x, (*here, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = value


def mutate(doc: dict[str, Any], rnd: random.Random) -> tuple[dict[str, Any], str | None]:
    """A copy of `doc` with one change; and a JSON text variant when the change can only be
    made in text (a duplicate key)."""
    doc = json.loads(json.dumps(doc))
    paths = _paths(doc)
    path = rnd.choice(paths)
    kind = rnd.randrange(6)
    if kind == 0 and isinstance(path[-1], str):  # remove the field
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        parent.pop(path[-1])
    elif kind == 1 and isinstance(path[-1], str) and path[-1] in ZH:  # a Chinese key
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        parent[ZH[path[-1]]] = parent.pop(path[-1])
    elif kind == 2:  # a duplicate key, in text
        text = json.dumps(doc, ensure_ascii=False)
        return doc, text.replace('"application": {', '"application": {"region": "110101", ', 1)
    else:
        _set(doc, path, rnd.choice(VALUES))
    return doc, None


def _python(text: str | dict[str, Any]) -> dict[str, Any] | None:
    try:
        return parse_facts(text).model_dump()
    except FactsError:
        return None


def _sql_json(con: duckdb.DuckDBPyConnection, texts: list[str]) -> list[tuple[bool, Any]]:
    doc = json_document(Application, "t")
    rel = "(SELECT unnest(?) AS t, generate_subscripts(?, 1) AS i)"
    for layer in json_layers(Application, "t"):
        rel = f"(SELECT *, {', '.join(layer)} FROM {rel})"
    rows = con.execute(
        f"SELECT d.b, d.v FROM (SELECT i, {doc} AS d FROM {rel}) ORDER BY i", [texts, texts]
    ).fetchall()
    return [(bool(b), v) for b, v in rows]


def _normal(v: Any) -> Any:
    """Values as DuckDB and pydantic give them, compared alike (Decimal scale aside)."""
    if isinstance(v, dict):
        return {k: _normal(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_normal(x) for x in v]
    if isinstance(v, Decimal | int) and not isinstance(v, bool):
        return Decimal(v).normalize()
    return v


@pytest.fixture(scope="module")
def con() -> Any:
    c = duckdb.connect()
    yield c
    c.close()


def test_generated_documents_are_accepted_with_their_values(con: Any) -> None:
    texts = [json.dumps(d, ensure_ascii=False) for d in DOCS]
    for text, (bad, v) in zip(texts, _sql_json(con, texts), strict=True):
        assert not bad, text
        assert _normal(v) == _normal(_python(text))


def test_mutations_accepted_by_sql_are_accepted_by_python_alike(con: Any) -> None:
    rnd = random.Random(20261207)
    texts: list[str] = []
    for _ in range(1500):
        doc, text = mutate(rnd.choice(DOCS), rnd)
        texts.append(text or json.dumps(doc, ensure_ascii=False))
    texts += ["", "   ", "[1]", "5", "null", '{"a": 1}', "{bad", '{"application": NaN}']
    accepted = rejected = valid = 0
    for text, (bad, v) in zip(texts, _sql_json(con, texts), strict=True):
        want = _python(text)
        valid += want is not None
        if not bad:
            accepted += 1
            assert want is not None, text
            assert _normal(v) == _normal(want), text
        else:
            rejected += 1
    # both sides are exercised; the valid documents the SQL leaves to Python are those with a
    # Chinese key, a duplicate key or a number written as "+5", "1e3", "１２" or beyond
    # DECIMAL(38,10) (test_generated_documents_are_accepted_with_their_values: the rest)
    assert accepted > 200 and rejected > 300 and valid > accepted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_change_the_sql_accepts_python_accepts(con: Any, data: st.DataObject) -> None:
    doc = data.draw(st.sampled_from(DOCS))
    rnd = random.Random(data.draw(st.integers(0, 2**32)))
    for _ in range(data.draw(st.integers(1, 3))):
        doc, _text = mutate(doc, rnd)
    text = json.dumps(doc, ensure_ascii=False)
    ((bad, v),) = _sql_json(con, [text])
    if not bad:
        assert _normal(v) == _normal(_python(text))


def _named(column: str) -> str:
    """``<expr> AS "<name>"`` as a struct_pack argument, ``"<name>" := <expr>``."""
    expr, name = column.rsplit(" AS ", 1)
    return f"{name} := {expr}"


def _typed(con: Any, table: pa.Table) -> list[tuple[bool, Any]]:
    values, bad = typed_document(Application, table.schema)
    con.register("tbl", table)
    try:
        rows = con.execute(
            f"SELECT {bad}, struct_pack({', '.join(_named(v) for v in values)}) FROM tbl"
        ).fetchall()
    finally:
        con.unregister("tbl")
    return [(bool(b), v) for b, v in rows]


def test_typed_parquet_columns_are_checked_like_json(con: Any) -> None:
    """Documents as typed columns (arrow_schema): accepted with their values; a changed value
    that Arrow can still hold is accepted only where Python accepts it."""
    schema = arrow_schema(Application)
    models = [Application.model_validate(d).model_dump() for d in DOCS]
    table = pa.Table.from_pylist(models, schema)
    for (bad, v), m in zip(_typed(con, table), models, strict=True):
        assert not bad
        assert _normal(v) == _normal(m)
    # values Arrow holds but the facts do not accept: negative money, a bad ID, a blank name
    broken = json.loads(json.dumps(models[0], default=str))
    changed = [
        ("household", "deposits", Decimal("-1")),
        ("applicant", "id_number", "511025195001020065"),
        ("applicant", "name", "   "),
        ("applicant", "hukou_region", "990000"),
    ]
    rows = []
    for part, field, value in changed:
        m = dict(models[0])
        m[part] = dict(m[part], **{field: value})
        rows.append(m)
    got = _typed(con, pa.Table.from_pylist(rows, schema))
    assert all(bad for bad, _ in got), broken["application"]


def _loose(v: Any, key: str | None, rnd: random.Random, noise: float) -> Any:
    """A document's values as other writers type them: decimals as doubles (JSON numbers
    through pandas or ``pa.Table.from_pylist``), dates as text; with chance `noise` each, a
    value Python refuses or keeps more exactly than DECIMAL(38,10) (a third, a date not
    zero-padded, a whole number as a double)."""
    if isinstance(v, dict):
        return {k: _loose(x, k, rnd, noise) for k, x in v.items()}
    if isinstance(v, list):
        return [_loose(x, key, rnd, noise) for x in v]
    odd = rnd.random() < noise
    if isinstance(v, Decimal):
        return float(v) / 3 if odd else float(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v) if odd else v
    if isinstance(v, date):
        return f"{v.year}-{v.month}-{v.day}" if odd else v.isoformat()
    return v


def _strings_as(table: pa.Table, change: Any) -> pa.Table:
    """`table` with every string array, at any depth, changed by `change`."""

    def walk(a: pa.Array) -> pa.Array:
        if pa.types.is_string(a.type):
            return change(a)
        mask = a.is_null() if a.null_count else None
        if pa.types.is_struct(a.type):
            children = [walk(a.field(i)) for i in range(a.type.num_fields)]
            names = [a.type.field(i).name for i in range(a.type.num_fields)]
            return pa.StructArray.from_arrays(children, names, mask=mask)
        if pa.types.is_list(a.type):
            return pa.ListArray.from_arrays(a.offsets, walk(a.values), mask=mask)
        return a

    columns = [walk(c.combine_chunks()) for c in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)


def test_typed_columns_of_other_types_are_checked_like_python(con: Any) -> None:
    """Columns typed as other writers type them (doubles, dates as text, JSON text, strings
    dictionary-encoded or as views): where the
    SQL accepts a row, Python accepts the same Arrow row with the same values; generated
    documents written that way need no Python."""
    rnd = random.Random(5)
    models = [Application.model_validate(d).model_dump() for d in DOCS]
    clean = [pa.Table.from_pylist([_loose(m, None, rnd, 0.0) for m in models])]
    clean.append(pa.Table.from_pylist(DOCS))  # dates and decimals as JSON text
    clean.append(_strings_as(clean[1], lambda a: a.dictionary_encode()))  # pandas categories
    clean.append(_strings_as(clean[1], lambda a: a.cast(pa.string_view())))
    noisy = pa.Table.from_pylist([_loose(m, None, rnd, 0.02) for m in models * 5])
    accepted = 0
    for table in [*clean, noisy]:
        for (bad, v), row in zip(_typed(con, table), table.to_pylist(), strict=True):
            want = _python(row)
            if not bad:
                accepted += 1
                assert want is not None, row
                assert _normal(v) == _normal(want), row
            else:
                assert table is noisy, f"a generated document went to Python: {row}"
    assert len(DOCS) * 4 < accepted < len(DOCS) * 9  # the noisy rows: some each way
    # dates as timestamps (pandas): Python refuses them, so the SQL sends them to it
    stamps = pa.Table.from_pylist(
        [{"application": dict(m["application"], date=datetime(2024, 1, 2))} for m in models]
    )
    assert all(bad for bad, _ in _typed(con, stamps))


def test_json_written_with_ascii_escapes_is_validated_in_sql(con: Any) -> None:
    """``json.dumps`` escapes every Chinese character by default (``"\\u8c22"``): such
    lines are checked in SQL like the others, with the same values (an escape's hex digits
    are not a number's exponent)."""
    texts = [json.dumps(d) for d in DOCS]
    for text, (bad, v) in zip(texts, _sql_json(con, texts), strict=True):
        assert not bad, text
        assert _normal(v) == _normal(_python(text))


@pytest.mark.parametrize(
    "change",
    [
        ('"region": "', '"region": "511025", "region": "'),  # nested duplicate: Python's last
        ('"household": {', '"household": {"members": "x", '),  # a list that is not one
        ('"household": {', '"household": {"members": 5, "成员": null, '),
        ('"applicant": {', '"applicant": {"disability": [1], '),  # an object that is not one
        ('"members": [', '"members": [3, '),  # an element that is not an object
        ('"members": [', '"members": [{}, '),  # an empty one (Python decides)
        ('"members": [', '"members": [null, '),
        ('"application": {', '"applic\\u0061tion": 1, "application": {'),  # a key with escapes
        ('"deposits": "', '"deposits": 1234567.1234567891, "x": "'),  # 17 digits
        ('"deposits": "', '"deposits": 1.5e3, "x": "'),  # an exponent
        ('"deposits": "', '"deposits": 1.00000000001, "x": "'),  # 11 places
        ('{"application"', '{"records": null, "application"'),  # a top-level key twice
    ],
)
def test_json_the_parse_cannot_see_goes_to_python(con: Any, change: tuple[str, str]) -> None:
    """What one json_transform reads differently from Python (or cannot tell apart) sends
    the row to Python: duplicate keys, values of the wrong container type, escaped keys,
    numbers a DECIMAL(38,10) or a double would not keep."""
    doc = next(
        d
        for d in DOCS
        if d.get("records") and d["household"].get("members") and d["household"].get("deposits")
    )
    text = json.dumps(doc, ensure_ascii=False)
    old, new = change
    assert old in text
    changed = text.replace(old, new, 1)
    assert json.loads(changed)  # still JSON
    ((bad, _),) = _sql_json(con, [changed])
    assert bad
    ((ok, _),) = _sql_json(con, [text])
    assert not ok
