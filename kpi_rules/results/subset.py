"""Some rows of a result as a result of their own: what a filtered view (a manager's teams, an
employee's own rows) is computed from, so that its summary, reports and workbook see those rows alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.results.model import IndicatorColumns, PeriodResult
from kpi_rules.results.notes import FiredItems, RowNotes


def _fired(items: FiredItems, rows: npt.NDArray[np.intp]) -> FiredItems:
    out = FiredItems(len(rows))
    for item, fires in items.items:
        out.record(item, fires[rows])
    return out


def _columns(obj: Any, n: int, rows: npt.NDArray[np.intp]) -> dict[str, Any]:
    """Every per-row field of a dataclass taken at `rows`; other fields as they are."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) == n and n:
            changes[f.name] = value[rows]
    return changes


def take_rows(result: PeriodResult, rows: npt.NDArray[np.intp],
              keep_team: Callable[[Any], bool] = lambda team: False) -> PeriodResult:
    """Rows `rows` (ascending) of `result`, renumbered 0..len(rows)-1; its team entries and forced
    distribution groups only where `keep_team(team)` (a group of the whole department never)."""
    n = result.n
    rows = np.asarray(rows, dtype=np.intp)
    changes = _columns(result, n, rows)
    where = {int(old): new for new, old in enumerate(rows.tolist())}
    changes.update(
        lines=[result.lines[i] for i in rows.tolist()],
        reasons=result.reasons.take(rows) if isinstance(result.reasons, RowNotes) else result.reasons,
        bonuses=_fired(result.bonuses, rows), deductions=_fired(result.deductions, rows),
        suggestions=_fired(result.suggestions, rows),
        indicators={k: dataclasses.replace(ind, **_columns(ind, n, rows))
                    for k, ind in result.indicators.items() if isinstance(ind, IndicatorColumns)},
        teams=[t for t in result.teams if keep_team(t.get("team"))],
        distribution=_distribution(result.distribution, keep_team),
        periods=result.periods.take(rows),
        calibration={where[i]: dict(c) for i, c in result.calibration.items() if i in where},
    )
    return dataclasses.replace(result, **changes)


def _distribution(dist: dict[str, Any], keep_team: Callable[[Any], bool]) -> dict[str, Any]:
    if not dist:
        return {}
    mine = dist.get("scope") == "team"
    out = dict(dist)
    if "groups" in dist:
        out["groups"] = [dict(g) for g in dist["groups"] if mine and keep_team(g.get("group"))]
    after = dist.get("after_calibration")
    if isinstance(after, dict):
        out["after_calibration"] = {
            k: ([x for x in v if isinstance(x, dict) and mine and keep_team(x.get("group"))]
                if isinstance(v, list) else v) for k, v in after.items()}
    return out
