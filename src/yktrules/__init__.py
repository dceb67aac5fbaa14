"""yktrules: subsidy eligibility policies as code for the one-card (一卡通) platform.

    import yktrules
    policies = yktrules.load("policies/")
    decision = policies.screen(facts, policy="SC-MZ-001")
    decision.outcome, decision.reasons, decision.unknown, decision.amount
    print(decision.explain())

The public surface is what this module exports; everything else is internal.
"""

from .decision import Decision, Outcome, Reason, UnknownRule
from .decision_log import DecisionLog, LogReport, verify_log
from .errors import (
    ArgumentError,
    Diagnostic,
    FactsError,
    NoPolicyError,
    PolicyError,
    YktError,
)
from .facts import Application, facts_json_schema, parse_facts
from .functions import HostFunction
from .policyset import PolicySet, load

__version__ = "0.1.0"

__all__ = [
    "Application",
    "ArgumentError",
    "Decision",
    "DecisionLog",
    "Diagnostic",
    "FactsError",
    "HostFunction",
    "LogReport",
    "NoPolicyError",
    "Outcome",
    "PolicyError",
    "PolicySet",
    "Reason",
    "UnknownRule",
    "YktError",
    "__version__",
    "facts_json_schema",
    "load",
    "parse_facts",
    "verify_log",
]
