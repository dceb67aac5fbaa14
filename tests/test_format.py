"""The formatter (`yktrules fmt`): golden layouts, idempotence, the same AST after formatting,
comments kept in order, decisions unchanged, and a property test over generated policies.

Set YKT_UPDATE_GOLDEN=1 to rewrite tests/golden/format/*.expected.ykt after a deliberate
change of the layout."""

from __future__ import annotations

import json
import os
import random
import shutil
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import yktrules
from yktrules.cli import cli
from yktrules.errors import PolicyError, Span
from yktrules.format import ast_equal, format_source
from yktrules.format.comments import find_comments
from yktrules.format.layout import display_width
from yktrules.format.printer import canonical_items
from yktrules.lang import ast
from yktrules.lang.lexicon import KEYWORDS
from yktrules.lang.parser import parse
from yktrules.screening.decision import Decision

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted((ROOT / "policies").rglob("*.ykt"))
GOLDEN = ROOT / "tests" / "golden" / "format"
INPUTS = sorted(p for p in GOLDEN.glob("*.ykt") if not p.name.endswith(".expected.ykt"))
EXPECTED = sorted(GOLDEN.glob("*.expected.ykt"))
ALL = POLICIES + INPUTS + EXPECTED


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def parsed(text: str) -> ast.Module:
    module, diags = parse(text)
    assert module is not None and not any(d.is_error for d in diags), [d.render() for d in diags]
    return module


def comment_texts(text: str) -> list[str]:
    return [c.text for c in find_comments(text)]


# ====================================================================== golden pairs
@pytest.mark.parametrize("source", INPUTS, ids=[p.stem for p in INPUTS])
def test_golden_layout(source: Path) -> None:
    expected = source.with_name(source.stem + ".expected.ykt")
    out = format_source(source.read_text(encoding="utf-8"), str(source))
    if os.environ.get("YKT_UPDATE_GOLDEN"):
        expected.write_text(out, encoding="utf-8")
    assert out == expected.read_text(encoding="utf-8")


def test_every_golden_input_has_its_expected_output() -> None:
    assert len(INPUTS) >= 8
    assert {p.name for p in EXPECTED} == {p.stem + ".expected.ykt" for p in INPUTS}


@pytest.mark.parametrize("path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_expected_outputs_are_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert format_source(text) == text


# ====================================================================== properties on files
@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_idempotent(path: Path) -> None:
    once = format_source(path.read_text(encoding="utf-8"), str(path))
    assert format_source(once, str(path)) == once


@pytest.mark.parametrize("path", POLICIES + INPUTS, ids=ids(POLICIES + INPUTS))
def test_same_ast_after_formatting(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert ast_equal(parsed(text), parsed(format_source(text)))


def assert_comments_kept(text: str, out: str) -> None:
    """Every comment is kept; in the same order unless the formatter moved items (metadata
    and `amount`), which take their comments with them."""
    before, after = comment_texts(text), comment_texts(out)
    assert Counter(after) == Counter(before)
    if all(canonical_items(p) == list(p.items) for p in parsed(text).policies):
        assert after == before


@pytest.mark.parametrize("path", POLICIES + INPUTS, ids=ids(POLICIES + INPUTS))
def test_comments_kept_in_order(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert_comments_kept(text, format_source(text))


@pytest.mark.parametrize("path", POLICIES + INPUTS, ids=ids(POLICIES + INPUTS))
def test_only_unbreakable_lines_are_long(path: Path) -> None:
    """Lines wider than 100 columns hold a string literal (a long message, basis or
    justification) or a trailing comment; expressions are broken to fit."""
    out = format_source(path.read_text(encoding="utf-8"))
    for line in out.split("\n"):
        if display_width(line) > 100:
            assert '"' in line or "#" in line, line


# ====================================================================== layout details
HEAD = 'policy "T" "标题" {\n    region: "510000"\n    effective: 2021-01-01\n\n'


def fmt_body(body: str) -> str:
    out = format_source(f'policy "T" "标题" {{ region: "510000" effective: 2021-01-01 {body}\n}}')
    assert out.startswith(HEAD) and out.endswith("}\n"), out
    return out[len(HEAD) : -2]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("(a * b) + c", "a * b + c"),
        ("(a + b) * c", "(a + b) * c"),
        ("-(a) * b", "-a * b"),
        ("-(a * b)", "-(a * b)"),
        ("(a and b) or c", "a and b or c"),
        ("a and (b or c)", "a and (b or c)"),
        ("not (a == b)", "not (a == b)"),  # a negated comparison keeps its parentheses
        ("not a == b", "not (a == b)"),
        ("(not a) == b", "(not a) == b"),
        ("(a ?? b) ?? c", "a ?? b ?? c"),
        ("a ?? (b ?? c)", "a ?? (b ?? c)"),
        ("(a ?? b) > c", "(a ?? b) > c"),  # kept for readers of other languages
        ("a ?? b > c", "(a ?? b) > c"),
        ("(a + b) ?? c", "a + b ?? c"),
        ("(a ?? b) + c", "(a ?? b) + c"),
        ("(a == b) != c", "(a == b) != c"),
        ("(any x in xs: x) and y", "(any x in xs: x) and y"),
        ("any x in (xs ?? ys): (x or y)", "any x in xs ?? ys: x or y"),
        ("any x in (xs or ys): x", "any x in (xs or ys): x"),
        ("(if a then b else c) or d", "(if a then b else c) or d"),
        ("if a then b else (if c then d else e)", "if a then b else if c then d else e"),
        ("(-a).b", "(-a).b"),
        ("(a.b)[(c)]", "a.b[c]"),
        ("f((a), (b or c))", "f(a, b or c)"),
        ("[(1), (2),]", "[1, 2]"),
        ("a not in [1] and b within c", "a not in [1] and b within c"),
        ("a 非 属于 b", "a not in b"),
    ],
)
def test_minimal_parentheses(source: str, expected: str) -> None:
    assert fmt_body(f"let v = {source}") == f"    let v = {expected}\n"


def test_rule_condition_always_on_next_line() -> None:
    out = fmt_body('require r "m": x > 1')
    assert out == '    require r "m":\n        x > 1\n'


def test_long_chain_one_operand_per_line() -> None:
    long = " and ".join(f"household.members_{i}.monthly_income > {i}" for i in range(4))
    out = fmt_body(f'deny r "m": {long} or z')
    lines = out.split("\n")
    assert lines[1:7] == [
        "        household.members_0.monthly_income > 0",
        "            and household.members_1.monthly_income > 1",
        "            and household.members_2.monthly_income > 2",
        "            and household.members_3.monthly_income > 3",
        "        or z",
        "",
    ]


def test_chinese_header_gives_chinese_keywords() -> None:
    src = (
        '政策 "T" "标题" { region: "510000" effective: 2021-01-01 amount: 1 '
        'let a = not x and y or true\n require r "m": any m in xs: m not in [1] }'
    )
    out = format_source(src)
    assert out == (
        '政策 "T" "标题" {\n    地区: "510000"\n    生效: 2021-01-01\n\n'
        "    令 a = 非 x 且 y 或 真\n\n"
        '    必须 r "m":\n        任一 m 属于 xs: m 不属于 [1]\n\n'
        "    金额: 1\n}\n"
    )
    back = format_source(out.replace("政策", "policy", 1))
    assert "let a = not x and y or true" in back and "region:" in back and "amount: 1" in back


def test_fullwidth_punctuation_and_crlf_become_ascii() -> None:
    src = 'policy "T" "t" {\r\n\u3000let a = f（x，y）\r\n  region： "510000"\r\n}\r\n'
    out = format_source(src)
    assert out == 'policy "T" "t" {\n    region: "510000"\n\n    let a = f(x, y)\n}\n'


def test_numbers_strings_and_dates_printed_exactly() -> None:
    out = fmt_body('let a = [600.50, 0.005, 0.0000001, 10, 2024-02-29, "a\\"b\\\\c\\nd"]')
    assert out == '    let a = [600.50, 0.005, 0.0000001, 10, 2024-02-29, "a\\"b\\\\c\\nd"]\n'


def test_comment_placement() -> None:
    src = (
        "# top\n\n"
        'policy "T" "t" {  # header\n'
        "    let a = x and  # after x\n"
        "        # before y\n"
        "        y\n"
        "    # before region\n"
        '    region: "510000"  # region\n'
        "    # before brace\n"
        "}  # after brace\n"
        "# end\n"
    )
    assert format_source(src) == (
        "# top\n\n"
        'policy "T" "t" {  # header\n'
        "    # before region\n"
        '    region: "510000"  # region\n\n'
        "    let a = x  # after x\n"
        "        # before y\n"
        "        and y\n"
        "    # before brace\n"
        "}  # after brace\n"
        "# end\n"
    )


def test_hash_inside_string_is_not_a_comment() -> None:
    out = fmt_body('let a = "#1"  # real')
    assert out == '    let a = "#1"  # real\n'
    assert comment_texts(out) == ["# real"]


def test_several_comments_on_one_output_line_keep_their_order() -> None:
    out = fmt_body("let a = f(x) +  # one\n g(y)  # two\n let b = 1")
    assert out == "    let a = f(x)  # one\n        + g(y)  # two\n    let b = 1\n"
    out = fmt_body("let a = f(  # one\n x  # two\n)")
    assert out == "    let a = f(  # one\n        x  # two\n    )\n"
    out = fmt_body("let a = p.  # one\n q.  # two\n r")
    assert out == "    let a = p.q.r  # one\n    # two\n"


# ====================================================================== errors
def test_text_that_does_not_parse_raises_policy_error() -> None:
    with pytest.raises(PolicyError) as e:
        format_source('policy "T" "t" {\n    let a = \n}\n', "bad.ykt")
    d = e.value.diagnostics[0]
    assert d.code == "E001" and d.span is not None
    assert (d.span.file, d.span.line) == ("bad.ykt", 3)
    assert "bad.ykt:3:1" in str(e.value)


@pytest.mark.parametrize(
    "body", ["let d = 2021-02-30", 'let s = "\\q"', 'require r "{1 + 2}": true']
)
def test_literal_errors_are_not_formatted_away(body: str) -> None:
    with pytest.raises(PolicyError):
        format_source(f'policy "T" "t" {{ {body} }}')


# ====================================================================== ast_equal
@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("let x = 1 + 2", "let x = (1 + 2)", True),
        ('region: "51" effective: 2021-01-01', 'effective: 2021-01-01 地区: "51"', True),
        ("amount: 1 let x = 1", "let x = 1 amount: 1", True),
        ("let x = 600.50", "let x = 600.5", False),
        ("let x = a - b - c", "let x = a - (b - c)", False),
        ("let x = 1 let y = 2", "let y = 2 let x = 1", False),
        ('require r "a": x', 'require r "b": x', False),
        ('require r "a": x', 'deny r "a": x', False),
        ("let x = a and b", "let x = b and a", False),
        ("let x = a in b", "let x = a not in b", False),
        ("let x = true", "let x = 1", False),
        ("override let x = 1", "let x = 1", False),
        ('region: "51"', 'until: "51"', False),
    ],
)
def test_ast_equal(a: str, b: str, equal: bool) -> None:
    ma = parsed(f'policy "T" "t" {{ {a} }}')
    mb = parsed(f'policy "T" "t" {{\n\n  {b} }}')
    assert ast_equal(ma, mb) is equal
    assert ast_equal(mb, ma) is equal


def test_ast_equal_sees_headers() -> None:
    base = parsed('policy "T" "t" extends "P" { }')
    assert ast_equal(base, parsed('政策 "T" "t" 继承 "P" {}'))
    assert not ast_equal(base, parsed('policy "T" "t" { }'))
    assert not ast_equal(base, parsed('policy "T" "u" extends "P" { }'))
    assert not ast_equal(base, parsed('policy "T" "t" extends "P" { } policy "U" "t" { }'))


# ====================================================================== decisions
def decision_summary(d: Decision) -> tuple[Any, ...]:
    return (
        d.item,
        d.policy,
        d.outcome,
        [(r.rule, r.kind, r.message) for r in d.reasons],
        [(u.rule, u.kind, u.missing, u.message) for u in d.unknown],
        d.amount,
        d.amount_missing,
    )


def test_formatting_never_changes_a_decision(tmp_path: Path) -> None:
    formatted = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", formatted)
    for path in formatted.rglob("*.ykt"):
        text = path.read_text(encoding="utf-8")
        path.write_text(format_source(text, str(path)), encoding="utf-8")
    original = yktrules.load(ROOT / "policies")
    reformatted = yktrules.load(formatted)
    assert set(original.policies) == set(reformatted.policies)
    lines = (ROOT / "examples" / "applications.jsonl").read_text(encoding="utf-8").split("\n")
    rows = [json.loads(line) for line in lines if line.strip()]
    assert len(rows) >= 10
    compared = 0
    for row in rows:
        doc_a, doc_b = original.parse_facts(row), reformatted.parse_facts(row)
        day = doc_a.application.date
        for code in sorted(original.policies):
            a = original.evaluate(code, doc_a, day)
            b = reformatted.evaluate(code, doc_b, day)
            assert decision_summary(a) == decision_summary(b), (code, row["application"])
            ref = reformatted.evaluate_reference(code, doc_b, day)
            assert decision_summary(ref) == decision_summary(b), (code, row["application"])
            compared += 1
        all_a = [decision_summary(d) for d in original.screen_all(row)]
        assert all_a == [decision_summary(d) for d in reformatted.screen_all(row)]
    assert compared == len(rows) * len(original.policies)


def test_decision_comparison_can_fail(tmp_path: Path) -> None:
    """The summary compared above does see a changed rule."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    path = tmp_path / "policies" / "sichuan" / "dibao.ykt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("homes >= 2", "homes >= 1"), encoding="utf-8")
    a, b = yktrules.load(ROOT / "policies"), yktrules.load(tmp_path / "policies")
    rows = (ROOT / "examples" / "applications.jsonl").read_text(encoding="utf-8").split("\n")
    differ = 0
    for line in filter(str.strip, rows):
        row = json.loads(line)
        da = a.evaluate("SC-MZ-001", a.parse_facts(row), date(2024, 3, 1))
        db = b.evaluate("SC-MZ-001", b.parse_facts(row), date(2024, 3, 1))
        differ += decision_summary(da) != decision_summary(db)
    assert differ > 0


# ====================================================================== command line
MESSY = 'policy "T" "t" {\n  region:"510000"\n  effective: 2021-01-01\n}\n'
CLEAN = 'policy "T" "t" {\n    region: "510000"\n    effective: 2021-01-01\n}\n'
BROKEN = 'policy "B" "b" {\n    let a = \n}\n'


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / "sub").mkdir(parents=True)
    (root / "messy.ykt").write_text(MESSY, encoding="utf-8")
    (root / "sub" / "clean.ykt").write_text(CLEAN, encoding="utf-8")
    (root / "notes.txt").write_text("not a policy", encoding="utf-8")
    return root


def test_fmt_rewrites_in_place(tmp_path: Path) -> None:
    root = tree(tmp_path)
    r = CliRunner().invoke(cli, ["fmt", str(root)])
    assert r.exit_code == 0, r.output
    assert (root / "messy.ykt").read_text(encoding="utf-8") == CLEAN
    assert (root / "sub" / "clean.ykt").read_text(encoding="utf-8") == CLEAN
    assert (root / "notes.txt").read_text(encoding="utf-8") == "not a policy"
    assert f"reformatted: {root / 'messy.ykt'}" in r.output
    assert "clean.ykt" not in r.stdout
    again = CliRunner().invoke(cli, ["fmt", "--check", str(root)])
    assert again.exit_code == 0, again.output


def test_fmt_check_lists_files_and_writes_nothing(tmp_path: Path) -> None:
    root = tree(tmp_path)
    r = CliRunner().invoke(cli, ["fmt", "--check", str(root)])
    assert r.exit_code == 1
    assert f"would reformat: {root / 'messy.ykt'}" in r.stdout
    assert "clean.ykt" not in r.stdout
    assert (root / "messy.ykt").read_text(encoding="utf-8") == MESSY


def test_fmt_diff_prints_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    root = tree(tmp_path)
    r = CliRunner().invoke(cli, ["fmt", "--diff", str(root / "messy.ykt")])
    assert r.exit_code == 0, r.output
    assert f"--- {root / 'messy.ykt'}\n" in r.stdout
    assert '-  region:"510000"\n-  effective: 2021-01-01\n+    region: "510000"\n' in r.stdout
    assert (root / "messy.ykt").read_text(encoding="utf-8") == MESSY
    checked = CliRunner().invoke(cli, ["fmt", "--diff", "--check", str(root)])
    assert checked.exit_code == 1 and "@@" in checked.stdout


def test_fmt_reports_broken_files_and_goes_on(tmp_path: Path) -> None:
    root = tree(tmp_path)
    (root / "broken.ykt").write_text(BROKEN, encoding="utf-8")
    r = CliRunner().invoke(cli, ["fmt", str(root)])
    assert r.exit_code == 1
    assert f"{root / 'broken.ykt'}:3:1: error[E001]" in r.stderr
    assert "    3 | }" in r.stderr
    assert (root / "broken.ykt").read_text(encoding="utf-8") == BROKEN
    assert (root / "messy.ykt").read_text(encoding="utf-8") == CLEAN
    assert "Traceback" not in r.output


def test_fmt_missing_path_and_bad_encoding(tmp_path: Path) -> None:
    latin = tmp_path / "latin.ykt"
    latin.write_bytes('policy "T" "é" {}\n'.encode("latin-1"))
    r = CliRunner().invoke(cli, ["fmt", str(tmp_path / "nope"), str(latin)])
    assert r.exit_code == 1
    assert "no such file or folder" in r.stderr and "not UTF-8" in r.stderr
    assert "Traceback" not in r.output
    usage = CliRunner().invoke(cli, ["fmt"])
    assert usage.exit_code == 2 and "Missing argument" in usage.output


def test_fmt_normalises_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "crlf.ykt"
    path.write_bytes(CLEAN.replace("\n", "\r\n").encode("utf-8"))
    r = CliRunner().invoke(cli, ["fmt", "--check", str(path)])
    assert r.exit_code == 1
    assert CliRunner().invoke(cli, ["fmt", str(path)]).exit_code == 0
    assert path.read_bytes() == CLEAN.encode("utf-8")


# ====================================================================== generated policies
# A hypothesis strategy builds random policies as ASTs; an independent naive printer writes
# them with every sub-expression parenthesised, random keyword languages, full-width
# punctuation, random line breaks and comments.  Parsing that text must give the generated
# AST; formatting must keep it, keep the comments in order, and be idempotent.

SPAN = Span("<gen>", 1, 1, 1, 1)
RESERVED = {w for en, zh, _, _ in KEYWORDS for w in (*en.split(), zh)}
_FIRST = "abmxyz_甲乙户籍成员且或非"
_REST = _FIRST + "0123456789"

names = st.builds(
    lambda a, b: a + b,
    st.sampled_from(_FIRST),
    st.text(alphabet=_REST, max_size=5),
).filter(lambda s: s not in RESERVED)
plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r{}"),
    max_size=8,
)
strings = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=8
)
numbers = st.from_regex(r"[0-9]{1,7}(\.[0-9]{1,7})?", fullmatch=True).map(Decimal)
comment_texts_st = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
    max_size=12,
).map(lambda s: "#" + s)


def _node(cls: type, *args: Any) -> Any:
    return st.builds(cls, st.just(SPAN), *args)


atoms = st.one_of(
    _node(ast.Number, numbers),
    _node(ast.String, strings),
    _node(ast.DateLit, st.dates()),
    _node(ast.Bool, st.booleans()),
    _node(ast.Name, names),
    _node(ast.PolicyRef),
)


def _compound(e: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    small = st.lists(e, max_size=3).map(tuple)
    return st.one_of(
        st.builds(ast.Field, st.just(SPAN), e, names, st.just(SPAN)),
        _node(ast.Filter, e, e),
        st.builds(ast.Call, st.just(SPAN), names, st.just(SPAN), small),
        _node(ast.ListLit, small),
        _node(ast.Neg, e),
        _node(ast.Not, e),
        _node(ast.BinOp, st.sampled_from("+-*/"), e, e),
        _node(ast.Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), e, e),
        _node(ast.Compare, st.sampled_from(["in", "not in", "within"]), e, e),
        _node(ast.And, e, e),
        _node(ast.Or, e, e),
        _node(ast.Coalesce, e, e),
        _node(ast.If, e, e, e),
        st.builds(
            ast.Quantifier, st.just(SPAN), st.sampled_from(["any", "all"]), names,
            st.just(SPAN), e, e,
        ),
    )  # fmt: skip


exprs = st.recursive(atoms, _compound, max_leaves=14)


@st.composite
def messages(draw: st.DrawFn) -> ast.Message:
    pieces = draw(
        st.lists(st.one_of(plain_text, st.lists(names, min_size=1, max_size=3)), max_size=4)
    )
    parts: list[str | ast.Interp] = []
    text = ""
    for p in pieces:
        if isinstance(p, str):
            text += p
            if parts and isinstance(parts[-1], str):
                parts[-1] += p
            elif p:
                parts.append(p)
        else:
            text += "{" + ".".join(p) + "}"
            parts.append(ast.Interp(SPAN, tuple(p)))
    return ast.Message(SPAN, text, tuple(parts))


META_KEYS = ["region", "地区", "effective", "生效", "until", "period", "周期", "basis"]
meta_keys = st.one_of(st.sampled_from([*META_KEYS, "hotline", "amount", "金额"]), names)
items = st.one_of(
    st.builds(ast.Meta, st.just(SPAN), meta_keys, st.just(SPAN), exprs),
    st.builds(ast.Let, st.just(SPAN), names, st.just(SPAN), exprs, st.booleans()),
    st.builds(
        ast.Rule, st.just(SPAN), st.sampled_from(["require", "deny", "review"]), names,
        st.just(SPAN), messages(), exprs,
    ),
    st.builds(
        ast.OverrideRule, st.just(SPAN), names, st.just(SPAN), st.none() | messages(), exprs
    ),
    st.builds(ast.Drop, st.just(SPAN), names, st.just(SPAN), strings),
)  # fmt: skip


@st.composite
def modules(draw: st.DrawFn) -> ast.Module:
    policies = []
    for _ in range(draw(st.integers(1, 2))):
        parent = draw(st.none() | strings)
        policies.append(
            ast.Policy(
                SPAN,
                draw(strings),
                SPAN,
                draw(strings),
                parent,
                None if parent is None else SPAN,
                tuple(draw(st.lists(items, max_size=5))),
            )
        )
    return ast.Module("<gen>", "", tuple(policies))


class NaivePrinter:
    """Writes an AST with every sub-expression in parentheses; each keyword in English or
    Chinese at random, punctuation sometimes full-width, and random whitespace, line
    breaks and comments between tokens."""

    ZH: ClassVar[dict[str, str]] = {en: zh for en, zh, _, _ in KEYWORDS}

    def __init__(self, rnd: random.Random, comments: list[str]):
        self.rnd = rnd
        self.comments = comments

    def kw(self, en: str) -> list[str]:
        if en == "not in" and self.rnd.random() < 0.5:
            return self.kw("not") + self.kw("in")
        return [self.ZH[en] if self.rnd.random() < 0.5 else en]

    def punct(self, p: str) -> str:
        wide = {"(": "（", ")": "）", ":": "：", ",": "，"}
        return wide[p] if p in wide and self.rnd.random() < 0.2 else p

    def string(self, s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    def expr(self, e: ast.Expr) -> list[str]:
        return [self.punct("("), *self.bare(e), self.punct(")")]

    def bare(self, e: ast.Expr) -> list[str]:
        if isinstance(e, ast.Number):
            return [f"{e.value:f}"]
        if isinstance(e, ast.String):
            return [self.string(e.value)]
        if isinstance(e, ast.DateLit):
            return [e.value.isoformat()]
        if isinstance(e, ast.Bool):
            return self.kw("true" if e.value else "false")
        if isinstance(e, ast.Name):
            return [e.name]
        if isinstance(e, ast.PolicyRef):
            return self.kw("policy")
        if isinstance(e, ast.Field):
            return [*self.expr(e.obj), ".", e.name]
        if isinstance(e, ast.Filter):
            return [*self.expr(e.obj), "[", *self.expr(e.cond), "]"]
        if isinstance(e, ast.Call):
            return [e.func, self.punct("("), *self.join(e.args), self.punct(")")]
        if isinstance(e, ast.ListLit):
            tail = [self.punct(",")] if e.items and self.rnd.random() < 0.3 else []
            return ["[", *self.join(e.items), *tail, "]"]
        if isinstance(e, ast.Neg):
            return ["-", *self.expr(e.operand)]
        if isinstance(e, ast.Not):
            return [*self.kw("not"), *self.expr(e.operand)]
        if isinstance(e, ast.BinOp):
            return [*self.expr(e.left), e.op, *self.expr(e.right)]
        if isinstance(e, ast.Compare):
            op = self.kw(e.op) if e.op in ("in", "not in", "within") else [e.op]
            return [*self.expr(e.left), *op, *self.expr(e.right)]
        if isinstance(e, ast.And | ast.Or):
            word = self.kw("and" if isinstance(e, ast.And) else "or")
            return [*self.expr(e.left), *word, *self.expr(e.right)]
        if isinstance(e, ast.Coalesce):
            return [*self.expr(e.left), "??", *self.expr(e.right)]
        if isinstance(e, ast.If):
            return [
                *self.kw("if"), *self.expr(e.cond), *self.kw("then"), *self.expr(e.then),
                *self.kw("else"), *self.expr(e.else_),
            ]  # fmt: skip
        if isinstance(e, ast.Quantifier):
            return [
                *self.kw(e.kind), e.var, *self.kw("in"), *self.expr(e.iterable),
                self.punct(":"), *self.expr(e.body),
            ]  # fmt: skip
        raise AssertionError(e)

    def join(self, xs: tuple[ast.Expr, ...]) -> list[str]:
        out: list[str] = []
        for i, x in enumerate(xs):
            out += ([self.punct(",")] if i else []) + self.expr(x)
        return out

    def item(self, it: ast.Item) -> list[str]:
        colon = self.punct(":")
        if isinstance(it, ast.Meta):
            return [it.key, colon, *self.expr(it.value)]
        if isinstance(it, ast.Let):
            head = self.kw("override") if it.override else []
            return [*head, *self.kw("let"), it.name, "=", *self.expr(it.expr)]
        if isinstance(it, ast.Rule):
            msg = self.string(it.message.text)
            return [*self.kw(it.kind), it.name, msg, colon, *self.expr(it.expr)]
        if isinstance(it, ast.OverrideRule):
            msg = [] if it.message is None else [self.string(it.message.text)]
            return [*self.kw("override"), it.name, *msg, colon, *self.expr(it.expr)]
        if isinstance(it, ast.Drop):
            return [*self.kw("drop"), it.name, self.string(it.justification)]
        raise AssertionError(it)

    def module(self, m: ast.Module) -> str:
        tokens: list[str] = []
        for p in m.policies:
            tokens += [*self.kw("policy"), self.string(p.code), self.string(p.title)]
            if p.parent is not None:
                tokens += [*self.kw("extends"), self.string(p.parent)]
            tokens.append("{")
            for it in p.items:
                tokens += self.item(it)
            tokens.append("}")
        out = [self.gap()]
        for t in tokens:
            out += [t, self.gap()]
        return "".join(out)

    def gap(self) -> str:
        r = self.rnd.random()
        if r < 0.6:
            return " "
        if r < 0.7:
            return "\n" + " " * self.rnd.randrange(8)
        if r < 0.75:
            return self.rnd.choice(["\t", "\u3000", "\n\n"])
        comment = self.rnd.choice(self.comments)
        if r < 0.88:
            return "  " + comment + "\n"
        return "\n" + " " * self.rnd.randrange(8) + comment + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    modules(),
    st.randoms(use_true_random=False),
    st.lists(comment_texts_st, min_size=1),
    st.sampled_from([100, 40, 12]),
)
def test_generated_policies_round_trip(
    module: ast.Module, rnd: random.Random, comments: list[str], width: int
) -> None:
    """Narrow widths make the layout break almost every group, with comments in between."""
    text = NaivePrinter(rnd, comments).module(module)
    source = parsed(text)
    assert ast_equal(source, module), text  # the naive printer says what was generated
    out = format_source(text, width=width)
    assert ast_equal(parsed(out), source), out
    assert format_source(out, width=width) == out
    assert_comments_kept(text, out)
