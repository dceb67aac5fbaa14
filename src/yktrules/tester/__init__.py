"""The policy test tooling: the `*.cases.yaml` runner (INTERFACES.md, "Test cases"), rule and
condition coverage, JUnit XML, the failure report and the pytest plugin.  May import
``screening``, ``evaluate``, ``lang`` (YAML), ``facts`` and below.

- :mod:`.runner`: case files and their results; :mod:`.select`: ``-k`` expressions;
- :mod:`.cover`: coverage, measured on the reference interpreter; :mod:`.report`,
  :mod:`.junit`: failures, coverage tables, JUnit XML; :mod:`.pytest_plugin`: the plugin.
"""

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
