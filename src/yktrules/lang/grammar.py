"""The language's grammar (``grammars/ykt.lark`` for the rules, ``grammars/terminals.lark``
for every named terminal) and the one Lark LALR parser built from it."""

from __future__ import annotations

import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lark import Lark


@cache
def grammar_path() -> Path:
    """The grammar shipped in the wheel, or the repository's `grammars/` in a checkout.
    Imported from a zip file (shipped to Spark executors with ``addPyFile``), its grammar
    files are copied out to a folder once, for Lark to open."""
    folder = resources.files("yktrules") / "grammars"
    packaged = folder / "ykt.lark"
    if packaged.is_file():
        if Path(str(packaged)).is_file():
            return Path(str(packaged))
        out = Path(tempfile.mkdtemp(prefix="yktrules-grammar-"))
        for f in folder.iterdir():
            if f.name.endswith(".lark"):
                (out / f.name).write_bytes(f.read_bytes())
        return out / "ykt.lark"
    return Path(__file__).resolve().parents[3] / "grammars" / "ykt.lark"


@cache
def lark_parser() -> Lark:
    """The LALR parser (built once; Lark caches its tables on disk)."""
    from lark import Lark

    return Lark.open(
        str(grammar_path()),
        parser="lalr",
        lexer="basic",  # keywords are reserved everywhere: errors then point at the real spot
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )
