"""YAML with positions: PyYAML's composer gives every node its line and column; this turns
nodes into plain values (exact `Decimal` for numbers, `date` for dates) and keeps a map from
each value's path to its position, so parameter and case files can report file and line."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import yaml

Path = tuple[Any, ...]


@attrs.frozen
class Pos:
    line: int  # 1-based
    col: int  # 1-based


@attrs.define
class YamlDoc:
    value: Any
    positions: dict[Path, Pos]
    key_positions: dict[Path, Pos]

    def pos(self, path: Path) -> Pos:
        """The position of the value at `path`, or of its nearest ancestor."""
        p = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), Pos(1, 1))

    def key_pos(self, path: Path) -> Pos:
        return self.key_positions.get(tuple(path)) or self.pos(path)


class YamlProblem(Exception):
    def __init__(self, message: str, pos: Pos):
        super().__init__(message)
        self.message = message
        self.pos = pos


def _pos(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


def load(text: str) -> YamlDoc:
    """Parse one YAML document; raises YamlProblem for syntax errors and duplicate keys."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        pos = Pos(mark.line + 1, mark.column + 1) if mark else Pos(1, 1)
        raise YamlProblem(f"YAML 语法错误 / YAML syntax error: {e.problem or e}", pos) from None
    except yaml.YAMLError as e:
        raise YamlProblem(f"YAML 语法错误 / YAML syntax error: {e}", Pos(1, 1)) from None
    doc = YamlDoc(None, {}, {})
    if node is None:
        return doc
    doc.value = _convert(node, (), doc)
    return doc


_resolver = yaml.resolver.Resolver()


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    v = node.value
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return v.lower() in ("true", "yes", "on", "y")
    if tag.endswith(":int"):
        try:
            return int(v.replace("_", ""), 0) if not v.lstrip("+-").startswith("0") else int(v)
        except ValueError:
            return v
    if tag.endswith(":float"):
        try:
            d = Decimal(v.replace("_", ""))
        except InvalidOperation:
            return v
        if not d.is_finite():
            raise YamlProblem(f"不支持的数值 `{v}` / only finite numbers", _pos(node))
        return d
    if tag.endswith(":timestamp"):
        try:
            if len(v) == 10:
                return date.fromisoformat(v)
            return datetime.fromisoformat(v)
        except ValueError:
            raise YamlProblem(f"无效的日期 `{v}` / invalid date", _pos(node)) from None
    return v


def _convert(node: yaml.Node, path: Path, doc: YamlDoc) -> Any:
    doc.positions[path] = _pos(node)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(n, (*path, i), doc) for i, n in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                raise YamlProblem("映射的键须为简单值 / mapping keys must be scalars", _pos(knode))
            if knode.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem(
                    "不支持 YAML 合并键 `<<` / merge keys are not supported", _pos(knode)
                )
            key = _scalar(knode)
            if isinstance(key, Decimal | list | dict):
                key = knode.value
            if key in out:
                raise YamlProblem(f"重复的键 `{knode.value}` / duplicate key", _pos(knode))
            doc.key_positions[(*path, key)] = _pos(knode)
            out[key] = _convert(vnode, (*path, key), doc)
        return out
    raise YamlProblem("不支持的 YAML 结构 / unsupported YAML node", _pos(node))
