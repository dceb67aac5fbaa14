"""The content-keyed cache of checked policy sets (`yktrules.bundle.cache`): a warm load gives the
same policies, warnings and decisions as a cold one; any edit makes a new entry; a damaged
entry or an unwritable directory never fails a load; `cache=False` touches nothing."""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import yktrules
from yktrules.bundle import cache
from yktrules.bundle.loader import Loaded
from yktrules.synth.applications import population

ROOT = Path(__file__).resolve().parents[1]

POLICY = """
policy "C-001" "缓存测试补贴" {
    region: "510000"
    effective: 2021-01-01

    let unused = 1
    let income = household.monthly_income

    require low_income "家庭月收入{income}元，须低于{param.c_line}元": income < param.c_line

    amount: param.c_line - income
}
"""

PARAMS = """
c_line:
  type: decimal
  values:
    "510000":
      2021-01-01: 600
"""


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("YKTRULES_CACHE_DIR", str(d))
    return d


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "c.ykt").write_text(POLICY, encoding="utf-8")
    (lib / "c.params.yaml").write_text(PARAMS, encoding="utf-8")
    return lib


def entries(d: Path) -> list[Path]:
    return sorted(d.glob("*" + cache.SUFFIX)) if d.exists() else []


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a load that parses and checks fail: the next load must come from the cache."""

    def refuse(*args: Any, **kwargs: Any) -> Loaded:
        raise AssertionError("parsed and checked although the cache holds the set")

    monkeypatch.setattr(cache, "load_sources", refuse)


def same_sets(a: yktrules.PolicySet, b: yktrules.PolicySet) -> None:
    assert a.policies == b.policies
    assert list(a.policies) == list(b.policies)
    assert a.params == b.params
    assert a.warnings == b.warnings
    assert [w.render() for w in a.warnings] == [w.render() for w in b.warnings]
    assert a.items == b.items


def test_warm_load_equals_cold_load(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = yktrules.load(ROOT / "policies", cache=False)
    assert entries(cache_dir) == []
    first = yktrules.load(ROOT / "policies")  # checks, and writes the entry
    assert len(entries(cache_dir)) == 1
    with monkeypatch.context() as m:
        no_parsing(m)
        warm = yktrules.load(ROOT / "policies")
    same_sets(cold, warm)
    same_sets(cold, first)
    for facts in population(150, seed=5):
        a, b = cold.screen_all(facts), warm.screen_all(facts)
        assert a == b
        assert [d.to_dict() for d in a] == [d.to_dict() for d in b]
        assert [d.explain() for d in a] == [d.explain() for d in b]


def test_warnings_come_back_from_a_warm_load(
    cache_dir: Path, small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = yktrules.load(small)
    assert [w.code for w in cold.warnings] == ["W001"]
    no_parsing(monkeypatch)
    warm = yktrules.load(small)
    same_sets(cold, warm)


def test_editing_a_policy_or_a_parameter_file_makes_a_new_entry(
    cache_dir: Path, small: Path
) -> None:
    facts = next(population(1, seed=1))
    facts["household"]["monthly_income"] = "100"
    assert yktrules.load(small).screen(facts, "C-001").amount == 500
    (small / "c.params.yaml").write_text(PARAMS.replace("600", "700"), encoding="utf-8")
    assert yktrules.load(small).screen(facts, "C-001").amount == 600
    assert len(entries(cache_dir)) == 2
    (small / "c.ykt").write_text(
        POLICY.replace("param.c_line - income", "param.c_line - income - 1"), encoding="utf-8"
    )
    assert yktrules.load(small).screen(facts, "C-001").amount == 599
    assert len(entries(cache_dir)) == 3
    (small / "c.ykt").write_text(POLICY, encoding="utf-8")  # back to a known text: a hit
    assert yktrules.load(small).screen(facts, "C-001").amount == 600
    assert len(entries(cache_dir)) == 3


def test_the_key_covers_schema_and_functions(cache_dir: Path, small: Path) -> None:
    from yktrules.facts.models import Application
    from yktrules.screening.policyset import _environment_digest

    sources = yktrules.load(small, cache=False).sources
    plain = cache.key(sources, _environment_digest(Application, ()))
    fn = yktrules.HostFunction("double", ["number"], "number", _double)
    assert cache.key(sources, _environment_digest(Application, [fn])) != plain
    assert cache.key(sources, _environment_digest(Application, ())) == plain
    yktrules.load(small)
    yktrules.load(small, functions=[fn])
    assert len(entries(cache_dir)) == 2


def _double(x: Any) -> Any:
    return x * 2


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a pickle at all",
        pickle.dumps(("something", "else")),
        pickle.dumps((cache.FORMAT, "another key", {}, None, [])),
    ],
    ids=["empty", "garbage", "foreign", "wrong-key"],
)
def test_a_damaged_entry_is_ignored_and_rewritten(
    cache_dir: Path, small: Path, damage: bytes
) -> None:
    cold = yktrules.load(small)
    (entry,) = entries(cache_dir)
    good = entry.read_bytes()
    entry.write_bytes(damage)
    again = yktrules.load(small)
    same_sets(cold, again)
    assert entry.read_bytes() != damage
    assert cache.loads(entry.read_bytes(), entry.name.removesuffix(cache.SUFFIX), cold.schema)
    entry.write_bytes(good[: len(good) // 2])  # truncated
    same_sets(cold, yktrules.load(small))


def test_a_read_only_cache_directory_only_disables_writing(
    cache_dir: Path, small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir.mkdir()
    cache_dir.chmod(0o555)
    try:
        if os.access(cache_dir, os.W_OK):  # root ignores permissions: refuse as the OS would

            def refuse(*args: Any, **kwargs: Any) -> Any:
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(tempfile, "mkstemp", refuse)
        ps = yktrules.load(small)
        assert [w.code for w in ps.warnings] == ["W001"]
        assert entries(cache_dir) == []
        assert list(cache_dir.iterdir()) == []
    finally:
        cache_dir.chmod(0o755)


def test_an_entry_in_a_read_only_directory_is_still_read(
    cache_dir: Path, small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = yktrules.load(small)
    cache_dir.chmod(0o555)
    try:
        no_parsing(monkeypatch)
        same_sets(cold, yktrules.load(small))
    finally:
        cache_dir.chmod(0o755)


def test_cache_false_writes_nothing(cache_dir: Path, small: Path) -> None:
    yktrules.load(small, cache=False)
    yktrules.load(ROOT / "policies", cache=False)
    assert not cache_dir.exists()


def test_cache_path_uses_that_directory(cache_dir: Path, small: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    cold = yktrules.load(small, cache=elsewhere)
    assert len(entries(elsewhere)) == 1 and not cache_dir.exists()
    same_sets(cold, yktrules.load(small, cache=str(elsewhere)))


def test_a_failed_load_is_not_cached(cache_dir: Path, small: Path) -> None:
    (small / "c.ykt").write_text(POLICY.replace("income <", "incom <"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(yktrules.PolicyError):
            yktrules.load(small)
    assert entries(cache_dir) == []


def test_old_entries_are_pruned(
    cache_dir: Path, small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    for limit in (600, 700, 800):
        (small / "c.params.yaml").write_text(PARAMS.replace("600", str(limit)), encoding="utf-8")
        yktrules.load(small)
    assert len(entries(cache_dir)) == 2


def test_writes_are_atomic_and_leave_no_temporary_files(cache_dir: Path, small: Path) -> None:
    yktrules.load(small)
    assert [p.name for p in cache_dir.iterdir()] == [p.name for p in entries(cache_dir)]


def test_a_host_schema_defined_in_a_function_is_cached(
    cache_dir: Path, small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checked policies refer to the schema's record types by position, not by pickling
    the pydantic models, so even a class that cannot be imported by name is fine."""
    from yktrules.facts.models import Application

    class Local(Application):
        pass

    cold = yktrules.load(small, schema=Local)
    assert len(entries(cache_dir)) == 1
    no_parsing(monkeypatch)
    warm = yktrules.load(small, schema=Local)
    same_sets(cold, warm)
    assert warm.schema is Local
    facts = next(population(1, seed=2))
    assert warm.screen_all(facts) == cold.screen_all(facts)


def test_a_pickled_policy_set_keeps_its_cache_setting(cache_dir: Path, small: Path) -> None:
    ps = yktrules.load(small, cache=False)
    again = pickle.loads(pickle.dumps(ps))
    same_sets(ps, again)
    assert not cache_dir.exists()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG is the Linux default")
def test_default_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("YKTRULES_CACHE_DIR", str(tmp_path / "own"))
    assert cache.default_dir() == tmp_path / "own"
    monkeypatch.delenv("YKTRULES_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_dir() == tmp_path / "xdg" / "yktrules"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.default_dir() == tmp_path / "home" / ".cache" / "yktrules"
    assert cache.directory(False) is None
    assert cache.directory(True) == cache.default_dir()


def test_the_test_suite_does_not_use_the_user_cache() -> None:
    """tests/conftest.py points the cache at a temporary directory for the whole session."""
    own = Path(os.environ["YKTRULES_CACHE_DIR"]).resolve()
    assert own.name.startswith("yktrules-test-cache-")
    assert Path(tempfile.gettempdir()).resolve() in own.parents
    assert cache.default_dir().resolve() == own


def test_deleting_the_cache_is_safe(cache_dir: Path, small: Path) -> None:
    cold = yktrules.load(small)
    shutil.rmtree(cache_dir)
    same_sets(cold, yktrules.load(small))
    assert len(entries(cache_dir)) == 1
