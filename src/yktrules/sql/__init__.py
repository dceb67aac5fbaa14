"""Rule trees compiled to SQL, as sqlglot generates SQL from expressions: the checked ``ir``
in, one query per policy out, in a :mod:`.dialects` subclass per engine.  May import ``ir``
only; running the queries on DuckDB or Spark is ``yktrules.batch``'s.

- :mod:`.compiler`: IR expressions to SQL, NULL carrying the three-valued logic;
- :mod:`.missing`: the fact paths an unknown rule reports, as SQL;
- :mod:`.decisions`: a policy's whole decision document per row;
- :mod:`.schema`: the facts document as SQL column types;
- :mod:`.validation`: the facts models' checks as SQL over typed columns (Parquet, Arrow);
- :mod:`.json_validation`: the same checks over JSON text, read by DuckDB's JSON reader;
- :mod:`.dialects`: DuckDB's and Spark's spellings.
"""

from .compiler import UnsupportedError, compile_rules
from .decisions import compile_decisions, compile_policy
from .schema import facts_columns

__all__ = [
    "UnsupportedError",
    "compile_decisions",
    "compile_policy",
    "compile_rules",
    "facts_columns",
]
