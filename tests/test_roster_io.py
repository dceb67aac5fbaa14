"""Reading and writing rosters and registries (yktrules.roster.io): CSV in UTF-8, UTF-8 with
BOM and GB18030, English or Chinese headers, JSON Lines, Parquet; every input row becomes a
row or an error row with its line; a file that cannot be read raises InputError."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yktrules import YktError
from yktrules.facts.ids import make_id_number
from yktrules.roster.io import InputError, RowError, read_table, write_table
from yktrules.roster.models import Agent, Death, Payment
from yktrules.synth.roster import synth_roster

ID1 = make_id_number("511025", date(1950, 1, 1), 1, "男")
ID2 = make_id_number("511025", date(1950, 1, 1), 2, "女")
EN = (
    "id,batch,item,period,beneficiary_id,beneficiary_name,card_no,card_holder_id,"
    "card_holder_name,amount,region,approved_by,disbursed_by,paid_on"
)
ZH = (
    "流水号,批次号,补贴项目,发放期,受益人身份证号,受益人姓名,卡号,持卡人身份证号,"
    "持卡人姓名,金额,行政区划,审核人,发放人,发放日期"
)


def line(pid: str = "P1", amount: str = "500.10", who: str = ID1, paid: str = "2025-03-15") -> str:
    return (
        f"{pid},B2025-03-511025-SCMZ001,SC-MZ-001,2025-03-01,{who},张三英,6217000000000001,"
        f"{who},张三英,{amount},511025,王审,李发,{paid}"
    )


def std(item: str, region: str, period: date) -> Decimal | None:
    return Decimal(700)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_utf8_english_header(tmp_path: Path) -> None:
    f = write(tmp_path / "r.csv", EN + "\n" + line() + "\n" + line("P2", who=ID2) + "\n")
    t = read_table(f, Payment)
    assert t.errors == []
    assert [n for n, _ in t.rows] == [2, 3]
    p = t.rows[0][1]
    assert p.amount == Decimal("500.10") and isinstance(p.amount, Decimal)
    assert p.period == date(2025, 3, 1) and p.paid_on == date(2025, 3, 15)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-8"])
def test_csv_chinese_header_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    f = write(tmp_path / "r.csv", ZH + "\r\n" + line() + "\r\n", encoding)
    t = read_table(f, Payment)
    assert t.errors == []
    [(n, p)] = t.rows
    assert n == 2 and p.beneficiary_name == "张三英" and p.approved_by == "王审"


def test_csv_a_corrupt_byte_spoils_only_its_row(tmp_path: Path) -> None:
    good = (EN + "\n" + line("P1") + "\n").encode()
    bad = line("P2").encode().replace("张三英".encode(), b"\xe5\xbc", 1) + b"\n"
    f = tmp_path / "r.csv"
    f.write_bytes(good + bad + (line("P3") + "\n").encode())
    t = read_table(f, Payment)
    assert [n for n, _ in t.rows] == [2, 4]
    [e] = t.errors
    assert e.line == 3 and "UTF-8" in e.errors[0]["message"]


def test_csv_gb18030_with_a_corrupt_byte(tmp_path: Path) -> None:
    rows = [(line(f"P{i}") + "\n").encode("gb18030") for i in range(4)]
    rows[2] = rows[2].replace("张".encode("gb18030"), b"\x81", 1)
    f = tmp_path / "r.csv"
    f.write_bytes((ZH + "\n").encode("gb18030") + b"".join(rows))
    t = read_table(f, Payment)
    assert [n for n, _ in t.rows] == [2, 3, 5]
    assert {p.beneficiary_name for _, p in t.rows} == {"张三英"}
    assert [(e.line, e.errors[0]["message"]) for e in t.errors] == [
        (4, "本行含有不是 GB18030 编码的字节")
    ]


def test_csv_gb18030_detected_past_an_ascii_header(tmp_path: Path) -> None:
    rows = "".join(line(f"P{i}") + "\n" for i in range(3))
    f = write(tmp_path / "r.csv", EN + "\n" + rows, "gb18030")
    t = read_table(f, Payment)
    assert t.errors == [] and t.rows[0][1].beneficiary_name == "张三英"


def test_csv_empty_cells_are_absent(tmp_path: Path) -> None:
    f = write(tmp_path / "r.csv", EN + "\n" + line(pid="", paid="") + "\n")
    [(_, p)] = read_table(f, Payment).rows
    assert p.id is None and p.paid_on is None


@pytest.mark.parametrize(
    ("period", "paid", "want_period", "want_paid"),
    [
        ("2025-03-01", "2025-03-15", date(2025, 3, 1), date(2025, 3, 15)),
        ("2025/3/1", "2025/3/15", date(2025, 3, 1), date(2025, 3, 15)),  # as Excel exports
        ("2025-3-1", "2025-3-5", date(2025, 3, 1), date(2025, 3, 5)),
        ("2025-03", "2025/12/31", date(2025, 3, 1), date(2025, 12, 31)),  # a period by month
        ("2025/3", "", date(2025, 3, 1), None),
    ],
)
def test_csv_dates_as_spreadsheets_write_them(
    tmp_path: Path, period: str, paid: str, want_period: date, want_paid: date | None
) -> None:
    row = line(paid=paid).replace(",2025-03-01,", f",{period},", 1)
    [(_, p)] = read_table(write(tmp_path / "r.csv", f"{EN}\n{row}\n"), Payment).rows
    assert (p.period, p.paid_on) == (want_period, want_paid)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("period", "2025/2/30", "日期不存在"),
        ("period", "2025/13", "日期不存在"),
        ("period", "20250301", "YYYY-MM-DD"),
        ("period", "3/1/2025", "YYYY-MM-DD"),  # month/day/year is ambiguous: not read
        ("paid_on", "2025-03", "YYYY-MM-DD"),  # a month is a period, not a day
    ],
)
def test_csv_dates_that_are_not_read(tmp_path: Path, column: str, value: str, message: str) -> None:
    if column == "period":
        row = line().replace(",2025-03-01,", f",{value},", 1)
    else:
        row = line(paid=value)
    t = read_table(write(tmp_path / "r.csv", f"{EN}\n{row}\n"), Payment)
    [e] = t.errors
    assert e.errors[0]["path"] == column and message in e.errors[0]["message"]


def test_registry_dates_as_spreadsheets_write_them(tmp_path: Path) -> None:
    f = write(tmp_path / "d.csv", f"id_number,death_date\n{ID1},2025/3/9\n{ID2},2025-03\n")
    t = read_table(f, Death)
    assert [d.death_date for _, d in t.rows] == [date(2025, 3, 9)]
    assert [e.line for e in t.errors] == [3]


def test_csv_bad_rows_keep_their_line_and_column(tmp_path: Path) -> None:
    bad_id = ID1[:17] + ("0" if ID1[17] != "0" else "1")
    text = "\n".join(
        [
            EN,
            line("P1"),
            line("P2", amount="五百"),  # line 3
            "",  # blank: not a row
            line("P3", who=bad_id),  # line 5
            line("P4") + ",extra",  # line 6
            line("P5"),
        ]
    )
    t = read_table(write(tmp_path / "r.csv", text + "\n"), Payment)
    assert [n for n, _ in t.rows] == [2, 7]
    assert [(e.line, [x["path"] for x in e.errors]) for e in t.errors] == [
        (3, ["amount"]),
        (5, ["beneficiary_id", "card_holder_id"]),
        (6, [""]),
    ]
    assert t.errors[0].errors[0]["message"] == "应为数字"
    assert "校验位" in t.errors[1].errors[0]["message"]
    assert t.errors[0].text == line("P2", amount="五百")
    assert t.errors[0].source == str(tmp_path / "r.csv")
    assert "15 列" in t.errors[2].errors[0]["message"]


def test_csv_multiline_record_reports_its_first_line(tmp_path: Path) -> None:
    broken = line("P2").replace("张三英,6217", '"张\n三英",6217', 1).replace(",500.10,", ",-1,")
    t = read_table(write(tmp_path / "r.csv", f"{EN}\n{broken}\n{line('P3')}\n"), Payment)
    assert [e.line for e in t.errors] == [2]
    assert t.errors[0].text == broken
    assert [n for n, _ in t.rows] == [4]


def test_csv_missing_column_names_the_file_and_suggests(tmp_path: Path) -> None:
    header = ZH.replace("受益人身份证号", "受益人身份正号")
    f = write(tmp_path / "r.csv", header + "\n" + line() + "\n")
    with pytest.raises(InputError) as e:
        read_table(f, Payment)
    msg = str(e.value)
    assert str(f) in msg and "beneficiary_id（受益人身份证号）" in msg
    assert "“受益人身份正号”是否应为“受益人身份证号”" in msg
    assert isinstance(e.value, YktError)


def test_csv_same_column_twice(tmp_path: Path) -> None:
    f = write(tmp_path / "r.csv", EN + ",金额\n" + line() + ",1\n")
    with pytest.raises(InputError, match="同一列"):
        read_table(f, Payment)


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("r.xlsx", b"x", "无法识别"),
        ("r.csv", b"", "空的"),
        ("r.csv", b"\xff\xfe\xff\x00\x81", "编码"),
        ("r.parquet", b"not parquet", "Parquet"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, expect: str) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(InputError, match=expect) as e:
        read_table(f, Payment)
    assert str(f) in str(e.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="无法读取"):
        read_table(tmp_path / "none.jsonl", Payment)


def test_jsonl_bad_lines(tmp_path: Path) -> None:
    good = {"batch": "B1", "item": "SC-MZ-001", "period": "2025-03-01", "beneficiary_id": ID1,
            "beneficiary_name": "张三英", "card_no": "6217", "card_holder_id": ID1,
            "card_holder_name": "张三英", "amount": 0.1, "region": "511025",
            "approved_by": "王审", "disbursed_by": "李发"}  # fmt: skip
    text = "\n".join(
        [
            "\ufeff" + json.dumps(good, ensure_ascii=False),
            '{"batch": "B1",',  # line 2: bad JSON
            "",
            "[1, 2]",  # line 4: not an object
            json.dumps({**good, "受益人姓名": "李四"} | {"beneficiary_name": ""}),  # line 5
            json.dumps({k: v for k, v in good.items() if k != "amount"} | {"金额": "12.30"}),
        ]
    )
    f = tmp_path / "r.jsonl"
    f.write_bytes(text.encode() + b"\n\xff\xfe\n")
    t = read_table(f, Payment)
    assert [n for n, _ in t.rows] == [1, 6]
    assert t.rows[0][1].amount == Decimal("0.1")  # exact: never through a binary float
    assert t.rows[1][1].amount == Decimal("12.30")
    assert [e.line for e in t.errors] == [2, 4, 5, 7]
    assert "JSON 格式错误" in t.errors[0].errors[0]["message"]
    assert "数组" in t.errors[1].errors[0]["message"]
    assert t.errors[2].errors == [{"path": "beneficiary_name", "message": "不能为空"}]
    assert "UTF-8" in t.errors[3].errors[0]["message"]


def test_parquet_records_are_numbered_from_one(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = EN.split(",")
    rows = [line(f"P{i}", amount=a).split(",") for i, a in enumerate(["1", "x", "2.5"])]
    table = pa.table({c: [r[i] or None for r in rows] for i, c in enumerate(cols)})
    pq.write_table(table, tmp_path / "r.parquet")
    t = read_table(tmp_path / "r.parquet", Payment)
    assert [n for n, _ in t.rows] == [1, 3]
    [e] = t.errors
    assert (e.line, e.errors[0]["path"]) == (2, "amount")
    assert json.loads(e.text)["id"] == "P1"


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_write_then_read_round_trip(tmp_path: Path, ext: str) -> None:
    s = synth_roster(300, seed=6, plants={"AUD-08": 1, "AUD-04": 1}, standard=std, ring_cards=3)
    f = tmp_path / f"roster.{ext}"
    assert write_table(f, s.payments) == len(s.payments)
    t = read_table(f, Payment)
    assert t.errors == []
    assert [p.model_dump() for _, p in t.rows] == [
        Payment.model_validate(p).model_dump() for p in s.payments
    ]
    for name, model, rows in (("deaths", Death, s.deaths), ("agents", Agent, s.agents)):
        g = tmp_path / f"{name}.{ext}"
        write_table(g, rows)
        back = read_table(g, model)
        assert [m.model_dump() for _, m in back.rows] == [
            model.model_validate(r).model_dump() for r in rows
        ]


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_decimals_are_written_exactly(tmp_path: Path, ext: str) -> None:
    p = Payment.model_validate(
        {
            "batch": "B1",
            "item": "X",
            "period": "2025-01-01",
            "beneficiary_id": ID1,
            "beneficiary_name": "甲",
            "card_no": "1",
            "card_holder_id": ID1,
            "card_holder_name": "甲",
            "amount": "0.105",
            "region": "511025",
            "approved_by": "a",
            "disbursed_by": "b",
        }
    )
    big = p.model_copy(update={"amount": Decimal("12345678901234567.89")})
    f = tmp_path / f"r.{ext}"
    write_table(f, [p, big])
    got = [q.amount for _, q in read_table(f, Payment).rows]
    assert got == [Decimal("0.105"), Decimal("12345678901234567.89")]
    if ext == "parquet":
        import pyarrow.parquet as pq

        assert str(pq.read_schema(f).field("amount").type) == "decimal128(38, 3)"
    else:
        assert "0.105" in f.read_text("utf-8") and "E" not in f.read_text("utf-8")


def test_write_rejects_unknown_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="extra"):
        write_table(tmp_path / "r.csv", [{"a": 1}, {"a": 2, "extra": 3}])
    with pytest.raises(InputError):
        write_table(tmp_path / "r.txt", [{"a": 1}])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.sampled_from(["ok", "bad_amount", "bad_id", "blank", "extra"]), max_size=30)
)
def test_no_row_is_ever_lost(tmp_path: Path, kinds: list[str]) -> None:
    """Every non-blank data line is a row or an error row, at its own line number."""
    text = {
        "ok": line(),
        "bad_amount": line(amount="-5"),
        "bad_id": line(who="123"),
        "blank": "",
        "extra": line() + ",1,2",
    }
    f = write(tmp_path / "r.csv", "\n".join([EN, *(text[k] for k in kinds)]) + "\n")
    t = read_table(f, Payment)
    want = [i + 2 for i, k in enumerate(kinds) if k != "blank"]
    assert sorted([n for n, _ in t.rows] + [e.line for e in t.errors]) == want
    assert [n for n, _ in t.rows] == [i + 2 for i, k in enumerate(kinds) if k == "ok"]
    assert all(isinstance(e, RowError) and e.errors for e in t.errors)
