"""The workbook's row sheets, made a slice of rows at a time from the result's columns
(never the whole section-3 document in memory): Employees, Indicators (long form),
Errors and, for an annual review, Periods. Values are those of the results JSON
(`PeriodResult.employee_rows`); words are in the policy's locale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.engine import Evaluation
from kpi_rules.results.model import SCORED, IndicatorColumns, PeriodResult, flag_words, row_where, shown_column
from kpi_rules.results.reasons import say
from kpi_rules.results.report_words import Labels
from kpi_rules.writers.xlsx_book import INT, NUMBER, PERCENT, SCORE, WEIGHT, Column

CHUNK_ROWS = 10_000
Rows = Iterator[Sequence[Any]]


def shown_indicators(ev: Evaluation) -> list[IndicatorColumns]:
    """The indicators some row uses, in the policy's order (as the CSV's score columns)."""
    res = ev.result
    return [res.indicators[ind.id] for ind in ev.policy.indicators
            if ind.id in res.indicators and res.indicators[ind.id].applies.any()]


def _rated(res: PeriodResult, part: slice) -> npt.NDArray[np.bool_]:
    return np.asarray(res.status[part] == "rated")


def _numbers(values: npt.NDArray[Any], part: slice, keep: npt.NDArray[np.bool_], decimals: int) -> list[Any]:
    if not len(values):
        return [None] * len(keep)
    return [v if k else None for v, k in zip(shown_column(values[part], decimals), keep.tolist())]


def _texts(values: npt.NDArray[Any], part: slice, keep: npt.NDArray[np.bool_] | None = None) -> list[Any]:
    if not len(values):
        return [None] * (part.stop - part.start)
    texts = values[part].tolist()
    return texts if keep is None else [v if k else None for v, k in zip(texts, keep.tolist())]


def reason_text(reasons: Sequence[str], t: Labels) -> str | None:
    return t["reason_sep"].join(say(r, t.locale) for r in reasons) if reasons else None


def calibration_text(entry: Any, before: Any, t: Labels) -> str | None:
    """A calibration (results `calibration`: grade, reason, by, approved_by, date) in words."""
    if not entry:
        return None
    fields = {k: entry.get(k, "") for k in ("grade", "reason", "by", "approved_by", "date")}
    return t.fill("calibrated", before=before or "", **fields)


def _calibrations(res: PeriodResult, start: int, stop: int, t: Labels) -> list[Any]:
    """The calibration column: filled for the rows a calibration file changed (None elsewhere)."""
    if not res.calibrated:
        return [None] * (stop - start)
    return [calibration_text(res.calibration.get(i), res.grade_before_calibration[i], t)
            for i in range(start, stop)]


def _lines(res: PeriodResult, part: slice) -> list[int | str]:
    """The rows' lines, as `q2.csv:5` when several data files were read as one."""
    if res.files:
        return [f"{file}:{line}" for file, line in zip(res.files[part], res.lines[part])]
    return list(res.lines[part])


def employee_columns(ev: Evaluation, t: Labels) -> list[Column]:
    cols = [Column(t["employee_id"]), Column(t["name"]), Column(t["role"]), Column(t["team"]),
            Column(t["status"]), Column(t["data_line"], INT)]
    cols += [Column(ind.label, SCORE) for ind in shown_indicators(ev)]
    if ev.kind != "rollup":
        cols += [Column(t["individual_score"], SCORE), Column(t["team_score"], SCORE), Column(t["bonus"], SCORE),
                 Column(t["deduction"], SCORE), Column(t["team_coefficient"], SCORE)]
    return cols + [Column(t["final"], SCORE), Column(t["grade"]), Column(t["pay_coefficient"], SCORE),
                   Column(t["kind_veto"]), Column(t["calibration"]), Column(t["reason"])]


def employee_rows(ev: Evaluation, t: Labels) -> Rows:
    res, d = ev.result, ev.result.decimals
    indicators = shown_indicators(ev)
    vetoes = {v.id: v.label for v in ev.policy.vetoes}
    status_words = {s: t.status(s) for s in ("rated", "not_rated", "error")}
    for start in range(0, res.n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, res.n)
        part = slice(start, stop)
        rated = _rated(res, part)
        columns: list[list[Any]] = [
            _texts(res.employee_id, part), _texts(res.name, part), _texts(res.role, part), _texts(res.team, part),
            [status_words.get(s, s) for s in res.status[part].tolist()], _lines(res, part)]
        for ind in indicators:
            columns.append(_numbers(ind.score, part, ind.applies[part] & rated, 10))
        names = ["individual", "team_score", "bonus", "deduction", "coefficient_team"] if ev.kind != "rollup" else []
        columns += [_numbers(getattr(res, name), part, rated, d) for name in [*names, "final"]]
        columns.append(_texts(res.grade, part, rated))
        columns.append(_numbers(res.pay_coefficient, part, rated, d))
        columns.append([vetoes.get(v, v) for v in _texts(res.veto, part, rated)])
        columns.append(_calibrations(res, start, stop, t))
        reasons = res.reasons.sparse(start, stop)
        columns.append([reason_text(reasons.get(i, []), t) for i in range(stop - start)])
        yield from zip(*columns)


INDICATOR_KINDS = (NUMBER, NUMBER, PERCENT, SCORE, WEIGHT, SCORE)


def indicator_columns(t: Labels) -> list[Column]:
    words = ("actual", "target", "achievement", "score", "weight", "points")
    return [Column(t["employee_id"]), Column(t["name"]), Column(t["indicator"]),
            *[Column(t[w], k) for w, k in zip(words, INDICATOR_KINDS)], Column(t["flags"])]


def indicator_row_count(ev: Evaluation) -> int:
    """Rows of the long form: one per rated row and indicator that applies to it."""
    rated = ev.result.status == "rated"
    return int(sum(int(np.count_nonzero(ind.applies & rated)) for ind in shown_indicators(ev)))


def _flag_words(ind: IndicatorColumns, part: slice, t: Labels) -> dict[int, str]:
    """The results' flags of rows in `part` (those that have some), in the locale's words."""
    fail, treatment = ind.fail[part], ind.treatment[part]
    capped = ind.capped[part] if len(ind.capped) else np.zeros(len(fail), dtype=bool)
    out = {}
    for i in np.flatnonzero(fail.astype(bool) | (treatment != SCORED) | capped).tolist():
        words = flag_words(int(fail[i]), int(treatment[i]), bool(capped[i]))
        out[i] = t["list_sep"].join(t.flag(w) for w in words)
    return out


def indicator_rows(ev: Evaluation, t: Labels) -> Rows:
    """Employee by employee (in the data's order), each indicator in the policy's order."""
    res = ev.result
    indicators = shown_indicators(ev)
    for start in range(0, res.n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, res.n)
        part = slice(start, stop)
        rated = _rated(res, part)
        ids, names = _texts(res.employee_id, part), _texts(res.name, part)
        per_indicator = []
        for ind in indicators:
            shows = (ind.applies[part] & rated).tolist()
            columns = [shown_column(v[part]) for v in (ind.actual, ind.target, ind.achievement, ind.score)]
            columns += [shown_column(ind.effective_weight[part], 6), shown_column(ind.weighted[part])]
            per_indicator.append((ind.label, shows, list(zip(*columns)), _flag_words(ind, part, t)))
        for i in range(stop - start):
            for label, shows, values, flags in per_indicator:
                if shows[i]:
                    yield (ids[i], names[i], label, *values[i], flags.get(i))


def error_columns(t: Labels) -> list[Column]:
    return [Column(t["employee_id"]), Column(t["name"]), Column(t["team"]), Column(t["period"]),
            Column(t["data_line"], INT), Column(t["status"]), Column(t["reason"])]


def error_rows(ev: Evaluation, t: Labels) -> Rows:
    """Every row not rated, and in an annual review every period's row that was not rated,
    with its reasons and the line of the data file it comes from."""
    res = ev.result
    troubled = set(np.flatnonzero(res.status != "rated").tolist())
    troubled |= res.periods.troubled()
    for i in sorted(troubled):
        who = (res.employee_id[i], res.name[i] if len(res.name) else None, res.team[i] if len(res.team) else None)
        reasons = reason_text(res.reasons.get(i), t)
        if res.status[i] != "rated":
            period = (res.row_period[i] if len(res.row_period) else None) or res.period
            yield (*who, period, _lines(res, slice(i, i + 1))[0], t.status(str(res.status[i])), reasons)
        for period, p in (res.periods[i] if res.periods else {}).items():
            if p["status"] != "rated":
                yield (*who, period, row_where(p), t.status(p["status"]), reasons)


def period_names(res: PeriodResult) -> list[str]:
    return sorted(res.periods.labels())


def period_columns(periods: Sequence[str], t: Labels) -> list[Column]:
    cols = [Column(t["employee_id"]), Column(t["name"]), Column(t["team"])]
    for p in periods:
        cols += [Column(t.fill("period_final", period=p), SCORE), Column(t.fill("period_grade", period=p))]
    return cols + [Column(t["annual_final"], SCORE), Column(t["grade"]), Column(t["status"])]


def period_rows(ev: Evaluation, periods: Sequence[str], t: Labels) -> Rows:
    """Each employee's period finals and grades side by side (a period not rated: its status)."""
    res = ev.result
    finals = shown_column(res.final, res.decimals) if len(res.final) else [None] * res.n
    word: Callable[[str], str] = t.status
    breakdowns: Iterable[dict[str, Any]] = res.periods if res.periods else repeat({})
    for i, mine in zip(range(res.n), breakdowns):
        cells: list[Any] = [res.employee_id[i], res.name[i] if len(res.name) else None,
                            res.team[i] if len(res.team) else None]
        for p in periods:
            entry = mine.get(p)
            if entry is None:
                cells += [None, None]
            else:
                cells += [entry["final"], entry["grade"] if entry["status"] == "rated" else word(entry["status"])]
        rated = res.status[i] == "rated"
        cells += [finals[i] if rated else None, res.grade[i] if rated else None, word(str(res.status[i]))]
        yield cells
