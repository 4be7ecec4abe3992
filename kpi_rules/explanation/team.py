"""Steps of `kpi-rules explain` shared by a role's and the team's indicators, and the team part:
each team indicator's aggregate, achievement, score and points, the team score, and how it
enters the total (blend or coefficient).

Split from explain.py to keep both modules short.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from kpi_rules.common.rounding import round_decimal
from kpi_rules.engine.scoring import at_least, score_plan
from kpi_rules.policy.formula import ColumnEvaluator
from kpi_rules.policy.model import Plan, Policy, Team
from kpi_rules.results.display import edge_decimals, plan_edges
from kpi_rules.results.explain_words import messages
from kpi_rules.results.model import FLAG_WORDS, TREATMENTS, shown

DECIMALS = 4  # intermediate figures: enough to redo each sum by hand


def num(value: Any, decimals: int = DECIMALS) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return _figure(float(value), decimals)


@lru_cache(maxsize=8192)
def _figure(value: float, decimals: int) -> str:
    """A float as `num` writes it. Kept: an explanation writes the policy's own figures (targets,
    band edges, points) again and again; 0.0 and -0.0, the only equal floats, are written alike."""
    s = shown(value, decimals)
    return "—" if s is None else f"{s:,}" if abs(s) >= 10000 else str(s)


def edged(value: Any, edges: list[float]) -> str:
    """`num`, with as many more decimals as keep the value on its side of each edge (a target, a band)."""
    if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool):
        return num(value, edge_decimals(float(value), DECIMALS, edges))
    return num(value)


def pct(fraction: float) -> str:
    return f"{num(fraction * 100, 6)}%"


def raw_figure(value: float, final: float, decimals: int, mode: str) -> str:
    """An unrounded result at the precision of the figures it adds, with more decimals only
    where that precision would round to another final than the engine's."""
    for places in (DECIMALS, 6, 8, 10):
        text = num(value, places)
        figure = shown(float(value), places)
        if figure is None or round_decimal(float(figure), decimals, mode) == round_decimal(final, decimals, mode):
            return text
    return text


class Steps:
    """Lines of one explanation, in `locale`'s words (None: the policy's locale)."""

    def __init__(self, policy: Policy, locale: str | None = None) -> None:
        self.locale = locale or policy.locale
        self.m = messages(self.locale)
        self.lines: list[str] = []

    def say(self, key: str, **values: Any) -> None:
        self.lines.append(self.m[key].format(**values))

    def flags(self, fail: int) -> str:
        """Why an indicator has no value, from its fail code."""
        return self.flag_word(FLAG_WORDS.get(fail, "missing"))

    def flag_word(self, word: str) -> str:
        return self.m.get(f"flag.{word}", word)

    def score_lines(self, plan: Plan, actual: float, ach: float, score: float, step: int) -> None:
        scale = plan.scale
        on_actual, on_achievement = plan_edges(plan)
        best = plan.target is not None and plan.direction == "lower" and actual == 0
        if best:  # POLICY_FORMAT 2.3 as amended: 0 is the best result, never missing
            self.say("achievement.best_cap" if scale.cap is not None else "achievement.best", cap=num(scale.cap))
        elif plan.target is not None:
            key = "achievement.lower" if plan.direction == "lower" else "achievement.higher"
            cap = self.m["achievement.cap"].format(cap=num(scale.cap)) if scale.cap is not None else ""
            self.lines.append(self.m[key].format(actual=edged(actual, on_actual), target=num(plan.target),
                                                 value=edged(ach, on_achievement)) + cap)
        pts = scale.points
        if scale.type == "bands":
            band = scale.bands[step]
            x = ach if scale.basis == "achievement" else actual
            basis = self.m["basis.achievement" if scale.basis == "achievement" else "basis.value"]
            if best and scale.basis == "achievement" and scale.cap is None:
                self.say("band.top", score=num(score))
            elif band.min is None:
                self.say("band.last", score=num(score))
            else:
                x_edges = on_achievement if scale.basis == "achievement" else on_actual
                self.say("band", basis=basis, x=edged(x, x_edges), min=num(band.min), score=num(score))
        elif scale.type == "linear":
            words = dict(floor=num(plan.floor), target=num(plan.target), stretch=num(plan.stretch),
                         actual=edged(actual, on_actual),
                         p_floor=num(pts.get("floor")), p_target=num(pts.get("target")),
                         p_stretch=num(pts.get("stretch")), score=num(score), ach=edged(ach, on_achievement))
            if plan.floor is None or plan.stretch is None:
                self.say("linear.simple", **words)
            else:
                self.say(["linear.below", "linear.rise", "linear.stretch", "linear.cap"][step], **words)
        elif scale.formula is not None:
            self.say("formula.scale", formula=scale.formula.source, score=num(score))


def _nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def team_part(steps: Steps, team: Team, entry: dict[str, Any] | None, individual: float, team_score: float,
              coefficient: float) -> float:
    """The team's indicators, its score and how it enters this row's total; returns the total
    before bonuses and deductions."""
    if entry is None or np.isnan(team_score):
        if entry is not None:
            _indicators(steps, team, entry)
        else:
            steps.lines.append("")
        steps.say("team.unavailable")
        return individual
    terms = _indicators(steps, team, entry)
    steps.say("team.total", terms=" + ".join(terms), value=num(team_score))
    if team.blend is not None:
        total = (1 - team.blend) * individual + team.blend * team_score
        steps.say("team.blend", b=pct(team.blend), individual=num(individual), team=num(team_score), value=num(total))
        return total
    step = next((s for s in team.coefficient
                 if s.min is None or at_least(np.array([team_score]), s.min)[0]), None)
    if step is not None and step.min is not None:
        steps.say("team.coefficient", score=num(team_score), min=num(step.min), value=num(coefficient))
    else:
        steps.say("team.coefficient.last", score=num(team_score), value=num(coefficient))
    return individual


def _indicators(steps: Steps, team: Team, entry: dict[str, Any]) -> list[str]:
    """Each team indicator as the individual ones are shown; returns the points added."""
    steps.lines.append("")
    steps.say("team.indicators", team=entry["team"])
    terms = []
    for n, ti in enumerate(team.indicators, start=1):
        got = entry["indicators"][ti.id]
        steps.say("indicator", n=n, label=ti.plan.label, id=ti.id, weight=pct(_nan(got["weight"])))
        steps.say("team.formula", formula=ti.formula.source, actual=num(got["actual"]), team=entry["team"])
        actual = np.array([_nan(got["actual"])])
        scored = score_plan(actual, np.zeros(1, dtype=np.int8), ti.plan, ColumnEvaluator())
        fail = [f for f in got["flags"] if f not in TREATMENTS]
        if fail:
            treated = next((f for f in got["flags"] if f in TREATMENTS), "zero")
            steps.say("missing", flags=steps.flag_word(fail[0]), treatment=steps.m[f"treat.{treated}"])
            if treated == "excluded":
                continue
        else:
            steps.score_lines(ti.plan, actual[0], _nan(got["achievement"]), _nan(got["score"]), int(scored.step[0]))
        steps.say("points", weight=pct(_nan(got["weight"])), score=num(got["score"] or 0),
                  weighted=num(got["weighted"]))
        terms.append(num(got["weighted"]))
    return terms
