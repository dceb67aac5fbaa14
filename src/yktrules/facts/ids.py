"""Resident ID numbers (GB 11643) and administrative division codes (GB/T 2260).

Pure helpers without pydantic: the facts models use them to validate, tests and policy
fixtures use :func:`make_id_number` to build valid ID numbers.
"""

from __future__ import annotations

import operator
import re
from datetime import date

__all__ = [
    "ID_CHECK_CHARS",
    "ID_WEIGHTS",
    "PROVINCE_CODES",
    "id_birth_date",
    "id_check_digit",
    "id_gender",
    "id_number_error",
    "is_valid_id_number",
    "is_valid_region_code",
    "make_id_number",
    "region_code_error",
]

#: The two-digit province-level codes of GB/T 2260 (mainland, Taiwan, Hong Kong, Macao).
PROVINCE_CODES: frozenset[str] = frozenset(
    [
        *("11", "12", "13", "14", "15"),
        *("21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46"),
        *("50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65"),
        *("71", "81", "82"),
    ]
)

#: GB 11643 weights of the first 17 digits.
ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character indexed by the weighted sum modulo 11.
ID_CHECK_CHARS = "10X98765432"

_DIGITS_RE = {n: re.compile(f"[0-9]{{{n}}}") for n in (6, 17)}
_ID_RE = re.compile("[0-9]{17}[0-9Xx]")


def _is_ascii_digits(s: str, n: int) -> bool:
    return _DIGITS_RE[n].fullmatch(s) is not None


# --- region codes ---------------------------------------------------------------------


def region_code_error(s: object) -> str | None:
    """The Chinese message explaining why ``s`` is not a region code, or ``None`` if it is one."""
    if not isinstance(s, str) or not _is_ascii_digits(s, 6):
        return "行政区划代码须为6位数字"
    if s[:2] not in PROVINCE_CODES:
        return f"行政区划代码的省级部分 {s[:2]} 不存在"
    return None


def is_valid_region_code(s: object) -> bool:
    """True for exactly 6 ASCII digits whose first two are a province-level code."""
    return region_code_error(s) is None


# --- ID numbers -----------------------------------------------------------------------


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character (``0``-``9`` or ``X``) for the first 17 digits."""
    if not isinstance(first17, str) or not _is_ascii_digits(first17, 17):
        raise ValueError("id_check_digit needs exactly 17 ASCII digits")
    return _check_char(first17)


def _check_char(first17: str) -> str:
    return ID_CHECK_CHARS[sum(map(operator.mul, map(int, first17), ID_WEIGHTS)) % 11]


def id_number_error(s: object) -> str | None:
    """The Chinese message explaining why ``s`` is not a valid ID number, or ``None``.

    Lowercase ``x`` is accepted here (the models normalise it to ``X``).
    """
    if not isinstance(s, str):
        return "身份证号码应为字符串"
    if len(s) != 18:
        return f"身份证号码应为18位，实际为{len(s)}位"
    if _ID_RE.fullmatch(s) is None:
        return "身份证号码应为17位数字加1位校验码（数字或X）"
    expected = _check_char(s[:17])
    if s[17].upper() != expected:
        return f"身份证号码校验位错误：应为 {expected}"
    return None


def is_valid_id_number(s: object) -> bool:
    """True for an 18-character ID number with a correct check digit (``x`` or ``X``)."""
    return id_number_error(s) is None


def make_id_number(region: str, birth: date, seq: int, gender: str) -> str:
    """Build a valid 18-character ID number.

    ``region`` is a valid 6-digit region code, ``birth`` the birth date (years 1000-9999),
    ``seq`` in ``0..499`` numbers the people of that ``gender`` (``"男"`` or ``"女"``) born
    on that day in that region. The 3-digit order code is ``2*seq + 1`` for men (odd 17th
    digit) and ``2*seq`` for women (even 17th digit), so distinct arguments give distinct IDs.
    """
    err = region_code_error(region)
    if err is not None:
        raise ValueError(f"{err}: {region!r}")
    if not isinstance(birth, date) or not 1000 <= birth.year <= 9999:
        raise ValueError(f"birth must be a date with a 4-digit year: {birth!r}")
    if gender not in ("男", "女"):
        raise ValueError(f'gender must be "男" or "女": {gender!r}')
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= 499:
        raise ValueError(f"seq must be an int in 0..499: {seq!r}")
    order = 2 * seq + (1 if gender == "男" else 0)
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{order:03d}"
    return first17 + id_check_digit(first17)


def id_gender(s: str) -> str:
    """``"男"`` if the 17th digit is odd, ``"女"`` if even (``s`` must be a valid ID number)."""
    return "男" if int(s[16]) % 2 == 1 else "女"


def id_birth_date(s: str) -> date | None:
    """The birth date encoded in digits 7-14, or ``None`` if they are not a real date."""
    try:
        return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except (ValueError, IndexError):
        return None
