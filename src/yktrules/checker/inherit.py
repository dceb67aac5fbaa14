"""Policy sets: duplicate codes, metadata, and inheritance (`extends`, `override`,
`override let`, `drop`), resolving each policy into the full list of its lets and rules."""

from __future__ import annotations

import difflib
import hashlib
from datetime import date
from typing import Any

import attrs

from ..errors import Span
from ..ir import regions
from ..lang import ast
from ..lang.lexicon import META_EN, META_KEYS, PERIOD_EN
from .report import Reporter


@attrs.define
class RLet:
    name: str
    expr: ast.Expr
    span: Span
    origin: str  # code of the policy that wrote the expression
    def_pos: tuple[int, int]  # (depth in the chain, item index) of the let's first definition
    override: bool


@attrs.define
class RRule:
    name: str
    kind: str
    message: ast.Message
    expr: ast.Expr
    span: Span
    origin: str


@attrs.define
class Resolved:
    policy: ast.Policy
    file: str
    chain: tuple[str, ...]
    meta: dict[str, tuple[Any, Span]]
    lets: list[RLet]
    rules: list[RRule]
    amount: tuple[ast.Expr, str] | None
    dropped: list[tuple[str, str]]
    digest: str

    @property
    def code(self) -> str:
        return self.policy.code


_STRING_META = ("department", "basis", "hotline")


def resolve_all(modules: list[ast.Module], rep: Reporter) -> dict[str, Resolved]:
    """Resolve every policy of the set; problems go to `rep`."""
    by_code: dict[str, tuple[ast.Policy, ast.Module]] = {}
    for m in modules:
        for p in m.policies:
            if p.code in by_code:
                first = by_code[p.code][0]
                rep.error(
                    "E101",
                    f"政策代码 `{p.code}` 重复（首次出现在 {first.code_span}）/ "
                    "duplicate policy code",
                    p.code_span,
                )
                continue
            if not p.code.strip():
                rep.error("E112", "政策代码不能为空 / empty policy code", p.code_span)
                continue
            by_code[p.code] = (p, m)
    own_meta = {code: _metadata(p, rep) for code, (p, _) in by_code.items()}
    resolved: dict[str, Resolved] = {}
    visiting: set[str] = set()

    def resolve(code: str) -> Resolved | None:
        if code in resolved:
            return resolved[code]
        p, m = by_code[code]
        parent: Resolved | None = None
        if p.parent is not None:
            if p.parent not in by_code:
                sug = difflib.get_close_matches(p.parent, list(by_code), n=1)
                rep.error(
                    "E102",
                    f"继承的政策 `{p.parent}` 不存在 / extends an unknown policy",
                    p.parent_span or p.code_span,
                    hint=f"是否想写 `{sug[0]}`？" if sug else None,
                )
                return None
            if p.parent in visiting or p.parent == code:
                rep.error(
                    "E103",
                    f"继承形成循环 / `extends` cycle through `{code}`",
                    p.parent_span or p.code_span,
                )
                return None
            visiting.add(code)
            parent = resolve(p.parent)
            visiting.discard(code)
            if parent is None:
                return None
        r = _resolve_one(p, m, parent, own_meta[code], rep)
        resolved[code] = r
        return r

    for code in by_code:
        resolve(code)
    return resolved


def _metadata(p: ast.Policy, rep: Reporter) -> dict[str, tuple[Any, Span]]:
    """The policy's own metadata; a key whose value is invalid maps to (None, span)."""
    meta: dict[str, tuple[Any, Span]] = {}
    for it in p.items:
        if not isinstance(it, ast.Meta):
            continue
        key = META_EN.get(it.key)
        if key is None:
            sug = difflib.get_close_matches(it.key, [*META_KEYS, *META_KEYS.values()], n=1)
            rep.error(
                "E110",
                f"未知的元数据 `{it.key}` / unknown metadata key; allowed: "
                + ", ".join(f"{k}/{v}" for k, v in META_KEYS.items()),
                it.key_span,
                hint=f"是否想写 `{sug[0]}`？" if sug else None,
            )
            continue
        if key in meta:
            rep.error("E113", f"元数据 `{it.key}` 重复 / metadata given twice", it.key_span)
            continue
        if key == "amount":
            meta[key] = (it.value, it.span)
            continue
        v = it.value
        meta[key] = (None, v.span)  # replaced below when the value is valid
        if key == "region":
            if not isinstance(v, ast.String) or not regions.is_code(v.value):
                rep.error(
                    "E112",
                    "region 须为带引号的6位行政区划代码 / region must be a 6-digit "
                    "division code in quotes",
                    v.span,
                    hint='例如 region: "511000"',
                )
                continue
            meta[key] = (v.value, v.span)
        elif key in ("effective", "until"):
            if not isinstance(v, ast.DateLit):
                rep.error("E112", f"{key} 须为日期 YYYY-MM-DD / {key} must be a date", v.span)
                continue
            meta[key] = (v.value, v.span)
        elif key == "period":
            word = (
                v.name
                if isinstance(v, ast.Name)
                else v.value
                if isinstance(v, ast.String)
                else None
            )
            if not isinstance(word, str) or word not in PERIOD_EN:
                rep.error("E112", "period 须为 monthly/每月、yearly/每年 或 once/一次", v.span)
                continue
            meta[key] = (PERIOD_EN[word], v.span)
        elif key in _STRING_META:
            if not isinstance(v, ast.String):
                rep.error("E112", f"{key} 须为带引号的文本 / {key} must be a string", v.span)
                continue
            meta[key] = (v.value, v.span)
    return meta


def _resolve_one(
    p: ast.Policy,
    m: ast.Module,
    parent: Resolved | None,
    meta: dict[str, tuple[Any, Span]],
    rep: Reporter,
) -> Resolved:
    merged: dict[str, tuple[Any, Span]] = dict(parent.meta) if parent else {}
    merged.update(meta)
    for req in ("region", "effective"):
        if req not in merged:
            rep.error(
                "E111",
                f"政策缺少必填的元数据 `{req}`（{META_KEYS[req]}）/ missing required metadata",
                p.code_span,
            )
    if parent and "region" in meta and "region" in parent.meta:
        child_r, sp = meta["region"]
        parent_r = parent.meta["region"][0]
        if child_r and parent_r and not regions.within(child_r, parent_r):
            rep.error(
                "E104",
                f"地区 {child_r} 不在上级政策 `{parent.code}` 的地区 {parent_r} 之内"
                " / a child's region must lie within its parent's",
                sp,
            )
    eff, until = merged.get("effective"), merged.get("until")
    if (
        eff
        and until
        and isinstance(eff[0], date)
        and isinstance(until[0], date)
        and until[0] < eff[0]
    ):
        rep.error("E112", "失效日期早于生效日期 / `until` is before `effective`", until[1])

    lets = [attrs.evolve(x) for x in parent.lets] if parent else []
    rules = [attrs.evolve(x) for x in parent.rules] if parent else []
    dropped = list(parent.dropped) if parent else []
    amount = parent.amount if parent else None
    if "amount" in meta:
        amount = (meta["amount"][0], p.code)
    depth = len(parent.chain) if parent else 0
    inherited_lets = {x.name for x in lets}
    inherited_rules = {x.name for x in rules}
    own_lets: set[str] = set()
    own_rules: dict[str, Span] = {}
    for idx, it in enumerate(p.items):
        if isinstance(it, ast.Let):
            if it.name in own_lets:
                rep.error("E123", f"let `{it.name}` 重复定义 / let defined twice", it.name_span)
                continue
            own_lets.add(it.name)
            if it.override:
                if it.name not in inherited_lets:
                    rep.error(
                        "E125",
                        f"`override let {it.name}`：上级政策没有这个 let / nothing to override",
                        it.name_span,
                        hint=_suggest(it.name, inherited_lets),
                    )
                    continue
                i = next(i for i, x in enumerate(lets) if x.name == it.name)
                lets[i] = RLet(it.name, it.expr, it.span, p.code, lets[i].def_pos, True)
            else:
                if it.name in inherited_lets:
                    rep.error(
                        "E124",
                        f"let `{it.name}` 已从上级政策继承；要替换请写 "
                        f"`override let {it.name} = …` / let is inherited",
                        it.name_span,
                    )
                    continue
                lets.append(RLet(it.name, it.expr, it.span, p.code, (depth, idx), False))
        elif isinstance(it, ast.Rule):
            if it.kind == "alert":
                rep.error(
                    "E127",
                    "`alert`/`预警` 只能写在稽核规则（audit）中；政策的规则用 require、deny "
                    "或 review / alerts belong in audits",
                    it.span,
                )
                continue
            if it.name in own_rules:
                rep.error(
                    "E120",
                    f"规则名 `{it.name}` 重复（首次在 {own_rules[it.name]}）/ duplicate rule name",
                    it.name_span,
                )
                continue
            own_rules[it.name] = it.name_span
            if it.name in inherited_rules:
                rep.error(
                    "E121",
                    f"规则 `{it.name}` 已从上级政策继承；要修改请写 "
                    f"`override {it.name}: …` / rule is inherited",
                    it.name_span,
                )
                continue
            rules.append(RRule(it.name, it.kind, it.message, it.expr, it.span, p.code))
        elif isinstance(it, ast.OverrideRule | ast.Drop):
            if it.name in own_rules:
                rep.error(
                    "E120", f"规则 `{it.name}` 被重复覆盖或删除 / rule changed twice", it.name_span
                )
                continue
            own_rules[it.name] = it.name_span
            if it.name not in inherited_rules:
                what = "override" if isinstance(it, ast.OverrideRule) else "drop"
                rep.error(
                    "E122",
                    f"`{what} {it.name}`：上级政策没有这条规则 / no inherited rule of that name",
                    it.name_span,
                    hint=_suggest(it.name, inherited_rules),
                )
                continue
            i = next(i for i, x in enumerate(rules) if x.name == it.name)
            if isinstance(it, ast.OverrideRule):
                old = rules[i]
                rules[i] = RRule(
                    old.name, old.kind, it.message or old.message, it.expr, it.span, p.code
                )
            else:
                if not it.justification.strip():
                    rep.error(
                        "E122",
                        f"删除规则 `{it.name}` 须写明理由 / a drop needs a justification",
                        it.span,
                    )
                del rules[i]
                dropped.append((it.name, it.justification))
    chain = (*parent.chain, p.code) if parent else (p.code,)
    text = _policy_text(p, m)
    h = hashlib.sha256()
    if parent:
        h.update(parent.digest.encode())
    h.update(text.encode())
    return Resolved(p, m.file, chain, merged, lets, rules, amount, dropped, h.hexdigest())


def _suggest(name: str, names: set[str]) -> str | None:
    m = difflib.get_close_matches(name, sorted(names), n=1)
    return f"是否想写 `{m[0]}`？" if m else None


def _policy_text(p: ast.Policy, m: ast.Module) -> str:
    lines = m.text.splitlines()
    return "\n".join(lines[p.span.line - 1 : p.span.end_line])
