"""Payment notices and the 明白卡 (yktrules.notices): templates, rendering, the card, the CLI."""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import yktrules
from yktrules.cli import cli
from yktrules.notices import (
    BUILTIN_DEFAULT,
    PLACEHOLDERS,
    TemplateError,
    Templates,
    load_templates,
    mingbai_card,
    render_notice,
)
from yktrules.notices.templates import parse_template
from yktrules.roster.io import write_table
from yktrules.roster.models import Payment
from yktrules.screening.decision import Outcome

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
FAMILY = ROOT / "examples" / "zizhong_family.json"

LIU_ID = "511025197207090016"  # 刘志强, examples/zizhong_family.json
ZHOU_ID = "511025197401260023"  # his wife
CARD_NO = "6217996630002468013"
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


@pytest.fixture(scope="module")
def ps() -> yktrules.PolicySet:
    return yktrules.load(POLICIES)


@pytest.fixture(scope="module")
def templates(ps: yktrules.PolicySet) -> Templates:
    return load_templates(POLICIES, policies=ps)


def payment(**over: Any) -> Payment:
    row: dict[str, Any] = {
        "id": "P1",
        "batch": "B2025-03-511025-SCMZ001",
        "item": "SC-MZ-001",
        "period": "2025-03-01",
        "beneficiary_id": LIU_ID,
        "beneficiary_name": "刘志强",
        "card_no": CARD_NO,
        "card_holder_id": LIU_ID,
        "card_holder_name": "刘志强",
        "amount": "640",
        "region": "511025",
        "approved_by": "王丽",
        "disbursed_by": "李强",
        "paid_on": "2025-03-10",
    }
    row.update(over)
    return Payment.model_validate({k: v for k, v in row.items() if v is not None})


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def problems_of(folder: Path, **kw: Any) -> list[str]:
    with pytest.raises(TemplateError) as exc:
        load_templates(folder, **kw)
    return [str(p) for p in exc.value.problems]


# ------------------------------------------------------------------ template loading


def test_library_templates_load_and_every_key_is_a_policy(templates: Templates) -> None:
    keys = set(templates.entries)
    assert {"default", "SC-MZ-001", "SC-MZ-005", "SC-NY-001", "NJ-ZZ-MZ-001"} <= keys
    assert all(t.source.startswith(str(POLICIES / "notices")) for t in templates.entries.values())
    # the default template uses every placeholder a payment notice needs
    assert {"name", "title", "amount", "period", "paid_on", "card_tail", "hotline"} <= (
        templates.default.fields
    )


def test_unknown_placeholder_names_file_line_and_suggests(tmp_path: Path) -> None:
    write(
        tmp_path, "a.notices.yaml", 'default: "{姓名}您好"\n\nSC-MZ-001: "{姓明}您好：{金额}元"\n'
    )
    (msg,) = problems_of(tmp_path)
    assert msg.startswith(f"{tmp_path / 'a.notices.yaml'}:3:")
    assert "{姓明}" in msg and "是否应为“{姓名}”" in msg


def test_unknown_english_placeholder_suggests_english(tmp_path: Path) -> None:
    write(tmp_path, "a.notices.yaml", 'default: "{nmae}: {amount}"\n')
    (msg,) = problems_of(tmp_path)
    assert ":1:" in msg and "{name}" in msg and "did you mean {name}?" in msg


def test_every_problem_of_every_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "a.notices.yaml", 'default: "{金额:.2f}元"\nX: 12\n')
    write(tmp_path / "sub", "b.notices.yaml", 'Y: "余额{"\n')
    write(tmp_path / "sub", "c.notices.yaml", "Z: [1, 2\n")
    msgs = problems_of(tmp_path)
    assert len(msgs) == 4
    a, b, c = (
        tmp_path / "a.notices.yaml",
        tmp_path / "sub" / "b.notices.yaml",
        tmp_path / "sub" / "c.notices.yaml",
    )
    assert msgs[0].startswith(f"{a}:1:10:") and "格式说明" in msgs[0] and "{金额}" in msgs[0]
    assert msgs[1].startswith(f"{a}:2:4:") and "非空的文字" in msgs[1]
    assert msgs[2].startswith(f"{b}:1:4:") and "不成对" in msgs[2]
    assert msgs[3].startswith(f"{c}:") and "YAML" in msgs[3]


def test_key_in_two_files_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.notices.yaml", 'default: "a{姓名}"\n')
    write(tmp_path, "b.notices.yaml", '\ndefault: "b{姓名}"\n')
    (msg,) = problems_of(tmp_path)
    assert msg.startswith(f"{tmp_path / 'b.notices.yaml'}:2:1")
    assert f"{tmp_path / 'a.notices.yaml'}:1:1" in msg


def test_unknown_policy_code_suggests_the_close_one(tmp_path: Path, ps: yktrules.PolicySet) -> None:
    write(tmp_path, "a.notices.yaml", 'SC_MZ-001: "{姓名}"\n')
    assert load_templates(tmp_path).entries["SC_MZ-001"]  # without policies: not checked
    (msg,) = problems_of(tmp_path, policies=ps)
    assert ":1:1" in msg and "SC-MZ-001" in msg


def test_other_yaml_files_are_not_read_and_no_file_gives_builtin_default(tmp_path: Path) -> None:
    write(tmp_path, "x.cases.yaml", "default: [not a template\n")
    t = load_templates(tmp_path)
    assert t.entries == {} and t.default.text == BUILTIN_DEFAULT


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    (msg,) = problems_of(tmp_path / "nope")
    assert "路径不存在" in msg


def test_literal_braces_and_both_placeholder_names(tmp_path: Path) -> None:
    write(tmp_path, "a.notices.yaml", 'default: "{{注意}}{name}/{姓名}"\n')
    t = load_templates(tmp_path).default
    assert t.fill(dict.fromkeys(PLACEHOLDERS, "X")) == "{注意}X/X"


@given(st.text(max_size=40))
def test_escaped_text_is_literal(s: str) -> None:
    parts, problems = parse_template(s.replace("{", "{{").replace("}", "}}"))
    assert problems == []
    assert "".join(p for p in parts if isinstance(p, str)) == s


# ------------------------------------------------------------------ lookup order


@pytest.mark.parametrize(
    ("item", "region", "policy", "template"),
    [
        ("SC-MZ-001", "511025", "NJ-ZZ-MZ-001", "NJ-ZZ-MZ-001"),  # county's own
        ("SC-MZ-001", "511024", "NJ-WY-MZ-001", "NJ-MZ-001"),  # county -> city
        ("SC-MZ-001", "510104", "SC-MZ-001", "SC-MZ-001"),  # province
        ("SC-MZ-005", "511011", "NJ-DX-MZ-005", "SC-MZ-005"),  # county -> (city) -> province
        ("SC-JY-001", "511025", "NJ-JY-001", "default"),
    ],
)
def test_lookup_order(
    ps: yktrules.PolicySet,
    templates: Templates,
    item: str,
    region: str,
    policy: str,
    template: str,
) -> None:
    n = render_notice(payment(item=item, region=region), ps, templates)
    assert (n.policy, n.template) == (policy, template)
    assert n.source.startswith(str(POLICIES / "notices"))


def test_lookup_by_chain(tmp_path: Path) -> None:
    write(tmp_path, "a.notices.yaml", 'default: "d"\nP: "p"\nC: "c"\n')
    t = load_templates(tmp_path)
    assert t.lookup(("P", "C", "K")).key == "C"
    assert t.lookup(("P", "X", "K")).key == "P"
    assert t.lookup(("Q",)).key == "default"


# ------------------------------------------------------------------ rendering


@pytest.mark.parametrize(
    ("amount", "text"),
    [("640", "640.00"), ("43.2", "43.20"), ("0.005", "0.01"), ("1234567.891", "1234567.89")],
)
def test_amount_has_two_decimals(
    ps: yktrules.PolicySet, templates: Templates, amount: str, text: str
) -> None:
    n = render_notice(payment(amount=amount), ps, templates)
    assert f"低保金{text}元" in n.text
    assert n.amount == Decimal(amount)


@pytest.mark.parametrize(
    ("item", "period", "text"),
    [
        ("SC-MZ-001", "2025-03-01", "2025年3月"),  # monthly
        ("SC-NY-001", "2025-01-01", "2025年度"),  # yearly
        ("NJ-RS-007", "2025-03-01", "2025年3月1日"),  # once
    ],
)
def test_period_text_follows_the_policy_period(
    ps: yktrules.PolicySet, templates: Templates, item: str, period: str, text: str
) -> None:
    n = render_notice(payment(item=item, period=period), ps, templates)
    assert n.period_text == text
    assert text in n.text and "2025年3月10日" in n.text


def test_masked_by_default(ps: yktrules.PolicySet, templates: Templates) -> None:
    n = render_notice(payment(), ps, templates)
    assert n.masked
    assert n.text.startswith("刘*强您好")
    assert "刘志强" not in n.text and CARD_NO not in n.text and LIU_ID not in n.text
    assert "尾号8013" in n.text


def test_unmask_shows_the_name_but_never_the_id(
    ps: yktrules.PolicySet, templates: Templates
) -> None:
    n = render_notice(payment(), ps, templates, unmask=True)
    assert n.text.startswith("刘志强您好") and not n.masked
    assert LIU_ID not in n.text and CARD_NO not in n.text


def test_hotline_department_and_title_come_from_the_policy(
    ps: yktrules.PolicySet, templates: Templates
) -> None:
    n = render_notice(payment(item="SC-NY-001", period="2025-01-01"), ps, templates)
    assert n.policy == "NJ-ZZ-NY-001"
    assert "农业农村部门" in n.text and "12316" in n.text


def test_no_paid_on_is_flagged(ps: yktrules.PolicySet, templates: Templates) -> None:
    n = render_notice(payment(paid_on=None), ps, templates)
    assert n.missing == ("paid_on",) and "（发放日期未登记）" in n.text


def test_unknown_item_renders_default_and_says_so(
    ps: yktrules.PolicySet, templates: Templates
) -> None:
    n = render_notice(payment(item="XX-MZ-999"), ps, templates)
    assert n.policy is None and n.template == "default"
    assert n.note is not None and "XX-MZ-999" in n.note
    assert "XX-MZ-999" in n.text and "640.00元" in n.text


def test_item_not_in_force_renders_default_and_says_so(
    ps: yktrules.PolicySet, templates: Templates
) -> None:
    n = render_notice(payment(period="2019-06-01"), ps, templates)
    assert n.policy is None and n.template == "default"
    assert n.note is not None and "没有生效的政策" in n.note
    assert n.period_text == "2019年6月"  # the item's period kind is still known


# ------------------------------------------------------------------ the card


def family() -> Any:
    return yktrules.parse_facts(FAMILY.read_text(encoding="utf-8"))


def liu_payments() -> list[Payment]:
    rows = [payment(id=f"P{m}", period=f"2025-0{m}-01", amount="640.10") for m in (1, 2, 3)]
    rows.append(payment(id="P4", item="SC-NY-001", period="2024-01-01", amount="344.00"))
    rows.append(payment(id="P5", beneficiary_id=ZHOU_ID, beneficiary_name="周桂兰"))  # not his
    rows.append(payment(id="P6", period="2025-05-01"))  # after as_of
    return rows


@pytest.fixture(scope="module")
def liu_card(ps: yktrules.PolicySet) -> Any:
    doc = family()
    day = date(2025, 3, 31)
    decisions = ps.screen_all(doc, day)
    return mingbai_card(
        doc.applicant, policies=ps, payments=liu_payments(), decisions=decisions, as_of=day
    )


def test_card_received_items(liu_card: Any) -> None:
    assert [r.item for r in liu_card.received] == ["SC-MZ-001", "SC-NY-001"]
    dibao, farmland = liu_card.received
    assert dibao.latest_period == date(2025, 3, 1) and dibao.payments == 3
    assert dibao.latest_amount == Decimal("640.10") and dibao.total == Decimal("1920.30")
    assert (dibao.policy, dibao.hotline, dibao.period_kind) == ("NJ-ZZ-MZ-001", "12345", "monthly")
    assert farmland.latest_period_text == "2024年度"
    assert liu_card.total_paid == Decimal("2264.30")
    assert liu_card.received_per_period() == {
        "monthly": Decimal("640.10"),
        "yearly": Decimal("344.00"),
    }


def test_card_eligible_excludes_what_is_received(ps: yktrules.PolicySet, liu_card: Any) -> None:
    doc = family()
    eligible = {
        d.item for d in ps.screen_all(doc, date(2025, 3, 31)) if d.outcome.value == "eligible"
    }
    assert {"SC-MZ-001", "SC-NY-001"} <= eligible
    shown = {o.item for o in liu_card.eligible}
    assert shown == eligible - {"SC-MZ-001", "SC-NY-001"}
    assert all(o.outcome is Outcome.ELIGIBLE for o in liu_card.eligible)
    per = liu_card.eligible_per_period()
    assert sum(per.values()) == sum(o.amount for o in liu_card.eligible if o.amount is not None)


def test_card_review_items_say_what_is_missing(ps: yktrules.PolicySet) -> None:
    line = (ROOT / "examples" / "applications.jsonl").read_text(encoding="utf-8").splitlines()[1]
    doc = ps.parse_facts(line)
    card = mingbai_card(
        doc.applicant,
        policies=ps,
        decisions=ps.screen_all(doc),
        as_of=doc.application.date,
    )
    assert card.received == () and card.review
    o = card.review[0]
    assert o.outcome is Outcome.REVIEW and o.missing and o.hotline
    text = card.text()
    assert "需人工复核" in text and "需补充：" in text and o.missing[0] in text


def test_card_text_and_html_show_totals_and_note(liu_card: Any) -> None:
    text, html = liu_card.text(), liu_card.html()
    for out in (text, html):
        assert "惠民惠农财政补贴明白卡" in out
        assert "2264.30元" in out and "每月640.10元" in out and "每年344.00元" in out
        assert "2025年3月31日" in out and "以主管部门审核为准" in out
        assert "12316" in out and "刘*强" in out and "刘志强" not in out


def test_html_is_self_contained_and_printable(liu_card: Any) -> None:
    html = liu_card.html()
    assert html.startswith("<!DOCTYPE html>") and "<title>惠民惠农财政补贴明白卡</title>" in html
    assert "@media print" in html and "size: A4" in html
    for banned in ("<script", "<link", "src=", "url(", "http://", "https://", "@import"):
        assert banned not in html


def test_no_unmasked_id_by_default(liu_card: Any) -> None:
    for out in (liu_card.text(), liu_card.html()):
        assert not ID_RE.search(out)
        assert "511025********0016" in out


def test_unmasked_card_shows_name_and_id(ps: yktrules.PolicySet) -> None:
    doc = family()
    card = mingbai_card(doc.applicant, policies=ps, as_of=date(2025, 3, 31), unmask=True)
    assert LIU_ID in card.text() and "刘志强" in card.html()


def test_html_escapes_a_malicious_name(ps: yktrules.PolicySet) -> None:
    data = json.loads(FAMILY.read_text(encoding="utf-8"))
    evil = '<script>alert("x")</script>'
    data["applicant"]["name"] = evil
    doc = yktrules.parse_facts(data)
    pays = [payment(beneficiary_name=evil)]
    for unmask in (False, True):
        card = mingbai_card(
            doc.applicant, policies=ps, payments=pays, as_of=date(2025, 3, 31), unmask=unmask
        )
        html = card.html()
        assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


amounts = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(monthly=st.lists(amounts, max_size=12), yearly=st.lists(amounts, max_size=3))
def test_card_totals_are_exact(
    ps: yktrules.PolicySet, monthly: list[Decimal], yearly: list[Decimal]
) -> None:
    pays = [
        payment(id=f"M{i}", period=f"2024-{i + 1:02d}-01", amount=str(a))
        for i, a in enumerate(monthly)
    ]
    pays += [
        payment(id=f"Y{i}", item="SC-NY-001", period=f"{2022 + i}-01-01", amount=str(a))
        for i, a in enumerate(yearly)
    ]
    card = mingbai_card(family().applicant, policies=ps, payments=pays, as_of=date(2025, 1, 1))
    assert card.total_paid == sum(monthly, Decimal(0)) + sum(yearly, Decimal(0))
    assert isinstance(card.total_paid, Decimal)
    per = card.received_per_period()
    if monthly:
        assert per["monthly"] == monthly[-1]
    if yearly:
        assert per["yearly"] == yearly[-1]
    if monthly or yearly:
        total = card.total_paid.quantize(Decimal("0.01"))
        assert f"花名册内累计已发放：{total}元" in card.text()


# ------------------------------------------------------------------ CLI


def _jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    rows = [p.model_dump(mode="json") for p in liu_payments()[:4]]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(2, '{"batch": "B1", "item": "SC-MZ-001"}')  # line 3: a bad row
    lines.append("[1, 2]")  # line 6: not an object
    lines.append(json.dumps({**rows[0], "item": "XX-9", "id": "P9"}, ensure_ascii=False))
    p = tmp_path / "roster.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_notice_one_row_per_line_with_error_rows(roster: Path) -> None:
    r = run("notice", "--policies", str(POLICIES), str(roster))
    assert r.exit_code == 0, r.output
    rows = _jsonl(r.stdout)
    assert [x["line"] for x in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert [x["id"] for x in rows] == ["P1", "P2", None, "P3", "P4", None, "P9"]
    assert rows[2]["error"] == "input" and rows[2]["errors"]
    assert rows[5]["error"] == "input"
    assert rows[0]["policy"] == "NJ-ZZ-MZ-001" and rows[0]["notice"].startswith("刘*强您好")
    assert rows[6]["policy"] is None and "XX-9" in rows[6]["note"]
    assert "刘志强" not in r.stdout and LIU_ID not in r.stdout
    assert "5 份告知书，2 行错误" in r.stderr


def test_cli_notice_out_unmask_and_csv(tmp_path: Path) -> None:
    csv = tmp_path / "roster.csv"
    write_table(csv, [p.model_dump() for p in liu_payments()[:2]])
    out = tmp_path / "n.jsonl"
    r = run("notice", "--policies", str(POLICIES), str(csv), "--out", str(out), "--unmask")
    assert r.exit_code == 0, r.output
    rows = _jsonl(out.read_text(encoding="utf-8"))
    assert [x["line"] for x in rows] == [2, 3]  # CSV: the header is line 1
    assert rows[0]["notice"].startswith("刘志强您好")


def test_cli_notice_bad_templates_exit_2(tmp_path: Path, roster: Path) -> None:
    write(tmp_path / "t", "x.notices.yaml", 'default: "{姓名}{金钱}"\n')
    r = run("notice", "--policies", str(POLICIES), "--templates", str(tmp_path / "t"), str(roster))
    assert r.exit_code == 2
    assert f"{tmp_path / 't' / 'x.notices.yaml'}:1:" in r.stderr and "{金额}" in r.stderr
    assert "Traceback" not in r.output


def test_cli_notice_templates_folder_without_files_uses_builtin(
    tmp_path: Path, roster: Path
) -> None:
    (tmp_path / "empty").mkdir()
    r = run(
        "notice", "--templates", str(tmp_path / "empty"), "--policies", str(POLICIES), str(roster)
    )
    assert r.exit_code == 0
    assert "社会保障卡（一卡通）" in _jsonl(r.stdout)[0]["notice"]


def test_cli_notice_missing_roster_exit_2(tmp_path: Path) -> None:
    r = run("notice", "--policies", str(POLICIES), str(tmp_path / "nope.csv"))
    assert r.exit_code == 2 and "文件不存在" in r.stderr


def test_cli_card_text_and_html(tmp_path: Path, roster: Path) -> None:
    html = tmp_path / "card.html"
    args = ["card", "--policies", str(POLICIES), str(FAMILY), "--roster", str(roster)]
    r = run(*args, "--as-of", "2025-03-31", "--html", str(html))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("惠民惠农财政补贴明白卡") and "刘*强" in r.stdout
    assert "资中县城乡居民最低生活保障金" in r.stdout and "1920.30元" in r.stdout
    assert "2 行无法读取" in r.stderr
    page = html.read_text(encoding="utf-8")
    assert "1920.30元" in page and not ID_RE.search(page)
    r = run(*args, "--unmask")
    assert LIU_ID in r.stdout and "刘志强" in r.stdout


def test_cli_card_bad_facts_exit_2(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", '{"application": {"date": "2021-13-01"}}')
    r = run("card", "--policies", str(POLICIES), str(bad))
    assert r.exit_code == 2 and "申请材料校验未通过" in r.stderr
    r = run("card", "--policies", str(POLICIES), str(tmp_path / "none.json"))
    assert r.exit_code == 2 and "文件不存在" in r.stderr
    r = run("card", "--policies", str(POLICIES), str(FAMILY), "--as-of", "2025-13-01")
    assert r.exit_code == 2 and "不是有效日期" in r.output


def test_cli_card_masks_ids_in_facts_errors(tmp_path: Path) -> None:
    data = json.loads(FAMILY.read_text(encoding="utf-8"))
    data["applicant"]["id_number"] = "511025197207090017"  # bad check digit
    bad = write(tmp_path, "bad.json", json.dumps(data, ensure_ascii=False))
    r = run("card", "--policies", str(POLICIES), str(bad))
    assert r.exit_code == 2 and "511025197207090017" not in r.output


def test_example_script_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location(
        "mingbai_example", ROOT / "examples" / "mingbai_card.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    page = tmp_path / "card.html"
    assert mod.main(["--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "花名册内累计已发放：2264.00元" in out and "资中县2025年3月低保金640.00元" in out
    assert not ID_RE.search(out) and not ID_RE.search(page.read_text(encoding="utf-8"))
