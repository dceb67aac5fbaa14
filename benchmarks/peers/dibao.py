"""The 低保 policy SC-MZ-001 (policies/sichuan/dibao.ykt) written for two peer engines, to
compare with yktrules: `rule-engine` (Python) and `zen-engine` (GoRules JDM, Rust core).

Both take the same facts dict `yktrules.screen` takes and return a `PeerDecision` (outcome,
the rules that fired with their kinds, the amount).  Neither has three-valued logic: they are
only defined on applications where every fact the policy reads is known (`complete`).  The
parameters (low-income lines, deposit months) are read from policies/params/dibao.params.yaml
and resolved like yktrules does (most specific region, latest value on or before the
application date); that lookup is part of each peer's time.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from yktrules.ir.regions import ancestors

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PARAMS_FILE = ROOT / "policies" / "params" / "dibao.params.yaml"
JDM_FILE = HERE / "dibao.jdm.json"
PARAM_NAMES = ("dibao_line_urban", "dibao_line_rural", "dibao_deposit_months")
CENT = Decimal("0.01")


class PeerDecision(NamedTuple):
    outcome: str  # eligible / ineligible / review
    reasons: tuple[tuple[str, str], ...]  # (rule, kind) in policy order
    amount: Decimal | None  # when eligible, rounded to cents


def complete(facts: dict[str, Any]) -> bool:
    """Every fact SC-MZ-001 reads is known (the rows the peers are defined on)."""
    a = facts["applicant"]
    h = facts["household"]
    if facts["application"].get("region") is None:
        return False
    if any(a.get(k) is None for k in ("id_number", "hukou_region", "hukou_type", "in_custody")):
        return False
    if any(h.get(k) is None for k in ("monthly_income", "properties", "vehicles", "deposits")):
        return False
    return all(
        m.get(k) is not None
        for m in h["members"]
        for k in ("id_number", "in_custody", "public_servant")
    )


class Params:
    """The dibao parameter tables; `lookup(region, day)` is cached per (region, day), as
    yktrules caches its parameter resolution."""

    def __init__(self, path: Path = PARAMS_FILE) -> None:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.series: dict[str, dict[str, list[tuple[date, Decimal]]]] = {
            name: {
                str(region): sorted((d, Decimal(str(v))) for d, v in values.items())
                for region, values in raw[name]["values"].items()
            }
            for name in PARAM_NAMES
        }
        self.lookup = functools.lru_cache(maxsize=4096)(self._lookup)

    def _resolve(self, name: str, region: str, day: date) -> Decimal:
        for key in ancestors(region):
            hits = [v for d, v in self.series[name].get(key, []) if d <= day]
            if hits:
                return hits[-1]
        raise LookupError(f"{PARAMS_FILE}: no value of {name} for region {region} on {day}")

    def _lookup(self, region: str, day: str) -> dict[str, Decimal]:
        d = date.fromisoformat(day)
        return {name: self._resolve(name, region, d) for name in PARAM_NAMES}


def _outcome(reasons: tuple[tuple[str, str], ...]) -> str:
    if any(kind != "review" for _, kind in reasons):
        return "ineligible"
    return "review" if reasons else "eligible"


# --- rule-engine ------------------------------------------------------------------------------

# The lets, in order; each sees the facts, the parameters and the lets before it, all as
# symbols.  Fields of a mapping are read with `m['key']` (rule-engine 5 deprecates `m.key`
# on mappings, and its fallback is slow).
RE_LETS = (
    ("members", "household['members'].length"),
    ("per_capita", "$parse_float(household['monthly_income']) / members"),
    ("line", "applicant['hukou_type'] == '城镇' ? dibao_line_urban : dibao_line_rural"),
    ("homes", "[p for p in household['properties'] if p['kind'] == '住房'].length"),
    (
        "cars",
        "[v for v in household['vehicles']"
        " if v['kind'] not in ['残疾人代步车', '摩托车', '农用车']].length",
    ),
    ("deposit_limit", "dibao_deposit_months * line * members"),
    ("region", "application['region']"),
    (
        "region_prefix",
        "region.ends_with('0000') ? region[:2] : (region.ends_with('00') ? region[:4] : region)",
    ),
)
# (rule, kind, condition): a require fires when false, a deny or review when true.
RE_RULES = (
    (
        "local_hukou",
        "require",
        "applicant['hukou_region'] == region"
        " or applicant['hukou_region'].starts_with(region_prefix)",
    ),
    ("low_income", "require", "per_capita < line"),
    ("two_homes", "deny", "homes >= 2"),
    ("has_vehicle", "deny", "cars >= 1"),
    ("public_servant", "deny", "$any([m['public_servant'] for m in household['members']])"),
    ("applicant_in_custody", "deny", "applicant['in_custody']"),
    (
        "member_in_custody",
        "review",
        "$any([m['id_number'] != applicant['id_number'] and m['in_custody']"
        " for m in household['members']])",
    ),
    ("large_deposit", "review", "$parse_float(household['deposits']) > deposit_limit"),
)
RE_AMOUNT = "(line - per_capita) * members"


class RuleEnginePeer:
    """SC-MZ-001 as rule-engine expressions, compiled once."""

    def __init__(self, params: Params | None = None) -> None:
        import rule_engine

        self.params = params or Params()
        self.lets = [(name, rule_engine.Rule(text)) for name, text in RE_LETS]
        self.rules = [(name, kind, rule_engine.Rule(text)) for name, kind, text in RE_RULES]
        self.amount = rule_engine.Rule(RE_AMOUNT)

    def decide(self, facts: dict[str, Any]) -> PeerDecision:
        app = facts["application"]
        thing: dict[str, Any] = {
            "application": app,
            "applicant": facts["applicant"],
            "household": facts["household"],
            **self.params.lookup(app["region"], app["date"]),
        }
        for name, let in self.lets:
            thing[name] = let.evaluate(thing)
        fired: list[tuple[str, str]] = []
        for name, kind, rule in self.rules:
            v = rule.evaluate(thing)
            if (v is False) if kind == "require" else (v is True):
                fired.append((name, kind))
        reasons = tuple(fired)
        outcome = _outcome(reasons)
        amount = None
        if outcome == "eligible":
            amount = Decimal(self.amount.evaluate(thing)).quantize(CENT, ROUND_HALF_UP)
        return PeerDecision(outcome, reasons, amount)


# --- zen-engine -------------------------------------------------------------------------------


class ZenPeer:
    """SC-MZ-001 as a GoRules JDM graph (benchmarks/peers/dibao.jdm.json): an expression node
    for the lets and rule conditions, a collect decision table for the rules that fired, an
    expression node for the outcome and amount."""

    def __init__(self, params: Params | None = None, jdm: Path = JDM_FILE) -> None:
        import zen

        self.params = params or Params()
        self.decision = zen.ZenEngine().create_decision(jdm.read_text(encoding="utf-8"))
        self._param = functools.lru_cache(maxsize=4096)(self._numbers)

    def _numbers(self, region: str, day: str) -> dict[str, float]:
        # JDM numbers are JSON numbers; the parameter values are whole yuan and months.
        return {k: float(v) for k, v in self.params.lookup(region, day).items()}

    def decide(self, facts: dict[str, Any]) -> PeerDecision:
        app = facts["application"]
        context = {
            "application": app,
            "applicant": facts["applicant"],
            "household": facts["household"],
            "param": self._param(app["region"], app["date"]),
        }
        out = self.decision.evaluate(context)["result"]
        reasons = tuple((r["rule"], r["kind"]) for r in out["reasons"])
        a = out.get("amount")  # a null output is left out
        amount = None if a is None else Decimal(repr(a)).quantize(CENT, ROUND_HALF_UP)
        return PeerDecision(out["outcome"], reasons, amount)
