"""Issue 6, judged as a supervisor would: a roster of tens of thousands of clean payments with
planted frauds of every kind yields exactly the planted findings through `yktrules audit`,
and no command prints an ID number, card number or full name from its input by default."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from yktrules.cli import cli
from yktrules.facts.ids import is_valid_id_number
from yktrules.roster.io import read_table
from yktrules.roster.models import Payment

ROOT = Path(__file__).resolve().parent.parent
PLANTS = "AUD-01=3,AUD-02=3,AUD-03=3,AUD-04=3,AUD-05=3,AUD-06=3,AUD-07=2,AUD-08=1"
# digits standing alone (a sha256 digest in hex may hold 18 digits in a row by chance)
_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("roster")
    r = _run(
        "synth-roster", "30000", "--seed", "26", "--out", d / "roster.csv", "--plants", PLANTS,
        "--expected", d / "expected.json", "--standards", ROOT / "audits",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return d


def _found(lines: str) -> set[tuple[str, frozenset[str]]]:
    out = set()
    for line in lines.splitlines():
        doc = json.loads(line)
        assert "error" not in doc, doc
        out.add((doc["audit"], frozenset(r["id"] for r in doc["records"])))
    return out


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_planted_frauds_among_thirty_thousand_clean_rows(roster: Path, engine: str) -> None:
    expected = json.loads((roster / "expected.json").read_text("utf-8"))
    want = {(f["audit"], frozenset(f["ids"])) for f in expected["findings"]}
    assert {a for a, _ in want} == {f"AUD-0{i}" for i in range(1, 9)}
    out = roster / f"findings-{engine}.jsonl"
    r = _run(
        "audit", "--audits", ROOT / "audits", roster / "roster.csv",
        "--deaths", roster / "deaths.csv", "--agents", roster / "agents.csv",
        "--engine", engine, "--as-of", "2026-06-01", "--out", out, "--fail-on-findings",
    )  # fmt: skip
    assert r.exit_code == 1, r.output  # findings, and --fail-on-findings
    assert _found(out.read_text("utf-8")) == want


def _secrets(*files: Path) -> set[str]:
    """Every ID number, card number and full name in the inputs."""
    found: set[str] = set()

    def walk(v: object, key: str = "") -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, key)
        elif isinstance(v, str):
            card = key.endswith("card_no") and len(v) >= 12
            name = key.endswith("name") and len(v) >= 3  # two-character names mask to 张*
            if card or name or is_valid_id_number(v):
                found.add(v)

    for f in files:
        if f.suffix == ".csv":
            for _, p in read_table(f, Payment).rows:
                walk(p.model_dump(mode="json"))
        else:
            for line in f.read_text("utf-8").splitlines():
                walk(json.loads(line))
    return found


def _assert_clean(text: str, secrets: set[str]) -> None:
    leaked = sorted(s for s in secrets if s in text)
    assert not leaked, leaked[:5]
    for m in _DIGITS.finditer(text):
        assert not is_valid_id_number(m.group()), m.group()


def test_no_default_output_shows_an_id_number(roster: Path, tmp_path: Path) -> None:
    apps = ROOT / "examples" / "applications.jsonl"
    small = roster / "small.csv"  # an input: not among the outputs checked below
    lines = (roster / "roster.csv").read_text("utf-8").splitlines(keepends=True)
    small.write_text("".join(lines[:400]), "utf-8")
    full = roster / "roster.csv"
    secrets = _secrets(apps, full)
    assert len(secrets) > 100
    outputs: list[str] = []

    def run(*args: str | Path) -> None:
        r = _run(*args)
        assert r.exit_code in (0, 1), r.output
        outputs.append(r.output)

    run("screen", "--all-items", apps, "--out", tmp_path / "py.jsonl")
    run("screen", "--all-items", apps, "--engine", "duckdb", "--out", tmp_path / "dk.jsonl")
    run("screen", "--all-items", apps, "--log", tmp_path / "decisions.log", "--actor", "t")
    one = tmp_path / "one.json"
    for line in apps.read_text("utf-8").splitlines()[:4]:
        doc = json.loads(line)
        one.write_text(line, "utf-8")
        item = doc["application"].get("item", "SC-MZ-001")
        run("eval", one, "--item", item, "--format", "text")
        run("eval", one, "--item", item, "--trace", "--log", tmp_path / "decisions.log")
        run("card", one, "--roster", small, "--html", tmp_path / f"{item}.html")
    run("notice", small, "--out", tmp_path / "notices.jsonl")
    audit: list[str | Path] = ["audit", "--audits", ROOT / "audits", full, "--as-of", "2026-06-01"]
    run(*audit, "--deaths", roster / "deaths.csv", "--agents", roster / "agents.csv")
    run("log", "verify", tmp_path / "decisions.log")
    changed = tmp_path / "changed"
    shutil.copytree(ROOT / "policies", changed)
    table = next(changed.rglob("*.params.yaml"))
    table.write_text(table.read_text("utf-8") + "\n", "utf-8")
    run("diff", ROOT / "policies", changed, "--population", apps, "--format", "json")
    files = [p for p in tmp_path.iterdir() if p.is_file() and p.suffix != ".json"]
    assert {p.suffix for p in files} >= {".jsonl", ".html", ".log"}
    _assert_clean("\n".join(outputs), secrets)
    for p in files:
        _assert_clean(p.read_text("utf-8"), secrets)
    # --unmask is the explicit way to see them, and it works
    r = _run(*audit, "--unmask")
    assert any(s in r.output for s in secrets)
