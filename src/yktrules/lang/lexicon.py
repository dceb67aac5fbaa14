"""Every word of the language in English and Chinese: keywords, metadata keys and periods
(built-in function names are with the functions, in ``yktrules.ir.functions``).  The
grammar (grammars/*.lark), the error messages and the docs all read their words from here."""

from __future__ import annotations

# (English, Chinese, terminal name stem, what it is)
KEYWORDS: list[tuple[str, str, str, str]] = [
    ("policy", "政策", "POLICY", "starts a policy; also `policy.code`, `policy.region`"),
    ("extends", "继承", "_EXTENDS", "names the parent policy"),
    ("let", "令", "_LET", "names a value"),
    ("require", "必须", "REQUIRE", "a condition the applicant must satisfy"),
    ("deny", "排除", "DENY", "a condition that excludes the applicant"),
    ("review", "复核", "REVIEW", "a condition that sends the case to a caseworker"),
    ("audit", "稽核", "_AUDIT", "starts an audit over a payment roster (docs/audits.md)"),
    ("alert", "预警", "ALERT", "an audit's condition that raises a finding"),
    ("override", "覆盖", "_OVERRIDE", "replaces an inherited rule or let"),
    ("drop", "删除", "_DROP", "removes an inherited rule (with a justification)"),
    ("any", "任一", "ANY", "some element satisfies"),
    ("all", "所有", "ALL", "every element satisfies"),
    ("in", "属于", "IN", "membership; also separates a quantifier's variable and list"),
    ("not in", "不属于", "NOT_IN", "non-membership"),
    ("within", "位于", "WITHIN", "region containment"),
    ("if", "如果", "_IF", "conditional"),
    ("then", "则", "_THEN", "conditional"),
    ("else", "否则", "_ELSE", "conditional"),
    ("and", "且", "_AND", "Kleene conjunction"),
    ("or", "或", "_OR", "Kleene disjunction"),
    ("not", "非", "_NOT", "Kleene negation"),
    ("true", "真", "TRUE", "boolean literal"),
    ("false", "假", "FALSE", "boolean literal"),
]

EN_OF_ZH_KEYWORD = {zh: en for en, zh, _, _ in KEYWORDS}

# metadata keys: English -> Chinese
META_KEYS: dict[str, str] = {
    "region": "地区",
    "department": "部门",
    "effective": "生效",
    "until": "失效",
    "basis": "依据",
    "hotline": "热线",
    "period": "周期",
    "amount": "金额",
}
META_EN = {**{k: k for k in META_KEYS}, **{v: k for k, v in META_KEYS.items()}}

PERIODS: dict[str, str] = {"monthly": "每月", "yearly": "每年", "once": "一次"}
PERIOD_EN = {**{k: k for k in PERIODS}, **{v: k for k, v in PERIODS.items()}}

# names available at the top of a policy
TOP_NAMES_ZH: dict[str, str] = {"param": "参数", "as_of": "基准日", "it": "它"}
POLICY_FIELDS_ZH: dict[str, str] = {"code": "代码", "region": "地区"}

# the words a terminal stands for, as shown in syntax errors
_PUNCT = {
    "EQ": "`==`",
    "NE": "`!=`",
    "LT": "`<`",
    "LE": "`<=`",
    "GT": "`>`",
    "GE": "`>=`",
    "PLUS": "`+`",
    "MINUS": "`-`",
    "STAR": "`*`",
    "SLASH": "`/`",
    "_COALESCE": "`??`",
    "_EQ": "`=`",
    "_LBRACE": "`{`",
    "_RBRACE": "`}`",
    "_LPAR": "`(`",
    "_RPAR": "`)`",
    "_LBRACKET": "`[`",
    "_RBRACKET": "`]`",
    "_COLON": "`:`",
    "_COMMA": "`,`",
    "_DOT": "`.`",
    "NAME": "a name",
    "STRING": 'a string in double quotes ("...")',
    "NUMBER": "a number",
    "DATE": "a date (YYYY-MM-DD)",
    "$END": "the end of the file",
}


def glued_keyword(name: str) -> str | None:
    """A Chinese keyword written inside a longer name without spaces (`甲且乙`), if any."""
    for _, zh, _, _ in KEYWORDS:
        if zh in name and zh != name:
            return zh
    return None


def describe_terminal(name: str) -> str:
    """Human words for a terminal name of the grammar."""
    if name in _PUNCT:
        return _PUNCT[name]
    for en, zh, stem, _ in KEYWORDS:
        if name in (f"{stem}_EN", f"{stem}_ZH", stem):
            return f"`{en}`/`{zh}`"
    if name == "NOT_IN_ZH":
        return "`not in`/`不属于`"
    return name.lower()


def describe_expected(names: set[str] | frozenset[str]) -> list[str]:
    """De-duplicated, ordered descriptions of a set of expected terminals."""
    seen: list[str] = []
    for n in sorted(names, key=_order):
        d = describe_terminal(n)
        if d not in seen:
            seen.append(d)
    return seen


def _order(name: str) -> tuple[int, str]:
    if name in ("_COLON", "_EQ", "STRING", "NAME", "_RBRACE", "_RPAR", "_RBRACKET"):
        return (0, name)
    return (1, name)
