"""Testing tools for policy authors and host developers: Hypothesis strategies that generate
valid applicants aimed at the policies' boundaries, and the fuzz engine behind `yktrules
fuzz`.  May import ``screening``, ``facts`` and below.

    from hypothesis import given
    import yktrules
    from yktrules.testing import facts_for_policy

    policies = yktrules.load("policies/")

    @given(facts_for_policy(policies, "SC-MZ-001"))
    def test_never_crashes(facts):
        policies.screen(facts, policy="SC-MZ-001")

:mod:`.targets` finds the boundaries the policies test, :mod:`.plan` walks a facts model,
:mod:`.generator` draws documents, :mod:`.strategies` are the public strategies and
:mod:`.fuzz` the fuzz engine.  The strategies and the fuzz engine need Hypothesis (`pip
install hypothesis`); the names are imported on first use, so `yktrules.testing.targets`
and the command line work without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fuzz import Finding, FuzzReport, PolicyResult, RuleCoverage, run_fuzz
    from .strategies import applications, facts_for_policy
    from .targets import Targets, targets_for

__all__ = [
    "Finding",
    "FuzzReport",
    "PolicyResult",
    "RuleCoverage",
    "Targets",
    "applications",
    "facts_for_policy",
    "run_fuzz",
    "targets_for",
]

_WHERE = {
    "Finding": "fuzz",
    "FuzzReport": "fuzz",
    "PolicyResult": "fuzz",
    "RuleCoverage": "fuzz",
    "run_fuzz": "fuzz",
    "applications": "strategies",
    "facts_for_policy": "strategies",
    "Targets": "targets",
    "targets_for": "targets",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'yktrules.testing' has no attribute {name!r}")
    try:
        mod = importlib.import_module(f".{module}", __name__)
    except ModuleNotFoundError as e:
        if e.name == "hypothesis":
            raise ImportError(
                f"yktrules.testing.{name} 需要 Hypothesis：pip install hypothesis / "
                "the strategies and the fuzz engine need Hypothesis"
            ) from e
        raise
    value = getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
