"""Screening many applications: rows in = rows out, in order, on an engine — Python (the
compiled closures, row by row), DuckDB or Spark (running the SQL of ``yktrules.sql``).
May import ``screening``, ``sql`` and below; never the tools or the command line.

- :mod:`.rows`: the Python engine and the error rows every engine shares;
- :mod:`.io`: reading JSON Lines, Parquet, Arrow and frames; writing JSON Lines and Parquet;
- :mod:`.runner`: the streaming driver (``screen_batch``, ``screen_to_file``, ``screen_frame``);
- :mod:`.sources`, :mod:`.plan`, :mod:`.share`, :mod:`.duckdb`, :mod:`.staged`,
  :mod:`.columnar`: a run on DuckDB — the source registered, the run's one plan (the
  policies' common columns computed once), streamed (a large library in stages), compact
  decisions put together from per-policy columns;
- :mod:`.spark`, :mod:`.spark_mask`, :mod:`.spark_session`: screening on Spark;
  :mod:`.compat`: ``screen_duckdb``; :mod:`.summary`: what a run did.
"""

from .compat import screen_duckdb
from .io import InputError
from .runner import Summary, screen_batch, screen_frame, screen_to_file

__all__ = [
    "InputError",
    "Summary",
    "screen_batch",
    "screen_duckdb",
    "screen_frame",
    "screen_to_file",
]
