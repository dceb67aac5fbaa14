"""Comments: finding them in the source and putting them back into formatted output.

The grammar ignores comments, so the AST has none.  They are found with the parser's own
lexer (`Lark.lex(..., dont_ignore=True)`), which knows exactly where string literals are:
a `#` inside `"…"` is never taken for a comment.  The same pass lists the code tokens, so
that the printer can tag every token it writes with the token's source position.

A comment is placed by the two code tokens it was written between (see `_place`):

- a **trailing** comment (code before it on its line) stays at the end of the output line
  that holds the code written before it;
- a **full-line** comment goes on its own line just above the output line that holds the
  code written after it, at that line's indentation (one level deeper before `}`), or at
  the end of the file when no code follows;
- when the two tokens around a comment end up on one output line (the layout joined the
  lines), the comment moves just above that line or to its end, keeping the order of all
  comments; a chain whose line break falls where a comment was written is kept broken
  instead (`Printer.must_break`), so the comment stays beside its operand;
- of several comments that would end one line, the first stays and the others go above
  the next line;
- a blank line next to a full-line comment is kept (at most one), except right after a
  policy's `{`, right before its `}` and at the start and end of the file.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict

import attrs

from ..lang.grammar import lark_parser
from .layout import INDENT, OutLine, Pos
from .printer import SourceTokens

_BLANK = " \t\f\r\u3000\ufeff"  # what the grammar's WS terminal allows on a line


@attrs.frozen
class Comment:
    pos: Pos  # (line, column) of its `#`, both 1-based
    text: str  # from `#` to the end of the line, trailing blanks removed
    trailing: bool  # code precedes it on its line
    blank_before: bool  # a full-line comment with a blank line just above it
    blank_after: bool  # a full-line comment with a blank line just below it


def find_comments(text: str) -> list[Comment]:
    """Every comment of `text` (which must lex: call this on text that parsed)."""
    return scan(text)[0]


def scan(text: str) -> tuple[list[Comment], SourceTokens]:
    """The comments of `text` and its code tokens (`text` must lex: it parsed)."""
    lines = text.split("\n")

    def blank(n: int) -> bool:  # 1-based line number
        return 0 < n <= len(lines) and not lines[n - 1].strip(_BLANK)

    comments: list[Comment] = []
    positions: list[Pos] = []
    types: list[str] = []
    code_line = 0  # the last line on which a code token ends
    for tok in lark_parser().lex(text, dont_ignore=True):
        if tok.type == "WS":
            continue
        line = tok.line or 1
        if tok.type == "COMMENT":
            trailing = code_line == line
            comments.append(
                Comment(
                    (line, tok.column or 1),
                    str(tok).rstrip(_BLANK),
                    trailing,
                    not trailing and blank(line - 1),
                    not trailing and blank(line + 1),
                )
            )
        else:
            code_line = tok.end_line or line
            positions.append((line, tok.column or 1))
            types.append(tok.type)
    return comments, SourceTokens(positions, types)


def weave(lines: list[OutLine], comments: list[Comment], forced: list[tuple[Pos, Pos]]) -> str:
    """The formatted text: `lines` with every comment put back (see the module docstring).
    `forced` are the source ranges whose comments made the printer break a line."""
    before, after, at_end = _place(lines, comments, forced)

    out: list[str] = []
    no_blank = True  # at the start of the file or just after a policy's `{`

    def blank_line() -> None:
        if not no_blank and out and out[-1] != "":
            out.append("")

    for i, ln in enumerate(lines):
        group = before.get(i, [])
        indent = " " * (ln.indent + (INDENT if ln.closes else 0))
        for j, c in enumerate(group):
            if c.blank_before:
                blank_line()
            out.append(indent + c.text)
            no_blank = False
            if c.blank_after and not (ln.closes and j == len(group) - 1):
                blank_line()
        text = ln.text
        if i in after:
            text += "  " + after[i].text
        if text or (out and out[-1] != ""):
            out.append(text)
        no_blank = ln.opens
    for c in at_end:
        if c.blank_before:
            blank_line()
        out.append(c.text)
        no_blank = False
        if c.blank_after:
            blank_line()
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def _place(
    lines: list[OutLine], comments: list[Comment], forced: list[tuple[Pos, Pos]]
) -> tuple[dict[int, list[Comment]], dict[int, Comment], list[Comment]]:
    """Which output line each comment goes above (or at the end of), or the file's end.

    The output's tags, sorted by source position, cut the source into *gaps*; each comment
    lies in one.  A gap whose two tags are on different output lines keeps its comments: a
    trailing comment with no full-line comment before it in the gap goes to the end of the
    first tag's line (the first such one; others go above the second tag's line), every
    other comment goes above the second tag's line.  A gap inside one output line cannot
    keep its comments: they move to the gap just before that line or just after it.  A
    comment in a `forced` range moves to the side that keeps it inside the range; the
    others keep their order, full-line comments moving up and trailing ones down.
    Formatting the result again finds every comment in the gap it was put in, which is why
    formatting is idempotent."""
    tags = sorted((pos, i) for i, ln in enumerate(lines) for pos in ln.tags)
    positions = [p for p, _ in tags]
    first_tag: dict[int, int] = {}  # output line -> index in `tags` of its first tag
    last_tag: dict[int, int] = {}
    for k, (_, i) in enumerate(tags):
        first_tag.setdefault(i, k)
        last_tag[i] = k
    ranges = sorted(forced)

    # the gap each comment ends up in: its own, or one next to its line
    gap_of: dict[int, int] = {}
    on_line: dict[int, list[tuple[int, str]]] = defaultdict(list)
    order = sorted(range(len(comments)), key=lambda n: comments[n].pos)
    for n in order:
        c = comments[n]
        k = bisect_left(positions, c.pos)  # the comment lies between tags k-1 and k
        if 0 < k < len(tags) and tags[k - 1][1] == tags[k][1]:
            line = tags[k][1]
            side = "free"
            r = bisect_left(ranges, (c.pos, (0, 0))) - 1
            if r >= 0 and ranges[r][0] < c.pos < ranges[r][1]:
                lo, hi = ranges[r]
                if hi <= positions[last_tag[line]]:
                    side = "before"
                elif lo >= positions[first_tag[line]]:
                    side = "after"
            on_line[line].append((n, side))
        else:
            gap_of[n] = k
    for line, group in on_line.items():
        cut = 0  # comments [0, cut) move to the gap before the line, the rest after it
        for m, (_, side) in enumerate(group):
            if side == "before":
                cut = m + 1
        while cut < len(group) and group[cut][1] != "after":
            if comments[group[cut][0]].trailing:
                break
            cut += 1
        for m, (n, _) in enumerate(group):
            gap_of[n] = first_tag[line] if m < cut else last_tag[line] + 1

    before: dict[int, list[Comment]] = defaultdict(list)
    ends: dict[int, Comment] = {}
    at_end: list[Comment] = []
    open_gap = -1  # the gap in which a comment may still go to the end of the line above
    for n in order:
        c, k = comments[n], gap_of[n]
        if c.trailing and k > 0 and open_gap != k and tags[k - 1][1] not in ends:
            ends[tags[k - 1][1]] = c
            continue
        open_gap = k  # from here on, this gap's comments go above its second tag's line
        if k < len(tags):
            before[tags[k][1]].append(c)
        else:
            at_end.append(c)
    return before, ends, at_end
