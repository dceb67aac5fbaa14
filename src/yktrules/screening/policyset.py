"""A loaded, checked policy set: resolution by item, region and date (LANGUAGE.md §8),
and screening (INTERFACES.md)."""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import attrs
from pydantic import BaseModel

from .. import ir
from ..bundle.cache import CacheSetting, load_checked
from ..bundle.loader import Sources, read_sources
from ..errors import ArgumentError, Diagnostic, NoPolicyError, PolicyError
from ..evaluate.compiler import CompiledPolicy
from ..evaluate.interpreter import Interpreter
from ..facts.models import Application
from ..facts.project import paths_read, projected_schema
from ..facts.validate import facts_json_schema, parse_facts
from ..ir import regions
from ..ir.functions import HostFunction, table
from ..ir.values import Unknown, render, round_amount
from .decision import (
    Decision,
    EvaluationError,
    Outcome,
    PolicyInfo,
    Reason,
    UnknownRule,
    outcome_of,
)
from .environment import Plan, PolicyEnv, RegionEnv, change_dates, decide, epoch_start


class PolicySet:
    """Policies loaded once and checked; screens any number of applications.

    Build one with :func:`yktrules.load`."""

    def __init__(
        self,
        sources: Sources,
        schema: type[BaseModel] = Application,
        functions: Sequence[HostFunction] = (),
        validate: Literal["full", "read"] = "full",
        cache: CacheSetting = True,
    ):
        if validate not in ("full", "read"):
            raise ArgumentError(f"validate 须为 'full' 或 'read'，而不是 {validate!r}")
        functions = tuple(functions)
        self._environment = _environment_digest(schema, functions)
        self._cache = cache
        loaded = load_checked(sources, schema, functions, self._environment, cache)
        if loaded.errors:
            raise PolicyError(loaded.diagnostics)
        self.schema = schema
        self.sources = sources
        self.functions = tuple(functions)
        self.warnings: list[Diagnostic] = loaded.diagnostics
        self.params = loaded.params
        self.policies: dict[str, ir.CheckedPolicy] = loaded.policies
        # "read": validate only the fields these policies read (docs/getting-started.md)
        self.validate = validate
        self.validation_schema = (
            schema
            if validate == "full"
            else projected_schema(schema, paths_read(self.policies.values()))
        )
        self._funcs = table(functions)
        self._compiled = {c: CompiledPolicy(p, self._funcs) for c, p in self.policies.items()}
        self._family: dict[str, list[ir.CheckedPolicy]] = {}
        for p in self.policies.values():
            self._family.setdefault(p.item, []).append(p)
        self._info = {
            c: PolicyInfo(c, p.item, p.title, p.department, p.hotline, p.period)
            for c, p in self.policies.items()
        }
        self._param = lru_cache(maxsize=1 << 16)(self._param_uncached)
        self._plans = {c: Plan.of(comp, self._info[c]) for c, comp in self._compiled.items()}
        self._items = tuple(sorted(self._family))
        # resolution, versions and parameter values are constant between these days
        self._changes = change_dates(self.policies.values(), self.params)
        self._policy_env = lru_cache(maxsize=1 << 14)(self._policy_env_uncached)
        # a version digests the parameter values: policies with equal versions share them
        self._shared_env: dict[tuple[str, str], PolicyEnv] = {}
        self._region_env = lru_cache(maxsize=1 << 10)(self._region_env_uncached)

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.sources, self.schema, self.functions, self.validate, self._cache)
        return (PolicySet, args)

    def __repr__(self) -> str:
        return f"<PolicySet {len(self.policies)} policies, {len(self._family)} items>"

    # ------------------------------------------------------------ catalogue
    @property
    def items(self) -> list[str]:
        """The codes of the items: the policies that extend no other."""
        return sorted(self._family)

    def policy(self, code: str) -> ir.CheckedPolicy:
        return self.policies[code]

    def in_force(
        self, region: str | None = None, as_of: date | None = None
    ) -> list[ir.CheckedPolicy]:
        """With a region: for each item, the policy that would screen an applicant of that
        region on `as_of` (default: today).  Without: every policy (in force on `as_of`,
        when given)."""
        if region is not None:
            day = as_of or date.today()
            return [e.plan.policy for e in self._env(region, day).entries]
        return sorted(
            (
                p
                for p in self.policies.values()
                if as_of is None or (p.effective <= as_of and (p.until is None or as_of <= p.until))
            ),
            key=lambda p: (p.item, len(p.chain), p.code),
        )

    # ------------------------------------------------------------ resolution
    def resolve(self, code: str, region: str, as_of: date) -> ir.CheckedPolicy:
        """The policy that screens item `code` (or a policy extending it) for `region` on
        `as_of`; raises NoPolicyError when none is in force."""
        return self._resolved(code, region, as_of).plan.policy

    def _resolved(self, code: str, region: str, as_of: date) -> PolicyEnv:
        """`resolve`, with the policy's version and parameter values for the region and day."""
        p = self.policies.get(code)
        if p is None:
            raise NoPolicyError(code, region, as_of, "没有这个项目代码 / unknown item code")
        env = self._env(region, as_of).by_item.get(p.item)
        if env is None:
            raise NoPolicyError(p.item, region, as_of)
        return env

    def _env(self, region: str, day: date) -> RegionEnv:
        return self._region_env(region, bisect_right(self._changes, day))

    def _region_env_uncached(self, region: str, epoch: int) -> RegionEnv:
        """For each item in code order, the policy in force for the region in the epoch."""
        day = epoch_start(self._changes, epoch)
        entries: list[PolicyEnv] = []
        for item in self._items:
            try:
                p = self._resolve_uncached(item, region, day)
            except NoPolicyError:
                continue
            entries.append(self._policy_env(p.code, region, epoch))
        return RegionEnv(tuple(entries), {e.plan.policy.item: e for e in entries})

    def _policy_env_uncached(self, code: str, region: str, epoch: int) -> PolicyEnv:
        day = epoch_start(self._changes, epoch)
        version = self._version_uncached(code, region, day)
        shared = self._shared_env.get((code, version))
        if shared is not None:  # the same parameter values (regions under one table key)
            return shared
        values = {n: self._param_uncached(n, region, day) for n in self.policies[code].params}
        env = PolicyEnv(self._plans[code], version, MappingProxyType(values), values.__getitem__)
        return self._shared_env.setdefault((code, version), env)

    def _version(self, code: str, region: str, as_of: date) -> str:
        """The `version` of the decisions of policy `code` for the region and day."""
        return self._policy_env(code, region, bisect_right(self._changes, as_of)).version

    def _resolve_uncached(self, code: str, region: str, as_of: date) -> ir.CheckedPolicy:
        p = self.policies.get(code)
        if p is None:
            raise NoPolicyError(code, region, as_of, "没有这个项目代码 / unknown item code")
        best: ir.CheckedPolicy | None = None
        for cand in self._family[p.item]:
            if not regions.within(region, cand.region):
                continue
            if cand.effective > as_of or (cand.until is not None and as_of > cand.until):
                continue
            if best is None or _specificity(cand) > _specificity(best):
                best = cand
        if best is None:
            raise NoPolicyError(p.item, region, as_of)
        return best

    def _param_uncached(self, name: str, region: str, as_of: date) -> Any:
        decl = self.params.get(name)
        hit = decl.resolve(region, as_of) if decl else None
        if hit is None:
            return Unknown(frozenset({f"param.{name}"}))
        return hit[2]

    def _version_uncached(self, code: str, region: str, as_of: date) -> str:
        p = self.policies[code]
        h = hashlib.sha256(p.digest.encode())
        h.update(self._environment.encode())
        for name in p.params:
            decl = self.params.get(name)
            hit = decl.resolve(region, as_of) if decl else None
            h.update(
                f"\n{name}={hit[0]}@{hit[1]}:{hit[2]}".encode() if hit else f"\n{name}=?".encode()
            )
        return "sha256:" + h.hexdigest()

    # ------------------------------------------------------------ screening
    def parse_facts(self, facts: Any) -> Any:
        """Validate facts (dict, JSON text or model instance); raises FactsError.

        With ``validate="read"`` only the fields the loaded policies read are validated
        (into the projected model ``validation_schema``); an instance of the full schema is
        taken as it is."""
        if self.validation_schema is not self.schema and isinstance(facts, self.schema):
            return facts
        return parse_facts(facts, self.validation_schema)

    def screen(
        self, facts: Any, policy: str, as_of: date | str | None = None, *, trace: bool = False
    ) -> Decision:
        """Screen one application for an item (or a policy extending it).  With
        `trace=True` the reference interpreter decides and the decision carries a trace of
        every let's and rule's value."""
        doc = self.parse_facts(facts)
        day = _as_of(doc, as_of)
        if trace:
            p = self.resolve(policy, doc.application.region, day)
            return self.evaluate_reference(p.code, doc, day)
        return self._screen(doc, policy, day)

    def screen_all(self, facts: Any, as_of: date | str | None = None) -> list[Decision]:
        """One decision per item with a policy in force for the application's region and
        date, in item-code order."""
        doc = self.parse_facts(facts)
        day = _as_of(doc, as_of)
        env = self._env(doc.application.region, day)
        return [decide(e, doc, day) for e in env.entries]

    def _screen(self, doc: Any, code: str, as_of: date) -> Decision:
        return decide(self._resolved(code, doc.application.region, as_of), doc, as_of)

    def evaluate(self, code: str, doc: Any, as_of: date) -> Decision:
        """Apply one policy (no resolution) to validated facts, on the compiled path."""
        epoch = bisect_right(self._changes, as_of)
        return decide(self._policy_env(code, doc.application.region, epoch), doc, as_of)

    def evaluate_reference(self, code: str, doc: Any, as_of: date) -> Decision:
        """The same decision from the reference interpreter, with a `trace` of every let's
        and every rule's value (slower; for explanations and as the oracle in tests)."""
        p = self.policies[code]
        region = doc.application.region
        interp = Interpreter(
            p, self._funcs, doc, as_of, lambda name: self._param(name, region, as_of)
        )
        values = interp.rules()

        def message(rule: ir.CheckedRule) -> str:
            return "".join(x if isinstance(x, str) else render(x) for x in interp.message(rule))

        d = self._decide(
            p, region, as_of, values, message, interp.amount if p.amount is not None else None
        )
        trace = {
            "lets": {k: _show(v) for k, v in interp.trace.items()},
            "rules": {r.name: _show(v) for r, v in values},
        }
        return attrs.evolve(d, trace=trace)

    def _decide(
        self,
        p: ir.CheckedPolicy,
        region: str,
        as_of: date,
        values: list[tuple[ir.CheckedRule, Any]],
        message: Callable[[ir.CheckedRule], str],
        amount_of: Callable[[], Any] | None,
    ) -> Decision:
        """Outcome, reasons, unknowns and amount from the rules' values (LANGUAGE.md §6)."""
        reasons: list[Reason] = []
        unknown: list[UnknownRule] = []
        for rule, v in values:
            if v is True:
                if rule.kind == "require":
                    continue
            elif v is False:
                if rule.kind != "require":
                    continue
            else:
                errs = tuple(EvaluationError(e.message, str(e.span)) for e in v.errors)
                unknown.append(
                    UnknownRule(
                        rule.name,
                        rule.kind,
                        tuple(sorted(v.missing)),
                        message(rule),
                        rule.span.short,
                        errs,
                    )
                )
                continue
            reasons.append(Reason(rule.name, rule.kind, message(rule), rule.span.short))
        outcome = outcome_of(reasons, unknown)
        amount: Decimal | None = None
        amount_missing: tuple[str, ...] | None = None
        amount_errors: tuple[EvaluationError, ...] = ()
        if amount_of is not None and outcome is Outcome.ELIGIBLE:
            a = amount_of()
            if a.__class__ is Unknown:
                amount_missing = tuple(sorted(a.missing))
                amount_errors = tuple(EvaluationError(e.message, str(e.span)) for e in a.errors)
            else:
                amount = round_amount(Decimal(a))
        return Decision(
            item=p.item,
            policy=p.code,
            title=p.title,
            version=self._version(p.code, region, as_of),
            as_of=as_of,
            outcome=outcome,
            reasons=tuple(reasons),
            unknown=tuple(unknown),
            amount=amount,
            info=self._info[p.code],
            amount_missing=amount_missing,
            amount_errors=amount_errors,
        )


def _show(v: Any) -> Any:
    """A traced value as JSON: unknowns show what was missing."""
    if isinstance(v, Unknown):
        return {"unknown": sorted(v.missing)}
    if isinstance(v, list):
        return [_show(x) for x in v]
    if isinstance(v, bool | str) or v is None:
        return v
    if isinstance(v, Decimal | int):
        return str(v)
    if isinstance(v, date):
        return v.isoformat()
    return type(v).__name__


def _environment_digest(schema: type[BaseModel], functions: Sequence[HostFunction]) -> str:
    """What besides the policy text a decision depends on: the facts schema and the host
    functions' names and signatures (their code cannot be digested reliably)."""
    h = hashlib.sha256(json.dumps(facts_json_schema(schema), sort_keys=True).encode())
    for f in sorted(functions, key=lambda f: f.name):
        qual = getattr(f.fn, "__module__", "") + "." + getattr(f.fn, "__qualname__", "")
        h.update(f"\n{f.name}({','.join(f.params)})->{f.returns} {qual}".encode())
    return h.hexdigest()


def _specificity(p: ir.CheckedPolicy) -> tuple[int, int]:
    return (len(regions.significant(p.region)), len(p.chain))


def _as_of(doc: Any, as_of: date | str | None) -> date:
    if as_of is None:
        return doc.application.date  # type: ignore[no-any-return]
    if isinstance(as_of, str):
        try:
            return date.fromisoformat(as_of) if len(as_of) == 10 else date.fromisoformat("x")
        except ValueError:
            raise ArgumentError(f"as_of 须为日期 YYYY-MM-DD，而不是 {as_of!r}") from None
    if isinstance(as_of, datetime) or not isinstance(as_of, date):
        raise ArgumentError(f"as_of 须为 datetime.date 或 YYYY-MM-DD，而不是 {as_of!r}")
    return as_of


def load(
    path: str | Path | Sequence[str | Path],
    *,
    schema: type[BaseModel] | None = None,
    functions: Sequence[HostFunction] = (),
    validate: Literal["full", "read"] = "full",
    cache: CacheSetting = True,
) -> PolicySet:
    """Read a policy folder (or one file) and check it; raises PolicyError listing every
    problem.  ``validate="read"`` validates facts only on the fields the policies read
    (faster; a document invalid elsewhere is then screened); the default ``"full"``
    validates the whole document.

    ``cache`` keeps the checked policies in a cache keyed by the files' content (and the
    yktrules version, the facts schema and the host functions), so loading the same files
    again skips parsing and checking: True (the default) uses ``$YKTRULES_CACHE_DIR`` or
    the user cache directory (``~/.cache/yktrules`` on Linux), a path uses that directory,
    False neither reads nor writes a cache.  Warnings are reported as on a first load; a
    damaged cache entry is ignored and rewritten, an unwritable directory only means
    nothing is saved."""
    paths = [path] if isinstance(path, str | Path) else list(path)
    sources, diags = read_sources(paths)
    if diags:
        raise PolicyError(diags)
    return PolicySet(sources, schema or Application, functions, validate, cache)
