"""`report_context(evaluation)`: everything the report templates print, as
plain dicts, lists, strings and numbers, computed here once.

Sections follow the issue's reporting scope: header, team overview,
collaboration, individual results, suggestions, data problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kpi_rules.common.periods import PeriodError, parse_period
from kpi_rules.engine import Evaluation
from kpi_rules.report.annual import row_history
from kpi_rules.report.calibration import calibration_section, person_calibration
from kpi_rules.report.charts import line_chart
from kpi_rules.report.collaboration import adjustments, peer_review, team_section
from kpi_rules.report.people import most_below, moves_by_employee, person, team_suggestions
from kpi_rules.report.stats import overview
from kpi_rules.results.figures import quota_checks
from kpi_rules.results.model import row_where, shown
from kpi_rules.results.report_words import Labels, localize_reasons

Row = dict[str, Any]


def _period_key(text: str) -> tuple[int, Any]:
    try:
        return (0, parse_period(text))
    except PeriodError:
        return (1, text)


def _header(ev: Evaluation, timestamp: str | None) -> Row:
    policy, summary = ev.policy, ev.result.summary()
    return {
        "title": policy.title, "policy_id": policy.id, "version": policy.version, "sha256": policy.sha256,
        "period": ev.period or "—", "kind": ev.kind, "data_file": Path(ev.table.file).name,
        "data_sha256": ev.table.sha256,
        "rows": summary["rows"], "rated": summary["rated"], "not_rated": summary["not_rated"],
        "error": summary["error"], "input_errors": ev.error_rows,
        "effective_from": policy.effective_from, "effective_to": policy.effective_to,
        "other_periods": [{"period": p, "rows": n} for p, n in sorted(ev.other_periods.items(),
                                                                       key=lambda x: _period_key(x[0]))],
        "notes": list(ev.table.notes), "timestamp": timestamp,
        "rollup_method": policy.rollup.method if policy.rollup and ev.kind == "rollup" else None,
    }


def _distribution(ev: Evaluation, names: dict[Any, Any], t: Labels) -> Row | None:
    dist, policy = ev.result.distribution, ev.policy
    if not dist or policy.distribution is None:
        return None
    groups = []
    for g in dist["groups"]:
        quotas = quota_checks(g["quotas"], [grade.grade for grade in policy.grades])
        moves = [{"employee_id": m["employee_id"], "who": t.who(names.get(m["employee_id"]), m["employee_id"]),
                  "from": m["from"],
                  "to": m["to"], "final": m["final"], "tied": m["tied_at_cut"]}
                 for m in g.get("moves", []) + g.get("would_move", [])]
        groups.append({"group": g["group"], "label": t["department"] if dist["scope"] == "all" else g["group"],
                       "size": g["size"], "exempt": g["exempt"], "quotas": quotas, "moves": moves,
                       "ties": sum(1 for m in moves if m["tied"])})
    return {"scope": dist["scope"], "mode": dist["mode"], "min_group_size": dist["min_group_size"],
            "groups": groups}


def _problems(rows: list[Row], t: Labels) -> list[Row]:
    """Every row not rated or in error; in a roll-up, every period row that was not rated, with its
    own period and line, then the employee's review itself when it is not rated."""
    out = []
    for row in rows:
        who = {"employee_id": row["employee_id"], "name": row["name"], "team": row["team"],
               "who": t.who(row["name"], row["employee_id"])}
        parts = row.get("periods")
        if parts is None:
            if row["status"] != "rated":
                out.append({**who, "period": row["period"], "line": row_where(row), "status": row["status"],
                            "status_label": t.status(row["status"]), "reasons": localize_reasons(row["reasons"], t)})
            continue
        per_period = {r.params.get("period"): r for r in row["reasons"] if getattr(r, "code", None) == "rollup_period"}
        for period, part in parts.items():
            if part["status"] != "rated":
                reason = per_period.get(period)
                out.append({**who, "period": period, "line": row_where(part), "status": part["status"],
                            "status_label": t.status(part["status"]),
                            "reasons": localize_reasons([reason], t) if reason is not None else []})
        if row["status"] != "rated":
            rest = [r for r in row["reasons"] if getattr(r, "code", None) != "rollup_period"]
            out.append({**who, "period": row["period"], "line": "—", "status": row["status"],
                        "status_label": t.status(row["status"]), "reasons": localize_reasons(rest, t)})
    return out


def _team_trend(rows: list[Row], teams: list[str | None], periods: list[str], t: Labels) -> Row:
    def finals(members: list[Row]) -> list[float | int | None]:
        out = []
        for p in periods:
            values = [float(r["periods"][p]["final"]) for r in members
                      if p in r["periods"] and r["periods"][p]["final"] is not None]
            out.append(shown(sum(values) / len(values), 2) if values else None)
        return out

    series = [(t["department"], finals(rows))]
    series += [(str(team) if team is not None else t["no_team"], finals([r for r in rows if r["team"] == team]))
               for team in teams]
    return {"periods": periods, "series": [{"label": label, "values": v} for label, v in series],
            "chart": line_chart(periods, series)}


def report_context(ev: Evaluation, timestamp: str | None = None) -> dict[str, Any]:
    """All the report's figures and words; templates only arrange them."""
    policy, res = ev.policy, ev.result
    t = Labels(policy.locale)
    rows = res.employees()
    team_names = sorted({str(r["team"]) for r in rows if r["team"] is not None})
    teams: list[str | None] = [*team_names, *([None] if team_names and any(r["team"] is None for r in rows) else [])]
    periods = sorted({p for r in rows for p in (r.get("periods") or {})}, key=_period_key)
    moves = moves_by_employee(res.distribution, rows, t)
    history = row_history(ev) if ev.kind == "rollup" else {}
    people = [person(policy, row, ev.kind, moves, t, periods, history) for row in rows]
    vetoes = {v.id: v.label for v in policy.vetoes}
    for p, row in zip(people, rows):
        p["calibration"] = person_calibration(vetoes, row)
    names = {r["employee_id"]: r["name"] for r in rows}
    team_label = {team: t.fill("team_named", team=team) if team is not None else t["no_team"] for team in teams}
    return {
        "locale": t.locale, "t": dict(t), "kind": ev.kind, "header": _header(ev, timestamp),
        "grades": [{"grade": g.grade, "label": g.label, "min": g.min, "coefficient": g.coefficient}
                   for g in policy.grades],
        "overview": {
            "department": overview(policy, None, rows, t["department"]),
            "teams": [overview(policy, team, [r for r in rows if r["team"] == team], team_label[team])
                      for team in teams],
            "trend": _team_trend(rows, teams, periods, t) if ev.kind == "rollup" else None,
        },
        "distribution": _distribution(ev, names, t),
        "calibration": calibration_section(ev, people, t),
        "collaboration": {
            "team": team_section(ev, t), "adjustments": adjustments(ev, rows, t),
            "bonus_cap": policy.bonus_cap, "deduction_cap": policy.deduction_cap,
            "peer": peer_review(ev, rows, teams),
        },
        "people": people,
        "suggestions": {
            "employees": [p for p in people if p["suggestions"]],
            "teams": team_suggestions(people, teams, t,
                                      {entry["team"]: entry.get("suggestions", []) for entry in ev.result.teams}),
            "below": most_below([p for p in people if p["rated"]], limit=5),
        },
        "problems": _problems(rows, t),
    }


def employee_context(context: dict[str, Any], employee_id: str, team_distribution: bool = True,
                     team_section: bool = True) -> dict[str, Any]:
    """A review sheet's context: this person's sections, their team's aggregates, nobody else's scores.
    `team_distribution=False` leaves out the team's grade distribution (in a team of 4 it tells
    colleagues' grades); `team_section=False` leaves out the team's section altogether (the sheet
    then holds this person's own figures only: no averages, no distribution)."""
    mine = [p for p in context["people"] if p["employee_id"] == employee_id]
    team = mine[0]["team"] if mine else None
    team_overview = next((o for o in context["overview"]["teams"] if o["team"] == team), None)
    collab_team = context["collaboration"]["team"]
    team_result = next((x for x in collab_team["teams"] if x["team"] == team), None) if collab_team else None
    team_hints = next((x for x in context["suggestions"]["teams"] if x["team"] == team), None)
    sheet = {
        "locale": context["locale"], "t": context["t"], "kind": context["kind"], "grades": context["grades"],
        "header": {k: v for k, v in context["header"].items() if k in (
            "title", "policy_id", "version", "sha256", "period", "kind", "effective_from", "effective_to",
            "timestamp", "rollup_method")},
        "employee_id": employee_id, "people": mine,
        # min and max are someone's own score: a sheet shows neither
        "team_overview": {k: v for k, v in (team_overview or context["overview"]["department"]).items()
                          if k not in ("min_final", "max_final")
                          and (team_distribution or k not in ("grades", "grade_chart"))},
        "team_is_department": team_overview is None,
        "team_collaboration": team_result,
        "team_apply": {k: v for k, v in collab_team.items() if k != "teams"} if collab_team else None,
        "team_suggestions": team_hints,
    }
    if not team_section:
        sheet.update(team_overview=None, team_is_department=False, team_collaboration=None, team_apply=None,
                     team_suggestions=None)
    return sheet
