"""What a caller may see of an evaluation (SERVICE.md 2 and 7): hr and service everything; a manager
their teams' rows, those teams' entries, the distribution groups all theirs, and every count over
their rows; an employee their own rows and nothing of teams or the distribution."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from kpi_rules.serve.identity import Identity

Row = tuple[str | None, str | None, str, bytes]


@dataclass(frozen=True)
class View:
    teams: frozenset[str] | None = None  # a manager's teams
    employee_id: str | None = None  # an employee's own id

    @property
    def everything(self) -> bool:
        return self.teams is None and self.employee_id is None


def view_of(caller: Identity) -> View:
    if caller.role == "manager":
        return View(teams=frozenset(caller.teams))
    if caller.role == "employee":
        return View(employee_id=caller.employee_id or "\x00no employee\x00")
    return View()


def sees(view: View, employee_id: str | None, team: str | None) -> bool:
    if view.employee_id is not None:
        return employee_id == view.employee_id
    if view.teams is not None:
        return team in view.teams
    return True


def summary(rows: Sequence[Row]) -> dict[str, Any]:
    """The results' `summary` over these rows alone (as PeriodResult.summary computes it)."""
    counts = {"rated": 0, "not_rated": 0, "error": 0}
    grades: dict[str, int] = {}
    for _, _, status, raw in rows:
        counts[status] = counts.get(status, 0) + 1
        if status == "rated":
            grade = orjson.loads(raw).get("grade")
            grades[grade] = grades.get(grade, 0) + 1
    return {"rows": len(rows), **counts, "grades": grades}


def scoped_counts(view: View, scope_counts: dict[str, Any]) -> tuple[int, dict[str, int]]:
    """The data rows and rows of other periods of the caller's teams or own id (data.rows, data.other_periods)."""
    if view.employee_id is not None:
        entries = [scope_counts.get("employee", {}).get(view.employee_id)]
    else:
        entries = [scope_counts.get("team", {}).get(t) for t in sorted(view.teams or ())]
    total, others = 0, dict[str, int]()
    for entry in entries:
        if entry:
            total += entry["rows"]
            for label, n in entry["other_periods"].items():
                others[label] = others.get(label, 0) + n
    return total, dict(sorted(others.items()))


def filtered_header(header: dict[str, Any], view: View, rows: Sequence[Row],
                    scope_counts: dict[str, Any]) -> dict[str, Any]:
    """The results document's non-row parts as this caller may see them."""
    if view.everything:
        return header
    shown = copy.deepcopy(header)
    teams = view.teams or frozenset()
    shown["teams"] = [t for t in header.get("teams") or [] if isinstance(t, dict) and t.get("team") in teams]
    distribution = shown.get("distribution")
    if isinstance(distribution, dict) and "groups" in distribution:
        mine = distribution.get("scope") == "team"
        distribution["groups"] = [g for g in distribution["groups"] if mine and g.get("group") in teams]
    shown["summary"] = summary(rows)
    total, others = scoped_counts(view, scope_counts)
    shown["data"] = {**shown["data"], "rows": total, "other_periods": others}
    return shown


def assemble(header: dict[str, Any], rows: Sequence[bytes]) -> bytes:
    """A results document laid out byte for byte as writers.results_json.write_json lays it out."""
    parts = [b"{\n"]
    keys = sorted([*header, "employees"])
    for k, key in enumerate(keys):
        parts.append(f'"{key}": '.encode())
        if key == "employees":
            parts.append(b"[\n" + b",\n".join(rows) + b"\n]" if rows else b"[]")
        else:
            parts.append(orjson.dumps(header[key], option=orjson.OPT_SORT_KEYS))
        parts.append(b",\n" if k < len(keys) - 1 else b"\n")
    parts.append(b"}\n")
    return b"".join(parts)
