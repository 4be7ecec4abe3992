"""Work on a stored evaluation in a worker process: explain one employee, render a report or a
workbook, each from the caller's rows alone. Each worker keeps the evaluations it computed last
(an LRU keyed by evaluation id and results hash), so that a read after the first costs the
explanation or the report only, not the evaluation again."""

from __future__ import annotations

import dataclasses
import io
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kpi_rules.engine import Evaluation
from kpi_rules.explanation.lookup import Lookup
from kpi_rules.explanation.person import explain_rows
from kpi_rules.results.subset import take_rows
from kpi_rules.serve.visibility import View, scoped_counts
from kpi_rules.serve.worker import Failure, Job, evaluation_of, scope_counts


@dataclass(frozen=True)
class Miss:
    """The worker does not hold this evaluation: call again with its job."""


@dataclass
class Held:
    evaluation: Evaluation
    lookup: Lookup  # employee id -> result rows, input rows; team -> its entry


_HELD: OrderedDict[str, Held] = OrderedDict()


def on_stored(key: str, job: Job | None, keep: int, op: Callable[..., Any], *args: Any) -> Any:
    """`op(held, *args)` on the evaluation `key`: the one this worker holds, else `job` evaluated
    (Miss without one). Keeps the `keep` evaluations used last."""
    held = _HELD.get(key)
    if held is None:
        if job is None:
            return Miss()
        ev = evaluation_of(job)
        if isinstance(ev, Failure):
            return ev
        held = Held(ev, Lookup.of(ev))
        _HELD[key] = held
        while len(_HELD) > max(keep, 1):
            _HELD.popitem(last=False)
    _HELD.move_to_end(key)
    return op(held, *args)


def narrow(ev: Evaluation, view: View) -> Evaluation:
    """The evaluation as this caller may see it: their rows alone (summary, teams, distribution
    groups all theirs, counts over their rows), computed as if the data held only those rows."""
    if view.everything:
        return ev
    res = ev.result
    teams = view.teams or frozenset()
    if view.employee_id is not None:
        mask = [e == view.employee_id for e in res.employee_id.tolist()]
    else:
        mask = [t in teams for t in res.team.tolist()]
    rows = np.flatnonzero(np.array(mask, dtype=bool))
    result = take_rows(res, rows, keep_team=(lambda t: False) if view.employee_id is not None else teams.__contains__)
    _, others = scoped_counts(view, scope_counts(ev))
    table = dataclasses.replace(ev.table, notes=[])  # file-level notes may quote a cell of anyone's row
    return dataclasses.replace(ev, result=result, other_periods=others, table=table, calibrations=())


def explain_op(held: Held, employee_id: str, locale: str | None = None) -> list[str] | Failure:
    rows = held.lookup.results.get(employee_id)
    if not rows:
        return Failure(404, f"no employee {employee_id} in this evaluation")
    return explain_rows(held.evaluation, rows, held.lookup, locale)


def report_op(held: Held, fmt: str, view: View, employee_id: str | None) -> bytes | Failure:
    """The review report (md, html, csv) or workbook (xlsx) from the caller's rows alone; an
    employee's report is their own review sheet, without any team section."""
    ev = narrow(held.evaluation, view)
    if fmt == "xlsx":
        from kpi_rules.writers.results_xlsx import write_xlsx

        out = io.BytesIO()
        write_xlsx(ev, out, own_only=view.employee_id is not None)  # an employee's: no team, average, distribution
        return out.getvalue()
    if fmt == "csv":
        from kpi_rules.writers.results_csv import to_csv

        return to_csv(ev).encode("utf-8")
    from kpi_rules.report import ReportTemplateError, employee_context, render_html, render_markdown, report_context
    from kpi_rules.report.environment import render

    own_only = view.employee_id is not None
    if own_only and employee_id is None:
        employee_id = view.employee_id
    try:
        if employee_id is None:
            return (render_markdown(ev) if fmt == "md" else render_html(ev)).encode("utf-8")
        context = report_context(ev)  # as iter_employee_sheets renders one sheet
        if not any(p["employee_id"] == employee_id for p in context["people"]):
            return Failure(404, f"no employee {employee_id} in this evaluation")
        sheet = employee_context(context, employee_id, team_section=not own_only)
        return render(fmt, f"employee.{fmt}.j2", sheet, None).encode("utf-8")
    except ReportTemplateError as exc:
        return Failure(500, f"the report template failed: {exc}")
