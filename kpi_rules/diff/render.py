"""`kpi-rules diff` reports: text for a terminal, Markdown for a pull request
comment, JSON for tools. Each returns one string."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any

from kpi_rules.diff.calibrated import CalibrationEffect
from kpi_rules.diff.compare import NOT_GRADED, Person, PolicyDiff, delta_stats
from kpi_rules.diff.fields import FieldChange

MARKER = "<!-- kpi-rules-diff -->"  # lets a CI job find and update its own comment


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    shown = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if shown == "-0" else shown


def _signed(value: float | None) -> str:
    return "—" if value is None else ("+" if value > 0 else "") + _num(value)


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, (dict, list)) else (
        "null" if value is None else str(value))
    return text if len(text) <= 80 else text[:77] + "..."


def _axis(diff: PolicyDiff) -> list[str]:
    used = {p.old_grade for p in diff.persons} | {p.new_grade for p in diff.persons}
    return [g for g in diff.grades if g in used or g not in (*NOT_GRADED, "absent")]


def _matrix_rows(diff: PolicyDiff) -> tuple[list[str], list[list[str]]]:
    axis = _axis(diff)
    matrix = diff.transitions()
    rows = []
    for old in axis:
        counts = matrix.get(old, {})
        rows.append([old] + [str(counts[new]) if counts.get(new) else "·" for new in axis])
    return axis, rows


def _field_line(change: FieldChange) -> str:
    if change.kind == "added":
        return f"+ {change.path}: {_value(change.new)}"
    if change.kind == "removed":
        return f"- {change.path}: {_value(change.old)}"
    if change.kind == "moved":
        return f"~ {change.path}: {change.old} moved {change.new}"
    return f"~ {change.path}: {_value(change.old)} -> {_value(change.new)}"


def _headline(diff: PolicyDiff) -> str:
    before, after = diff.pay_sums()
    return (f"{len(diff.persons)} employees, {diff.grade_changes} grade change"
            f"{'' if diff.grade_changes == 1 else 's'}, {len(diff.changed)} with a different result; "
            f"pay coefficient sum {_num(before)} -> {_num(after)} ({_signed(round(after - before, 6))})")


def _person_cells(p: Person) -> list[str]:
    grade = f"{p.old_grade} -> {p.new_grade}" if p.grade_changed else p.new_grade
    return [p.employee_id, p.name or "", p.role or "", p.team or "", grade, _num(p.old_final), _num(p.new_final),
            _signed(p.delta)]


PERSON_HEADER = ["employee", "name", "role", "team", "grade", "before", "after", "delta"]
STATS_HEADER = ["n", "mean", "median", "max"]


def _stats_rows(stats: dict[str, dict[str, Any]]) -> list[list[str]]:
    return [[name, str(s["n"]), _signed(s["mean"]), _signed(s["median"]), _signed(s["max"])]
            for name, s in stats.items()]


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]


CALIBRATION_HEADER = ["employee", "name", "old: calibrated", "new: calibrated", "reason"]


def _calibration_cells(c: CalibrationEffect) -> list[str]:
    def step(before: str | None, after: str | None) -> str:
        return "—" if before is None else f"{before} -> {after}"

    moot = " (the new policy already gives it)" if c.moot else ""
    return [c.employee_id, c.name or "", step(c.old_before, c.old_after), step(c.new_before, c.new_after) + moot,
            c.reason]


def _calibration_lines(diff: PolicyDiff, table: Callable[[list[str], list[list[str]]], list[str]]) -> list[str]:
    """The calibration's effects on each version; the sections above compare uncalibrated grades."""
    if diff.calibrations is None:
        return []
    files = ", ".join(diff.calibration_files)
    lines = [f"Calibration effects ({files}), applied after the policy; the sections above are the policy's "
             "effects alone:"]
    rows = [_calibration_cells(c) for c in diff.calibrations]
    return lines + (table(CALIBRATION_HEADER, rows) if rows else ["(no adjustments)"])


def text(diff: PolicyDiff, limit: int = 50) -> str:
    out = [f"kpi-rules diff: {diff.old} -> {diff.new}", f"data: {diff.data}, period {diff.period or '—'}",
           _headline(diff), ""]
    out.append(f"Policy fields changed ({len(diff.fields)}):")
    out += [f"  {_field_line(c)}" for c in diff.fields] or ["  (none)"]
    axis, rows = _matrix_rows(diff)
    out += ["", "Grade transitions (rows: before, columns: after):"]
    out += ["  " + line for line in _table(["", *axis], rows)]
    changed = diff.changed
    out += ["", f"Changed employees ({len(changed)}), largest change first:"]
    if changed:
        out += ["  " + line for line in _table(PERSON_HEADER, [_person_cells(p) for p in changed[:limit]])]
        if len(changed) > limit:
            out.append(f"  ... and {len(changed) - limit} more")
    else:
        out.append("  (none)")
    for title, attr in (("role", "role"), ("team", "team")):
        out += ["", f"Final score delta by {title}:"]
        out += ["  " + line for line in _table([title, *STATS_HEADER], _stats_rows(delta_stats(diff.persons, attr)))]
    calibration = _calibration_lines(diff, _table)
    if calibration:
        out += ["", calibration[0], *("  " + line for line in calibration[1:])]
    out += [f"note: {n}" for n in diff.notes]
    return "\n".join(out) + "\n"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cells(row: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |"

    return [cells(header), "|" + "|".join("---" for _ in header) + "|", *(cells(r) for r in rows)]


def markdown(diff: PolicyDiff, limit: int = 50) -> str:
    """A pull-request comment: summary first, details folded away."""
    before, after = diff.pay_sums()
    out = [MARKER, f"### kpi-rules diff: `{diff.new}`", "",
           f"Compared with `{diff.old}` on `{diff.data}`, period **{diff.period or '—'}**.", "",
           f"**{_headline(diff)}**", ""]
    axis, rows = _matrix_rows(diff)
    out += ["#### Grade transitions", "", "Rows: grade before the change; columns: grade after.", ""]
    out += _md_table(["before \\ after", *axis], [[f"**{r[0]}**", *r[1:]] for r in rows])
    changed = diff.changed
    out += ["", f"#### Employees whose result changed ({len(changed)})", ""]
    if changed:
        out += _md_table(PERSON_HEADER, [_person_cells(p) for p in changed[:limit]])
        if len(changed) > limit:
            out.append(f"\n… and {len(changed) - limit} more (see `kpi-rules diff --format json`).")
    else:
        out.append("Nobody's grade or final score changes.")
    out += ["", "#### Final score delta by role and team", ""]
    out += _md_table(["role", *STATS_HEADER], _stats_rows(delta_stats(diff.persons, "role")))
    out.append("")
    out += _md_table(["team", *STATS_HEADER], _stats_rows(delta_stats(diff.persons, "team")))
    calibration = _calibration_lines(diff, _md_table)
    if calibration:
        out += ["", "#### Calibration effects", "", calibration[0], "", *calibration[1:]]
    out += ["", f"Pay coefficient sum: {_num(before)} → {_num(after)} ({_signed(round(after - before, 6))})", ""]
    out += [f"<details><summary>Policy fields changed ({len(diff.fields)})</summary>", "", "```diff"]
    out += [_field_line(c) for c in diff.fields] or ["(none)"]
    out += ["```", "", "</details>"]
    if diff.notes:
        out += ["", *(f"> {n}" for n in diff.notes)]
    return "\n".join(out) + "\n"


def as_json(diff: PolicyDiff, limit: int = 0) -> str:
    return json.dumps(diff.to_dict(), ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"


RENDERERS: dict[str, Callable[[PolicyDiff, int], str]] = {"text": text, "md": markdown, "json": as_json}
