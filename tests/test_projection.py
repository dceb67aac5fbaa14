"""Validating what the policies read (`validate="read"`): the paths a policy set reads, the
projected schema, and that screening in "read" mode agrees with "full" mode."""

from __future__ import annotations

import copy
import json
import pickle
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, field_validator

import yktrules
from yktrules.batch.rows import screen_rows
from yktrules.errors import ArgumentError, FactsError
from yktrules.facts import Application, Person, fact_field, make_id_number, parse_facts
from yktrules.facts.project import SCREENING_PATHS, paths_read, projected_schema
from yktrules.facts.validate import _sub_model
from yktrules.synth.applications import population

ROOT = Path(__file__).resolve().parents[1]

HEADER = 'policy "T-1" "测试" {\n region: "510000"\n effective: 2020-01-01\n'
PARAMS = 'rate:\n  type: decimal\n  values:\n    "510000":\n      2020-01-01: 10\n'


def write(tmp: Path, body: str) -> Path:
    (tmp / "t.ykt").write_text(HEADER + body + "\n}\n", encoding="utf-8")
    (tmp / "t.params.yaml").write_text(PARAMS, encoding="utf-8")
    return tmp


def person(relation: str = "本人", **extra: Any) -> dict[str, Any]:
    return {
        "id_number": make_id_number("511025", date(1950, 1, 2), 3, "女"),
        "name": "李秀英",
        "gender": "女",
        "birth_date": "1950-01-02",
        "relation": relation,
        "hukou_region": "511025",
        **extra,
    }


def facts(**household: Any) -> dict[str, Any]:
    me = person()
    return {
        "application": {"id": "A", "date": "2024-05-01", "region": "511025"},
        "applicant": me,
        "household": {"members": [me], **household},
    }


def errors(schema: type[BaseModel], doc: Any) -> list[dict[str, str]] | None:
    try:
        parse_facts(doc, schema)
    except FactsError as e:
        return e.errors
    return None


_INDEX = re.compile(r"\[\d+\]")


def on_read_path(path: str, paths: set[str] | frozenset[str]) -> bool:
    """Whether an error's JSON path is a read path (list indices left out)."""
    bare = _INDEX.sub("", path)
    return bare == "" or bare in paths


def restricted(errs: list[dict[str, str]] | None, paths: set[str]) -> list[dict[str, str]] | None:
    if errs is None:
        return None
    kept = [e for e in errs if on_read_path(e["path"], paths)]
    return kept or None


def to_chinese_keys(data: Any, model: type[BaseModel]) -> Any:
    """Every key of a document renamed to its field's Chinese name (unknown keys kept)."""
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            out[key] = value
            continue
        sub = _sub_model(field.annotation)
        if sub is not None and isinstance(value, dict):
            value = to_chinese_keys(value, sub)
        elif sub is not None and isinstance(value, list):
            value = [to_chinese_keys(v, sub) for v in value]
        out[field.json_schema_extra["zh"]] = value  # type: ignore[index]
    return out


# --- paths_read ------------------------------------------------------------------------------


def test_paths_read_of_a_small_policy(tmp_path: Path) -> None:
    write(
        tmp_path,
        ' let kids = household.members[relation == "子女"]\n'
        ' require old "{applicant.name}须年满60周岁（子女{kids}人）":'
        " age(applicant.birth_date) >= 60\n"
        ' deny disabled_kid "子女持证": any m in kids: m.disability.certified\n'
        ' review cars "有车": count(household.vehicles) >= 1\n'
        " amount: param.rate * sum(household.properties.area)",
    )
    ps = yktrules.load(tmp_path)
    assert paths_read(ps.policies.values()) == {
        *SCREENING_PATHS,
        "applicant",
        "applicant.name",
        "applicant.birth_date",
        "household",
        "household.members",
        "household.members.relation",
        "household.members.disability",
        "household.members.disability.certified",
        "household.vehicles",
        "household.properties",
        "household.properties.area",
    }


def test_a_record_compared_whole_reads_every_field(tmp_path: Path) -> None:
    write(tmp_path, ' deny twice "重复": any m in household.members: m == applicant')
    paths = paths_read(yktrules.load(tmp_path).policies.values())
    for root in ("applicant", "household.members"):
        for f in Person.model_fields:
            assert f"{root}.{f}" in paths
        assert f"{root}.disability.grade" in paths
    assert "household.vehicles" not in paths and "records" not in paths


def test_lets_and_screening_paths_are_always_read(tmp_path: Path) -> None:
    write(tmp_path, ' let unused = household.deposits\n require ok "x": true')
    assert paths_read(yktrules.load(tmp_path).policies.values()) == {
        *SCREENING_PATHS,
        "household",
        "household.deposits",
    }
    assert paths_read([]) == set(SCREENING_PATHS)


# --- projected_schema ------------------------------------------------------------------------


def test_projected_schema_keeps_only_read_fields_and_is_cached() -> None:
    paths = {"applicant.birth_date", "household.members.disability.certified"}
    p = projected_schema(Application, paths)
    assert p is projected_schema(Application, frozenset(paths))
    assert p.__name__ == "Application" and p is not Application
    assert set(p.model_fields) == {"applicant", "household"}
    applicant = _sub_model(p.model_fields["applicant"].annotation)
    assert applicant is not None and applicant.__name__ == "Person"
    assert set(applicant.model_fields) == {"birth_date"}
    member = _sub_model(p.model_fields["household"].annotation)
    assert member is not None and set(member.model_fields) == {"members"}
    assert p.model_config == {**Application.model_config}
    # Unread fields are ignored, whatever they hold; read ones are checked as before.
    doc = facts()
    doc["applicant"]["name"] = 42
    doc["application"] = "not an object"
    assert errors(p, doc) is None
    doc["applicant"]["birth_date"] = "1950-02-30"
    assert errors(p, doc) == [{"path": "applicant.birth_date", "message": "日期不存在：1950-02-30"}]


def all_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, f in model.model_fields.items():
        out.add(prefix + name)
        sub = _sub_model(f.annotation)
        if sub is not None:
            out |= all_paths(sub, f"{prefix}{name}.")
    return out


def test_all_paths_give_the_schema_itself() -> None:
    every = all_paths(Application)
    assert projected_schema(Application, every) is Application
    assert projected_schema(Application, every - {"records.benefits.card_no"}) is not Application


class StrictPerson(Person):
    model_config = ConfigDict(extra="forbid")


class StrictApplication(Application):
    applicant: StrictPerson = fact_field("applicant", "申请人", "申请人")


def test_a_model_that_forbids_extra_keys_still_ignores_unread_fields() -> None:
    p = projected_schema(StrictApplication, {"applicant.birth_date"})
    doc = facts()
    doc["applicant"]["name"] = 42  # unread and invalid: not checked
    assert errors(p, doc) is None
    doc["applicant"]["姓名"] = doc["applicant"].pop("name")  # a Chinese key: not "extra"
    assert errors(p, doc) is None
    doc["applicant"]["nickname"] = "x"  # a key of no field: rejected as by the full model
    full = errors(StrictApplication, doc)
    assert full is not None
    extra = [e for e in full if e["path"] == "applicant.nickname"]
    assert extra and errors(p, doc) == extra
    projected: Any = parse_facts(facts(), p)
    assert projected.applicant.model_dump() == {"birth_date": date(1950, 1, 2)}


class CheckedPerson(Person):
    @field_validator("name")
    @classmethod
    def _short(cls, v: str) -> str:
        if len(v) > 10:
            raise ValueError("too long")
        return v


class CheckedApplication(Application):
    applicant: CheckedPerson = fact_field("applicant", "申请人", "申请人")


def test_a_model_with_decorator_validators_is_kept_whole() -> None:
    p = projected_schema(CheckedApplication, {"applicant.birth_date"})
    assert _sub_model(p.model_fields["applicant"].annotation) is CheckedPerson


# --- PolicySet(validate=...) -----------------------------------------------------------------


def test_validate_argument(tmp_path: Path) -> None:
    write(tmp_path, ' require old "x": age(applicant.birth_date) >= 60')
    full = yktrules.load(tmp_path)
    read = yktrules.load(tmp_path, validate="read")
    assert full.validate == "full" and full.validation_schema is Application
    assert read.validate == "read" and read.validation_schema is not Application
    with pytest.raises(ArgumentError):
        yktrules.load(tmp_path, validate="some")  # type: ignore[arg-type]
    doc = facts()
    doc["applicant"]["hukou_region"] = "999999"  # unread: only "full" refuses it
    with pytest.raises(FactsError):
        full.screen(doc, policy="T-1")
    assert read.screen(doc, policy="T-1").outcome == "eligible"
    # A validated full document is taken as it is; a projected one too.
    app = full.parse_facts(facts())
    assert read.parse_facts(app) is app
    projected = read.parse_facts(facts())
    assert read.parse_facts(projected) is projected
    assert read.screen(app, policy="T-1") == read.screen(projected, policy="T-1")
    again = pickle.loads(pickle.dumps(read))
    assert again.validate == "read" and again.screen(doc, policy="T-1").outcome == "eligible"


@pytest.fixture(scope="module")
def library() -> tuple[yktrules.PolicySet, yktrules.PolicySet, set[str]]:
    full = yktrules.load(ROOT / "policies")
    read = yktrules.load(ROOT / "policies", validate="read")
    return full, read, paths_read(read.policies.values())


def test_valid_documents_screen_the_same(library: Any) -> None:
    full, read, _ = library
    for doc in population(150, seed=11):
        a, b = full.parse_facts(doc), read.parse_facts(doc)
        assert full.screen_all(a) == read.screen_all(b)
        zh = to_chinese_keys(doc, Application)
        assert read.screen_all(zh) == full.screen_all(a)


def test_traces_and_batch_rows_are_the_same(library: Any) -> None:
    full, read, _ = library
    docs = list(population(40, seed=5))
    for doc in docs:
        code = full.screen_all(doc)[0].policy
        assert full.screen(doc, code, trace=True) == read.screen(doc, code, trace=True)
    lines = [json.dumps(d, ensure_ascii=False) for d in docs]
    assert list(screen_rows(full, lines)) == list(screen_rows(read, lines))


# --- property: errors and decisions of "read" against "full" ----------------------------------

# (path template, readable by the library's policies?) — `*` is a list index drawn per example.
_TARGETS: list[str] = [
    "application.region",
    "application.date",
    "applicant.id_number",
    "applicant.name",
    "applicant.relation",
    "applicant.birth_date",
    "applicant.hukou_region",
    "applicant.disability",
    "household.members",
    "household.members.*",
    "household.members.*.id_number",
    "household.members.*.name",
    "household.members.*.hukou_region",
    "household.members.*.hukou_type",
    "household.members.*.birth_date",
    "household.members.*.monthly_income",
    "household.members.*.pension_monthly",
    "household.members.*.public_servant",
    "household.members.*.veteran",
    "household.deposits",
    "household.monthly_income",
    "household.properties.*.area",
    "household.properties.*.kind",
    "household.vehicles.*.value",
    "household.businesses.*.name",
    "records.benefits.*.card_no",
    "records.benefits.*.since",
    "records.benefits.*.monthly_amount",
]

_BAD: st.SearchStrategy[Any] = st.sampled_from(
    [
        123,  # wrong type for strings
        "abc",  # wrong type for numbers, dates, booleans
        "yes",
        [],
        {"x": 1},
        "2023-02-30",  # bad date
        "2023/01/01",
        "999999",  # bad region
        "12345",
        "-5",  # negative amount
        -1,
        "",
        None,
        "DELETE",  # drop the key (a missing required field)
        "BADID",  # the ID number with a wrong check digit
    ]
)


def _bad_id(old: Any) -> str:
    base = (
        old
        if isinstance(old, str) and len(old) == 18
        else make_id_number("511025", date(1980, 1, 1), 1, "男")
    )
    digit = "0" if base[17] != "0" else "1"
    return base[:17] + digit


def mutate(doc: dict[str, Any], template: str, bad: Any, pick: int) -> None:
    parts = template.split(".")
    target: Any = doc
    for p in parts[:-1]:
        if p == "*":
            if not isinstance(target, list) or not target:
                return
            target = target[pick % len(target)]
        elif isinstance(target, dict) and isinstance(target.get(p), dict | list):
            target = target[p]
        else:
            return
    last = parts[-1]
    if last == "*":
        if isinstance(target, list) and target:
            target[pick % len(target)] = bad if bad not in ("DELETE", "BADID") else 7
        return
    if not isinstance(target, dict):
        return
    if bad == "DELETE":
        target.pop(last, None)
    elif bad == "BADID":
        target[last] = _bad_id(target.get(last))
    else:
        target[last] = bad


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    mutations=st.lists(
        st.tuples(st.sampled_from(_TARGETS), _BAD, st.integers(0, 7)), min_size=0, max_size=3
    ),
    chinese=st.booleans(),
)
def test_read_mode_reports_the_full_errors_on_read_paths(
    library: Any, seed: int, mutations: list[tuple[str, Any, int]], chinese: bool
) -> None:
    full, read, paths = library
    doc = next(iter(population(1, seed=seed)))
    for template, bad, pick in mutations:
        mutate(doc, template, copy.deepcopy(bad), pick)
    if chinese:
        doc = to_chinese_keys(doc, Application)
    full_errors = errors(full.validation_schema, doc)
    read_errors = errors(read.validation_schema, doc)
    event(
        "valid"
        if full_errors is None
        else ("invalid on read paths" if read_errors else "invalid on unread paths only")
    )
    assert read_errors == restricted(full_errors, paths)
    if full_errors is None:
        a, b = full.parse_facts(doc), read.parse_facts(doc)
        for path in paths:
            assert _values(a, path) == _values(b, path), path
        assert full.screen_all(a) == read.screen_all(b)
    elif read_errors is None:  # invalid only where no policy reads: screened in "read" mode
        assert all(d.policy for d in read.screen_all(doc))


def _values(obj: Any, path: str) -> list[Any]:
    """The leaf values at a path (lists flattened); records as their class names."""
    out: list[Any] = [obj]
    for part in path.split("."):
        nxt: list[Any] = []
        for o in out:
            v = getattr(o, part) if o is not None else None
            nxt.extend(v if isinstance(v, list) else [v])
        out = nxt
    return [type(v).__name__ if isinstance(v, BaseModel) else v for v in out]
