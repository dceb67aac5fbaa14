"""The version of yktrules, in a module of its own so that any module can read it without
importing the public surface."""

__version__ = "0.1.0"
