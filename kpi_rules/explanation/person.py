"""The whole calculation for one employee, in plain words, in the policy's
locale or another catalogue's (`locale`, "en" or "zh-CN"); labels stay as the policy writes them.

Built from the evaluation's columns, so it shows exactly what the engine
computed; an HR analyst can redo every sum from it by hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.common.periods import parse_period
from kpi_rules.common.text import visible
from kpi_rules.engine import Evaluation
from kpi_rules.explanation.lookup import Lookup
from kpi_rules.explanation.team import Steps, edged, raw_figure, team_part
from kpi_rules.explanation.team import num as _n
from kpi_rules.explanation.team import pct as _pct
from kpi_rules.policy.formula import Formula
from kpi_rules.policy.model import Plan
from kpi_rules.results.display import plan_edges
from kpi_rules.results.model import TREATMENTS
from kpi_rules.results.reasons import Reason, Word, say

# Reasons the explanation's own lines already say (with the policy's words), not listed again.
_TOLD = {"adjustment_unknown", "adjustment_failed", "distribution_move", "distribution_tie", "veto_sets_grade",
         "team_unavailable", "calibrated", "calibration_overrides_veto"}


class EmployeeNotFound(KpiRulesError):
    """No row for this employee in the evaluated period."""


def _code(reason: str) -> str:
    return reason.code if isinstance(reason, Reason) else ""


class _Explainer(Steps):
    def __init__(self, ev: Evaluation, index: int, lookup: Lookup, locale: str | None = None) -> None:
        super().__init__(ev.policy, locale)
        self.ev, self.policy, self.res, self.i, self.lookup = ev, ev.policy, ev.result, index, lookup
        self._names: tuple[dict[str, Any], dict[str, Any]] | None = None

    def row_values(self) -> dict[str, Any]:
        """The input row behind this result (inputs and reserved columns)."""
        table = self.ev.table
        r = self.lookup.input_row(self.ev, self.res.employee_id[self.i], self.res.row_period[self.i])
        if r is None:
            return {}
        values = {k: v[r] for k, v in table.text.items()}
        values.update({k: v[r] for k, v in table.numbers.items()})
        return values

    def run(self) -> list[str]:
        res, i = self.res, self.i
        role = self.policy.roles.get(res.role[i])
        self.say("heading", name=res.name[i] or "", employee_id=res.employee_id[i],
                 role=role.label if role else res.role[i], team=res.team[i] or "—", period=res.row_period[i] or "—")
        self.say("status", status=self.m[f"status.{res.status[i]}"])
        if self.ev.kind == "rollup":
            self.rollup()
        elif res.status[i] == "rated" and role is not None:
            self.indicators(role.plans)
            self.total()
        told = _TOLD if res.status[i] == "rated" else set()
        for reason in res.reasons[i]:
            if _code(reason) not in told:
                self.say("reason", reason=say(reason, self.locale))
        if res.status[i] == "rated":
            self.grade()
        return self.lines

    def reads(self, formula: Formula, values: dict[str, Any]) -> str:
        parts = []
        for name in sorted(formula.names):
            value = values.get(name)
            if value is None and name in self.res.indicators:
                value = self.res.indicators[name].actual[self.i]
            parts.append(f"{name} = {_n(value) if not isinstance(value, float) or value == value else '—'}")
        return ", ".join(parts)

    def indicators(self, plans: tuple[Plan, ...]) -> None:
        values = self.row_values()
        self.lines.append("")
        self.lines.append(self.m["indicators"])
        terms = []
        for n, plan in enumerate(plans, start=1):
            col = self.res.indicators[plan.indicator]
            i = self.i
            ind = self.policy.indicator(plan.indicator)
            self.say("indicator", n=n, label=plan.label, id=plan.indicator, weight=_pct(col.effective_weight[i]))
            self.say("formula", formula=ind.formula.source, actual=edged(col.actual[i], plan_edges(plan)[0]))
            if ind.formula.names - {ind.id} or ind.formula.source != ind.id:
                self.say("reads", values=self.reads(ind.formula, values))
            if col.fail[i]:
                treated = TREATMENTS[col.treatment[i]]
                self.say("missing", flags=self.flags(int(col.fail[i])), treatment=self.m[f"treat.{treated}"])
                if treated == "excluded":
                    continue
            else:
                self.score_lines(plan, col.actual[i], col.achievement[i], col.score[i], int(col.step[i]))
            self.say("points", weight=_pct(col.effective_weight[i]), score=_n(col.score[i] if not col.fail[i] else 0),
                     weighted=_n(col.weighted[i]))
            terms.append(_n(col.weighted[i]))
        self.say("individual", terms=" + ".join(terms), value=_n(self.res.individual[self.i]))

    def total(self) -> None:
        res, i, team = self.res, self.i, self.policy.team
        values = self.row_values()
        total = res.individual[i]
        if team is not None:
            key = values.get(team.key, res.team[i]) if team.key != "team" else res.team[i]
            entry = self.lookup.team(key)
            total = team_part(self, team, entry, res.individual[i], res.team_score[i], res.coefficient_team[i])
        self.lines.append("")
        self.adjustments("bonus", self.policy.bonuses, res.bonuses[i], self.policy.bonus_cap, values)
        self.adjustments("deduction", self.policy.deductions, res.deductions[i], self.policy.deduction_cap, values)
        # The engine's own sum; shown at the precision of its figures, then rounded once.
        raw = (total + res.bonus[i] - res.deduction[i]) * res.coefficient_team[i]
        words = dict(total=_n(total), bonus=_n(res.bonus[i]), deduction=_n(res.deduction[i]),
                     coefficient=_n(res.coefficient_team[i]), raw=self.raw(raw))
        self.say("final.coefficient" if team is not None and team.coefficient else "final.plain", **words)
        self.say("rounding", mode=self.policy.rounding_mode, decimals=self.policy.decimals,
                 value=_n(res.final[i], self.policy.decimals))

    def raw(self, value: float) -> str:
        return raw_figure(value, self.res.final[self.i], self.policy.decimals, self.policy.rounding_mode)

    def adjustments(self, kind: str, items: Any, fired: list[str], cap: float | None, values: dict[str, Any]) -> None:
        undecided = {r.params["id"]: r for r in self.res.reasons[self.i] if isinstance(r, Reason)
                     and r.code in ("adjustment_unknown", "adjustment_failed") and r.params["kind"] == kind}
        for item in items:
            when = f"{item.when.source} ({self.reads(item.when, values)})"
            words = dict(kind=self.m[f"{kind}.kind"], id=item.id, label=item.label, when=when)
            if item.id in fired:
                points = _n(self.evaluate(item.points, values))
                if item.points.names:
                    points = f"{item.points.source} = {points}"
                self.say(kind, id=item.id, label=item.label, when=when, points=points)
            elif item.id in undecided and undecided[item.id].code == "adjustment_failed":
                self.say("not.failed", why=Word(str(undecided[item.id].params["why"])).say(self.locale), **words)
            else:
                self.say("not.missing" if item.id in undecided else "not.fired", **words)
        raw_total = sum(self.evaluate(item.points, values) for item in items if item.id in fired)
        if cap is not None and raw_total > cap:
            self.say("cap", kind=self.m[f"{kind}.kind"], cap=_n(cap), total=_n(raw_total))

    def evaluate(self, formula: Formula, values: dict[str, Any]) -> float:
        """One formula for this one row (a batch of one)."""
        from kpi_rules.policy.formula import ColumnEvaluator

        if self._names is None or self._names[0] is not values:  # the row's columns, once per row
            names = {k: np.array([v], dtype=object if isinstance(v, str) or v is None else np.float64)
                     for k, v in values.items()}
            names.update({k: c.actual[self.i:self.i + 1] for k, c in self.res.indicators.items() if k not in names})
            self._names = (values, names)
        return float(ColumnEvaluator().evaluate(formula, self._names[1], 1).values[0])

    def grade(self) -> None:
        res, i = self.res, self.i
        before = res.grade_before_distribution[i]
        after = res.grade_before_calibration[i] if res.calibrated else res.grade[i]
        if res.veto[i] is not None:
            veto = next(v for v in self.policy.vetoes if v.id == res.veto[i])
            self.say("veto", id=veto.id, label=veto.label, grade=veto.grade)
        else:
            g = self.policy.grade(before)
            key = "grade" if g.min is not None else "grade.last"
            self.say(key, grade=g.grade, label=g.label, final=_n(res.final[i], self.policy.decimals), min=_n(g.min))
        if before != after:
            why = next((r for r in res.reasons[i] if _code(r).startswith("distribution")), None)
            if isinstance(why, Reason) and why.code in ("distribution_move", "distribution_tie"):
                key = "distribution.tie" if why.code == "distribution_tie" else "distribution.move"
                params = {k: str(v) for k, v in why.params.items()}
                params["group"] = (self.m["in_department"] if params.get("scope") == "all"
                                   else self.m["in_team"].format(team=params.get("group", "")))
                self.say(key, before=before, after=after, **params)
            else:
                self.say("distribution", before=before, after=after, why=say(why or "", self.locale))
        self.calibration(after)
        self.say("pay", value=_n(res.pay_coefficient[i]))
        if res.suggestions and res.suggestions[i]:
            self.lines.append("")
            self.lines.append(self.m["suggestions"])
            self.lines.extend(f"  - {s}" for s in res.suggestions[i])

    def calibration(self, before: str) -> None:
        """The calibration step, if this row's grade was calibrated (after forced distribution)."""
        record = self.res.calibration.get(self.i)
        if record is None:
            return
        if record.get("override_veto"):
            self.say("calibration.veto", id=self.res.veto[self.i])
        self.say("calibration", before=before, after=record["grade"], by=record["by"],
                 approved_by=record["approved_by"], date=record["date"], reason=record["reason"])
        if record.get("note"):
            self.say("calibration.note", note=record["note"])

    def rollup(self) -> None:
        rollup = self.policy.rollup
        assert rollup is not None
        self.lines.append("")
        self.say("rollup", period=self.res.period, method=self.m[f"method.{rollup.method}"])
        rated: list[tuple[str, float]] = []
        for period, part in self.res.periods[self.i].items():
            final = "" if part["final"] is None else self.m["rollup.final"].format(
                final=_n(part["final"], self.policy.decimals), grade=part["grade"])
            self.say("rollup.period", period=period, status=self.m[f"status.{part['status']}"], final=final)
            if part["status"] == "rated":
                rated.append((period, float(part["final"])))
        if self.res.status[self.i] == "rated" and rated:
            self.say("rollup.combined", formula=_combination(rollup.method, rollup.weights, rated),
                     raw=self.raw(_combined(rollup.method, rollup.weights, rated)))
            self.say("rounding", mode=self.policy.rounding_mode, decimals=self.policy.decimals,
                     value=_n(self.res.final[self.i], self.policy.decimals))


def _weights(weights: dict[str, float], rated: list[tuple[str, float]]) -> list[float]:
    return [weights.get(parse_period(period).label, 0.0) for period, _ in rated]


def _combination(method: str, weights: dict[str, float], rated: list[tuple[str, float]]) -> str:
    """The roll-up sum written out, e.g. (20% × 109.75 + 30% × 97.54) / 50%."""
    if method == "last":
        return _n(rated[-1][1])
    if method == "weighted":
        w = _weights(weights, rated)
        terms = " + ".join(f"{_pct(x)} × {_n(f)}" for x, (_, f) in zip(w, rated))
        return f"({terms}) / {_pct(sum(w))}"
    return f"({' + '.join(_n(f) for _, f in rated)}) / {len(rated)}"


def _combined(method: str, weights: dict[str, float], rated: list[tuple[str, float]]) -> float:
    if method == "last":
        return rated[-1][1]
    if method == "weighted":
        w = _weights(weights, rated)
        return sum(x * f for x, (_, f) in zip(w, rated)) / sum(w) if sum(w) else float("nan")
    return sum(f for _, f in rated) / len(rated)


def explain(ev: Evaluation, employee_id: str, locale: str | None = None) -> list[str]:
    """The lines of the calculation for every row of `employee_id`, control characters shown as escapes,
    in `locale`'s words ("en" or "zh-CN"; None: the policy's locale)."""
    matches = [i for i in range(ev.result.n) if ev.result.employee_id[i] == employee_id]
    if not matches:
        known = [str(e) for e in ev.result.employee_id if e is not None]
        from kpi_rules.common.suggest import did_you_mean

        hint = did_you_mean(employee_id, known)
        where = f" in {ev.period}" if ev.period else ""
        raise EmployeeNotFound(visible(f"no row for employee {employee_id}{where}" + (f"; {hint}" if hint else "")))
    return explain_rows(ev, matches, locale=locale)


def explain_rows(ev: Evaluation, rows: list[int], lookup: Lookup | None = None,
                 locale: str | None = None) -> list[str]:
    """`explain`'s lines for these result rows (one employee's, found by the caller, e.g. by an index);
    `lookup`, the evaluation's `Lookup.of`, when the caller keeps one for many explanations;
    `locale` as in `explain`."""
    lookup = lookup or Lookup.of(ev)
    out: list[str] = []
    for i in rows:
        out.extend(_Explainer(ev, i, lookup, locale).run())
        out.append("")
    return [visible(line) for line in out]  # names and labels from the data or policy may hold control characters
