"""Batch screening on DuckDB: rule trees compiled to SQL (issue 5)."""

from .compiler import UnsupportedError, compile_policy, compile_rules
from .schema import facts_columns
from .screen import screen_duckdb

__all__ = ["UnsupportedError", "compile_policy", "compile_rules", "facts_columns", "screen_duckdb"]
