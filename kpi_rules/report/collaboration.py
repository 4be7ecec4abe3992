"""Section 3: team indicators and how they enter each total, every bonus,
deduction and veto with whom it fired for, and peer-review figures."""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np

from kpi_rules.common.periods import PeriodError, parse_period
from kpi_rules.engine import Evaluation
from kpi_rules.results.figures import mean, rounded
from kpi_rules.results.model import row_where, shown
from kpi_rules.results.report_words import Labels

Row = dict[str, Any]


def team_section(ev: Evaluation, t: Labels) -> Row | None:
    team = ev.policy.team
    if team is None:
        return None
    labels = {ti.id: ti.plan.label or ti.id for ti in team.indicators}
    teams = []
    for entry in ev.result.teams:
        teams.append({
            "team": entry["team"], "members": entry["members"], "team_score": entry["team_score"],
            "coefficient": entry["coefficient"],
            "indicators": [{"id": k, "label": labels.get(k, k), **{f: v[f] for f in (
                "actual", "target", "achievement", "score", "weight", "weighted")},
                "flags": [t.flag(f) for f in v["flags"]]} for k, v in entry["indicators"].items()],
        })
    return {
        "label": team.label, "key": team.key, "blend": team.blend,
        "coefficient_steps": [{"min": s.min, "value": s.value} for s in team.coefficient],
        "indicators": [{"id": ti.id, "label": labels[ti.id], "formula": ti.formula.source,
                        "target": ti.plan.target, "weight": ti.plan.weight} for ti in team.indicators],
        "teams": teams,
    }


WHO_LIMIT = 50  # names listed for one bonus, deduction or veto; beyond them, "and N more"


def _who(rows: list[Row], t: Labels) -> dict[str, Any]:
    return {"who": [t.who(r["name"], r["employee_id"]) for r in rows[:WHO_LIMIT]],
            "who_more": max(0, len(rows) - WHO_LIMIT)}


def adjustments(ev: Evaluation, rows: list[Row], t: Labels) -> list[Row]:
    """Every bonus, deduction and veto item, with the rated people it fired for."""
    rated = [r for r in rows if r["status"] == "rated"]
    policy = ev.policy
    out = []
    for kind, items, field in (("bonus", policy.bonuses, "bonuses"), ("deduction", policy.deductions, "deductions")):
        for item in items:
            who = [r for r in rated if item.id in r[field]]
            out.append({"kind": kind, "id": item.id, "label": item.label, "when": item.when.source,
                        "points": _points(item.points.source), "grade": None, "count": len(who),
                        **_who(who, t)})
    for veto in policy.vetoes:
        who = [r for r in rated if r["veto"] == veto.id]
        out.append({"kind": "veto", "id": veto.id, "label": veto.label, "when": veto.when.source, "points": None,
                    "grade": veto.grade, "count": len(who), **_who(who, t)})
    return out


def _points(source: str) -> str:
    """A constant as it is (`3`), a formula in parentheses (`(late_reports * 2)`)."""
    try:
        float(source)
    except ValueError:
        return f"({source})"
    return source


def _data_row(ev: Evaluation) -> Any:
    """employee id, line, period -> the data row behind a result (lines repeat in one-line JSON files)."""
    table = ev.table
    ids, texts = table.text["employee_id"].tolist(), table.text["period"].tolist()
    # each row's `where` (its line, or file:line): the lines as a list when the rows come from one file
    wheres = list(table.lines) if not table.sources else [
        table.where(r) for r in range(table.n)]
    index: dict[tuple[Any, int | str], list[int]] = {}
    for r, key in enumerate(zip(ids, wheres)):
        index.setdefault(key, []).append(r)

    def find(employee_id: Any, line: int | str, period: str) -> int | None:
        found = index.get((employee_id, line), [])
        if len(found) > 1:
            found = [r for r in found if texts[r] is None or _same_period(texts[r], period)]
        return found[0] if found else None

    return find


def _same_period(text: str, period: str) -> bool:
    try:
        return str(parse_period(text)) == period
    except PeriodError:
        return False


def _peer_rows(ev: Evaluation, rows: list[Row]) -> list[tuple[Row, int]]:
    """(employee row, data row) for the rated rows behind this report: the period's, or each rated period's."""
    find = _data_row(ev)
    out = []
    for row in rows:
        if ev.kind == "rollup":
            parts = [(p, row_where(part)) for p, part in (row.get("periods") or {}).items()
                     if part["status"] == "rated"]
        else:
            parts = [(row["period"], row_where(row))] if row["status"] == "rated" else []
        for period, line in parts:
            r = find(row["employee_id"], line, period)
            if r is not None:
                out.append((row, r))
    return out


def _figures(values: list[float]) -> Row:
    return {"n": len(values), "mean": rounded(mean(values), 2),
            "median": shown(statistics.median(values), 2) if values else None,
            "min": shown(min(values), 2) if values else None, "max": shown(max(values), 2) if values else None}


def peer_review(ev: Evaluation, rows: list[Row], teams: list[str | None]) -> list[Row]:
    """Figures for every input named peer*, per team and for the department."""
    names = [name for name in ev.policy.inputs if name.startswith("peer")]
    if not names:
        return []
    pairs = _peer_rows(ev, rows)
    out = []
    for name in names:
        column = ev.table.numbers.get(name)
        if column is None:
            continue
        spec = ev.policy.inputs[name]
        numbers = np.asarray(column, dtype=np.float64).tolist()  # a numpy scalar per row cost more than the figure
        values = [(row["team"], numbers[r]) for row, r in pairs if numbers[r] == numbers[r]]  # not NaN
        by_team: dict[Any, list[float]] = {}
        for team, v in values:
            by_team.setdefault(team, []).append(v)
        out.append({
            "input": name, "label": spec.label or name, "unit": spec.unit, "min_scale": spec.min,
            "max_scale": spec.max, "department": _figures([v for _, v in values]),
            "teams": [{"team": team, **_figures(by_team.get(team, []))} for team in teams],
        })
    return out
