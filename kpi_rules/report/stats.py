"""Aggregates for the team overview: headcount, mean and median final, grade
distribution, indicator-group attainment, best and weakest indicators.

Every figure is computed here, in Python, from the section-3 employee dicts;
templates only lay them out.
"""

from __future__ import annotations

from typing import Any

from kpi_rules.policy.model import Policy
from kpi_rules.report.charts import bar_chart
from kpi_rules.results.figures import final_figures, grade_counts, mean, rounded

Row = dict[str, Any]
TOP_N = 3


def below_target(ind: Row) -> bool | None:
    """Below target: achievement under 100%. None for indicators without a target (direct or
    value-banded scores) or without a value, which are not judged."""
    if ind.get("achievement") is None or "excluded" in ind.get("flags", []):
        return None
    return bool(ind["achievement"] < 1 - 1e-9)


def indicator_stats(policy: Policy, rated: list[Row]) -> list[Row]:
    """Per indicator used by these rows: mean score, mean achievement, how many below target."""
    out = []
    for ind in policy.indicators:
        entries = [r["indicators"][ind.id] for r in rated if ind.id in r["indicators"]]
        if not entries:
            continue
        scores = [e["score"] for e in entries if e["score"] is not None and "excluded" not in e["flags"]]
        achievements = [e["achievement"] for e in entries if e["achievement"] is not None]
        verdicts = [below_target(e) for e in entries]
        judged = [v for v in verdicts if v is not None]
        out.append({
            "id": ind.id, "label": ind.label, "group": ind.group,
            "group_label": policy.groups.get(ind.group, ind.group) if ind.group else None,
            "n": len(entries), "mean_score": rounded(mean(scores), 2),
            "mean_achievement": rounded(mean(achievements), 4),
            "below": sum(judged), "judged": len(judged),
            "below_share": rounded(sum(judged) / len(judged), 4) if judged else None,
        })
    return out


def group_stats(policy: Policy, indicators: list[Row]) -> list[Row]:
    """Each indicator group's mean achievement and mean score over its (row, indicator) pairs."""
    out = []
    order = [*policy.groups, None]
    for gid in order:
        members = [i for i in indicators if i["group"] == gid]
        if not members:
            continue
        pairs_ach = [(i["mean_achievement"], i["n"]) for i in members if i["mean_achievement"] is not None]
        pairs_score = [(i["mean_score"], i["n"]) for i in members if i["mean_score"] is not None]
        out.append({
            "id": gid, "label": policy.groups.get(gid, gid) if gid else None,
            "indicators": [i["label"] for i in members],
            "mean_achievement": _weighted(pairs_ach, 4), "mean_score": _weighted(pairs_score, 2),
        })
    return out


def _weighted(pairs: list[tuple[float, int]], decimals: int) -> float | int | None:
    total = sum(n for _, n in pairs)
    return rounded(sum(v * n for v, n in pairs) / total, decimals) if total else None


def top_bottom(indicators: list[Row]) -> tuple[list[Row], list[Row]]:
    """The best and weakest indicators by mean score; never the same indicator in both."""
    ranked = sorted((i for i in indicators if i["mean_score"] is not None), key=lambda i: -i["mean_score"])
    k = min(TOP_N, len(ranked) // 2)
    return ranked[:k], list(reversed(ranked))[:k]


def overview(policy: Policy, name: str | None, rows: list[Row], label: str) -> Row:
    """The overview block for one team (or the department, `name` None)."""
    rated = [r for r in rows if r["status"] == "rated"]
    finals = [float(r["final"]) for r in rated if r["final"] is not None]
    indicators = indicator_stats(policy, rated)
    top, bottom = top_bottom(indicators)
    grades = grade_counts([(g.grade, g.label) for g in policy.grades], [r["grade"] for r in rated])
    return {
        "team": name, "label": label, "headcount": len(rated), "rows": len(rows),
        "not_rated": sum(1 for r in rows if r["status"] == "not_rated"),
        "error": sum(1 for r in rows if r["status"] == "error"),
        **final_figures(finals, policy.decimals),
        "grades": grades, "groups": group_stats(policy, indicators), "indicators": indicators,
        "top": top, "bottom": bottom,
        "grade_chart": bar_chart([(f"{g['grade']} {g['label']}" if g["label"] != g["grade"] else g["grade"],
                                   g["count"], g["grade"]) for g in grades], kind="count"),
        "indicator_chart": bar_chart([(i["label"], i["mean_score"], None) for i in indicators
                                      if i["mean_score"] is not None], kind="score", reference=100),
    }
