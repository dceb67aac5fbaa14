"""Shared builders for the contract (spec) tests.

Everything here uses only the public surface: ``yktrules.load`` and friends, and
``yktrules.facts.make_id_number`` for valid ID numbers.
"""

from __future__ import annotations

import copy
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import yktrules
from yktrules.facts import make_id_number

REGION = "511025"
FILED = "2021-03-01"

DELETE = object()  # use as an override value to remove a key (make the fact absent)

DEFAULT_PARAMS = """\
line:
  title: 测试标准
  unit: 元/人·月
  type: decimal
  values:
    "510000":
      2021-01-01: 600
"""


def person(
    seq: int = 1,
    relation: str = "本人",
    *,
    birth: date = date(1970, 1, 1),
    gender: str = "男",
    region: str = REGION,
    **extra: Any,
) -> dict[str, Any]:
    """A fully known Person."""
    p: dict[str, Any] = {
        "id_number": make_id_number(region, birth, seq, gender),
        "name": f"测试{seq}",
        "gender": gender,
        "birth_date": birth.isoformat(),
        "relation": relation,
        "hukou_region": region,
        "hukou_type": "农村",
        "alive": True,
        "in_custody": False,
        "public_servant": False,
        "monthly_income": 0,
        "pension_monthly": 0,
        "disability": {"certified": False},
        "poverty_registered": False,
        "card_no": "6217000000000001",
    }
    p.update(extra)
    return p


def merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key; lists and scalars replace; DELETE removes the key."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if v is DELETE:
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v)
            else:
                out[k] = copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def make_facts(overrides: dict[str, Any] | None = None, *, region: str = REGION,
               filed: str = FILED, members: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A minimal valid, fully known facts document, with deep-merged overrides.

    ``members`` replaces household.members (the first one is also the applicant
    unless the overrides say otherwise).
    """
    if members is None:
        members = [person(1, "本人", region=region)]
    facts: dict[str, Any] = {
        "application": {"id": "T-0001", "date": filed, "region": region, "item": None},
        "applicant": copy.deepcopy(members[0]),
        "household": {
            "members": copy.deepcopy(members),
            "monthly_income": 0,
            "properties": [],
            "vehicles": [],
            "businesses": [],
            "deposits": 0,
            "farmland_mu": 0,
        },
        "records": {"benefits": [], "applications": []},
    }
    if overrides:
        facts = merge(facts, overrides)
    return facts


def write_policy_folder(
    folder: Path,
    ykt: str | dict[str, str],
    params: str | dict[str, str] | None = DEFAULT_PARAMS,
) -> Path:
    """Write one or more .ykt files and .params.yaml files into ``folder``.

    ``ykt`` is the text of ``policy.ykt`` or a mapping {relative name: text};
    ``params`` likewise for ``test.params.yaml`` (None: no params file).
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = ykt if isinstance(ykt, dict) else {"policy.ykt": ykt}
    for name, text in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    if params is not None:
        pfiles = params if isinstance(params, dict) else {"test.params.yaml": params}
        for name, text in pfiles.items():
            p = folder / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def policy_text(body: str, *, code: str = "T-001", title: str = "测试项目",
                region: str = "510000", effective: str = "2020-01-01",
                extra_meta: str = "") -> str:
    """A policy with the required metadata around ``body`` (already indented or not)."""
    body = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    meta = f'    region: "{region}"\n    effective: {effective}\n'
    if extra_meta:
        meta += textwrap.indent(textwrap.dedent(extra_meta).strip("\n"), "    ") + "\n"
    return f'policy "{code}" "{title}" {{\n{meta}\n{body}\n}}\n'


def load_body(tmp_path: Path, body: str, params: str | None = DEFAULT_PARAMS,
              **kw: Any) -> yktrules.PolicySet:
    folder = write_policy_folder(tmp_path / "pol", policy_text(body, **kw), params)
    return yktrules.load(folder)


def truth(tmp_path: Path, expr: str, facts: dict[str, Any] | None = None, *,
          lets: str = "", params: str | None = DEFAULT_PARAMS, as_of: Any = None) -> Any:
    """Evaluate a boolean EXPR through a single `require` rule: True / False / None (unknown)."""
    body = f'{lets}\nrequire r "m":\n    {expr}\n'
    ps = load_body(tmp_path, body, params)
    d = ps.screen(facts if facts is not None else make_facts(), policy="T-001", as_of=as_of)
    return outcome_truth(d)


def outcome_truth(d: Any) -> Any:
    if d.outcome == "eligible":
        assert list(d.reasons) == [] and list(d.unknown) == []
        return True
    if d.outcome == "ineligible":
        assert [r.rule for r in d.reasons] == ["r"]
        return False
    assert d.outcome == "review", d.outcome
    assert [u.rule for u in d.unknown] == ["r"]
    return None


def render(tmp_path: Path, expr: str, facts: dict[str, Any] | None = None, *,
           lets: str = "", params: str | None = DEFAULT_PARAMS, as_of: Any = None) -> str:
    """Render the value of EXPR through message interpolation of a true `review` rule."""
    body = f'{lets}\nlet shown = {expr}\nreview r "<{{shown}}>":\n    true\n'
    ps = load_body(tmp_path, body, params)
    d = ps.screen(facts if facts is not None else make_facts(), policy="T-001", as_of=as_of)
    assert d.outcome == "review", d.to_dict()
    msgs = [r.message for r in d.reasons if r.rule == "r"]
    assert len(msgs) == 1, d.to_dict()
    m = msgs[0]
    assert m.startswith("<") and m.endswith(">"), m
    return m[1:-1]
