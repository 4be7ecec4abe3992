"""Grades from rounded finals, and forced distribution (POLICY_FORMAT 2.10)."""

from __future__ import annotations

import math
from bisect import bisect_left
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.engine.scoring import FloatArray, first_reached
from kpi_rules.policy.model import Distribution, Grade, Policy
from kpi_rules.results.model import shown, shown_column
from kpi_rules.results.reasons import Reason


def grade_codes(grades: tuple[Grade, ...], finals: FloatArray) -> npt.NDArray[np.intp]:
    """Each row's grade as its index in `grades` (-1: none). Top-down, first match wins, `min`
    inclusive (with the 1e-9 tolerance)."""
    codes: npt.NDArray[np.intp] = first_reached(finals, [(g.min, k) for k, g in enumerate(grades)],
                                                np.intp(-1))
    return codes


def named_grades(grades: tuple[Grade, ...], codes: npt.NDArray[np.intp]) -> npt.NDArray[Any]:
    """The grades of `grade_codes`: names, None for -1."""
    return np.array([g.grade for g in grades] + [None], dtype=object).take(codes)


def grade_of(grades: tuple[Grade, ...], finals: FloatArray) -> npt.NDArray[Any]:
    """Top-down, first match wins, `min` inclusive (with the 1e-9 tolerance)."""
    return named_grades(grades, grade_codes(grades, finals))


def pay_coefficients(policy: Policy, grades: npt.NDArray[Any], codes: npt.NDArray[np.intp] | None = None
                     ) -> FloatArray:
    """Each row's pay coefficient: the coefficient of its (final) grade; NaN without a grade.
    `codes`: the grades as `grade_codes` (a lookup per row by index, not by text), when known."""
    coefficient = {g.grade: g.coefficient for g in policy.grades}
    if codes is not None:
        return np.array([coefficient[g.grade] for g in policy.grades] + [np.nan], dtype=np.float64).take(codes)
    return np.fromiter(map(coefficient.get, grades.tolist(), repeat(np.nan)), dtype=np.float64, count=len(grades))


def allowed_count(n: int, share: float) -> int:
    """At most floor(n x share), but at least 1 (POLICY_FORMAT: even for `max: 0%`)."""
    return max(1, math.floor(n * share + 1e-9))


def required_count(n: int, share: float) -> int:
    return math.ceil(n * share - 1e-9)


def distribute(dist: Distribution, grades: tuple[Grade, ...], scope_keys: npt.NDArray[Any], finals: FloatArray,
               grade: npt.NDArray[Any], vetoed: npt.NDArray[np.bool_], rated: npt.NDArray[np.bool_],
               employee_ids: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], dict[str, Any], dict[int, str]]:
    """New grades, the distribution report, and a reason for each moved row."""
    order = [g.grade for g in grades]
    result = grade.copy()
    reasons: dict[int, str] = {}
    groups_report = []
    keys = scope_keys.tolist() if dist.scope == "team" else ["all"] * len(finals)
    groups: dict[str, list[int]] = {}
    without: list[int] = []  # rated rows without a team: in no group, and told so
    for i in np.flatnonzero(rated).tolist():
        if keys[i] is None:
            without.append(i)
            reasons[i] = Reason("distribution_no_group")
        else:
            groups.setdefault(str(keys[i]), []).append(i)
    shown6 = _Shown6(finals)
    for key in sorted(groups):
        groups_report.append(_group(dist, order, key, groups[key], finals, result, vetoed, employee_ids, reasons,
                                    shown6))
    report = {"scope": dist.scope, "mode": dist.mode, "min_group_size": dist.min_group_size,
              "groups": groups_report}
    if without:
        report["without_group"] = [str(employee_ids[i]) for i in without]
    return result, report, reasons


class _Shown6:
    """Figures shown to 6 decimals in the distribution report, each column and quota rounded once
    (not a numpy call per value: a large employer has tens of thousands of groups)."""

    def __init__(self, finals: FloatArray) -> None:
        self._finals = finals
        self._column: list[Any] | None = None
        self._values: dict[float, Any] = {}

    def final(self, i: int) -> Any:
        if self._column is None:
            self._column = shown_column(self._finals, 6)
        return self._column[i]

    def value(self, value: float) -> Any:
        if value not in self._values:
            self._values[value] = shown(value, 6)
        return self._values[value]


def _group(dist: Distribution, order: list[str], key: str, members: list[int], finals: FloatArray,
           result: npt.NDArray[Any], vetoed: npt.NDArray[np.bool_], ids: npt.NDArray[Any],
           reasons: dict[int, str], shown6: _Shown6) -> dict[str, Any]:
    n = len(members)
    report: dict[str, Any] = {"group": key, "size": n, "exempt": n < dist.min_group_size, "quotas": {}, "moves": []}
    if report["exempt"]:
        return report
    current = {i: result[i] for i in members}
    for position, name in enumerate(order):
        quota = dist.quotas.get(name)
        if quota is None or quota.max is None:
            continue
        holders = sorted((i for i in members if current[i] == name and not vetoed[i]), key=lambda i: -finals[i])
        allowed = allowed_count(n, quota.max)
        entry: dict[str, Any] = {"max": shown6.value(quota.max), "allowed": allowed, "holders": len(holders),
                                 "moved": 0, "over": len(holders) > allowed}
        report["quotas"][name] = entry
        if len(holders) <= allowed or position == len(order) - 1:
            continue
        cut = finals[holders[allowed]]
        tie = allowed > 0 and finals[holders[allowed - 1]] == cut
        below = order[position + 1]
        ascending = [-float(finals[j]) for j in holders]  # the holders' finals, negated: sorted ascending
        for i in holders:
            if finals[i] > cut:
                continue
            current[i] = below
            entry["moved"] += 1
            report["moves"].append({"employee_id": ids[i], "from": name, "to": below,
                                    "final": shown6.final(i), "tied_at_cut": bool(tie and finals[i] == cut)})
            tied = bool(tie and finals[i] == cut)
            # rank among the grade's holders, holders, group and scope: for `explain` (the text is unchanged)
            rank = 1 + bisect_left(ascending, -float(finals[i]))  # holders above this final
            reasons[i] = Reason("distribution_tie" if tied else "distribution_move", allowed=allowed, size=n,
                                grade=name, rank=rank, holders=len(holders), group=key, scope=dist.scope,
                                **({"cut": shown6.value(float(cut))} if tied else {}))
    for name, quota in dist.quotas.items():
        if quota.min is None:
            continue
        have = sum(1 for i in members if current[i] == name)
        need = required_count(n, quota.min)
        report["quotas"].setdefault(name, {}).update(
            {"min": shown6.value(quota.min), "required": need, "actual": have, "met": have >= need})
    if dist.mode == "enforce":
        for i in members:
            result[i] = current[i]
        return report
    # mode check: report what enforcing would do, change nobody's grade.
    report["would_move"] = report.pop("moves")
    report["moves"] = []
    for entry in report["quotas"].values():
        if "moved" in entry:
            entry["would_move"] = entry.pop("moved")
            entry["moved"] = 0
    for i in members:
        reasons.pop(i, None)
    return report
