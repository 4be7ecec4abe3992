"""Which parts of a policy the test cases reached: every band of every
scale in use (and each segment of linear scales), every grade, bonus,
deduction, veto and suggestion rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kpi_rules.engine import Evaluation
from kpi_rules.engine.scoring import score_plan
from kpi_rules.policy.formula import ColumnEvaluator
from kpi_rules.policy.model import Plan, Policy, Scale

SEGMENTS = ("below floor", "floor to target", "target to stretch", "at or above stretch")
KINDS = ("band", "grade", "bonus", "deduction", "veto", "suggestion")


@dataclass(frozen=True, order=True)
class Item:
    kind: str
    key: str  # `achievement_bands[0]`, `A`, `cross_dept`
    label: str = field(compare=False, default="")


def _plans(policy: Policy) -> list[Plan]:
    plans = [p for role in policy.roles.values() for p in role.plans]
    if policy.team:
        plans += [ti.plan for ti in policy.team.indicators]
    return plans


def _segmented(plan: Plan) -> bool:
    return plan.scale.type == "linear" and None not in (plan.floor, plan.target, plan.stretch)


def _band_items(scale: Scale) -> list[Item]:
    if scale.type == "bands":
        out = []
        for i, band in enumerate(scale.bands):
            edge = f">= {band.min:g}" if band.min is not None else "catch-all"
            out.append(Item("band", f"{scale.id}[{i}]", f"{scale.id} band {i + 1} ({edge}"
                            + (f", {band.label})" if band.label else ")")))
        return out
    return [Item("band", f"{scale.id}[{i}]", f"{scale.id}: {words}") for i, words in enumerate(SEGMENTS)]


def universe(policy: Policy) -> list[Item]:
    """Everything a complete test suite for `policy` reaches."""
    items: list[Item] = []
    scales: dict[str, Scale] = {}
    for plan in _plans(policy):
        if plan.scale.type == "bands" or _segmented(plan):
            scales.setdefault(plan.scale.id, plan.scale)
    for scale in scales.values():
        items += _band_items(scale)
    items += [Item("grade", g.grade, f"grade {g.grade}") for g in policy.grades]
    items += [Item("bonus", b.id, f"bonus {b.id}") for b in policy.bonuses]
    items += [Item("deduction", d.id, f"deduction {d.id}") for d in policy.deductions]
    items += [Item("veto", v.id, f"veto {v.id}") for v in policy.vetoes]
    items += [Item("suggestion", s.id, f"suggestion {s.id}") for s in policy.suggestions if s.scope == "employee"]
    return items


def _band_keys(plan: Plan, steps: Any) -> set[tuple[str, str]]:
    if plan.scale.type != "bands" and not _segmented(plan):
        return set()
    return {("band", f"{plan.scale.id}[{int(s)}]") for s in np.unique(steps) if s >= 0}


def _team_keys(policy: Policy, teams: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Team scores are reported per team with display precision; re-scoring the
    reported actual gives the band (exact unless it sits within 1e-4 of an edge)."""
    if policy.team is None:
        return set()
    out: set[tuple[str, str]] = set()
    evaluator = ColumnEvaluator()
    for ti in policy.team.indicators:
        actuals = [t["indicators"][ti.id]["actual"] for t in teams if ti.id in t.get("indicators", {})]
        values = np.array([a for a in actuals if a is not None], dtype=np.float64)
        if len(values):
            scored = score_plan(values, np.zeros(len(values), dtype=np.int8), ti.plan, evaluator)
            out |= _band_keys(ti.plan, scored.step)
    return out


def _suggestion_ids(policy: Policy, fired: list[str]) -> set[str]:
    """Suggestions as reported (their text, or their id) -> ids."""
    by_text = {s.text: s.id for s in policy.suggestions}
    return {by_text.get(f, f) for f in fired}


def reached(evaluation: Evaluation) -> set[tuple[str, str]]:
    """What one evaluation reached. Bands come from the engine's band/segment columns;
    everything else from the section-3 rows."""
    policy, res = evaluation.policy, evaluation.result
    rated = res.status == "rated"
    keys: set[tuple[str, str]] = set()
    for role in policy.roles.values():
        rows = rated & (res.role == role.id)
        for plan in role.plans:
            column = res.indicators.get(plan.indicator)
            if column is not None and rows.any():
                keys |= _band_keys(plan, column.step[rows & column.applies])
    keys |= _team_keys(policy, res.teams)
    for row in res.employees():
        if row["status"] != "rated":
            continue
        keys |= {("grade", str(row["grade"])), ("grade", str(row["grade_before_distribution"]))}
        keys |= {("bonus", b) for b in row["bonuses"]} | {("deduction", d) for d in row["deductions"]}
        if row["veto"] is not None:
            keys.add(("veto", str(row["veto"])))
        keys |= {("suggestion", s) for s in _suggestion_ids(policy, row.get("suggestions") or [])}
    return keys


@dataclass
class CoverageReport:
    policy: str
    items: list[Item]
    hit: set[tuple[str, str]]

    @property
    def missed(self) -> list[Item]:
        return [i for i in self.items if (i.kind, i.key) not in self.hit]

    @property
    def percent(self) -> float:
        return 100.0 if not self.items else 100.0 * (len(self.items) - len(self.missed)) / len(self.items)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "items": len(self.items), "reached": len(self.items) - len(self.missed),
                "percent": round(self.percent, 1),
                "not_reached": {kind: [i.key for i in self.missed if i.kind == kind] for kind in KINDS}}


class Coverage:
    """Coverage per policy file, accumulated over every case that ran."""

    def __init__(self) -> None:
        self._policies: dict[str, Policy] = {}
        self._hit: dict[str, set[tuple[str, str]]] = {}

    def register(self, file: str, policy: Policy) -> None:
        self._policies.setdefault(file, policy)
        self._hit.setdefault(file, set())

    def add(self, file: str, evaluation: Evaluation) -> None:
        self.register(file, evaluation.policy)
        self._hit[file].update(reached(evaluation))

    def reports(self) -> list[CoverageReport]:
        return [CoverageReport(file, universe(self._policies[file]), self._hit[file])
                for file in sorted(self._policies)]
