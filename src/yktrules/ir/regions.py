"""Administrative division codes: levels and containment (`within`)."""

from __future__ import annotations

import re

_CODE = re.compile(r"^\d{6}$")


def is_code(s: object) -> bool:
    return isinstance(s, str) and bool(_CODE.match(s)) and s[:2] != "00"


def significant(code: str) -> str:
    """The prefix that a code's descendants share: `510000` → `51`, `511000` → `5110`."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def within(a: str, b: str) -> bool:
    """True when region `a` is `b` or lies inside it."""
    return a == b or a.startswith(significant(b))


def level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def ancestors(code: str) -> list[str]:
    """The code and the codes that contain it, most specific first."""
    out = [code]
    if not code.endswith("00"):
        out.append(code[:4] + "00")
    if not code.endswith("0000"):
        out.append(code[:2] + "0000")
    return out
