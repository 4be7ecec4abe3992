"""What changed between two versions of a policy document, field by field (by json path)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpi_rules.policy.problems import JsonPath, format_path


@dataclass(frozen=True)
class FieldChange:
    path: str
    kind: str  # added | removed | changed | moved
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new}


def _list_key(items: list[Any]) -> str | None:
    """Lists of entries named by `id` (or `grade`) are matched by name, not position."""
    for key in ("id", "grade"):
        names = [i.get(key) if isinstance(i, dict) else None for i in items]
        if items and None not in names and len(set(map(str, names))) == len(names):
            return key
    return None


def _walk(old: Any, new: Any, path: JsonPath, out: list[FieldChange]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            if key not in new:
                out.append(FieldChange(format_path((*path, key)), "removed", old[key], None))
            elif key not in old:
                out.append(FieldChange(format_path((*path, key)), "added", None, new[key]))
            else:
                _walk(old[key], new[key], (*path, key), out)
        return
    if isinstance(old, list) and isinstance(new, list):
        key = _list_key(old) if _list_key(old) == _list_key(new) else None
        if key is None:
            for i in range(max(len(old), len(new))):
                if i >= len(new):
                    out.append(FieldChange(format_path((*path, i)), "removed", old[i], None))
                elif i >= len(old):
                    out.append(FieldChange(format_path((*path, i)), "added", None, new[i]))
                else:
                    _walk(old[i], new[i], (*path, i), out)
            return
        old_at = {str(item[key]): i for i, item in enumerate(old)}
        new_at = {str(item[key]): i for i, item in enumerate(new)}
        for name, i in old_at.items():
            if name not in new_at:
                out.append(FieldChange(format_path((*path, i)), "removed", old[i], None))
        for name, j in new_at.items():
            if name not in old_at:
                out.append(FieldChange(format_path((*path, j)), "added", None, new[j]))
                continue
            i = old_at[name]
            if i != j:
                out.append(FieldChange(format_path((*path, j)), "moved", f"{key} {name} at [{i}]", f"at [{j}]"))
            _walk(old[i], new[j], (*path, j), out)
        return
    if old != new or type(old) is not type(new):
        out.append(FieldChange(format_path(path), "changed", old, new))


def field_changes(old: Any, new: Any) -> list[FieldChange]:
    """A structural diff of two YAML documents, by json path (comments and layout ignored)."""
    out: list[FieldChange] = []
    _walk(old, new, (), out)
    return out
