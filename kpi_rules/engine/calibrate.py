"""Calibration: the step after forced distribution. Grades change, scores never do.

Each adjustment of a calibration file sets one rated row's grade, records who,
who approved and why, and takes the pay coefficient of the new grade. A vetoed
row is calibrated only when the adjustment says `override_veto: true`. Quotas
are then counted again and any breach is reported in the distribution (never
forced back: the meeting decided).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kpi_rules.common.arrays import none_mask
from kpi_rules.common.suggest import did_you_mean
from kpi_rules.engine.grading import allowed_count, pay_coefficients, required_count
from kpi_rules.policy.calibration import Calibration, check_for_policy
from kpi_rules.policy.model import Policy
from kpi_rules.policy.problems import Problem
from kpi_rules.results.model import PeriodResult, shown
from kpi_rules.results.reasons import Reason


def calibrate_result(policy: Policy, res: PeriodResult, calibrations: list[Calibration]) -> list[Problem]:
    """Apply the calibration files of this result's period; the problems found (nothing changed then)."""
    problems = [p for c in calibrations for p in check_for_policy(c, policy)]
    ids = {str(e): i for i, e in reversed(list(enumerate(res.employee_id.tolist()))) if e is not None}
    planned: list[tuple[int, Calibration, Any]] = []
    for cal in calibrations:
        for a in cal.adjustments:
            where = ("adjustments", a.index, "employee_id")
            i = ids.get(a.employee_id)
            if i is None:
                problems.append(cal.problem(
                    where, "KR404", "calibration-employee",
                    f"{a.employee_id} is not in the data for {res.period}",
                    did_you_mean(a.employee_id, ids, "check the employee id against the data's employee_id column")))
            elif res.status[i] != "rated":
                why = "; ".join(res.reasons[i]) or str(res.status[i])
                problems.append(cal.problem(
                    where, "KR407", "calibration-not-rated",
                    f"{a.employee_id} is {str(res.status[i]).replace('_', ' ')} in {res.period} ({why}), "
                    "so there is no grade to calibrate",
                    "correct the data first, or remove this adjustment"))
            elif res.veto[i] is not None and not a.override_veto:
                problems.append(cal.problem(
                    where, "KR406", "calibration-veto",
                    f"{a.employee_id}'s grade {res.grade[i]} is set by the veto `{res.veto[i]}`: "
                    "a calibration cannot set it aside unnoticed",
                    "if the meeting decided to override the veto, add `override_veto: true` to this adjustment"))
            else:
                planned.append((i, cal, a))
    problems += _duplicates_across(planned)
    if problems:
        return sorted(set(problems))
    res.grade_before_calibration = res.grade.copy()
    res.grade = res.grade.copy()
    for i, _, a in planned:
        res.grade[i] = a.grade
        res.calibration[i] = a.record()
        if res.veto[i] is not None:
            res.reasons[i].append(Reason("calibration_overrides_veto", id=res.veto[i]))
        res.reasons[i].append(Reason("calibrated", before=res.grade_before_calibration[i], grade=a.grade, by=a.by,
                                     approved_by=a.approved_by, date=a.date, reason=a.reason))
    res.pay_coefficient = pay_coefficients(policy, res.grade)
    if policy.distribution is not None and res.distribution:
        res.distribution = dict(res.distribution, after_calibration=recheck_quotas(policy, res))
    return []


def _duplicates_across(planned: list[tuple[int, Calibration, Any]]) -> list[Problem]:
    """One person in two files of the same period (within one file the file's own check says so)."""
    first: dict[int, tuple[Calibration, Any]] = {}
    problems = []
    for i, cal, a in planned:
        if i in first:
            other, b = first[i]
            mark = other.source.value(("adjustments", b.index, "employee_id"))
            problems.append(cal.problem(
                ("adjustments", a.index, "employee_id"), "KR401", "duplicate-adjustment",
                f"{a.employee_id} is calibrated twice (also in {other.file}:{mark.line})",
                "a person has one calibrated grade: keep one adjustment and remove the other"))
        else:
            first[i] = (cal, a)
    return problems


def recheck_quotas(policy: Policy, res: PeriodResult) -> dict[str, Any]:
    """Each group's quotas counted on the calibrated grades, and the breaches."""
    dist = policy.distribution
    assert dist is not None
    rated = res.status == "rated"
    vetoed = ~none_mask(res.veto)
    keys = res.team.tolist() if dist.scope == "team" else ["all"] * res.n
    groups: dict[str, list[int]] = {}
    for i in np.flatnonzero(rated).tolist():
        if keys[i] is not None:
            groups.setdefault(str(keys[i]), []).append(i)
    report: list[dict[str, Any]] = []
    breaches: list[dict[str, Any]] = []
    for key in sorted(groups):
        members = groups[key]
        n = len(members)
        if n < dist.min_group_size:
            continue
        quotas: dict[str, Any] = {}
        for g in policy.grades:
            quota = dist.quotas.get(g.grade)
            if quota is None:
                continue
            entry: dict[str, Any] = {}
            if quota.max is not None:
                # A veto's grade takes no quota place, unless calibration set the veto aside.
                holders = sum(1 for i in members if res.grade[i] == g.grade
                              and (not vetoed[i] or res.veto_overridden(i)))
                allowed = allowed_count(n, quota.max)
                entry.update({"max": shown(quota.max, 6), "allowed": allowed, "holders": holders,
                              "over": holders > allowed})
                if holders > allowed:
                    breaches.append({"group": key, "grade": g.grade, "quota": "max", "allowed": allowed,
                                     "holders": holders})
            if quota.min is not None:
                have = sum(1 for i in members if res.grade[i] == g.grade)
                need = required_count(n, quota.min)
                entry.update({"min": shown(quota.min, 6), "required": need, "actual": have, "met": have >= need})
                if have < need:
                    breaches.append({"group": key, "grade": g.grade, "quota": "min", "required": need,
                                     "actual": have})
            quotas[g.grade] = entry
        report.append({"group": key, "size": n, "quotas": quotas})
    return {"groups": report, "breaches": breaches}
