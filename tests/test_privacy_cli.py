"""No command prints an ID number in full by default: `eval` (JSON and text), `screen` (every
engine and output format, decisions and error rows), `test` failures; `--unmask` shows them.
And `--log`/`--actor` of `eval` and `screen`."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner, Result

from pii_facts import CARD, ID, facts
from yktrules.cli import cli
from yktrules.facts import make_id_number
from yktrules.facts.privacy import mask_card, mask_id
from yktrules.log.chain import verify_log

ID2 = make_id_number("510104", date(1988, 7, 9), 12, "男")
_ANY_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")  # not inside a hex digest

POLICY = (
    'policy "T-1" "测试" {\n region: "510000"\n effective: 2020-01-01\n'
    ' review who "请核实申请人{applicant.id_number}的卡号{applicant.card_no}": true\n'
    " amount: 10\n}\n"
)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pol").mkdir()
    (tmp_path / "pol" / "t.ykt").write_text(POLICY, encoding="utf-8")
    (tmp_path / "f.json").write_text(json.dumps(facts(), ensure_ascii=False), encoding="utf-8")
    rows = [
        json.dumps(facts(), ensure_ascii=False),
        # an item code that is an ID number: the no_policy error echoes it
        json.dumps(facts("A2", item=ID), ensure_ascii=False),
        # broken JSON around an ID number
        '{"applicant": {"id_number": "%s",}' % ID2,
        # an ID with a wrong check digit
        json.dumps(dict(facts("A4"), applicant={"id_number": ID2[:17] + "0"}), ensure_ascii=False),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _assert_masked(text: str) -> None:
    assert ID not in text and ID2 not in text and CARD not in text
    assert _ANY_ID.search(text) is None, _ANY_ID.search(text)


def test_eval_masks_by_default(work: Path) -> None:
    for fmt in ("json", "text"):
        r = _run("eval", "--policies", "pol", "--item", "T-1", "f.json", "--format", fmt)
        assert r.exit_code == 0, r.output
        _assert_masked(r.output)
        assert mask_id(ID) in r.output and mask_card(CARD) in r.output
        r = _run(
            "eval", "--policies", "pol", "--item", "T-1", "f.json", "--format", fmt, "--unmask"
        )
        assert ID in r.output and CARD in r.output
    r = _run("eval", "--policies", "pol", "--item", "T-1", "f.json", "--trace")
    _assert_masked(r.output)
    # the version is a digest and is never masked
    assert json.loads(r.output)["version"].startswith("sha256:")


def test_eval_errors_mask_too(work: Path) -> None:
    bad = work / f"{ID}.json"  # files named after the applicant are common
    bad.write_text('{"application": 1}', encoding="utf-8")
    r = _run("eval", "--policies", "pol", "--item", "T-1", str(bad))
    assert r.exit_code == 2
    _assert_masked(r.output)
    r = _run("eval", "--policies", "pol", "--item", "T-1", str(bad), "--unmask")
    assert r.exit_code == 2 and ID in r.output


def _outputs(path: Path) -> str:
    if path.suffix == ".parquet":
        return json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str)
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_screen_masks_by_default(work: Path, engine: str) -> None:
    r = _run("screen", "--policies", "pol", "in.jsonl", "--engine", engine)
    assert r.exit_code == 0, r.output
    _assert_masked(r.output)
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [("error" in x) for x in rows] == [False, True, True, True]
    assert rows[0]["decisions"][0]["reasons"][0]["message"] == (
        f"请核实申请人{mask_id(ID)}的卡号{mask_card(CARD)}"
    )
    assert mask_id(ID) in rows[1]["error"]["errors"][0]["message"]
    for suffix in ("jsonl", "parquet"):
        out = work / f"out-{engine}.{suffix}"
        r = _run("screen", "--policies", "pol", "in.jsonl", "--engine", engine, "--out", str(out))
        assert r.exit_code == 0, r.output
        _assert_masked(r.output + _outputs(out))
        r = _run(
            "screen", "--policies", "pol", "in.jsonl", "--engine", engine, "--out", str(out),
            "--unmask",
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        text = _outputs(out)
        assert ID in text and CARD in text


def test_python_and_duckdb_write_the_same_masked_rows(work: Path) -> None:
    a = _run("screen", "--policies", "pol", "in.jsonl", "--engine", "python", "--no-summary")
    b = _run("screen", "--policies", "pol", "in.jsonl", "--engine", "duckdb", "--no-summary")
    assert a.stdout == b.stdout
    for engine in ("python", "duckdb"):
        _run(
            "screen",
            "--policies",
            "pol",
            "in.jsonl",
            "--engine",
            engine,
            "--out",
            f"{engine}.parquet",
        )
    assert pq.read_table("python.parquet").equals(pq.read_table("duckdb.parquet"))


def test_test_failures_are_masked(work: Path) -> None:
    cases = {
        "policies": "pol",
        "item": "T-1",
        "cases": [{"name": "失败的用例", "facts": facts(), "expect": {"outcome": "eligible"}}],
    }
    (work / "t.cases.yaml").write_text(yaml.safe_dump(cases, allow_unicode=True), encoding="utf-8")
    r = _run("test", "t.cases.yaml")
    assert r.exit_code == 1
    assert "FAIL" in r.output and mask_id(ID) in r.output
    _assert_masked(r.output)


def test_eval_and_screen_append_to_a_log(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "caseworker-017")
    r = _run("eval", "--policies", "pol", "--item", "T-1", "f.json", "--log", "d.log")
    assert r.exit_code == 0, r.output
    r = _run("screen", "--policies", "pol", "in.jsonl", "--log", "d.log", "--actor", "batch-7")
    assert r.exit_code == 0, r.output
    report = verify_log("d.log")
    assert report.ok and report.entries == 2  # one decision each; error rows are not logged
    entries = [json.loads(x) for x in Path("d.log").read_text(encoding="utf-8").splitlines()]
    assert [(e["actor"], e["request"]) for e in entries] == [
        ("caseworker-017", "A1"),
        ("batch-7", "A1"),
    ]
    assert entries[0]["facts_digest"] == entries[1]["facts_digest"]
    _assert_masked(Path("d.log").read_text(encoding="utf-8"))
    r = _run("eval", "--policies", "pol", "--item", "T-1", "f.json", "--log", "u.log", "--unmask")
    assert ID in Path("u.log").read_text(encoding="utf-8")


def test_log_option_errors(work: Path) -> None:
    r = _run("screen", "--policies", "pol", "in.jsonl", "--engine", "duckdb", "--log", "d.log")
    assert r.exit_code == 2 and "--engine python" in r.output
    r = _run("eval", "--policies", "pol", "--item", "T-1", "f.json", "--actor", "x")
    assert r.exit_code == 2 and "--log" in r.output
    Path("bad.log").write_text('{"seq": 1', encoding="utf-8")  # a torn line
    r = _run("screen", "--policies", "pol", "in.jsonl", "--log", "bad.log")
    assert r.exit_code == 2 and "torn" in r.output
    r = _run("eval", "--policies", "pol", "--item", "T-1", "f.json", "--log", "bad.log")
    assert r.exit_code == 2 and "torn" in r.output
    r = _run("eval", "--policies", "pol", "--item", "T-1", "f.json", "--log", "nodir/x/d.log")
    assert r.exit_code == 2 and "cannot write the log" in r.output
    assert "Traceback" not in r.output
