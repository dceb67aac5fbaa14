"""The fuzz engine behind `yktrules fuzz`: generated applicants through every policy, on
both evaluation paths.

For each policy, `examples` applicants like those of `facts_for_policy` (filed in its region,
decided while it is in force, aimed at its boundaries) are screened by the compiled path
(`PolicySet.evaluate`) and by the reference interpreter (`evaluate_reference`).  They are
drawn independently from a `random.Random` seeded with the seed and the policy code, so
the counts below describe evenly spread applicants (Hypothesis's own generation favours
near-copies and minimal documents, which is right for finding bugs and wrong for
statistics).  Optional facts that the policy does not read are left out (the decision cannot
depend on them, and smaller documents shrink faster).  The engine collects:

- evaluation errors (a rule or the amount unknown because of, say, a division by zero),
  one finding per source position, with the facts that trigger it;
- disagreements between the two paths (a bug in the engine: the decision would depend on
  which path computed it);
- crashes (an exception out of either path; a bug too);
- per rule, how often it was true, false and unknown, so that rules never true or never
  false in the run stand out;
- per outcome, the most compact applicant that got it.

Every finding is then shrunk with Hypothesis: `hypothesis.find` on the policy's strategy,
with a condition that holds exactly when that finding (that error's source position, that
disagreement, that crash) shows again, so each comes with its own minimal applicant.  When
Hypothesis cannot find it again within its budget, the applicant first seen is kept and the
finding says it is not shrunk.  Runs are deterministic for a seed and write no `.hypothesis`
folder (`database=None`).
"""

from __future__ import annotations

import json
import random
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis.errors import HypothesisException

from ..errors import ArgumentError, FactsError
from ..facts.ids import is_valid_id_number
from ..screening.decision import Decision
from ..screening.policyset import PolicySet
from .strategies import Spec, policy_spec, reading_spec
from .targets import fact_paths

__all__ = [
    "Finding",
    "FuzzReport",
    "PolicyResult",
    "RuleCoverage",
    "Sample",
    "compact_json",
    "mask_ids",
    "project",
    "run_fuzz",
]

OUTCOMES = ("eligible", "ineligible", "review")


# ------------------------------------------------------------------ results
@attrs.frozen
class RuleCoverage:
    """How often one rule was true, false and unknown in the run."""

    rule: str
    kind: str
    source: str  # file:line
    true: int
    false: int
    unknown: int

    @property
    def never_true(self) -> bool:
        return self.true == 0

    @property
    def never_false(self) -> bool:
        return self.false == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "source": self.source,
            "true": self.true,
            "false": self.false,
            "unknown": self.unknown,
            "never_true": self.never_true,
            "never_false": self.never_false,
        }


@attrs.frozen
class Sample:
    """One generated applicant and the decision date it was screened on."""

    facts: dict[str, Any]
    as_of: date

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "facts": self.facts}


@attrs.frozen
class PolicyResult:
    """What the run saw of one policy."""

    code: str
    title: str
    file: str
    examples: int  # applicants screened (validated ones)
    outcomes: Mapping[str, int]
    rules: tuple[RuleCoverage, ...]
    samples: Mapping[str, Sample]  # outcome -> the most compact applicant that got it
    rejected: int  # generated documents the schema rejected (a generator limitation)
    rejected_errors: tuple[dict[str, str], ...] = ()  # the first rejection's errors
    reads: tuple[str, ...] = ()  # the fact paths the policy reads

    @property
    def never_true(self) -> list[RuleCoverage]:
        return [r for r in self.rules if r.never_true]

    @property
    def never_false(self) -> list[RuleCoverage]:
        return [r for r in self.rules if r.never_false]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "file": self.file,
            "examples": self.examples,
            "outcomes": dict(self.outcomes),
            "rules": [r.to_dict() for r in self.rules],
            "samples": {k: v.to_dict() for k, v in self.samples.items()},
            "rejected": self.rejected,
            "rejected_errors": list(self.rejected_errors),
            "reads": list(self.reads),
        }


@attrs.frozen
class Finding:
    """An evaluation error, a disagreement between the two paths, or a crash, with the
    (shrunk) applicant that shows it."""

    kind: str  # error | disagreement | crash
    policy: str  # the policy the example was shrunk against
    policies: tuple[str, ...]  # every policy it turned up in
    source: str | None  # file:line:col of the error (crashes: where it was raised)
    message: str
    rules: tuple[str, ...]  # CODE.rule (or CODE.amount) that it made unknown
    hits: int  # generated applicants that showed it
    example: Sample
    shrunk: bool  # False when Hypothesis could not find it again to shrink it
    detail: Mapping[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "policy": self.policy,
            "policies": list(self.policies),
            "source": self.source,
            "message": self.message,
            "rules": list(self.rules),
            "hits": self.hits,
            "shrunk": self.shrunk,
            "example": self.example.to_dict(),
            "detail": dict(self.detail),
        }


@attrs.frozen
class FuzzReport:
    seed: int
    examples: int  # requested per policy
    policies: tuple[PolicyResult, ...]
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "error"]

    @property
    def disagreements(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "disagreement"]

    @property
    def crashes(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "crash"]

    @property
    def exit_code(self) -> int:
        """1 when something is alarming (an evaluation error, a disagreement, a crash)."""
        return 1 if self.findings else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "examples": self.examples,
            "exit_code": self.exit_code,
            "policies": [p.to_dict() for p in self.policies],
            "findings": [f.to_dict() for f in self.findings],
        }


# ------------------------------------------------------------------ one applicant
@attrs.frozen
class _Seen:
    """One applicant through one policy."""

    rejected: FactsError | None = None
    as_of: date | None = None
    compiled: Decision | None = None
    reference: Decision | None = None
    errors: Mapping[str, tuple[str, frozenset[str]]] = attrs.field(factory=dict)
    crashes: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)  # key -> message, where

    @property
    def disagree(self) -> bool:
        return (
            self.compiled is not None
            and self.reference is not None
            and self.compiled != self.reference
        )


def _screen(ps: PolicySet, code: str, doc: dict[str, Any]) -> _Seen:
    try:
        facts = ps.parse_facts(doc)
    except FactsError as e:
        return _Seen(rejected=e)
    as_of: date = facts.application.date
    crashes: dict[str, tuple[str, str]] = {}
    decisions: list[Decision | None] = []
    for path, run in (("compiled", ps.evaluate), ("reference", ps.evaluate_reference)):
        try:
            decisions.append(run(code, facts, as_of))
        except Exception as e:  # a crash is a finding, not the end of the run
            decisions.append(None)
            where = _raised_at(e)
            crashes[f"{path}|{where}|{type(e).__name__}"] = (
                f"{path}: {type(e).__name__}: {e}",
                where,
            )
    errors: dict[str, tuple[str, set[str]]] = {}
    for d in decisions:
        if d is None:
            continue
        for u in d.unknown:
            for err in u.errors:
                errors.setdefault(err.source, (err.message, set()))[1].add(f"{code}.{u.rule}")
        for err in d.amount_errors:
            errors.setdefault(err.source, (err.message, set()))[1].add(f"{code}.amount")
    return _Seen(
        None,
        as_of,
        decisions[0],
        decisions[1],
        {k: (m, frozenset(r)) for k, (m, r) in errors.items()},
        crashes,
    )


def _raised_at(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


# ------------------------------------------------------------------ the run
@attrs.define
class _PolicyTally:
    code: str
    reads: frozenset[str]
    examples: int = 0
    rejected: int = 0
    rejected_errors: tuple[dict[str, str], ...] = ()
    outcomes: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(OUTCOMES, 0))
    rules: dict[str, list[int]] = attrs.field(factory=dict)  # rule -> [true, false, unknown]
    samples: dict[str, tuple[int, Sample]] = attrs.field(factory=dict)


@attrs.define
class _Open:
    """A finding before shrinking."""

    kind: str
    key: str
    policy: str
    message: str
    source: str | None
    first: Sample
    policies: list[str] = attrs.field(factory=list)
    rules: set[str] = attrs.field(factory=set)
    hits: int = 0


def run_fuzz(
    policy_set: PolicySet,
    *,
    examples: int = 100,
    seed: int = 0,
    codes: Iterable[str] | None = None,
    unknown_rate: float = 0.1,
    shrink: bool = True,
    progress: Callable[[str], None] | None = None,
) -> FuzzReport:
    """Run `examples` generated applicants through each policy (all of them, or `codes`)
    on both evaluation paths, shrink what goes wrong, and report.  Deterministic for a
    `seed`."""
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise ArgumentError(f"examples 须为正整数，而不是 {examples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ArgumentError(f"seed 须为整数，而不是 {seed!r}")
    ordered = [p.code for p in policy_set.in_force()]
    if codes is not None:
        wanted = list(dict.fromkeys(codes))
        unknown = [c for c in wanted if c not in policy_set.policies]
        if unknown:
            raise ArgumentError(
                f"没有政策 {'、'.join(unknown)} / no such policy; "
                f"已加载的政策：{'、'.join(ordered)}"
            )
        ordered = [c for c in ordered if c in wanted]
    specs = {
        c: reading_spec(
            policy_spec(policy_set, c, unknown_rate=unknown_rate),
            fact_paths(policy_set.policies[c]),
        )
        for c in ordered
    }
    tallies: list[_PolicyTally] = []
    found: dict[str, _Open] = {}
    for code in ordered:
        if progress is not None:
            progress(f"{code}: {examples} 份生成申请 / generated applicants")
        tally = _PolicyTally(code, frozenset(fact_paths(policy_set.policies[code])))
        tallies.append(tally)

        rnd = random.Random(f"{seed}:{code}")
        for _ in range(examples):
            doc = specs[code].sample(rnd)
            _record(code, doc, _screen(policy_set, code, doc), tally, found)
    findings = []
    for f in found.values():
        if progress is not None and shrink:
            progress(f"缩减 / shrinking: {f.kind} {f.source or f.key}")
        findings.append(_finish(policy_set, specs[f.policy], f, examples, seed, shrink))
    order = {"disagreement": 0, "crash": 1, "error": 2}
    findings.sort(key=lambda f: (order[f.kind], f.source or "", f.policy))
    return FuzzReport(
        seed, examples, tuple(_result(policy_set, t) for t in tallies), tuple(findings)
    )


def _settings(max_examples: int, phases: tuple[Phase, ...]) -> settings:
    return settings(
        database=None,  # nothing is written under the user's folder
        max_examples=max_examples,
        deadline=None,
        derandomize=False,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
    )


def _record(
    code: str,
    doc: dict[str, Any],
    seen: _Seen,
    tally: _PolicyTally,
    found: dict[str, _Open],
) -> None:
    if seen.rejected is not None:
        tally.rejected += 1
        if not tally.rejected_errors:
            tally.rejected_errors = tuple(seen.rejected.errors)
        return
    assert seen.as_of is not None
    tally.examples += 1
    sample = Sample(doc, seen.as_of)

    def note(kind: str, key: str, message: str, source: str | None, rules: Iterable[str]) -> None:
        f = found.get(key)
        if f is None:
            f = found[key] = _Open(kind, key, code, message, source, sample)
        if code not in f.policies:
            f.policies.append(code)
        f.rules.update(rules)
        f.hits += 1

    for key, (message, where) in seen.crashes.items():
        note("crash", "crash " + key, message, where, ())
    for source, (message, rules) in seen.errors.items():
        note("error", "error " + source, message, source, rules)
    if seen.disagree:
        note("disagreement", "disagreement " + code, "编译执行与参考解释器的结论不同", None, ())
    if seen.reference is not None and seen.reference.trace is not None:
        for name, v in seen.reference.trace["rules"].items():
            counts = tally.rules.setdefault(name, [0, 0, 0])
            counts[0 if v is True else 1 if v is False else 2] += 1
    decision = seen.compiled or seen.reference
    if decision is not None:
        outcome = decision.outcome.value
        tally.outcomes[outcome] += 1
        size = len(compact_json(doc, paths=tally.reads))
        if outcome not in tally.samples or size < tally.samples[outcome][0]:
            tally.samples[outcome] = (size, sample)


def _finish(
    ps: PolicySet,
    spec: Spec,
    f: _Open,
    examples: int,
    seed: int,
    shrink: bool,
) -> Finding:
    code = f.policy

    def shows(doc: dict[str, Any]) -> bool:
        seen = _screen(ps, code, doc)
        if f.kind == "disagreement":
            return seen.disagree
        if f.kind == "crash":
            return f.key.removeprefix("crash ") in seen.crashes
        return f.source in seen.errors

    example, shrunk = f.first, False
    if shrink:
        try:
            doc = find(
                spec.strategy(),
                shows,
                settings=_settings(max(4 * examples, 200), (Phase.generate, Phase.shrink)),
                random=random.Random(seed),
            )
        except HypothesisException:  # not found again within the budget: keep the original
            pass
        else:
            example, shrunk = Sample(doc, _as_of_of(ps, doc) or f.first.as_of), True
    detail: dict[str, Any] = {}
    if f.kind == "disagreement":
        seen = _screen(ps, code, example.facts)
        if seen.compiled is not None and seen.reference is not None:
            detail = _difference(seen.compiled, seen.reference)
    return Finding(
        f.kind,
        code,
        tuple(f.policies),
        f.source,
        f.message,
        tuple(sorted(f.rules)),
        f.hits,
        example,
        shrunk,
        detail,
    )


def _as_of_of(ps: PolicySet, doc: dict[str, Any]) -> date | None:
    try:
        d: date = ps.parse_facts(doc).application.date
    except FactsError:
        return None
    return d


def _difference(compiled: Decision, reference: Decision) -> dict[str, Any]:
    a, b = compiled.to_dict(), reference.to_dict()
    b.pop("trace", None)
    keys = [k for k in a if a.get(k) != b.get(k)]
    return {
        "differs_in": keys,
        "compiled": {k: a.get(k) for k in keys},
        "reference": {k: b.get(k) for k in keys},
    }


def _result(ps: PolicySet, t: _PolicyTally) -> PolicyResult:
    p = ps.policies[t.code]
    rules = tuple(
        RuleCoverage(r.name, r.kind, r.span.short, *t.rules.get(r.name, [0, 0, 0])) for r in p.rules
    )
    return PolicyResult(
        t.code,
        p.title,
        p.file,
        t.examples,
        dict(t.outcomes),
        rules,
        {o: t.samples[o][1] for o in OUTCOMES if o in t.samples},
        t.rejected,
        t.rejected_errors,
        tuple(sorted(t.reads)),
    )


# ------------------------------------------------------------------ showing facts
def mask_ids(doc: Any) -> Any:
    """The document with every valid ID number masked: `511025********0226`."""
    if isinstance(doc, dict):
        return {k: mask_ids(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [mask_ids(v) for v in doc]
    if isinstance(doc, str) and is_valid_id_number(doc):
        return doc[:6] + "*" * 8 + doc[14:]
    return doc


def _drop_nulls(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _drop_nulls(v) for k, v in doc.items() if v is not None}
    if isinstance(doc, list):
        return [_drop_nulls(v) for v in doc]
    return doc


def project(doc: Any, paths: Iterable[str]) -> Any:
    """Only the parts of a facts document on the given fact paths (lists are kept, their
    elements cut down the same way); a record none of whose fields is read is left out."""
    wanted = set(paths)

    def keep(value: Any, prefix: str) -> Any:
        if isinstance(value, list):
            return [keep(v, prefix) for v in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else k
            if path in wanted:
                out[k] = v if not isinstance(v, dict | list) else keep(v, path)
            elif any(w.startswith(path + ".") for w in wanted):
                out[k] = keep(v, path)
        return out

    return keep(doc, "")


def compact_json(doc: Any, *, mask: bool = False, paths: Iterable[str] | None = None) -> str:
    """One line of JSON, null fields left out (absent and null both mean unknown), ID
    numbers masked when `mask`, only the given fact `paths` when given."""
    if paths is not None:
        doc = project(doc, paths)
    body = _drop_nulls(mask_ids(doc) if mask else doc)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_jsonable)


def _jsonable(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")
