"""Where `explain` finds one employee: their result rows, their input rows and their team's entry,
indexed in one pass over the evaluation. Built once per evaluation (a service worker keeps it
beside the evaluation it holds), each explanation then costs its own rows only, not a scan of
every row of the file and every team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpi_rules.engine import Evaluation


@dataclass(frozen=True)
class Lookup:
    results: dict[Any, list[int]]  # employee id -> result rows, in order
    inputs: dict[Any, list[int]]  # employee id -> input table rows, in order
    teams: dict[str, dict[str, Any]]  # team name -> its first entry in the results' teams

    @classmethod
    def of(cls, ev: Evaluation) -> Lookup:
        results: dict[Any, list[int]] = {}
        for i, emp in enumerate(ev.result.employee_id.tolist()):
            results.setdefault(emp, []).append(i)
        inputs: dict[Any, list[int]] = {}
        for r, emp in enumerate(ev.table.text["employee_id"].tolist()):
            inputs.setdefault(emp, []).append(r)
        teams: dict[str, dict[str, Any]] = {}
        for entry in ev.result.teams:
            if isinstance(entry["team"], str):
                teams.setdefault(entry["team"], entry)
        return cls(results, inputs, teams)

    def input_row(self, ev: Evaluation, employee_id: Any, period: Any) -> int | None:
        """The first input row of this employee whose period is this one or absent."""
        periods = ev.table.text["period"]
        return next((r for r in self.inputs.get(employee_id, ()) if periods[r] in (period, None)), None)

    def team(self, key: Any) -> dict[str, Any] | None:
        return None if key is None else self.teams.get(str(key))
