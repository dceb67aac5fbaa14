"""Shared builders for the contract (spec) tests.

Everything here uses only the public surface: ``yktrules.load`` and friends, and
``yktrules.facts.make_id_number`` for valid ID numbers.
"""

from __future__ import annotations

import copy
import json
import random
import re
import subprocess
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


def make_facts(
    overrides: dict[str, Any] | None = None,
    *,
    region: str = REGION,
    filed: str = FILED,
    members: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
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


def policy_text(
    body: str,
    *,
    code: str = "T-001",
    title: str = "测试项目",
    region: str = "510000",
    effective: str = "2020-01-01",
    extra_meta: str = "",
) -> str:
    """A policy with the required metadata around ``body`` (already indented or not)."""
    body = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    meta = f'    region: "{region}"\n    effective: {effective}\n'
    if extra_meta:
        meta += textwrap.indent(textwrap.dedent(extra_meta).strip("\n"), "    ") + "\n"
    return f'policy "{code}" "{title}" {{\n{meta}\n{body}\n}}\n'


def load_body(
    tmp_path: Path, body: str, params: str | None = DEFAULT_PARAMS, **kw: Any
) -> yktrules.PolicySet:
    folder = write_policy_folder(tmp_path / "pol", policy_text(body, **kw), params)
    return yktrules.load(folder)


def truth(
    tmp_path: Path,
    expr: str,
    facts: dict[str, Any] | None = None,
    *,
    lets: str = "",
    params: str | None = DEFAULT_PARAMS,
    as_of: Any = None,
) -> Any:
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


def render(
    tmp_path: Path,
    expr: str,
    facts: dict[str, Any] | None = None,
    *,
    lets: str = "",
    params: str | None = DEFAULT_PARAMS,
    as_of: Any = None,
) -> str:
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


# ---------------------------------------------------------------- the spec's dibao example

SC_MZ_001 = """\
policy "SC-MZ-001" "城乡居民最低生活保障金" {
    region: "510000"
    department: "民政"
    effective: 2021-01-01
    until: 2030-12-31
    basis: "《四川省最低生活保障审核确认办法》"
    hotline: "12345"

    let members = count(household.members)
    let per_capita = household.monthly_income / members
    let homes = count(household.properties[kind == "住房"])

    require local_hukou "申请人户籍须在申请地":
        applicant.hukou_region within application.region

    require low_income "家庭月人均收入{per_capita}元，须低于低保标准{param.dibao_line}元":
        per_capita < param.dibao_line

    deny two_homes "家庭拥有{homes}套住房":
        homes >= 2

    deny public_servant "家庭成员中有财政供养人员":
        any m in household.members: m.public_servant

    review large_deposit "家庭存款较多，需人工核查":
        household.deposits > 12 * param.dibao_line * members

    amount: (param.dibao_line - per_capita) * members
}
"""

NJ_MZ_001 = """\
policy "NJ-MZ-001" "内江市城乡居民最低生活保障金" extends "SC-MZ-001" {
    region: "511000"
    override two_homes "家庭拥有{homes}套住房": homes >= 3
    deny business_owner "家庭成员登记有企业或个体工商户":
        exists(household.businesses)
    drop large_deposit "内江市不设存款人工核查"
}
"""

DIBAO_PARAMS = """\
# policies/params/dibao.params.yaml
dibao_line:
  title: 城乡低保月保障标准
  unit: 元/人·月
  type: decimal            # decimal | integer | string | date | boolean
  values:
    "510000":
      2020-01-01: 560
      2021-01-01: 600
    "511000":
      2021-01-01: 640
      2022-01-01: 680
"""


def dibao_folder(tmp_path, extra=None, params=DIBAO_PARAMS):
    files = {"sichuan/dibao.ykt": SC_MZ_001, "neijiang/dibao.ykt": NJ_MZ_001}
    files.update(extra or {})
    return write_policy_folder(tmp_path / "policies", files, {"params/dibao.params.yaml": params})


def family(region="511025", filed="2021-03-01", **household):
    ms = [
        person(1, "本人", region=region),
        person(2, "配偶", gender="女", region=region),
        person(3, "子女", region=region),
    ]
    hh = {"monthly_income": 600, "deposits": 1000, "properties": [], "businesses": []}
    hh.update(household)
    return make_facts({"household": hh}, region=region, filed=filed, members=ms)


def homes(n):
    return [{"kind": "住房"} for _ in range(n)]


# ---------------------------------------------------------------- CLI and cases helpers

CLI = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "yktrules")
KEYS = {"item", "policy", "title", "version", "as_of", "outcome", "reasons", "unknown", "amount"}

GZ_ITEM = """\
policy "GZ-XX-001" "贵州项目" {
    region: "520000"
    effective: 2021-01-01
    require r "m": true
}
"""
CAR_RULE = 'deny no_car "有车": exists(household.vehicles)\n'


def spec_folder(tmp_path, extra=None):
    sc = SC_MZ_001.replace("    amount:", "    " + CAR_RULE + "    amount:")
    files = {"sichuan/dibao.ykt": sc, "neijiang/dibao.ykt": NJ_MZ_001, "guizhou/x.ykt": GZ_ITEM}
    files.update(extra or {})
    return write_policy_folder(
        tmp_path / "policies", files, {"params/dibao.params.yaml": DIBAO_PARAMS}
    )


def run(*args, cwd=None, input=None):
    r = subprocess.run(
        [CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, input=input, timeout=120
    )
    assert "Traceback" not in r.stdout + r.stderr, r.stdout + r.stderr
    return r


def facts_file(tmp_path, facts, name="facts.json"):
    f = tmp_path / name
    f.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    return f


CASE_POLICY = """\
policy "CS-001" "测试项目" {
    region: "510000"
    effective: 2021-01-01
    let homes = count(household.properties[kind == "住房"])
    deny exactly_two "恰好两套住房": homes == 2
    deny car "有车": exists(household.vehicles)
    review rich "存款多": household.deposits > 100
    amount: 600 - household.deposits
}
"""
CASE_CHILD = """\
policy "CS-001-NJ" "内江测试项目" extends "CS-001" {
    region: "511000"
    effective: 2022-01-01
}
"""


def cases_yaml(base, cases, header="item: CS-001\n"):
    return (
        header + "fixtures:\n  base: " + json.dumps(base, ensure_ascii=False) + "\ncases:\n" + cases
    )


def case_dir(tmp_path, cases_text, name="x.cases.yaml"):
    root = write_policy_folder(
        tmp_path / "proj", {"pol/p.ykt": CASE_POLICY, "pol/c.ykt": CASE_CHILD}, None
    )
    (root / "pol" / "cases").mkdir()
    f = root / "pol" / "cases" / name
    f.write_text(cases_text, encoding="utf-8")
    return root, f


BASE = make_facts(
    {"household": {"properties": [{"kind": "住房"}], "vehicles": [], "deposits": 10}},
    filed="2021-06-01",
)

GOOD_CASES = """\
  - name: 基础家庭
    facts: {from: base}
    expect: {outcome: eligible, reasons: [], unknown: [], amount: "590.00", policy: CS-001}
  - name: 映射合并保留其余字段
    facts: {from: base, household: {deposits: 20}}
    expect: {outcome: eligible, amount: "580.00"}
  - name: 列表整体替换
    facts: {from: base, household: {properties: [{kind: 住房}, {kind: 住房}]}}
    expect: {outcome: ineligible, reasons: [exactly_two]}
  - name: 显式null为未知
    facts: {from: base, household: {vehicles: null}}
    expect: {outcome: review, reasons: [], unknown: [car]}
  - name: 多个原因
    facts: {from: base, household: {deposits: 200, properties: [{kind: 住房}, {kind: 住房}]}}
    expect: {outcome: ineligible, reasons: [rich, exactly_two]}
  - name: 按日期选下级政策
    as_of: 2022-06-01
    facts: {from: base, application: {region: "511025"}}
    expect: {outcome: eligible, policy: CS-001-NJ}
  - name: 下级代码也可作为项目
    item: CS-001-NJ
    facts: {from: base, application: {region: "511421"}}
    expect: {policy: CS-001}
"""


def summary(out):
    m = re.search(r"(\d+) passed, (\d+) failed", out)
    assert m, out
    return int(m[1]), int(m[2])


def _mutations(text, n, seed):
    rnd = random.Random(seed)
    alphabet = list('{}()[]:."#\\\n -+*/<>=?,') + [
        "and",
        "not",
        "any",
        "in",
        "let",
        "deny",
        "if",
        "then",
        "else",
        "中",
        "1",
        "2021-13-01",
    ]
    for _ in range(n):
        s = text
        for _ in range(rnd.randint(1, 4)):
            i = rnd.randrange(len(s) + 1)
            op = rnd.random()
            if op < 0.4:
                s = s[:i] + s[i + rnd.randint(1, 8) :]
            elif op < 0.8:
                s = s[:i] + rnd.choice(alphabet) + s[i:]
            else:
                j = rnd.randrange(len(s) + 1)
                s = s[:i] + s[j : j + 10] + s[i:]
        yield s


BAD_INPUT_ARGS = [
    ["check", "{tmp}/nope"],
    ["eval", "--policies", "{pol}", "--item", "SC-MZ-001", "{tmp}/nope.json"],
    ["eval", "--policies", "{tmp}/nope", "--item", "SC-MZ-001", "{facts}"],
    ["eval", "--policies", "{bad}", "--item", "SC-MZ-001", "{facts}"],
    ["eval", "--policies", "{pol}", "--item", "SC-MZ-001", "{facts}", "--as-of", "2021-02-30"],
    ["eval", "--policies", "{pol}", "--item", "SC-MZ-001", "{facts}", "--format", "xml"],
    ["eval", "--policies", "{pol}", "--item", "NO-SUCH", "{facts}"],
    ["eval", "--policies", "{pol}", "--item", "SC-MZ-001", "{garbage}"],
    ["eval", "--bogus"],
    ["list", "--policies", "{tmp}/nope"],
    ["list", "--policies", "{bad}"],
    ["list", "--policies", "{pol}", "--as-of", "yesterday"],
    ["test", "{tmp}/nope.cases.yaml"],
    ["test", "{badcases}"],
    ["screen", "--policies", "{pol}", "{tmp}/nope.jsonl"],
    ["screen", "--policies", "{bad}", "{garbage}"],
    ["frobnicate"],
]


def leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaves(v, (*path, i))
    yield path
