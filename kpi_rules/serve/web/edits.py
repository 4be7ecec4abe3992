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
    names: tuple[str, ...] = ()  # what it belongs to, in the policy's words: ("运营经理", "网站访问量")
    field: str = ""  # what it is, a word the page translates: "Weight", "Minimum score"...



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


def _scalar(path: str, node: yaml.Node | None, names: tuple[str, ...] = (), field: str = "") -> Iterator[Control]:
    if isinstance(node, yaml.ScalarNode) and node.start_mark.line == node.end_mark.line:
        yield Control(path, str(node.value), node.start_mark.index, node.end_mark.index, node.start_mark.line + 1,
                      names, field)


def _label(node: yaml.Node | None, fallback: str) -> str:
    """An item's `label` as the policy writes it, else its id."""
    label = _get(node, "label") if node is not None else None
    return str(label.value) if isinstance(label, yaml.ScalarNode) and str(label.value).strip() else fallback


def _walk(root: yaml.Node) -> Iterator[Control]:
    indicators = dict(_items(_get(root, "indicators")))
    for rid, role in _items(_get(root, "roles")):
        for iid, spec in _items(_get(role, "indicators")):
            names = (_label(role, rid), _label(indicators.get(iid), iid))
            for f in ROLE_FIELDS:
                yield from _scalar(f"roles.{rid}.indicators.{iid}.{f}", _get(spec, f), names, f.capitalize())
    grades = dict(_items(_get(root, "grades")))
    for gid, grade in grades.items():
        name = (f"{gid} {_label(grade, '')}".strip(),)
        yield from _scalar(f"grades.{gid}.min", _get(grade, "min"), name, "Lowest final score")
        yield from _scalar(f"grades.{gid}.coefficient", _get(grade, "coefficient"), name, "Pay coefficient")
    for gid, quota in _items(_get(_get(root, "distribution") or yaml.MappingNode("", []), "quotas")):
        name = (f"{gid} {_label(grades.get(gid), '')}".strip(),)
        yield from _scalar(f"distribution.quotas.{gid}.max", _get(quota, "max"), name, "Largest share")
        yield from _scalar(f"distribution.quotas.{gid}.min", _get(quota, "min"), name, "Smallest share")
    for kind in ("bonuses", "deductions"):
        for bid, item in _items(_get(_get(root, kind) or yaml.MappingNode("", []), "items")):
            yield from _scalar(f"{kind}.{bid}.points", _get(item, "points"), (_label(item, bid),),
                               "Points to add" if kind == "bonuses" else "Points to take off")
    for sid, scale in _items(_get(root, "scales")):
        for n, band in enumerate(v for _, v in _items(_get(scale, "bands"))):
            names = (_label(scale, sid), f"#{n + 1}")
            yield from _scalar(f"scales.{sid}.bands.{n}.min", _get(band, "min"), names, "Band from")
            yield from _scalar(f"scales.{sid}.bands.{n}.score", _get(band, "score"), names, "Band score")


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
