"""The command line: exit codes, and never a traceback for bad input (INTERFACES.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXE = [sys.executable, "-m", "yktrules"]


def run(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXE, *args], cwd=cwd, capture_output=True, text=True, input=stdin, timeout=120
    )


def test_check_clean_library() -> None:
    p = run("check", "policies")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "检查通过" in p.stdout


def test_eval_text_is_explain() -> None:
    p = run("eval", "--item", "SC-MZ-001", "examples/zizhong_family.json", "--format", "text")
    assert p.returncode == 0, p.stderr
    assert "预审结果" in p.stdout and "咨询电话" in p.stdout
    j = run("eval", "--item", "SC-MZ-001", "examples/zizhong_family.json")
    doc = json.loads(j.stdout)
    assert doc["item"] == "SC-MZ-001" and doc["version"].startswith("sha256:")


def test_list_filters_by_region() -> None:
    p = run("list", "--region", "511025", "--as-of", "2024-03-01", "--format", "json")
    rows = json.loads(p.stdout)
    by_item = {r["item"]: r["code"] for r in rows}
    assert len(by_item) == len(rows)  # one policy per item: the one that would screen
    assert by_item["SC-MZ-001"] == "NJ-ZZ-MZ-001"
    p = run("list", "--region", "511421", "--as-of", "2024-03-01", "--format", "json")
    assert {r["item"]: r["code"] for r in json.loads(p.stdout)}["SC-MZ-001"] == "SC-MZ-001"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check", "no/such/dir"], 1),
        (["eval", "--item", "SC-MZ-001", "no-such.json"], 2),
        (["eval", "--item", "NOPE", "examples/zizhong_family.json"], 2),
        (
            [
                "eval",
                "--item",
                "SC-MZ-001",
                "examples/zizhong_family.json",
                "--as-of",
                "2024-02-30",
            ],
            2,
        ),
        (
            [
                "eval",
                "--item",
                "SC-MZ-001",
                "examples/zizhong_family.json",
                "--as-of",
                "2010-01-01",
            ],
            2,
        ),
        (["list", "--region", "5110"], 2),
        (["list", "--policies", "no/such/dir"], 1),
        (["screen", "no-such.jsonl"], 2),
        (["test", "no/such/cases.yaml"], 1),
        (["frobnicate"], 2),
        (["eval", "--bogus-flag"], 2),
    ],
)
def test_bad_input_gives_one_paragraph_and_nonzero_exit(args: list[str], code: int) -> None:
    p = run(*args)
    assert p.returncode == code, p.stdout + p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    assert (p.stdout + p.stderr).strip()


def test_eval_bad_facts_lists_every_error(tmp_path: Path) -> None:
    doc = json.loads((ROOT / "examples" / "zizhong_family.json").read_text(encoding="utf-8"))
    doc["applicant"]["id_number"] = doc["applicant"]["id_number"][:-1] + (
        "0" if doc["applicant"]["id_number"][-1] != "0" else "1"
    )
    doc["household"]["deposits"] = -5
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    p = run("eval", "--item", "SC-MZ-001", str(f))
    assert p.returncode == 2
    assert "applicant.id_number" in p.stderr and "household.deposits" in p.stderr
    f.write_text("{not json", encoding="utf-8")
    p = run("eval", "--item", "SC-MZ-001", str(f))
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_malformed_policy_folder(tmp_path: Path) -> None:
    (tmp_path / "bad.ykt").write_text('policy "X" "x" {\n region: "510000"\n', encoding="utf-8")
    p = run("check", str(tmp_path))
    assert p.returncode == 1
    assert "bad.ykt:" in p.stdout and "error[E001]" in p.stdout
    p = run("eval", "--policies", str(tmp_path), "--item", "X", "examples/zizhong_family.json")
    assert p.returncode == 1 and "Traceback" not in p.stderr


def test_screen_rows_in_equal_rows_out(tmp_path: Path) -> None:
    good = (ROOT / "examples" / "applications.jsonl").read_text(encoding="utf-8").splitlines()
    lines = [good[0], "{broken", "", '{"application": {"id": "x"}}', good[1]]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    p = run("screen", str(src), "--out", str(out), "--no-summary")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5]
    assert ["error" in r for r in rows] == [False, True, True, True, False]
    assert rows[3]["application"] == "x" and rows[3]["error"]["type"] == "facts"


def test_screen_survives_a_line_that_is_not_utf8(tmp_path: Path) -> None:
    good = (ROOT / "examples" / "applications.jsonl").read_bytes().splitlines()[0]
    src = tmp_path / "in.jsonl"
    src.write_bytes(good + b"\n" + b'{"application": "\xff\xfe"}\n' + good + b"\n")
    p = run("screen", str(src), "--no-summary")
    assert p.returncode == 0 and "Traceback" not in p.stderr
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert [r.get("error", {}).get("type") for r in rows] == [None, "encoding", None]
