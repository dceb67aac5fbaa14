"""Parameter tables: the dated, regional values policies read as ``param.NAME``
(``*.params.yaml``, LANGUAGE.md §7).  May import ``lang`` (YAML with positions) and ``ir``.

- :mod:`.table`: :class:`ParamTable`, :class:`ParamDecl` and resolution by region and date;
- :mod:`.files`: reading the files, every problem as a diagnostic.
"""

from .files import load_param_files
from .table import PARAM_TYPES, ParamDecl, ParamTable

__all__ = ["PARAM_TYPES", "ParamDecl", "ParamTable", "load_param_files"]
