"""Golden files: each policy in tests/golden/errors/ and the exact `yktrules check` output
it must produce (file:line:col, code, message, source line, caret, hint).

Set YKT_UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from yktrules.cli import cli

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "tests" / "golden" / "errors").glob("*.ykt"))


@pytest.mark.parametrize("policy", CASES, ids=[p.stem for p in CASES])
def test_check_output_matches_golden(policy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rel = policy.relative_to(ROOT)
    result = CliRunner().invoke(cli, ["check", str(rel)])
    assert result.exit_code == 1
    expected = policy.with_suffix(".expected")
    if os.environ.get("YKT_UPDATE_GOLDEN"):
        expected.write_text(result.output, encoding="utf-8")
    assert result.output == expected.read_text(encoding="utf-8")
    assert "Traceback" not in result.output
