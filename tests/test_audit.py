"""Roster audits: the language extension (audit, alert, joins, group, per-item parameters),
the reference evaluation, and the DuckDB engine against it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yktrules import PolicyError
from yktrules.audit import AuditSet, load_audits
from yktrules.facts.ids import make_id_number
from yktrules.roster.models import Agent, Death, Payment

ROOT = Path(__file__).resolve().parent.parent
IDS = [make_id_number("511025", date(1950, 1, 1), i, "男") for i in range(1, 40)]


@pytest.fixture(scope="module")
def audits() -> AuditSet:
    return load_audits(ROOT / "audits")


def pay(i: int, **kw: object) -> Payment:
    base: dict[str, object] = dict(
        id=f"P{i}",
        batch="B1",
        item="SC-MZ-001",
        period=date(2025, 3, 1),
        beneficiary_id=IDS[0],
        beneficiary_name="张三英",
        card_no="6217000000000001",
        card_holder_id=IDS[0],
        card_holder_name="张三英",
        amount="500",
        region="511025",
        approved_by="王审",
        disbursed_by="李发",
    )
    base.update(kw)
    return Payment.model_validate(base)


def own(i: int, n: int, **kw: object) -> Payment:
    """Payment `i` to person `n` on their own card."""
    return pay(i, beneficiary_id=IDS[n], card_holder_id=IDS[n], card_no=f"C{n}", **kw)


def planted() -> tuple[list[Payment], list[Death], list[Agent], set[tuple[str, frozenset[str]]]]:
    rows = [
        pay(1),
        pay(2, beneficiary_id=IDS[1], card_holder_id=IDS[1]),  # one card, two people
        pay(3, beneficiary_id=IDS[2], card_no="C2", card_holder_id=IDS[3]),  # not own card
        pay(4, beneficiary_id=IDS[4], card_no="C4x", card_holder_id=IDS[5]),  # agent: fine
        own(5, 6, amount="900"),  # above 资中's 700
        own(6, 7, period=date(2025, 5, 1)),  # died 2025-04-10
        own(7, 7, period=date(2025, 4, 1)),  # paid for the month of death: fine
        own(8, 8, batch="B9", approved_by="赵", disbursed_by="赵"),
        own(9, 9),
        own(10, 9, batch="B2"),  # paid twice
        own(11, 10, item="SC-MZ-002", amount="800"),
        own(12, 10),  # 低保 and 特困 together
        own(13, 11, item="SC-MZ-005", amount="100"),
        own(14, 11),  # 低保 and 高龄: not exclusive
    ]
    for t in range(3):  # three cards, three names rotating over three periods
        for j in range(3):
            n = 20 + (j + t) % 3
            rows.append(
                pay(
                    100 + 10 * t + j,
                    beneficiary_id=IDS[n],
                    card_holder_id=IDS[n],
                    card_no=f"R{j}",
                    period=date(2025, 1 + t, 1),
                    batch=f"R{t}",
                )
            )
    deaths = [Death.model_validate({"id_number": IDS[7], "death_date": "2025-04-10"})]
    agents = [Agent.model_validate({"beneficiary_id": IDS[4], "agent_id": IDS[5]})]
    ring = {("AUD-08", frozenset(f"P{100 + 10 * t + j}" for t in range(3))) for j in range(3)}
    expected = {
        ("AUD-01", frozenset({"P1", "P2"})),
        ("AUD-02", frozenset({"P3"})),
        ("AUD-05", frozenset({"P5"})),
        ("AUD-04", frozenset({"P6"})),
        ("AUD-07", frozenset({"P8"})),
        ("AUD-03", frozenset({"P9", "P10"})),
        ("AUD-06", frozenset({"P11", "P12"})),
    } | ring
    return rows, deaths, agents, expected


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_planted_findings_exactly(audits: AuditSet, engine: str) -> None:
    rows, deaths, agents, expected = planted()
    report = audits.run(
        rows,
        {"deaths": deaths, "agents": agents},
        engine=engine,
        as_of=date(2025, 6, 1),  # type: ignore[arg-type]
    )
    got = {(f.audit, f.ids) for f in report.findings}
    assert got == expected
    assert all(o.undetermined == 0 for o in report.outcomes)
    by = {f.audit: f for f in report.findings}
    assert "2025-04-10" in by["AUD-04"].message and "500元" in by["AUD-04"].message
    assert by["AUD-05"].message.count("700") == 1 and by["AUD-05"].amount == Decimal("900")
    assert by["AUD-03"].message.startswith("受益人") and "2次" in by["AUD-03"].message


def test_findings_are_masked_by_default(audits: AuditSet) -> None:
    rows, deaths, agents, _ = planted()
    masked = audits.run(rows, {"deaths": deaths, "agents": agents}, as_of=date(2025, 6, 1))
    text = "\n".join(str(f.to_dict()) for f in masked.findings)
    assert not any(i in text for i in IDS), "an ID number is shown in full"
    assert "张三英" not in text and "张*英" in text
    assert "6217000000000001" not in text
    plain = audits.run(
        rows, {"deaths": deaths, "agents": agents}, as_of=date(2025, 6, 1), unmask=True
    )
    assert IDS[7] in "\n".join(f.message for f in plain.findings)


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_registry_not_supplied_is_unknown_not_empty(audits: AuditSet, engine: str) -> None:
    rows, _, _, _ = planted()
    report = audits.run(rows, {}, engine=engine, as_of=date(2025, 6, 1))  # type: ignore[arg-type]
    out = {o.audit: o for o in report.outcomes}
    assert not out["AUD-04"].findings and out["AUD-04"].missing_tables == ("deaths",)
    assert out["AUD-04"].undetermined == len(rows)
    # holder ≠ beneficiary can't be cleared without the agents register: P3 and P4 undecided
    assert not out["AUD-02"].findings and out["AUD-02"].undetermined == 2


# ---------------------------------------------------------------- the reference = DuckDB
_people = st.integers(0, 5)
_payment = st.fixed_dictionaries(
    {
        "n": _people,
        "holder": st.one_of(st.none(), _people),
        "card": st.integers(0, 4),
        "item": st.sampled_from(["SC-MZ-001", "SC-MZ-002", "SC-MZ-005", "SC-MZ-020", "SC-MZ-021"]),
        "period": st.sampled_from([date(2025, m, 1) for m in (1, 2, 3, 4)]),
        "amount": st.decimals(0, 1000, places=2),
        "region": st.sampled_from(["511025", "511002", "511000", "513400"]),
        "staff": st.tuples(st.sampled_from("甲乙丙"), st.sampled_from("甲乙丙")),
        "batch": st.sampled_from(["B1", "B2"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_payment, max_size=25),
    st.one_of(st.none(), st.lists(st.tuples(_people, st.integers(1, 4)), max_size=3)),
    st.one_of(st.none(), st.lists(st.tuples(_people, _people), max_size=3)),
)
def test_duckdb_equals_reference(audits: AuditSet, specs, deaths, agents) -> None:  # type: ignore[no-untyped-def]
    rows = [
        pay(
            i,
            beneficiary_id=IDS[s["n"]],
            beneficiary_name=f"受益人{s['n']}",
            card_holder_id=IDS[s["n"] if s["holder"] is None else s["holder"]],
            card_no=f"C{s['card']}",
            item=s["item"],
            period=s["period"],
            amount=s["amount"],
            region=s["region"],
            approved_by=s["staff"][0],
            disbursed_by=s["staff"][1],
            batch=s["batch"],
        )
        for i, s in enumerate(specs)
    ]
    regs = {
        "deaths": None
        if deaths is None
        else [
            Death.model_validate({"id_number": IDS[n], "death_date": date(2025, m, 15)})
            for n, m in deaths
        ],
        "agents": None
        if agents is None
        else [
            Agent.model_validate({"beneficiary_id": IDS[a], "agent_id": IDS[b]}) for a, b in agents
        ],
    }
    ref = audits.run(rows, regs, engine="python", as_of=date(2025, 6, 1), unmask=True)
    sql = audits.run(rows, regs, engine="duckdb", as_of=date(2025, 6, 1), unmask=True)
    for a, b in zip(ref.outcomes, sql.outcomes, strict=True):
        assert a.audit == b.audit
        key = lambda f: (f.alert, sorted(f.ids))  # noqa: E731
        assert sorted((key(f), f.message, f.amount) for f in a.findings) == sorted(
            (key(f), f.message, f.amount) for f in b.findings
        ), a.audit
        assert (a.subjects, a.undetermined, a.missing_tables) == (
            b.subjects,
            b.undetermined,
            b.missing_tables,
        ), a.audit


# ---------------------------------------------------------------- the checker
def _errors(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "a.ykt").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        load_audits(tmp_path, params=[ROOT / "audits"])
    return [d.code for d in e.value.diagnostics if d.is_error]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('group: [card_nox]\n alert a "x": true', "E403"),
        ('colour: "红"\n alert a "x": true', "E401"),
        ('severity: "极高"\n alert a "x": true', "E401"),
        ('alert a "x": count(roster) > 1', "E402"),
        ('alert a "x": exists(registry.deaths[death_date < row.period])', "E402"),
        ('alert a "x": any p in [row.period]: exists(roster[period == p])', "E402"),
        ('require a "x": true', "E404"),
        ("let x = 1", "E404"),
        ('group: [card_no]\n alert a "x": row.amount > 1', "E405"),
        ('group: [card_no]\n alert a "x": param.payment_standard > 1', "E406"),
        ('alert a "x": row.amount > param.no_such', "E203"),
        ('alert a "x": row.amout > 1', "E202"),
    ],
)
def test_checker_errors(tmp_path: Path, body: str, code: str) -> None:
    assert code in _errors(tmp_path, f'audit "T" "t" {{\n {body}\n}}\n')


def test_alert_in_a_policy_and_per_item_parameter_in_a_policy(tmp_path: Path) -> None:
    (tmp_path / "p.ykt").write_text(
        'policy "P" "p" {\n region: "510000"\n effective: 2021-01-01\n'
        ' alert a "x": true\n require b "y": param.payment_standard > 1\n}\n',
        encoding="utf-8",
    )
    (tmp_path / "s.params.yaml").write_text(
        (ROOT / "audits" / "standards.params.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    import yktrules

    with pytest.raises(PolicyError) as e:
        yktrules.load(tmp_path)
    codes = {d.code for d in e.value.diagnostics}
    assert {"E127", "E213"} <= codes


def test_per_item_parameter_resolution(audits: AuditSet) -> None:
    d = audits.params.get("payment_standard")
    assert d is not None and d.per_item
    assert d.resolve("511025", date(2025, 3, 1), "SC-MZ-001")[2] == Decimal(700)  # type: ignore[index]
    assert d.resolve("511011", date(2025, 3, 1), "SC-MZ-001")[2] == Decimal(680)  # type: ignore[index]
    assert d.resolve("511011", date(2021, 6, 1), "SC-MZ-001")[2] == Decimal(640)  # type: ignore[index]
    assert d.resolve("511011", date(2025, 3, 1), "XX-000") is None


def test_audit_files_are_formatted_and_format_round_trips() -> None:
    from yktrules.format import ast_equal, format_source
    from yktrules.lang.parser import parse

    for f in sorted((ROOT / "audits").glob("*.ykt")):
        text = f.read_text(encoding="utf-8")
        assert format_source(text, str(f)) == text, f"{f.name}: run `yktrules fmt audits/`"
    zh = (
        '稽核 "T" "中文" {\n    分组: [卡号]\n    令 n = 计数(本组)\n    预警 多 "{n}": n >= 2\n}\n'
    )
    out = format_source(zh)
    assert out.startswith("稽核 ") and "预警 多" in out
    a, _ = parse(zh)
    b, _ = parse(out)
    assert a is not None and b is not None and ast_equal(a, b)


def test_chinese_keywords_and_names(tmp_path: Path) -> None:
    (tmp_path / "a.ykt").write_text(
        '稽核 "T" "一卡多人" {\n    分组: [卡号, 发放期]\n    令 人数 = 计数(去重(本组.受益人身份证号))\n'
        '    预警 多人 "卡号{分组.卡号}有{人数}人": 人数 >= 2\n}\n',
        encoding="utf-8",
    )
    audits = load_audits(tmp_path)
    rows, _, _, _ = planted()
    got = {f.ids for f in audits.run(rows, {}, engine="python", as_of=date(2025, 6, 1)).findings}
    assert got == {frozenset({"P1", "P2"})}


# ---------------------------------------------------------------- the SQL carries what it reads
def test_group_lists_carry_only_the_fields_read(audits: AuditSet) -> None:
    from yktrules.audit.sql import element_fields

    one_card = audits.audits["AUD-01"].grouped
    assert one_card is not None
    assert element_fields(one_card) == {"beneficiary_id", "card_no", "period"}


@pytest.mark.parametrize(
    ("let", "pruned"),
    [
        # whole records compared: every field, or two payments differing only in one the
        # rule does not name would be equal
        ("any r in rows: any s in rows: r != s", False),
        ("count(rows[amount > 100]) >= 2", True),
        ("count(distinct(rows.id)) >= 2", True),
    ],
)
def test_whole_records_keep_every_field(tmp_path: Path, let: str, pruned: bool) -> None:
    from yktrules.audit.sql import element_fields

    (tmp_path / "a.ykt").write_text(
        'audit "T" "t" {\n    group: [card_no]\n'
        f"    let n = {let}\n"
        '    alert many "卡号{key.card_no}：{n}": n\n}\n',
        encoding="utf-8",
    )
    audits = load_audits(tmp_path)
    stage = audits.audits["T"].grouped
    assert stage is not None
    assert (element_fields(stage) is not None) == pruned
    rows, _, _, _ = planted()
    # two payments that differ only in a field the rule does not name are still two records
    rows = [*rows, pay(90, card_no="C90", amount=Decimal(150)), pay(91, card_no="C90")]
    got = [
        sorted(
            (f.ids, f.message)
            for f in audits.run(rows, {}, engine=e, as_of=date(2025, 6, 1)).findings
        )
        for e in ("python", "duckdb")
    ]
    assert got[0] == got[1] and got[0]


def test_check_counts_the_audits() -> None:
    from click.testing import CliRunner

    from yktrules.cli import cli

    r = CliRunner().invoke(cli, ["check", str(ROOT / "audits")])
    assert r.exit_code == 0, r.output
    assert "（0 个政策、8 条稽核）" in r.output
