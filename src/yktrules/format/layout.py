"""A small Wadler-style layout engine: documents of text, breaks, nesting, groups and
zero-width tags, rendered to lines no wider than :data:`WIDTH` columns (a CJK character
counts as two).  The policy printer (:mod:`.printer`) builds the documents; tags carry source
positions for :mod:`.comments`."""

from __future__ import annotations

import unicodedata

import attrs

WIDTH = 100
INDENT = 4

Pos = tuple[int, int]


# ====================================================================== layout documents
@attrs.frozen
class Text:
    s: str


@attrs.frozen
class Br:
    """A place where the line may break; printed as `flat` when its group fits."""

    flat: str = " "


@attrs.frozen
class Nest:
    indent: int
    doc: Doc


@attrs.frozen
class Group:
    """Printed flat when it fits, else with its `Br`s broken; `hard` groups always break."""

    doc: Doc
    hard: bool = False


@attrs.frozen
class Tag:
    """A zero-width mark: the source position of what is printed here."""

    pos: Pos


Doc = Text | Br | Nest | Group | Tag | tuple["Doc", ...]

_BREAK, _FLAT = 0, 1


def display_width(s: str) -> int:
    """Columns a terminal gives to `s` (CJK and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


@attrs.define
class OutLine:
    """One line of formatted output with the source positions printed on it."""

    text: str
    tags: list[Pos] = attrs.field(factory=list)
    opens: bool = False  # the `policy … {` line: no blank line may follow it
    closes: bool = False  # the `}` line: comments before it are indented one level more

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip(" "))


def render(doc: Doc, indent: int, width: int = WIDTH) -> list[OutLine]:
    """Lay `doc` out starting at column `indent` (a fresh line indented `indent` spaces)."""
    lines = [OutLine(" " * indent)]
    col = indent
    stack: list[tuple[int, int, Doc]] = [(indent, _BREAK, doc)]
    while stack:
        ind, mode, d = stack.pop()
        if isinstance(d, Text):
            lines[-1].text += d.s
            col += display_width(d.s)
        elif isinstance(d, Tag):
            lines[-1].tags.append(d.pos)
        elif isinstance(d, tuple):
            stack.extend((ind, mode, c) for c in reversed(d))
        elif isinstance(d, Nest):
            stack.append((ind + d.indent, mode, d.doc))
        elif isinstance(d, Group):
            flat = not d.hard and (mode == _FLAT or _fits(width - col, (ind, _FLAT, d.doc), stack))
            stack.append((ind, _FLAT if flat else _BREAK, d.doc))
        elif mode == _FLAT:  # Br
            lines[-1].text += d.flat
            col += display_width(d.flat)
        else:
            lines[-1].text = lines[-1].text.rstrip(" ")
            lines.append(OutLine(" " * ind))
            col = ind
    lines[-1].text = lines[-1].text.rstrip(" ")
    return lines


def _fits(room: int, first: tuple[int, int, Doc], rest: list[tuple[int, int, Doc]]) -> bool:
    """Whether `first` printed flat, and what follows it up to the next line break, fit."""
    todo = [first]
    rest_at = len(rest)
    while room >= 0:
        if not todo:
            if rest_at == 0:
                return True
            rest_at -= 1
            todo.append(rest[rest_at])
        _, mode, d = todo.pop()
        if isinstance(d, Text):
            room -= display_width(d.s)
        elif isinstance(d, tuple):
            todo.extend((0, mode, c) for c in reversed(d))
        elif isinstance(d, Group) and d.hard and mode == _FLAT:
            return False  # a group that must break cannot sit inside a flat one
        elif isinstance(d, Nest | Group):
            todo.append((0, mode, d.doc))
        elif isinstance(d, Br):
            if mode == _BREAK:
                return True
            room -= display_width(d.flat)
    return False
