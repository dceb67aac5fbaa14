"""Audits (``audit CODE TITLE { … }``) checked into two typed stages.

A row audit is one stage over each payment (``row``).  A group audit is a row stage — the
lets that mention ``row``, computed per payment before grouping — then a group stage over
each group (``key``, ``rows``).  Each stage is checked by the policy checker against its
scope model (:mod:`.audit_scope`), so names, types, messages and diagnostics are the language's
own; joins to tables become :class:`~.lookup.Lookup` nodes.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs
from pydantic import BaseModel

from .. import ir
from ..errors import Diagnostic, Span
from ..ir import types as T
from ..ir.functions import Function
from ..lang import ast
from ..params import ParamTable
from ..roster.models import Payment
from . import audit_scope as scope
from .inherit import Resolved, RLet, RRule
from .lookup import Lookup, resolve_lookups, walk
from .report import Reporter
from .typecheck import PolicyChecker

META_ZH = {"group": "分组", "department": "部门", "basis": "依据", "severity": "等级"}
_META_EN = {**{k: k for k in META_ZH}, **{v: k for k, v in META_ZH.items()}}
SEVERITIES = ("高", "中", "低")
_PAYMENT_ZH = {
    (f.json_schema_extra or {}).get("zh"): n  # type: ignore[union-attr]
    for n, f in Payment.model_fields.items()
}


class _Checker(PolicyChecker):
    allow_per_item = True
    warn_pii = False  # alerts mask personal data when rendered (result.render_message)


@attrs.frozen
class CheckedAudit:
    code: str
    title: str
    file: str
    span: Span
    department: str | None
    basis: str | None
    severity: str
    group: tuple[str, ...]  # key fields; () for a row audit
    row: ir.CheckedPolicy  # the row stage: row lets (and, for a row audit, the alerts)
    grouped: ir.CheckedPolicy | None  # the group stage
    row_lets: tuple[str, ...]  # a group audit's row lets, which become fields of `rows`
    row_model: type[BaseModel]  # a payment with those fields
    params: tuple[str, ...]
    tables: tuple[str, ...]  # roster, deaths, agents: what it joins to
    digest: str

    @property
    def alerts(self) -> tuple[ir.CheckedRule, ...]:
        return (self.grouped or self.row).rules


def check_audits(
    modules: list[ast.Module],
    params: ParamTable,
    funcs: Mapping[str, Function],
    sources: Mapping[str, str],
) -> tuple[dict[str, CheckedAudit], list[Diagnostic]]:
    rep = Reporter(dict(sources))
    out: dict[str, CheckedAudit] = {}
    seen: dict[str, Span] = {}
    for m in modules:
        for a in m.audits:
            if a.code in seen:
                rep.error(
                    "E101", f"稽核代码 `{a.code}` 重复（首次出现在 {seen[a.code]}）", a.code_span
                )
                continue
            seen[a.code] = a.code_span
            ca = _AuditChecker(a, m, params, funcs, rep).check()
            if ca is not None:
                out[a.code] = ca
    return out, rep.diagnostics


def _names(e: Any) -> set[str]:
    """Every bare name an AST expression mentions."""
    found: set[str] = set()
    if isinstance(e, ast.Name):
        found.add(e.name)
    if isinstance(e, ast.Node):
        for f in attrs.fields(type(e)):
            v = getattr(e, f.name)
            for x in v if isinstance(v, tuple) else (v,):
                if isinstance(x, ast.Node):
                    found |= _names(x)
    return found


class _AuditChecker:
    def __init__(
        self,
        a: ast.Audit,
        m: ast.Module,
        params: ParamTable,
        funcs: Mapping[str, Function],
        rep: Reporter,
    ):
        self.a, self.m, self.params, self.funcs, self.rep = a, m, params, funcs, rep
        self.ok = True

    def err(self, code: str, msg: str, span: Span, hint: str | None = None) -> None:
        self.ok = False
        self.rep.error(code, msg, span, hint)

    def check(self) -> CheckedAudit | None:
        a = self.a
        meta = self.metadata()
        group: tuple[str, ...] = meta.get("group", ())
        lets = [it for it in a.items if isinstance(it, ast.Let)]
        alerts: list[ast.Rule] = []
        for it in a.items:
            if isinstance(it, ast.Rule) and it.kind == "alert":
                alerts.append(it)
            elif isinstance(it, ast.Rule):
                self.err(
                    "E404",
                    f'稽核中不能写 `{it.kind}` 规则；稽核的规则写作 `alert 名称 "消息": 条件`'
                    " / audits have alerts, not require/deny/review",
                    it.span,
                )
            elif isinstance(it, ast.OverrideRule | ast.Drop) or (
                isinstance(it, ast.Let) and it.override
            ):
                self.err(
                    "E404", "稽核没有继承，不能 override 或 drop / audits don't inherit", it.span
                )
        if not alerts:
            self.err("E404", "稽核至少要有一条 alert/预警 规则 / an audit needs an alert", a.span)
        row_lets: list[ast.Let] = []
        if group:
            row_names = set(scope.ROW_NAMES)
            for lt in lets:
                if _names(lt.expr) & row_names:
                    row_lets.append(lt)
                    row_names.add(lt.name)
            for al in alerts:
                if _names(al.expr) & set(scope.ROW_NAMES):
                    self.err(
                        "E405",
                        "分组稽核的预警条件作用于整组，不能直接用 `row`；请用 `rows` 或逐行 let"
                        " / a group audit's alert is about the group: use `rows`",
                        al.expr.span,
                    )
        else:
            row_lets = lets
        group_lets = [lt for lt in lets if lt not in row_lets]
        digest = self.digest()
        row_app = T.record_type(scope.row_scope())
        row_stage = self.stage(
            row_app, row_lets, [] if group else alerts, digest, drop_w001=bool(group)
        )
        if row_stage is None:
            return None
        for lt in row_lets if group else ():
            if lt.name in Payment.model_fields:
                self.err(
                    "E405",
                    f"逐行 let `{lt.name}` 与发放记录的字段同名 / a row let shadows a field",
                    lt.name_span,
                )
        grouped = None
        row_model: type[BaseModel] = Payment
        if group:
            row_model = scope.row_model({x.name: x.expr.type for x in row_stage.lets})
            app = T.record_type(scope.group_scope(scope.key_model(list(group)), row_model))
            grouped = self.stage(app, group_lets, alerts, digest)
            if grouped is None:
                return None
            if grouped.params:
                self.err(
                    "E406",
                    "分组稽核的分组层不能直接用参数；请在逐行 let（含 `row`）中使用 / "
                    "parameters are resolved per row: use them in a row let",
                    a.span,
                )
        if not self.ok:
            return None
        nodes = [x.expr for x in row_stage.lets] + [r.cond for r in row_stage.rules]
        if grouped is not None:
            nodes += [x.expr for x in grouped.lets] + [r.cond for r in grouped.rules]
        tables = sorted({x.table for n in nodes for x in walk(n) if isinstance(x, Lookup)})
        return CheckedAudit(
            code=a.code,
            title=a.title,
            file=self.m.file,
            span=a.span,
            department=meta.get("department"),
            basis=meta.get("basis"),
            severity=meta.get("severity", "中"),
            group=group,
            row=row_stage,
            grouped=grouped,
            row_lets=tuple(x.name for x in row_stage.lets) if group else (),
            row_model=row_model,
            params=row_stage.params,
            tables=tuple(tables),
            digest=digest,
        )

    # ------------------------------------------------------------ stages
    def stage(
        self,
        app: T.RecordT,
        lets: list[ast.Let],
        alerts: list[ast.Rule],
        digest: str,
        drop_w001: bool = False,
    ) -> ir.CheckedPolicy | None:
        a = self.a
        at = a.code_span
        r = Resolved(
            policy=ast.Policy(a.span, a.code, a.code_span, a.title, None, None, ()),
            file=self.m.file,
            chain=(a.code,),
            meta={"region": ("510000", at), "effective": (date(1900, 1, 1), at)},
            lets=[RLet(x.name, x.expr, x.span, a.code, (0, i), False) for i, x in enumerate(lets)],
            rules=[RRule(x.name, "alert", x.message, x.expr, x.span, a.code) for x in alerts],
            amount=None,
            dropped=[],
            digest=digest,
        )
        sub = Reporter({self.m.file: self.m.text})
        cp = _Checker(r, app, self.params, self.funcs, sub).check()
        for d in sub.diagnostics:
            if not (drop_w001 and d.code == "W001"):
                self.rep.extend([d])
        if cp is None:
            self.ok = False
            return None
        ok = True

        def fix(n: ir.Node) -> ir.Node:
            nonlocal ok
            out, good = resolve_lookups(n, self.rep)
            ok = ok and good
            return out

        cp = attrs.evolve(
            cp,
            lets=tuple(attrs.evolve(x, expr=fix(x.expr)) for x in cp.lets),
            rules=tuple(
                attrs.evolve(
                    x,
                    cond=fix(x.cond),
                    message=tuple(
                        p if p.value is None else attrs.evolve(p, value=fix(p.value))
                        for p in x.message
                    ),
                )
                for x in cp.rules
            ),
        )
        if not ok:
            self.ok = False
            return None
        return cp

    # ------------------------------------------------------------ metadata
    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        for it in self.a.items:
            if not isinstance(it, ast.Meta):
                continue
            key = _META_EN.get(it.key)
            if key is None:
                sug = difflib.get_close_matches(it.key, [*META_ZH, *META_ZH.values()], n=1)
                self.err(
                    "E401",
                    f"稽核中未知的元数据 `{it.key}` / unknown audit metadata; allowed: "
                    + ", ".join(f"{k}/{v}" for k, v in META_ZH.items()),
                    it.key_span,
                    f"是否想写 `{sug[0]}`？" if sug else None,
                )
                continue
            if key in meta:
                self.err("E113", f"元数据 `{it.key}` 重复 / metadata given twice", it.key_span)
                continue
            v = it.value
            if key == "group":
                meta[key] = self.group(v)
            elif not isinstance(v, ast.String):
                self.err("E401", f"{it.key} 须为带引号的文本 / must be a string", v.span)
            elif key == "severity" and v.value not in SEVERITIES:
                self.err("E401", 'severity/等级 须为 "高"、"中" 或 "低"', v.span)
            else:
                meta[key] = v.value
        return meta

    def group(self, v: ast.Expr) -> tuple[str, ...]:
        items = v.items if isinstance(v, ast.ListLit) else (v,)
        out: list[str] = []
        for x in items:
            name = x.name if isinstance(x, ast.Name) else None
            en = None if name is None else (name if name in Payment.model_fields else None)
            en = en or _PAYMENT_ZH.get(name)
            if en is None:
                fields = list(Payment.model_fields)
                sug = difflib.get_close_matches(name or "", fields, n=1)
                self.err(
                    "E403",
                    "group/分组 须为发放记录字段名的列表，如 `group: [card_no, period]`；"
                    "可用：" + "、".join(fields),
                    x.span,
                    f"是否想写 `{sug[0]}`？" if sug else None,
                )
                continue
            if en in out:
                self.err("E403", f"分组字段 `{name}` 重复 / key field given twice", x.span)
                continue
            out.append(en)
        return tuple(out)

    def digest(self) -> str:
        lines = self.m.text.splitlines()[self.a.span.line - 1 : self.a.span.end_line]
        return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()
