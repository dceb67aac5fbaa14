"""The checker: a policy set's ASTs and parameter tables in, checked, typed rule trees (``ir``)
out (LANGUAGE.md §8-§9).  May import ``lang``, ``ir``, ``params``, ``facts`` and ``roster``.

Every problem of every file is reported together, as coded diagnostics:

- :mod:`.inherit`: resolving ``extends`` (overrides, drops, inherited lets and rules);
- :mod:`.typecheck`: names, types, messages, the typed tree; :mod:`.pii`: personal data in
  messages (W004); :mod:`.report`: diagnostics with spans and hints;
- :mod:`.audits`, :mod:`.audit_scope`, :mod:`.lookup`: ``audit`` forms, checked in two
  stages against the roster's scope, joins becoming keyed lookups.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from .. import ir
from ..errors import Diagnostic
from ..ir import types as T
from ..ir.functions import Function
from ..lang import ast
from ..params import ParamTable
from .inherit import resolve_all
from .report import Reporter
from .typecheck import PolicyChecker


def check(
    modules: list[ast.Module],
    params: ParamTable,
    schema: type[BaseModel],
    funcs: Mapping[str, Function],
    sources: Mapping[str, str],
) -> tuple[dict[str, ir.CheckedPolicy], list[Diagnostic]]:
    rep = Reporter(dict(sources))
    resolved = resolve_all(modules, rep)
    app = T.record_type(schema)
    checked: dict[str, ir.CheckedPolicy] = {}
    for code, r in resolved.items():
        cp = PolicyChecker(r, app, params, funcs, rep).check()
        if cp is not None:
            checked[code] = cp
    diags = rep.diagnostics
    if any(m.audits for m in modules):  # `yktrules check` covers audits too (docs/audits.md)
        from .audits import check_audits

        diags = diags + check_audits(modules, params, funcs, sources)[1]
    return checked, diags


__all__ = ["check"]
