"""JUnit XML for CI (`yktrules test --junit FILE`): one `<testsuite>` per case file, one
`<testcase>` per case.  A decision that differs from `expect` is a `<failure>`; a case
that could not be screened at all (bad facts, no policy in force, a file that cannot be
read or whose policies do not check) is an `<error>`.  Both carry the same text as the
command line's failure output."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from .report import failure_text
from .runner import CaseResult

FileResults = tuple[str, Sequence[CaseResult]]

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(s: str) -> str:
    """Text without the characters XML 1.0 cannot carry (a case name may hold any)."""
    return _NOT_XML.sub("\ufffd", s)


def _classname(file: str) -> str:
    stem = file[: -len(".cases.yaml")] if file.endswith(".cases.yaml") else file
    return stem.replace("\\", "/").strip("./").replace("/", ".")


def junit_tree(files: Sequence[FileResults]) -> ET.ElementTree:
    root = ET.Element("testsuites", name="yktrules")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    seconds = 0.0
    for file, results in files:
        fails = sum(1 for r in results if not r.passed and not r.is_error)
        errors = sum(1 for r in results if r.is_error)
        spent = sum(r.seconds for r in results)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_x(file),
            tests=str(len(results)),
            failures=str(fails),
            errors=str(errors),
            skipped="0",
            time=f"{spent:.3f}",
            file=_x(file),
        )
        for r in results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_x(_classname(file)),
                name=_x(r.name),
                file=_x(r.file),
                line=str(r.line),
                time=f"{r.seconds:.3f}",
            )
            if not r.passed:
                tag = "error" if r.is_error else "failure"
                first = r.problems[0].splitlines()[0] if r.problems else "failed"
                el = ET.SubElement(case, tag, message=_x(first), type=f"yktrules.{tag}")
                el.text = _x(failure_text(r))
        totals["tests"] += len(results)
        totals["failures"] += fails
        totals["errors"] += errors
        seconds += spent
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{seconds:.3f}")
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def write_junit(path: str | Path, files: Sequence[FileResults]) -> None:
    """Write the report; raises OSError when the file cannot be written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(files).write(p, encoding="utf-8", xml_declaration=True)
