"""Section 4 of the report: one block per employee, and section 5's suggestions."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from kpi_rules.policy.model import Policy
from kpi_rules.report.annual import period_notes
from kpi_rules.report.charts import bar_chart, line_chart
from kpi_rules.report.stats import below_target
from kpi_rules.results.display import plan_edges
from kpi_rules.results.model import row_where
from kpi_rules.results.report_words import Labels, localize_reasons

Row = dict[str, Any]


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def anchor(employee_id: object, line: int | str) -> str:
    """An HTML id for the employee's section: safe characters only, unique by line (and file)."""
    text = _UNSAFE.sub("-", str(employee_id or ""))
    return f"emp-{text}-{line if isinstance(line, int) and line >= 0 else _UNSAFE.sub('-', str(line))}"


def moves_by_employee(distribution: dict[str, Any], rows: list[Row], t: Labels) -> dict[Any, Row]:
    """Each moved employee's move, with why in the report's words: their rank in the group, how many
    reached the grade and how many it allows ("ranked 20 of 58 in team smb; 17 reached B, which allows 14")."""
    out: dict[Any, Row] = {}
    scope = distribution.get("scope")
    rated = [r for r in rows if r["status"] == "rated" and r["final"] is not None]
    by_team: dict[str, list[Row]] = {}
    for r in rated:
        if r["team"] is not None:
            by_team.setdefault(str(r["team"]), []).append(r)
    for group in distribution.get("groups", []):
        members = rated if scope == "all" else by_team.get(group["group"], [])
        where = t["in_department"] if scope == "all" else t.fill("in_team", team=group["group"])
        moves = group.get("moves", []) + group.get("would_move", [])
        for move in moves:
            quota = group["quotas"].get(move["from"], {})
            # the grade's holders: who reached it (no veto), and who was moved down into it
            finals = [float(r["final"]) for r in members if r["grade_before_distribution"] == move["from"]
                      and r["veto"] is None] + [float(m["final"]) for m in moves if m["to"] == move["from"]]
            rank = 1 + sum(1 for f in finals if f > float(move["final"]) + 1e-9)
            why = t.fill("move_why", rank=rank, size=group["size"], group=where, holders=quota.get("holders", "—"),
                         grade=move["from"], allowed=quota.get("allowed", "—"))
            out[move["employee_id"]] = {**move, "applied": distribution.get("mode") == "enforce", "why": why}
    return out


def grade_tone(policy: Policy, grade: str | None) -> int | None:
    """0 (the best grade) to 4 (the worst): the badge's colour, so an E never looks like an A."""
    order = [g.grade for g in policy.grades]
    if grade not in order:
        return None
    return round(4 * order.index(grade) / max(1, len(order) - 1))


# Flags of an indicator whose value could not be computed (it scored by its `missing` rule).
UNCOMPUTED = frozenset({"missing", "missing_input", "div_zero", "overflow", "type_error", "domain_error",
                        "no_achievement", "no_cap", "zero"})


def _indicators(policy: Policy, row: Row, t: Labels) -> list[Row]:
    out = []
    role = policy.roles.get(row["role"])
    for ind in policy.indicators:
        entry = row["indicators"].get(ind.id)
        if entry is None:
            continue
        flags = [t.flag(f) for f in entry["flags"]]
        plan = next((p for p in role.plans if p.indicator == ind.id), None) if role else None
        excluded = "excluded" in entry["flags"]
        actual_edges, achievement_edges = plan_edges(plan)
        out.append({
            "id": ind.id, "label": plan.label if plan else ind.label, "unit": ind.unit,
            "direction": ind.direction,
            "group_label": policy.groups.get(ind.group, ind.group) if ind.group else None,
            "actual": entry["actual"], "target": entry["target"], "achievement": entry["achievement"],
            "score": entry["score"], "weight": entry["weight"], "weighted": entry["weighted"],
            "flags": flags, "excluded": excluded, "below": below_target(entry),
            # scored 0 (or by its missing rule) because it could not be computed: shown as a problem
            "uncomputed": not excluded and bool(UNCOMPUTED.intersection(entry["flags"])),
            "actual_edges": actual_edges, "achievement_edges": achievement_edges,
        })
    return out


def person(policy: Policy, row: Row, kind: str, moves: dict[Any, Row], t: Labels,
           period_order: list[str], history: dict[int | str, tuple[Any, Any]] | None = None) -> Row:
    rated = row["status"] == "rated"
    role = policy.roles.get(row["role"])
    grade = policy.grade(row["grade"]) if rated and row["grade"] else None
    veto = next((v for v in policy.vetoes if v.id == row["veto"]), None) if row["veto"] else None
    move = moves.get(row["employee_id"]) if rated and row["employee_id"] is not None else None
    indicators = _indicators(policy, row, t) if rated else []
    labels_of = {a.id: a.label for a in (*policy.bonuses, *policy.deductions)}
    trend: list[Row] = []
    for period in period_order:
        part = (row.get("periods") or {}).get(period)
        trend.append({"period": period, "status": part["status"] if part else None,
                      "status_label": t.status(part["status"]) if part else t["trend_absent"],
                      "final": part["final"] if part else None, "grade": part["grade"] if part else None})
    return {
        "anchor": anchor(row["employee_id"], row_where(row)),
        "employee_id": row["employee_id"], "name": row["name"], "who": t.who(row["name"], row["employee_id"]),
        "role": row["role"],
        "role_label": role.label if role else row["role"], "team": row["team"], "period": row["period"],
        "line": row_where(row), "status": row["status"], "status_label": t.status(row["status"]), "rated": rated,
        "indicators": indicators,
        "individual": row["individual"], "team_score": row["team_score"], "bonus": row["bonus"],
        "deduction": row["deduction"], "coefficient_team": row["coefficient_team"], "final": row["final"],
        "grade": row["grade"], "grade_label": grade.label if grade else None,
        "grade_tone": grade_tone(policy, row["grade"]) if rated else None,
        "final_edges": [g.min for g in policy.grades if g.min is not None],
        "grade_before": row["grade_before_distribution"], "pay_coefficient": row["pay_coefficient"],
        "move": {"from": move["from"], "to": move["to"], "tied": move["tied_at_cut"], "applied": move["applied"],
                 "why": move["why"]} if move else None,
        "bonuses": [{"id": b, "label": labels_of.get(b, b)} for b in row["bonuses"]],
        "deductions": [{"id": d, "label": labels_of.get(d, d)} for d in row["deductions"]],
        "veto": {"id": veto.id, "label": veto.label, "grade": veto.grade} if veto else None,
        "notes": localize_reasons(row["reasons"], t) if kind != "rollup" else
        period_notes(policy, row, period_order, history or {}, t)
        + localize_reasons([r for r in row["reasons"] if row["status"] != "rated"
                            or getattr(r, "code", None) != "rollup_period"], t),
        "suggestions": list(row["suggestions"]),
        "below": [i["label"] for i in indicators if i["below"]],
        "profile_chart": bar_chart([(i["label"], i["score"], None) for i in indicators if not i["excluded"]],
                                   kind="score", reference=100),
        "trend": trend if kind == "rollup" else [],
        "trend_chart": line_chart(period_order, [(str(row["employee_id"] or ""), [p["final"] for p in trend])])
        if kind == "rollup" else None,
    }


def person_line(policy: Policy, row: Row, moves: dict[Any, Row], t: Labels, cache: dict[Any, Any]) -> Row:
    """One person in a large report: what the per-team table prints (the full block, `person`, is the
    review sheet's). `indicators` holds only what the team suggestions count (id, label, below).
    `cache` keeps what is the same for many people (a role's indicators, a grade's label) between calls."""
    rated = row["status"] == "rated"
    role = policy.roles.get(row["role"])
    if not cache:
        cache["edges"] = [g.min for g in policy.grades if g.min is not None]
        cache["grades"] = {g.grade: (g.label, grade_tone(policy, g.grade)) for g in policy.grades}
    label, tone = cache["grades"].get(row["grade"], (None, None)) if rated and row["grade"] else (None, None)
    move = moves.get(row["employee_id"]) if rated and row["employee_id"] is not None else None
    key = ("role", row["role"])
    if key not in cache:
        plans = {plan.indicator: plan for plan in role.plans} if role else {}
        cache[key] = [(ind.id, plans[ind.id].label if ind.id in plans else ind.label) for ind in policy.indicators]
    indicators = []
    if rated:
        entries = row["indicators"]
        indicators = [{"id": ind_id, "label": ind_label, "below": below_target(entries[ind_id])}
                      for ind_id, ind_label in cache[key] if ind_id in entries]
    where = row_where(row)
    return {
        "anchor": anchor(row["employee_id"], where),
        "employee_id": row["employee_id"], "name": row["name"], "who": t.who(row["name"], row["employee_id"]),
        "role": row["role"], "role_label": role.label if role else row["role"], "team": row["team"],
        "period": row["period"], "line": where, "status": row["status"],
        "status_label": t.status(row["status"]), "rated": rated, "indicators": indicators,
        "final": row["final"], "grade": row["grade"], "grade_label": label, "grade_tone": tone,
        "final_edges": cache["edges"],
        "grade_before": row["grade_before_distribution"], "pay_coefficient": row["pay_coefficient"],
        "move": {"from": move["from"], "to": move["to"], "tied": move["tied_at_cut"], "applied": move["applied"],
                 "why": move["why"]} if move else None,
        "suggestions": list(row["suggestions"]),
        "below": [i["label"] for i in indicators if i["below"]],
    }


def team_suggestions(people: list[Row], teams: list[str | None], t: Labels,
                     team_scope: dict[Any, list[Row]] | None = None) -> list[Row]:
    """Per team: the policy's team suggestions, then each employee suggestion with how many members it was
    made for, and the indicators most often below target."""
    by_team: dict[Any, list[Row]] = {}
    for p in people:
        if p["rated"]:
            by_team.setdefault(p["team"], []).append(p)
    out = []
    for team in teams:
        members = by_team.get(team, [])
        texts = Counter(s for p in members for s in p["suggestions"])
        order = {s: k for k, s in enumerate(dict.fromkeys(s for p in members for s in p["suggestions"]))}
        below = most_below(members)
        ranked = sorted(texts.items(), key=lambda x: (-x[1], order[x[0]]))
        own = [{"text": s["text"], "count": s["members"]} for s in (team_scope or {}).get(team, [])]
        out.append({"team": team, "headcount": len(members),
                    "items": own + [{"text": s, "count": c} for s, c in ranked],
                    "below": below,
                    "below_text": t["list_sep"].join(t.fill("paren", label=b["label"], detail=t.fill(
                        "count_of", count=b["count"], of=b["of"])) for b in below)})
    return out


def most_below(members: list[Row], limit: int = 3) -> list[Row]:
    """The indicators below target for the most people: label, count, and of how many it was judged."""
    counts: dict[str, int] = {}
    judged: dict[str, int] = {}
    labels: dict[str, str] = {}  # each id's first label, in the order first judged
    for p in members:
        for ind in p["indicators"]:
            below = ind["below"]
            if below is None:
                continue
            key = ind["id"]
            if key in judged:
                judged[key] += 1
            else:
                judged[key] = 1
                labels[key] = ind["label"]
            if below:
                counts[key] = counts.get(key, 0) + 1
    order = {ind_id: k for k, ind_id in enumerate(labels)}
    ranked = sorted(counts.items(), key=lambda x: (-x[1], -x[1] / judged[x[0]], order[x[0]]))
    return [{"id": ind_id, "label": labels[ind_id], "count": c, "of": judged[ind_id],
             "share": round(c / judged[ind_id], 4)} for ind_id, c in ranked[:limit]]
