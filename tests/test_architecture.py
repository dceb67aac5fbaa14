"""The package tree tells how the product works (docs/architecture.md), and stays that way:
import-linter's contracts (pyproject.toml) hold, no two modules import each other even
indirectly, no module is over 600 lines, every package says what lives there and what it may
import, and the architecture page names every package and every command."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

from yktrules.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "yktrules"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
MAX_LINES = 600
ROOT_MODULES = {"__init__.py", "__main__.py", "errors.py", "_version.py"}


def _packages() -> list[Path]:
    return sorted(p.parent for p in PKG.rglob("__init__.py") if "__pycache__" not in p.parts)


def _top_packages() -> list[str]:
    return sorted(p.name for p in PKG.iterdir() if (p / "__init__.py").is_file())


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("yktrules")


def test_import_linter_contracts_are_kept() -> None:
    exe = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run(
        [str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_every_package_is_in_a_layer() -> None:
    """A new package cannot escape the one-way flow: the layers contract names each one."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["id"] == "pipeline")["layers"]
    named = {m.strip() for layer in layers for m in layer.split("|")}
    expected = {f"yktrules.{p}" for p in _top_packages()}
    expected |= {f"yktrules.{p.stem}" for p in PKG.glob("*.py")} - {
        "yktrules.__init__",
        "yktrules.__main__",
    }
    assert named == expected


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    component.append(m)
                    if m == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules(graph: grimp.ImportGraph) -> None:
    """Counting imports inside functions and under TYPE_CHECKING too."""
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []


def test_nothing_imports_the_public_surface(graph: grimp.ImportGraph) -> None:
    assert graph.find_modules_that_directly_import("yktrules") == set()


def test_no_module_over_the_limit() -> None:
    long = {
        str(p.relative_to(PKG)): n
        for p in PKG.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_root_holds_only_the_public_surface() -> None:
    assert {p.name for p in PKG.glob("*.py")} <= ROOT_MODULES


@pytest.mark.parametrize("package", _packages(), ids=lambda p: str(p.relative_to(PKG.parent)))
def test_package_docstring_says_what_lives_there_and_what_it_may_import(package: Path) -> None:
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc, f"{package.name}/__init__.py has no docstring"
    first = doc.split("\n\n")[0]
    assert len(first.splitlines()) <= 3, first
    if package != PKG:
        assert re.search(r"\bimport", first, re.I), f"{package.name}: say what it may import"


@pytest.mark.parametrize("package", _top_packages())
def test_architecture_page_describes_every_package(package: str) -> None:
    assert f"`{package}/`" in ARCHITECTURE


def test_architecture_page_names_every_command_and_its_module() -> None:
    for name, command in cli.commands.items():
        assert f"`yktrules {name}" in ARCHITECTURE, name
        assert command.callback is not None
        module = sys.modules[command.callback.__module__]
        assert module.__name__.startswith("yktrules.cli."), module.__name__
        assert f"`{module.__name__.rsplit('.', 1)[1]}.py`" in ARCHITECTURE, name


def test_every_cli_module_is_a_command_group_or_shared() -> None:
    """cli/ holds the group, the commands and what they share, nothing else."""
    homes = set()
    for command in cli.commands.values():
        subcommands = getattr(command, "commands", None) or {"": command}
        for sub in subcommands.values():
            assert sub.callback is not None
            homes.add(sys.modules[sub.callback.__module__].__file__)
    modules = {str(p) for p in (PKG / "cli").glob("*.py")}
    extra = {Path(m).name for m in modules - homes}
    assert extra == {"__init__.py", "main.py", "support.py"}
