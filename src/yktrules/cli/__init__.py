"""The ``yktrules`` command: a thin layer over the library, one module per command group
(INTERFACES.md, "Command line").  The only package that imports click; it may import
everything else, and nothing imports it.
"""

from .main import cli, main

__all__ = ["cli", "main"]
