"""Roster audits: running checked audits (``audit``/``alert`` forms) over a payment roster and
the registries, on the reference interpreter, DuckDB or Spark.  May import ``checker``,
``sql``, ``batch``, ``evaluate``, ``roster`` and below (docs/audits.md).

    audits = yktrules.audit.load_audits("audits/")
    report = audits.run(rows, {"deaths": deaths, "agents": agents}, engine="duckdb")
    for f in report.findings: print(f.audit, f.message, [r.line for r in f.records])

The pipeline is the policies' own: text → parse tree → AST → checked stages
(``yktrules.checker.audits``) → the reference interpreter (:mod:`.reference`) or SQL
(:mod:`.sql`, run by :mod:`.duckdb` and :mod:`.spark`); :mod:`.result` builds the findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

import attrs

from ..checker.audits import CheckedAudit, check_audits
from ..errors import Diagnostic, PolicyError
from ..ir.functions import Function, HostFunction, table
from ..params import ParamTable, load_param_files
from ..roster.models import Payment
from .result import AuditOutcome, Finding, Record

__all__ = [
    "AuditOutcome",
    "AuditReport",
    "AuditSet",
    "CheckedAudit",
    "Finding",
    "Record",
    "load_audits",
]

Engine = Literal["duckdb", "python", "spark"]


@attrs.frozen
class AuditReport:
    outcomes: tuple[AuditOutcome, ...]
    rows: int

    @property
    def findings(self) -> list[Finding]:
        return [f for o in self.outcomes for f in o.findings]


@attrs.frozen
class AuditSet:
    audits: Mapping[str, CheckedAudit]
    params: ParamTable
    funcs: dict[str, Function]
    diagnostics: tuple[Diagnostic, ...] = ()  # warnings

    def run(
        self,
        rows: Sequence[Payment] | Sequence[tuple[Record, Payment]],
        registries: Mapping[str, Sequence[Any] | None] | None = None,
        *,
        engine: Engine = "duckdb",
        as_of: date | None = None,
        codes: Sequence[str] | None = None,
        unmask: bool = False,
        spark: Any = None,
        master: str | None = None,
    ) -> AuditReport:
        """Every audit (or those in `codes`) over the roster `rows`.  A registry that is
        absent or None is *not supplied*: joins to it are unknown, never empty.  With
        ``engine="spark"``, `spark` is a SparkSession (or `master` a Spark master URL)."""
        pairs: list[tuple[Record, Payment]] = []
        for i, r in enumerate(rows):
            if isinstance(r, Payment):
                pairs.append((Record("<roster>", i + 1, r.id), r))
            else:
                pairs.append(cast(tuple[Record, Payment], r))
        regs = dict(registries or {})
        day = as_of or date.today()
        chosen = [self.audits[c] for c in codes] if codes else list(self.audits.values())
        if engine == "python":
            from .reference import run_reference

            outs = [
                run_reference(a, pairs, regs, self.params, self.funcs, day, unmask=unmask)
                for a in chosen
            ]
        elif engine == "duckdb":
            from .duckdb import run_duckdb

            outs = run_duckdb(chosen, pairs, regs, self.params, day, unmask=unmask)
        elif engine == "spark":
            from .spark import run_spark

            outs = run_spark(
                chosen, pairs, regs, self.params, day, unmask=unmask, spark=spark, master=master
            )
        else:
            raise ValueError(f"unknown engine {engine!r}")
        return AuditReport(tuple(outs), len(pairs))


def load_audits(
    paths: str | Path | Sequence[str | Path],
    *,
    params: Sequence[str | Path] = (),
    functions: Sequence[HostFunction] = (),
) -> AuditSet:
    """Read and check the audits under `paths` (``.ykt`` files with ``audit`` forms, and the
    ``.params.yaml`` beside them), with parameter files from `params` too (a policy library,
    say).  Raises :class:`yktrules.PolicyError` listing every problem."""
    from ..bundle.loader import read_sources
    from ..lang.parser import parse

    plist = [paths] if isinstance(paths, str | Path) else list(paths)
    sources, diags = read_sources(plist)
    extra_params: list[tuple[str, str]] = []
    if params:
        psources, pdiags = read_sources(list(params))
        diags += pdiags
        extra_params = list(psources.params)
    modules = []
    for file, text in sources.policies:
        m, ds = parse(text, file)
        diags += ds
        if m is not None:
            modules.append(m)
            if m.policies:
                diags.append(
                    Diagnostic(
                        "E407",
                        "稽核目录中出现了政策；政策放在政策库（--policies）中 / a policy in the "
                        "audits folder",
                        m.policies[0].code_span,
                    )
                )
    ptable, pd = load_param_files([*sources.params, *extra_params])
    diags += pd
    funcs = table(functions)
    all_text = dict(sources.policies) | dict(sources.params) | dict(extra_params)
    audits, cd = check_audits(modules, ptable, funcs, all_text)
    diags += cd
    if not audits and not any(d.is_error for d in diags):
        where = ", ".join(map(str, plist))
        diags.append(Diagnostic("E407", f"没有找到任何稽核规则 / no audits in {where}", None))
    if any(d.is_error for d in diags):
        raise PolicyError(diags)
    ordered = {code: audits[code] for code in sorted(audits)}  # by code, not by file name
    return AuditSet(ordered, ptable, funcs, tuple(diags))
