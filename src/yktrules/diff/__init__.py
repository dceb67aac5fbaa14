"""The impact diff: what changed between two policy folders (:mod:`.structure`) and how a
population of applicants moves between outcomes because of it (:mod:`.impact`).  May import
``batch``, ``screening``, ``lang`` and below.

    old, new = yktrules.load("policies-old/"), yktrules.load("policies/")
    report = diff_structure(old, new)
    report.is_empty, report.to_dict()
    with open("population.jsonl", encoding="utf-8") as f:
        impact = population_impact(old, new, f, examples=5)
    impact.items["SC-MZ-001"].cell("ineligible", "eligible").count

The command is `yktrules diff OLD NEW [--population FILE]` (``yktrules.cli.diff``).
"""

from .impact import (
    NOT_IN_FORCE,
    OUTCOMES,
    AmountStats,
    Cell,
    Example,
    Impact,
    InvalidRow,
    ItemImpact,
    Side,
    population_impact,
)
from .structure import (
    AmountChange,
    Change,
    Code,
    DropChange,
    LetChange,
    ParamChange,
    ParamSummary,
    PolicyChange,
    PolicySummary,
    RuleChange,
    RuleView,
    StructureDiff,
    ValueChange,
    diff_structure,
)

__all__ = [
    "NOT_IN_FORCE",
    "OUTCOMES",
    "AmountChange",
    "AmountStats",
    "Cell",
    "Change",
    "Code",
    "DropChange",
    "Example",
    "Impact",
    "InvalidRow",
    "ItemImpact",
    "LetChange",
    "ParamChange",
    "ParamSummary",
    "PolicyChange",
    "PolicySummary",
    "RuleChange",
    "RuleView",
    "Side",
    "StructureDiff",
    "ValueChange",
    "diff_structure",
    "population_impact",
]
