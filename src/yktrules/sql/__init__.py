"""Batch screening in SQL: rule trees compiled to DuckDB (and Spark) queries (issue 5)."""

from .compiler import UnsupportedError, compile_rules
from .decisions import compile_decisions, compile_policy
from .io import InputError
from .runner import Summary, screen_batch, screen_frame, screen_to_file
from .schema import facts_columns
from .screen import screen_duckdb

__all__ = [
    "InputError",
    "Summary",
    "UnsupportedError",
    "compile_decisions",
    "compile_policy",
    "compile_rules",
    "facts_columns",
    "screen_batch",
    "screen_duckdb",
    "screen_frame",
    "screen_to_file",
]
