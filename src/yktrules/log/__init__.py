"""The tamper-evident decision log (决策日志): append-only, hash-chained JSON Lines, and
its verification (``yktrules log verify``).  May import ``screening`` and ``facts``.
"""

from .chain import DecisionLog, LogError, LogReport, canonical, facts_digest, verify_log

__all__ = ["DecisionLog", "LogError", "LogReport", "canonical", "facts_digest", "verify_log"]
