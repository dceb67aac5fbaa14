"""yktrules: subsidy eligibility policies as code for the one-card (一卡通) platform.

    import yktrules
    policies = yktrules.load("policies/")
    decision = policies.screen(facts, policy="SC-MZ-001")
    decision.outcome, decision.reasons, decision.unknown, decision.amount
    print(decision.explain())

The public surface is what this module exports; everything else is internal.
"""

from ._version import __version__
from .errors import ArgumentError, Diagnostic, FactsError, NoPolicyError, PolicyError, YktError
from .facts import Application, facts_json_schema, parse_facts
from .ir.functions import HostFunction
from .log.chain import DecisionLog, LogReport, verify_log
from .screening.decision import Decision, Outcome, Reason, UnknownRule
from .screening.policyset import PolicySet, load

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
