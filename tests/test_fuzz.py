"""Fuzzing the front end: mutated policy text never makes the parser or checker raise;
every problem comes back as a diagnostic with a position (LANGUAGE.md §9)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from yktrules.bundle.loader import Sources, load_sources
from yktrules.facts import Application

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted((ROOT / "policies").rglob("*.ykt"))
PARAMS = tuple(
    (str(p), p.read_text(encoding="utf-8")) for p in (ROOT / "policies").rglob("*.params.yaml")
)
TEXTS = [p.read_text(encoding="utf-8") for p in POLICIES]
TOKENS = [
    '"',
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "：",
    "=",
    "==",
    "??",
    "and",
    "且",
    "or",
    "not",
    "in",
    "within",
    "any",
    "all",
    "if",
    "then",
    "else",
    "policy",
    "extends",
    "let",
    "override",
    "drop",
    "require",
    "deny",
    "review",
    "\n",
    " ",
    "0",
    "1.5",
    "2021-02-30",
    "x",
    "household",
    ".",
    ",",
    "#",
    "\\",
    "“",
    "-",
    "*",
    "/",
    "{x}",
    "\u3000",
    "\x00",
    "😀",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "dupline"]))
        if op == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif op == "delete":
            j = min(len(text), i + draw(st.integers(1, 12)))
            text = text[:i] + text[j:]
        elif op == "replace":
            j = min(len(text), i + draw(st.integers(1, 6)))
            text = text[:i] + draw(st.text(max_size=6)) + text[j:]
        else:
            lines = text.splitlines(keepends=True)
            k = min(len(lines) - 1, i % max(len(lines), 1))
            text = "".join([*lines[: k + 1], lines[k], *lines[k + 1 :]]) if lines else text
    return text


@settings(max_examples=300, deadline=None)
@given(text=mutated())
def test_mutated_policies_never_crash(text: str) -> None:
    sources = Sources((("fuzz.ykt", text),), PARAMS)
    loaded = load_sources(sources, Application)  # must not raise
    for d in loaded.diagnostics:
        assert d.code != "E999", d.message  # the checker's safety net must never fire
        assert d.code and d.message
        assert d.span is not None and d.span.line >= 1 and d.span.col >= 1
        d.render()


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_crashes(text: str) -> None:
    loaded = load_sources(Sources((("any.ykt", text),), PARAMS), Application)
    if text.strip() and not text.lstrip().startswith("#"):
        assert loaded.diagnostics or loaded.policies is not None
    for d in loaded.diagnostics:
        d.render()


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_param_files_never_crash(text: str) -> None:
    policy = (str(POLICIES[0]), TEXTS[0])
    loaded = load_sources(Sources((policy,), (("p.params.yaml", text),)), Application)
    for d in loaded.diagnostics:
        d.render()
