"""The what-if page's simple controls: the values HR changes most (weights, thresholds, band scores,
quotas, bonus points), found in the YAML with their exact place, and edited in place in the text so
that every comment and the layout stay as written."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import yaml

MAX_CONTROLS = 120
ROLE_FIELDS = ("weight", "floor", "target", "stretch")


@dataclass(frozen=True)
class Control:
    key: str  # the YAML path, e.g. roles.ops_manager.indicators.visits.weight
    value: str
    start: int  # offsets of the value in the text
    end: int
    line: int


def _get(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                found: yaml.Node = v
                return found
    return None


def _items(node: yaml.Node | None) -> Iterator[tuple[str, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                yield str(k.value), v
    elif isinstance(node, yaml.SequenceNode):
        for n, v in enumerate(node.value):
            name = _get(v, "grade") or _get(v, "id")
            yield (str(name.value) if isinstance(name, yaml.ScalarNode) else str(n)), v


def _scalar(path: str, node: yaml.Node | None) -> Iterator[Control]:
    if isinstance(node, yaml.ScalarNode) and node.start_mark.line == node.end_mark.line:
        yield Control(path, str(node.value), node.start_mark.index, node.end_mark.index, node.start_mark.line + 1)


def _walk(root: yaml.Node) -> Iterator[Control]:
    for rid, role in _items(_get(root, "roles")):
        for iid, spec in _items(_get(role, "indicators")):
            for f in ROLE_FIELDS:
                yield from _scalar(f"roles.{rid}.indicators.{iid}.{f}", _get(spec, f))
    for gid, grade in _items(_get(root, "grades")):
        yield from _scalar(f"grades.{gid}.min", _get(grade, "min"))
        yield from _scalar(f"grades.{gid}.coefficient", _get(grade, "coefficient"))
    for gid, quota in _items(_get(_get(root, "distribution") or yaml.MappingNode("", []), "quotas")):
        for f in ("max", "min"):
            yield from _scalar(f"distribution.quotas.{gid}.{f}", _get(quota, f))
    for kind in ("bonuses", "deductions"):
        for bid, item in _items(_get(_get(root, kind) or yaml.MappingNode("", []), "items")):
            yield from _scalar(f"{kind}.{bid}.points", _get(item, "points"))
    for sid, scale in _items(_get(root, "scales")):
        for n, band in enumerate(v for _, v in _items(_get(scale, "bands"))):
            for f in ("min", "score"):
                yield from _scalar(f"scales.{sid}.bands.{n}.{f}", _get(band, f))


def controls(source: str) -> list[Control]:
    """The common values of a policy's YAML, or none when the text does not parse."""
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if root is None:
        return []
    return list(_walk(root))[:MAX_CONTROLS]


def apply(source: str, changes: Mapping[str, str]) -> str:
    """The text with each changed control's value replaced in place (the rest byte for byte)."""
    edits = [(c, changes[c.key].strip()) for c in controls(source)
             if c.key in changes and changes[c.key].strip() and changes[c.key].strip() != c.value]
    for control, value in sorted(edits, key=lambda e: -e[0].start):
        if "\n" in value or len(value) > 64:
            continue
        source = source[:control.start] + value + source[control.end:]
    return source
