"""What a policy change does to people: evaluate two versions of a policy on
the same data and compare grade by grade, score by score, field by field.

`diff_render.py` turns the `PolicyDiff` into text, Markdown or JSON.
"""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.data.raw import RawTable
from kpi_rules.data.table import type_table
from kpi_rules.diff.calibrated import CalibrationEffect, calibration_effects
from kpi_rules.diff.fields import FieldChange, field_changes
from kpi_rules.engine import Evaluation, evaluate
from kpi_rules.policy.calibration import Calibration
from kpi_rules.policy.compiler import compile_policy
from kpi_rules.policy.loader import load_bytes
from kpi_rules.policy.model import Policy
from kpi_rules.policy.validate import Validation, validate_loaded

NOT_GRADED = ("not_rated", "error")  # matrix labels of rows without a grade


class DiffError(KpiRulesError):
    """A version of the policy cannot be read (git, file)."""


@dataclass
class Version:
    """One side of the diff: where it came from, its YAML document and its validation."""

    label: str
    data: Any
    validation: Validation

    @property
    def policy(self) -> Policy:
        return compile_policy(self.validation)


def read_version(raw: bytes, label: str) -> Version:
    loaded = load_bytes(raw, label)
    return Version(label, loaded.data, validate_loaded(loaded))


def read_file_version(path: str | Path) -> Version:
    try:
        return read_version(Path(path).read_bytes(), str(path))
    except OSError as exc:
        raise DiffError(f"{path}: cannot be read: {exc.strerror}") from exc


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise DiffError(f"git cannot be run: {exc.strerror}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return done.stdout


def read_git_version(path: str | Path, rev: str) -> Version:
    """The policy at `path` as it was in commit `rev` (`git show REV:path`, path from the repository root)."""
    if not rev or rev.startswith("-"):
        # `git show --output=FILE` would write a file: a revision never starts with a dash.
        raise DiffError(f"`{rev}` is not a git revision")
    file = Path(path).resolve()
    top = Path(_git(["rev-parse", "--show-toplevel"], file.parent).decode().strip()).resolve()
    try:
        inside = file.relative_to(top).as_posix()
    except ValueError as exc:
        raise DiffError(f"{path} is not inside the git repository {top}") from exc
    raw = _git(["show", f"{rev}:{inside}"], top)
    return read_version(raw, f"{rev}:{inside}")


# ---------------------------------------------------------------- people


@dataclass(frozen=True)
class Person:
    """One row on both sides. `grade` is the grade, or the status for rows without one."""

    employee_id: str
    name: str | None
    role: str | None
    team: str | None
    old_grade: str
    new_grade: str
    old_final: float | None
    new_final: float | None
    old_pay: float | None
    new_pay: float | None

    @property
    def delta(self) -> float | None:
        if self.old_final is None or self.new_final is None:
            return None
        return round(self.new_final - self.old_final, 6)

    @property
    def grade_changed(self) -> bool:
        return self.old_grade != self.new_grade

    @property
    def changed(self) -> bool:
        return self.grade_changed or self.old_final != self.new_final

    def to_dict(self) -> dict[str, Any]:
        return {"employee_id": self.employee_id, "name": self.name, "role": self.role, "team": self.team,
                "old_grade": self.old_grade, "new_grade": self.new_grade, "old_final": self.old_final,
                "new_final": self.new_final, "delta": self.delta, "old_pay_coefficient": self.old_pay,
                "new_pay_coefficient": self.new_pay}


def _grade(row: dict[str, Any]) -> str:
    return str(row["grade"]) if row["status"] == "rated" and row["grade"] is not None else str(row["status"])


def _keyed(evaluation: Evaluation) -> dict[tuple[str, int], dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for row in evaluation.result.employees():
        name = str(row["employee_id"]) if row["employee_id"] is not None else f"line {row['line']}"
        seen[name] = seen.get(name, -1) + 1
        out[(name, seen[name])] = row
    return out


def people(old: Evaluation, new: Evaluation) -> list[Person]:
    before, after = _keyed(old), _keyed(new)
    out = []
    for key in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(key), after.get(key)
        ref = b or a
        assert ref is not None
        out.append(Person(
            key[0], ref.get("name"), ref.get("role"), ref.get("team"),
            _grade(a) if a else "absent", _grade(b) if b else "absent",
            a.get("final") if a else None, b.get("final") if b else None,
            a.get("pay_coefficient") if a else None, b.get("pay_coefficient") if b else None))
    return out


def _by_size(person: Person) -> tuple[int, float, str]:
    """Rows that gained or lost a grade altogether first, then the largest change."""
    delta = person.delta
    return (0 if delta is None else 1, -abs(delta or 0.0), person.employee_id)


def delta_stats(persons: list[Person], attr: str) -> dict[str, dict[str, Any]]:
    """mean, median and largest (by size, with its sign) final delta per role or team."""
    groups: dict[str, list[float]] = {}
    for p in persons:
        if p.delta is not None:
            groups.setdefault(str(getattr(p, attr)), []).append(p.delta)
    return {name: {"n": len(d), "mean": round(statistics.fmean(d), 4), "median": round(statistics.median(d), 4),
                   "max": max(d, key=abs)} for name, d in sorted(groups.items())}


@dataclass
class PolicyDiff:
    old: str
    new: str
    data: str
    period: str | None
    persons: list[Person]
    grades: list[str]  # matrix order: both policies' grades, then statuses
    fields: list[FieldChange]
    notes: list[str] = field(default_factory=list)
    # With calibration files: their effects on each side, apart from the policy's (persons: uncalibrated).
    calibrations: list[CalibrationEffect] | None = None
    calibration_files: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[Person]:
        return sorted((p for p in self.persons if p.changed), key=_by_size)

    @property
    def grade_changes(self) -> int:
        return sum(p.grade_changed for p in self.persons)

    def transitions(self) -> dict[str, dict[str, int]]:
        matrix: dict[str, dict[str, int]] = {}
        for p in self.persons:
            row = matrix.setdefault(p.old_grade, {})
            row[p.new_grade] = row.get(p.new_grade, 0) + 1
        return matrix

    def pay_sums(self) -> tuple[float, float]:
        return (round(sum(p.old_pay or 0.0 for p in self.persons), 6),
                round(sum(p.new_pay or 0.0 for p in self.persons), 6))

    def to_dict(self) -> dict[str, Any]:
        before, after = self.pay_sums()
        return {
            "old": self.old, "new": self.new, "data": self.data, "period": self.period,
            "summary": {"employees": len(self.persons), "changed": len(self.changed),
                        "grade_changes": self.grade_changes, "field_changes": len(self.fields)},
            "grades": self.grades, "transitions": self.transitions(),
            "changed": [p.to_dict() for p in self.changed],
            "by_role": delta_stats(self.persons, "role"), "by_team": delta_stats(self.persons, "team"),
            "pay_coefficient_sum": {"before": before, "after": after, "delta": round(after - before, 6)},
            "fields": [f.to_dict() for f in self.fields], "notes": self.notes,
            **({"calibration": {"files": self.calibration_files,
                                "effects": [c.to_dict() for c in self.calibrations]}}
               if self.calibrations is not None else {}),
        }


def _order(*policies: Policy) -> list[str]:
    out: list[str] = []
    for policy in policies:
        out += [g.grade for g in policy.grades if g.grade not in out]
    return out + [s for s in (*NOT_GRADED, "absent") if s not in out]


def diff_policies(old: Version, new: Version, raw: RawTable, period: str | None = None,
                  calibrations: Sequence[Calibration] = ()) -> PolicyDiff:
    """Evaluate both versions on the same rows. Both must be valid (compile raises PolicyInvalid).

    Policy effects compare the versions' uncalibrated grades; with `calibrations`, both versions are
    also evaluated calibrated and the calibration's effect on each is reported apart."""
    old_policy, new_policy = old.policy, new.policy
    old_table, new_table = type_table(old_policy, raw), type_table(new_policy, raw)
    old_ev = evaluate(old_policy, old_table, period)
    new_ev = evaluate(new_policy, new_table, period or old_ev.period)
    # what was read (the encoding, the separator, empty rows) is the data's, said once under its name;
    # what typing against each version found is that version's
    read = len(raw.notes)
    notes = [n if raw.sources else f"{raw.file}: {n}" for n in raw.notes]
    notes += [f"{old.label}: {n}" for n in old_table.notes[read:]]
    notes += [f"{new.label}: {n}" for n in new_table.notes[read:]]
    result = PolicyDiff(old.label, new.label, raw.file, old_ev.period, people(old_ev, new_ev),
                        _order(old_policy, new_policy), field_changes(old.data, new.data), notes)
    if calibrations:
        old_cal = evaluate(old_policy, old_table, old_ev.period, calibrations)
        new_cal = evaluate(new_policy, new_table, old_ev.period, calibrations)
        result.calibrations = calibration_effects(old_cal, new_cal)
        result.calibration_files = [Path(c.file).name for c in calibrations]
    return result
