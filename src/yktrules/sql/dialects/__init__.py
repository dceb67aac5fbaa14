"""Where SQL engines differ: each engine's spelling of the compiled SQL, as subclasses of one
:class:`Dialect` (DuckDB's, the default); a new engine adds a module here.  Imports nothing.

- :mod:`.duckdb`: :class:`Dialect` and :data:`DUCKDB`; :mod:`.spark`: :data:`SPARK` and the
  Spark session settings the compiled SQL relies on.
"""

from .duckdb import DEC, DUCKDB, SCALE, Dialect
from .spark import SESSION_CONF, SPARK, SparkDialect

__all__ = ["DEC", "DUCKDB", "SCALE", "SESSION_CONF", "SPARK", "Dialect", "SparkDialect"]
