"""The report's calibration section: who was calibrated, from what to what, by whom and why, and
the quotas counted again after calibration. Absent (None) when no calibration file was applied."""

from __future__ import annotations

from typing import Any

from kpi_rules.engine import Evaluation
from kpi_rules.results.report_words import Labels

Row = dict[str, Any]


def person_calibration(policy_vetoes: dict[str, str], row: Row) -> Row | None:
    """One row's calibration for its block in the report (None: not calibrated)."""
    record = row.get("calibration")
    if not record:
        return None
    return {"before": row["grade_before_calibration"], "after": record["grade"], "by": record["by"],
            "approved_by": record["approved_by"], "date": record["date"], "reason": record["reason"],
            "note": record.get("note"),
            "veto_label": policy_vetoes.get(row["veto"], row["veto"]) if record.get("override_veto") else None}


def calibration_section(ev: Evaluation, people: list[Row], t: Labels) -> Row | None:
    if not ev.result.calibrated:
        return None
    dist = ev.result.distribution.get("after_calibration") or {}
    label = {"all": t["department"]}
    breaches = [{"text": t.fill("cal_breach_max" if b["quota"] == "max" else "cal_breach_min",
                                group=label.get(b["group"], t.fill("team_named", team=b["group"])), grade=b["grade"],
                                holders=b.get("holders", b.get("actual")),
                                places=b.get("allowed", b.get("required")))}
                for b in dist.get("breaches", [])]
    files = [t.fill("cal_file", file=c.summary()["file"], period=c.period, count=len(c.adjustments),
                    sha256=c.sha256[:12])
             for c in ev.calibrations if c.period == ev.period]
    return {"rows": [{"who": p["who"], "anchor": p["anchor"], "team": p["team"], **p["calibration"]}
                     for p in people if p.get("calibration")],
            "files": files, "checked": bool(dist), "breaches": breaches}
