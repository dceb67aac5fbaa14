"""Masking of personal data (yktrules.facts.privacy), the facts' pii tags, W004, masked
explanations and the masking of batch outputs (writers)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

import yktrules
from pii_facts import CARD, ID, facts, person
from yktrules.batch import io as sql_io
from yktrules.batch.spark_mask import MASK_STEPS
from yktrules.facts import Application, Benefit, Person, parse_facts
from yktrules.facts.privacy import (
    mask_card,
    mask_document,
    mask_id,
    mask_model,
    mask_name,
    mask_row,
    mask_text,
    mask_value,
    pii_kinds,
)
from yktrules.roster.models import Payment

ID_X = "11010519491231002X"


# ---- the maskers ---------------------------------------------------------------------------


def test_mask_id() -> None:
    assert mask_id("511025199001010226") == "511025********0226"
    assert mask_id(ID_X) == "110105********002X"
    assert mask_id("1234567") == "123**67"
    assert mask_id("123456") == "******"
    assert mask_id("") == ""


def test_mask_name() -> None:
    assert mask_name("张三英") == "张*英"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("张") == "*"
    assert mask_name("") == ""


def test_mask_card() -> None:
    assert mask_card("6217000012345678") == "6217********5678"
    assert mask_card(CARD) == "6217***********8901"
    assert mask_card("123456789") == "1234*6789"
    assert mask_card("12345678") == "********"


def test_mask_value() -> None:
    assert mask_value("id", ID) == mask_id(ID)
    assert mask_value("name", "张三英") == "张*英"
    assert mask_value("card", CARD) == mask_card(CARD)
    with pytest.raises(ValueError, match="unknown pii kind"):
        mask_value("phone", "13800000000")


def test_mask_text_ids_and_cards() -> None:
    text = f"身份证{ID}，卡号{CARD}；另一证件 {ID_X.lower()}。"
    assert mask_text(text) == (
        "身份证511025********0064，卡号6217***********8901；另一证件 110105********002x。"
    )
    # 16 and 17 digit runs are card numbers; 15 and 20 digit runs are left alone
    assert mask_text("a1234567890123456b") == "a1234********3456b"
    assert mask_text("12345678901234567") == "1234*********4567"
    assert mask_text("123456789012345") == "123456789012345"
    assert mask_text("1" * 20) == "1" * 20
    # an ID inside a longer digit run is not an ID
    assert mask_text("9" + ID) == mask_card("9" + ID)
    assert mask_text("ID:" + ID + "5") == "ID:" + mask_card(ID + "5")  # 19 digits: a card
    # full-width digits are digits too
    assert "*" in mask_text("５１１０２５１９５００１０２００６４")


_texty = st.text(alphabet=st.sampled_from("0123456789Xx* ，a-\n"), max_size=60)


@given(st.lists(_texty | st.sampled_from([ID, ID_X, CARD, CARD[:16], CARD[:17]]), max_size=6))
def test_mask_text_leaves_no_id_or_card(parts: list[str]) -> None:
    text = "".join(parts)
    out = mask_text(text)
    assert len(out) == len(text)
    assert re.search(r"(?<!\d)(?:\d{17}[\dXx]|\d{16,19})(?!\d)", out) is None
    assert mask_text(out) == out  # masking twice changes nothing
    # only digits ever change, and only into '*'
    for a, b in zip(text, out, strict=True):
        assert a == b or (a.isdigit() and b == "*")


@given(st.lists(_texty | st.sampled_from([ID, ID_X, CARD, CARD[:16], CARD[:17]]), max_size=6))
def test_spark_mask_steps_do_what_mask_text_does(parts: list[str]) -> None:
    """The Java regexes of yktrules.batch.spark_mask, run here by Python's re (same syntax
    for these patterns; Spark's own run is in test_privacy_spark.py)."""
    text = "".join(parts)
    out = text
    for pattern, replacement in MASK_STEPS:
        out = re.sub(pattern.replace("(?U)", ""), replacement.replace("$", "\\"), out)
    assert out == mask_text(text)


# ---- pii tags and models -------------------------------------------------------------------


def test_pii_tags_of_the_facts_and_the_roster() -> None:
    assert pii_kinds(Person) == {"id_number": "id", "name": "name", "card_no": "card"}
    assert pii_kinds(Benefit) == {"card_no": "card"}
    assert pii_kinds(Application) == {}
    assert pii_kinds(Payment)["beneficiary_id"] == "id"
    schema = yktrules.facts_json_schema()
    person = schema["$defs"]["Person"]["properties"]
    assert person["id_number"]["pii"] == "id"
    assert "pii" not in person["gender"]  # untagged fields are unchanged


def _facts() -> dict[str, Any]:
    me = person()
    son = dict(me, id_number=ID_X, name="欧阳娜娜", relation="子女", gender="男", card_no=None)
    doc = facts(me=me, members=[me, son])
    doc["records"] = {"benefits": [{"item": "X", "since": "2020-01-01", "card_no": CARD}]}
    return doc


def test_mask_model_masks_nested_models_and_lists() -> None:
    doc = parse_facts(_facts())
    out = mask_model(doc)
    assert out["applicant"]["id_number"] == "511025********0064"
    assert out["applicant"]["name"] == "李*英"
    assert out["applicant"]["card_no"] == "6217***********8901"
    assert [m["name"] for m in out["household"]["members"]] == ["李*英", "欧**娜"]
    assert out["household"]["members"][1]["id_number"] == "110105********002X"
    assert out["household"]["members"][1]["card_no"] is None
    assert out["records"]["benefits"][0]["card_no"] == "6217***********8901"
    assert out["application"] == doc.model_dump(mode="json")["application"]
    # everything else is the plain dump
    plain = doc.model_dump(mode="json")
    assert mask_model(doc, unmask=True) == plain
    assert out["applicant"]["birth_date"] == plain["applicant"]["birth_date"] == "1950-01-02"
    assert ID not in json.dumps(out) and CARD not in json.dumps(out)


def test_mask_model_of_a_host_model() -> None:
    from pydantic import Field

    class Row(BaseModel):
        who: str = Field(json_schema_extra={"pii": "name"})
        cards: list[str] = Field(json_schema_extra={"pii": "card"})
        note: str

    class Box(BaseModel):
        rows: list[Row]
        by_key: dict[str, Row]

    b = Box(
        rows=[Row(who="张三", cards=[CARD], note=ID)],
        by_key={"k": Row(who="王", cards=[], note="")},
    )
    out = mask_model(b)
    assert out["rows"][0] == {"who": "张*", "cards": ["6217***********8901"], "note": ID}
    assert out["by_key"]["k"]["who"] == "*"


def test_mask_document_masks_messages_and_trace_only() -> None:
    version = "sha256:" + "1234567890123456" * 4  # a digest that happens to be digits
    doc = {
        "version": version,
        "reasons": [{"rule": "r", "message": f"证号{ID}", "source": "a.ykt:1"}],
        "unknown": [{"rule": "u", "message": "", "errors": [{"message": CARD, "source": "s"}]}],
        "trace": {"lets": {"who": ID}, "rules": {"r": True}},
    }
    out = mask_document(doc)
    assert out["version"] == version
    assert out["reasons"][0]["message"] == "证号511025********0064"
    assert out["unknown"][0]["errors"][0]["message"] == mask_card(CARD)
    assert out["trace"]["lets"]["who"] == mask_id(ID)
    assert out["trace"]["rules"] == {"r": True}
    assert doc["reasons"][0]["message"] == f"证号{ID}"  # not changed in place
    row = {"line": 1, "application": ID, "error": {"type": "x", "errors": [{"message": ID}]}}
    assert mask_row(row) == {
        "line": 1,
        "application": ID,  # the host's key, as it is
        "error": {"type": "x", "errors": [{"message": mask_id(ID)}]},
    }


# ---- W004 and explanations ------------------------------------------------------------------

HEADER = 'policy "T-1" "测试" {\n region: "510000"\n effective: 2020-01-01\n'


def _load(tmp: Path, body: str) -> tuple[yktrules.PolicySet, list[Any]]:
    from yktrules.bundle.loader import load_sources, read_sources

    (tmp / "t.ykt").write_text(HEADER + body + "\n amount: 10\n}\n", encoding="utf-8")
    sources, diags = read_sources([str(tmp)])
    loaded = load_sources(sources, Application)
    return yktrules.load(tmp), [d for d in diags + loaded.diagnostics if d.code == "W004"]


@pytest.mark.parametrize(
    "body, field",
    [
        (' review who "申请人{applicant.name}": true', "name"),
        (' review who "申请人{申请人.身份证号}": true', "id_number"),
        (' let who = applicant.card_no\n review r "卡号{who}": true', "card_no"),
        (' let c = applicant.card_no ?? "无"\n review r "卡号{c}": true', "card_no"),
        (' let c = if applicant.alive then applicant.name else "—"\n review r "{c}": true', "name"),
        (' review r "{household.members.name}": true', "name"),
        (' review r "{records.benefits.card_no}": true', "card_no"),
    ],
)
def test_w004_on_messages_showing_personal_data(tmp_path: Path, body: str, field: str) -> None:
    _, w = _load(tmp_path, body)
    assert len(w) == 1
    assert w[0].severity == "warning"
    assert f"`{field}`" in w[0].message and "请勿在消息中写入姓名、身份证号、卡号" in w[0].message


@pytest.mark.parametrize(
    "body",
    [
        ' review r "户籍{applicant.hukou_region}，{household.members.relation}": true',
        ' let n = count(household.members[name == "张三"])\n review r "{n}人": true',
    ],
)
def test_no_w004_for_other_fields(tmp_path: Path, body: str) -> None:
    _, w = _load(tmp_path, body)
    assert w == []


def test_explain_masks_unless_unmasked(tmp_path: Path) -> None:
    ps, _ = _load(
        tmp_path, ' review who "请核实{applicant.id_number}的卡{applicant.card_no}": true'
    )
    d = ps.screen(_facts(), policy="T-1")
    masked = d.explain()
    assert ID not in masked and CARD not in masked
    assert "511025********0064" in masked and "6217***********8901" in masked
    full = d.explain(unmask=True)
    assert ID in full and CARD in full
    assert d.to_dict()["reasons"][0]["message"] == f"请核实{ID}的卡{CARD}"  # the data API


# ---- the batch writers ----------------------------------------------------------------------


def _decision(message: str, version: str = "sha256:abc") -> dict[str, Any]:
    return {
        "item": "T-1",
        "policy": "T-1",
        "title": "测试",
        "version": version,
        "as_of": "2024-05-01",
        "outcome": "review",
        "reasons": [{"rule": "r", "kind": "review", "message": message, "source": "t.ykt:4"}],
        "unknown": [],
        "amount": None,
        "period": "monthly",
    }


@pytest.mark.parametrize("unmask", [False, True])
def test_jsonl_writer_rows_are_masked_in_the_one_byte_format(unmask: bool) -> None:
    """A row is written as `dumps` writes it (the format of every engine), its messages
    masked unless unmasked; a finished line is written as it is."""
    version = "sha256:" + "1234567890123456" * 4
    for message in (f"证号{ID}", "没有证号", CARD):
        decisions = [_decision(message, version)]
        row = {"line": 3, "application": "A", "decisions": decisions}
        a, b = io.StringIO(), io.StringIO()
        sql_io.JsonlWriter(a, unmask=unmask).row(row)
        assert a.getvalue() == sql_io.dumps(row if unmask else mask_row(row)) + "\n"
        sql_io.JsonlWriter(b, unmask=unmask).lines([sql_io.dumps(row)])
        assert b.getvalue() == sql_io.dumps(row) + "\n"
        got = json.loads(a.getvalue())["decisions"][0]
        assert got["version"] == version
        assert got["reasons"][0]["message"] == (message if unmask else mask_text(message))


def test_mask_table_only_copies_when_needed() -> None:
    clean = [{"line": 1, "application": "A", "decisions": [_decision("ok")]}]
    dirty = [
        {"line": 1, "application": ID, "decisions": [_decision(f"证号{ID}")]},
        {"line": 2, "application": None, "error": {"type": "facts", "errors": [
            {"path": "applicant.id_number", "message": f"x{CARD}"}]}},
    ]  # fmt: skip
    t = sql_io.rows_table(clean)
    assert sql_io.mask_table(t) is t
    out = sql_io.mask_table(sql_io.rows_table(dirty)).to_pylist()
    assert out[0]["application"] == ID
    assert out[0]["decisions"][0]["reasons"][0]["message"] == "证号511025********0064"
    assert out[1]["error"]["errors"][0]["message"] == "x" + mask_card(CARD)
    assert out[1]["error"]["errors"][0]["path"] == "applicant.id_number"
    assert sql_io.mask_table(sql_io.rows_table(dirty)).schema == sql_io.OUTPUT_SCHEMA


def test_mask_table_sees_every_message_column() -> None:
    d = _decision("ok")
    d["unknown"] = [
        {"rule": "u", "kind": "deny", "missing": [], "message": "m", "source": "s",
         "errors": [{"message": f"除以{CARD}", "source": "s"}]}
    ]  # fmt: skip
    t = sql_io.rows_table([{"line": 1, "application": "A", "decisions": [d]}])
    out = sql_io.mask_table(t).to_pylist()
    assert out[0]["decisions"][0]["unknown"][0]["errors"][0]["message"] == "除以" + mask_card(CARD)
    empty = pa.Table.from_pylist([], schema=sql_io.OUTPUT_SCHEMA)
    assert sql_io.mask_table(empty) is empty


def test_message_digits_finds_what_mask_row_masks() -> None:
    version = "sha256:" + "1234567890123456" * 4
    docs = [
        _decision("ok", version),
        _decision(f"证号{ID}", version),
        _decision(f'引号 \\" 之后 {CARD}'),
        _decision("１２３４５６７８９０１２３４５６"),  # full-width digits
        _decision("123456789012345 短"),
    ]
    texts = [json.dumps(d, ensure_ascii=False) for d in docs]
    texts += [json.dumps(d, ensure_ascii=False, separators=(",", ":")) for d in docs]
    want = [mask_document(d) != d for d in docs] * 2
    assert want[:5] == [False, True, True, True, False]
    assert sql_io.message_digits(pa.array(texts)) == want
