"""The policy test tooling: the `*.cases.yaml` runner (INTERFACES.md, "Test cases"), rule
and condition coverage, JUnit XML, the failure report and the pytest plugin."""

from .cover import Coverage, CoverageReport, Gap
from .runner import (
    CaseFile,
    CaseResult,
    CaseSpec,
    Runner,
    build_facts,
    compare,
    default_policies_dir,
    find_case_files,
    merge,
)
from .select import Selector

__all__ = [
    "CaseFile",
    "CaseResult",
    "CaseSpec",
    "Coverage",
    "CoverageReport",
    "Gap",
    "Runner",
    "Selector",
    "build_facts",
    "compare",
    "default_policies_dir",
    "find_case_files",
    "merge",
]
