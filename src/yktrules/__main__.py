"""`python -m yktrules` is the `yktrules` command."""

from .cli import main

main()
