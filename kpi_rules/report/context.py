"""`report_context(evaluation)`: everything the report templates print, as
plain dicts, lists, strings and numbers, computed here once.

Sections follow the issue's reporting scope: header, team overview,
collaboration, individual results, suggestions, data problems.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from kpi_rules.common.periods import PeriodError, parse_period
from kpi_rules.engine import Evaluation
from kpi_rules.report.annual import row_history
from kpi_rules.report.calibration import calibration_section, person_calibration
from kpi_rules.report.charts import line_chart
from kpi_rules.report.collaboration import adjustments, peer_review, team_section
from kpi_rules.report.people import most_below, moves_by_employee, person, person_line, team_suggestions
from kpi_rules.report.stats import overview
from kpi_rules.results.figures import final_figures_of_groups, quota_checks
from kpi_rules.results.model import row_where, shown
from kpi_rules.results.report_words import Labels, localize_reasons

Row = dict[str, Any]

# Up to this many people the report holds each one's full block (indicators, figures, notes); above
# it, one line per person in a table per team (the full blocks are the review sheets' and the CSV's).
DETAIL_LIMIT = 200
# In such a report, more teams than this get one line each in the overview instead of a block each.
TEAM_DETAIL_LIMIT = 20


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

    def whom(row: Row) -> Row:
        return {"employee_id": row["employee_id"], "name": row["name"], "team": row["team"],
                "who": t.who(row["name"], row["employee_id"])}

    for row in rows:
        parts = row.get("periods")
        if parts is None:
            if row["status"] != "rated":
                out.append({**whom(row), "period": row["period"], "line": row_where(row), "status": row["status"],
                            "status_label": t.status(row["status"]), "reasons": localize_reasons(row["reasons"], t)})
            continue
        who = whom(row)
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


def _by_team(rows: list[Row]) -> dict[Any, list[Row]]:
    """Rows grouped by team, once (a large employer has thousands of teams: never scan all rows per team)."""
    out: dict[Any, list[Row]] = {}
    for r in rows:
        out.setdefault(r["team"], []).append(r)
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
    by_team = _by_team(rows)
    series += [(str(team) if team is not None else t["no_team"], finals(by_team.get(team, [])))
               for team in teams]
    return {"periods": periods, "series": [{"label": label, "values": v} for label, v in series],
            "chart": line_chart(periods, series)}


def _people_by_team(people: list[Row], teams: list[str | None], team_label: dict[Any, str],
                    t: Labels) -> list[Row]:
    """People grouped by team, in the overview's team order (the department when the data has no teams)."""
    groups = _by_team(people)
    listed = set(teams)
    order = [*teams, *(team for team in groups if team not in listed)]
    return [{"team": team, "label": team_label.get(team) or (t["department"] if not teams else t["no_team"]),
             "people": groups[team]} for team in order if team in groups]


def _team_lines(ev: Evaluation, teams: list[str | None], rows_by_team: dict[Any, list[Row]],
                team_label: dict[Any, str], hints: list[Row]) -> list[Row]:
    """The overview's teams in a large report: one line each (figures, grade counts, what is most often
    below target), computed in one pass instead of a block per team."""
    policy = ev.policy
    rated_by = [[r for r in rows_by_team.get(team, []) if r["status"] == "rated"] for team in teams]
    figures = final_figures_of_groups([[float(r["final"]) for r in rated if r["final"] is not None]
                                       for rated in rated_by], policy.decimals)
    out = []
    for team, rated, fig, hint in zip(teams, rated_by, figures, hints):
        rows = rows_by_team.get(team, [])
        counts = Counter(r["grade"] for r in rated)
        out.append({"team": team, "label": team_label[team], "headcount": len(rated), "rows": len(rows),
                    "not_rated": sum(1 for r in rows if r["status"] == "not_rated"),
                    "error": sum(1 for r in rows if r["status"] == "error"), **fig,
                    "grade_counts": [counts.get(g.grade, 0) for g in policy.grades],
                    "below_text": hint["below_text"]})
    return out


def report_context(ev: Evaluation, timestamp: str | None = None, compact: bool = False) -> dict[str, Any]:
    """All the report's figures and words; templates only arrange them.

    `compact=True` (the default templates' reports): above DETAIL_LIMIT people, each person is only
    what the per-team table prints (`person_line`), not the full block a review sheet needs."""
    policy, res = ev.policy, ev.result
    t = Labels(policy.locale)
    rows = res.employees()
    team_names = sorted({str(r["team"]) for r in rows if r["team"] is not None})
    teams: list[str | None] = [*team_names, *([None] if team_names and any(r["team"] is None for r in rows) else [])]
    periods = sorted({p for r in rows for p in (r.get("periods") or {})}, key=_period_key)
    moves = moves_by_employee(res.distribution, rows, t)
    history = row_history(ev) if ev.kind == "rollup" else {}
    if compact and len(rows) > DETAIL_LIMIT:
        cache: dict[Any, Any] = {}
        people = [person_line(policy, row, moves, t, cache) for row in rows]
    else:
        people = [person(policy, row, ev.kind, moves, t, periods, history) for row in rows]
    vetoes = {v.id: v.label for v in policy.vetoes}
    for p, row in zip(people, rows):
        p["calibration"] = person_calibration(vetoes, row)
    names = {r["employee_id"]: r["name"] for r in rows}
    rows_by_team = _by_team(rows)
    team_label = {team: t.fill("team_named", team=team) if team is not None else t["no_team"] for team in teams}
    team_hints = team_suggestions(people, teams, t,
                                  {entry["team"]: entry.get("suggestions", []) for entry in ev.result.teams})
    teams_detail = not compact or len(rows) <= DETAIL_LIMIT or len(teams) <= TEAM_DETAIL_LIMIT
    return {
        "locale": t.locale, "t": dict(t), "kind": ev.kind, "header": _header(ev, timestamp),
        "teams_detail": teams_detail,
        "grades": [{"grade": g.grade, "label": g.label, "min": g.min, "coefficient": g.coefficient}
                   for g in policy.grades],
        "overview": {
            "department": overview(policy, None, rows, t["department"]),
            "teams": [overview(policy, team, rows_by_team.get(team, []), team_label[team]) for team in teams]
            if teams_detail else _team_lines(ev, teams, rows_by_team, team_label, team_hints),
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
        "people_detail": len(people) <= DETAIL_LIMIT,
        "people_by_team": [] if len(people) <= DETAIL_LIMIT else _people_by_team(people, teams, team_label, t),
        "suggestions": {
            "employees": [p for p in people if p["suggestions"]],
            "teams": team_hints,
            "below": most_below([p for p in people if p["rated"]], limit=5),
        },
        "problems": _problems(rows, t),
    }


def _first_by(items: list[Row], key: str) -> dict[Any, Row]:
    out: dict[Any, Row] = {}
    for item in items:
        out.setdefault(item[key], item)
    return out


def sheet_index(context: dict[str, Any]) -> dict[str, Any]:
    """Lookups for `employee_context`, built once for all of a report's sheets (a search of every
    person and team per sheet made 50,000 sheets quadratic)."""
    people: dict[Any, list[Row]] = {}
    for p in context["people"]:
        people.setdefault(p["employee_id"], []).append(p)
    collab_team = context["collaboration"]["team"]
    return {"people": people, "overview": _first_by(context["overview"]["teams"], "team"),
            "collaboration": _first_by(collab_team["teams"], "team") if collab_team else {},
            "suggestions": _first_by(context["suggestions"]["teams"], "team")}


def employee_context(context: dict[str, Any], employee_id: str, team_distribution: bool = True,
                     team_section: bool = True, index: dict[str, Any] | None = None) -> dict[str, Any]:
    """A review sheet's context: this person's sections, their team's aggregates, nobody else's scores.
    `team_distribution=False` leaves out the team's grade distribution (in a team of 4 it tells
    colleagues' grades); `team_section=False` leaves out the team's section altogether (the sheet
    then holds this person's own figures only: no averages, no distribution). `index`:
    `sheet_index(context)`, when rendering many sheets."""
    index = index if index is not None else sheet_index(context)
    mine = index["people"].get(employee_id, [])
    team = mine[0]["team"] if mine else None
    team_overview = index["overview"].get(team)
    collab_team = context["collaboration"]["team"]
    team_result = index["collaboration"].get(team) if collab_team else None
    team_hints = index["suggestions"].get(team)
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
