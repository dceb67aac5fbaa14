"""The generated docs pages match the policies and the facts schema (no drift)."""

from __future__ import annotations

from pathlib import Path

import yktrules
from yktrules.docgen import pages as docgen
from yktrules.facts import Application

ROOT = Path(__file__).resolve().parents[1]


def test_generated_docs_are_up_to_date() -> None:
    ps = yktrules.load(ROOT / "policies")
    assert docgen.stale(ROOT / "docs", ps, Application) == [], "run `yktrules docs`"


def test_catalog_lists_every_policy_and_rule() -> None:
    ps = yktrules.load(ROOT / "policies")
    page = docgen.catalog_markdown(ps)
    for p in ps.policies.values():
        assert f"## {p.code} {p.title}" in page
        for r in p.rules:
            assert f"`{r.name}`" in page


def test_unconfirmed_page_lists_every_sample_value() -> None:
    ps = yktrules.load(ROOT / "policies")
    page = docgen.unconfirmed_markdown(ps)
    for d in ps.params.decls.values():
        assert (f"`{d.name}`" in page) == (docgen.UNCONFIRMED in d.title)


def test_regions_are_replaced_in_place(tmp_path: Path) -> None:
    page = tmp_path / "facts.md"
    page.write_text(
        "# 标题\n\n前言\n\n<!-- BEGIN GENERATED: facts tables -->\nold\n"
        "<!-- END GENERATED: facts tables -->\n\n后记\n",
        encoding="utf-8",
    )
    ps = yktrules.load(ROOT / "policies")
    docgen.write(tmp_path, ps, Application)
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# 标题\n\n前言\n") and text.endswith("后记\n")
    assert "STALE-MARKER" not in text and "### Person" in text
    assert docgen.stale(tmp_path, ps, Application) == []
