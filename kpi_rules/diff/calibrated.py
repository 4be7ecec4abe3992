"""Calibration effects in a diff, kept apart from policy effects: for each calibrated person, the
grade the calibration started from and gave under each version of the policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpi_rules.engine import Evaluation


@dataclass(frozen=True)
class CalibrationEffect:
    employee_id: str
    name: str | None
    old_before: str | None  # the version's grade before calibration
    old_after: str | None  # its calibrated grade
    new_before: str | None
    new_after: str | None
    reason: str

    @property
    def moot(self) -> bool:
        """Under the new version the calibration changes nothing: the policy already gives that grade."""
        return self.new_before is not None and self.new_before == self.new_after

    def to_dict(self) -> dict[str, Any]:
        return {"employee_id": self.employee_id, "name": self.name, "old_before": self.old_before,
                "old_after": self.old_after, "new_before": self.new_before, "new_after": self.new_after,
                "moot_under_new": self.moot, "reason": self.reason}


def _calibrated(ev: Evaluation) -> dict[str, tuple[str | None, str | None, dict[str, Any]]]:
    res = ev.result
    out = {}
    for i, record in res.calibration.items():
        out[str(res.employee_id[i])] = (res.grade_before_calibration[i], res.grade[i], record)
    return out


def calibration_effects(old: Evaluation, new: Evaluation) -> list[CalibrationEffect]:
    """One entry per person calibrated on either side, in the calibration files' order."""
    before, after = _calibrated(old), _calibrated(new)
    names = {str(e): n for e, n in zip(new.result.employee_id.tolist(), new.result.name.tolist())}
    out = []
    for who in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(who, (None, None, {})), after.get(who, (None, None, {}))
        record = b[2] or a[2]
        out.append(CalibrationEffect(who, names.get(who), a[0], a[1], b[0], b[1], str(record.get("reason", ""))))
    return out
