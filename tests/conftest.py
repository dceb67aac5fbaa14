"""Session-wide test setup."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_CACHE_DIR: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Policy sets loaded by the tests (and the commands they run in subprocesses) use a
    cache directory of their own, never the user's cache (`yktrules.cache`)."""
    global _CACHE_DIR
    _CACHE_DIR = tempfile.mkdtemp(prefix="yktrules-test-cache-")
    os.environ["YKTRULES_CACHE_DIR"] = _CACHE_DIR


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CACHE_DIR is not None:
        shutil.rmtree(_CACHE_DIR, ignore_errors=True)
