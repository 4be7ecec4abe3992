"""Calibration files: grade changes agreed in a calibration meeting, with reasons.

A calibration file is reviewed YAML kept in git beside the policy, so it is read
like a policy: the same loader (every value's `file:line:col`), its own JSON Schema
(`schemas/calibration.schema.json`), then checks of its own. What can be checked
without data is checked here (shape, one adjustment per person, the policy's id,
its grades); the engine checks the rest against the evaluated rows.

Codes: KR401 duplicate-adjustment, KR402 calibration-policy, KR403
calibration-period, KR404 calibration-employee, KR405 calibration-grade, KR406
calibration-veto, KR407 calibration-not-rated (docs/policy-reference.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.common.suggest import did_you_mean
from kpi_rules.policy.loader import Loaded, SourceMap, load_bytes, load_file
from kpi_rules.policy.model import Policy
from kpi_rules.policy.problems import JsonPath, Problem
from kpi_rules.policy.schema import check_shape
from kpi_rules.policy.validate import Validation, validate_loaded

SCHEMA = "calibration.schema.json"
KIND = "Calibration"


class CalibrationInvalid(KpiRulesError):
    """A calibration file has errors, or does not fit the policy or the evaluated data; `problems` says which."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        first = self.problems[0] if self.problems else None
        super().__init__(f"{first.location}: {first.code} {first.message}" if first else "invalid calibration")


@dataclass(frozen=True)
class Adjustment:
    """One person's calibrated grade, with where it is written."""

    index: int  # position in `adjustments`
    employee_id: str
    grade: str
    reason: str
    by: str
    approved_by: str
    date: str
    note: str | None = None
    override_veto: bool = False

    def record(self) -> dict[str, Any]:
        """The row's `calibration` in the results (sorted keys; note and override_veto only where set)."""
        out: dict[str, Any] = {"approved_by": self.approved_by, "by": self.by, "date": self.date,
                               "grade": self.grade}
        if self.note is not None:
            out["note"] = self.note
        if self.override_veto:
            out["override_veto"] = True
        out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Calibration:
    """A checked calibration file."""

    file: str
    sha256: str
    policy: str
    period: str
    adjustments: tuple[Adjustment, ...]
    source: SourceMap = field(compare=False, repr=False)

    def problem(self, path: JsonPath, code: str, name: str, message: str, hint: str | None = None) -> Problem:
        """A problem placed on the value at `path` (e.g. `("adjustments", 2, "employee_id")`)."""
        mark = self.source.value(path)
        return Problem(self.file, mark.line, mark.col, code, message, name=name, path=path, hint=hint)

    def summary(self) -> dict[str, Any]:
        """How the results name this file: enough to find the exact version in git."""
        return {"adjustments": len(self.adjustments), "file": Path(self.file).name, "period": self.period,
                "policy": self.policy, "sha256": self.sha256}


def is_calibration(loaded: Loaded) -> bool:
    return isinstance(loaded.data, dict) and loaded.data.get("kind") == KIND


def _duplicates(data: dict[str, Any], source: SourceMap) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for k, entry in enumerate(data["adjustments"]):
        who = str(entry["employee_id"])
        if who in seen:
            first = source.value(("adjustments", seen[who], "employee_id"))
            mark = source.value(("adjustments", k, "employee_id"))
            problems.append(Problem(
                source.file, mark.line, mark.col, "KR401", f"{who} is calibrated twice (also on line {first.line})",
                name="duplicate-adjustment", path=("adjustments", k, "employee_id"),
                hint="a person has one calibrated grade: keep one adjustment and remove the other"))
        else:
            seen[who] = k
    return problems


def check_loaded(loaded: Loaded) -> tuple[Validation, Calibration | None]:
    """Shape and duplicates: the problems as a Validation (for `kpi-rules validate`), and the file if valid."""
    problems = list(loaded.problems)
    if not problems:
        problems += check_shape(loaded.data, loaded.source, SCHEMA, "the calibration file")
    if not problems:
        problems += _duplicates(loaded.data, loaded.source)
    validation = Validation(loaded.file, sorted(problems), loaded.source, None, loaded.sha256)
    if problems:
        return validation, None
    data = loaded.data
    adjustments = tuple(
        Adjustment(k, str(a["employee_id"]), a["grade"], a["reason"], a["by"], a["approved_by"], a["date"],
                   a.get("note"), bool(a.get("override_veto", False)))
        for k, a in enumerate(data["adjustments"]))
    return validation, Calibration(loaded.file, loaded.sha256, data["policy"], str(data["period"]), adjustments,
                                   loaded.source)


def validate_document(path: str | Path) -> Validation:
    """A policy, or a calibration file (recognised by `kind: Calibration`), validated as what it is."""
    loaded = load_file(path)
    return check_loaded(loaded)[0] if is_calibration(loaded) else validate_loaded(loaded)


def load_calibration(path: str | Path) -> Calibration:
    """Read and check a calibration file; raises CalibrationInvalid with every problem."""
    validation, calibration = check_loaded(load_file(path))
    if calibration is None:
        raise CalibrationInvalid(validation.errors)
    return calibration


def calibration_from_bytes(raw: bytes, file: str) -> Calibration:
    """As `load_calibration`, for content held in memory (a service's request body)."""
    validation, calibration = check_loaded(load_bytes(raw, file))
    if calibration is None:
        raise CalibrationInvalid(validation.errors)
    return calibration


def check_for_policy(calibration: Calibration, policy: Policy) -> list[Problem]:
    """The file names this policy, and every calibrated grade is one of its grades."""
    problems = []
    if calibration.policy != policy.id:
        problems.append(calibration.problem(
            ("policy",), "KR402", "calibration-policy",
            f"this calibration is for the policy `{calibration.policy}`, but the policy evaluated is `{policy.id}`",
            "give the calibration file of this policy, or correct `policy:` to the policy's metadata.id"))
    names = [g.grade for g in policy.grades]
    for a in calibration.adjustments:
        if a.grade not in names:
            problems.append(calibration.problem(
                ("adjustments", a.index, "grade"), "KR405", "calibration-grade",
                f"`{a.grade}` is not a grade of the policy `{policy.id}`",
                did_you_mean(a.grade, names, "grades: " + ", ".join(names))))
    return problems
