"""What a roll-up review (the annual review) tells about its periods: the ones it left out
(provisional: a quarter in error, not rated or absent), and a role or team that changed
during the year, with the one the review used (the latest period's)."""

from __future__ import annotations

from typing import Any

from kpi_rules.engine import Evaluation
from kpi_rules.policy.model import Policy
from kpi_rules.results.model import row_where
from kpi_rules.results.report_words import Labels

Row = dict[str, Any]


def row_history(ev: Evaluation) -> dict[int | str, tuple[Any, Any]]:
    """Each input row's line (`q2.csv:5` with several files) -> (role, team) as the data gave them."""
    table = ev.table
    roles, teams = table.text.get("role"), table.text.get("team")
    return {table.where(i): (roles[i] if roles is not None else None, teams[i] if teams is not None else None)
            for i in range(table.n)}


def _why(reason: Any, locale: str) -> str:
    items = reason if isinstance(reason, (list, tuple)) else [reason]
    return "; ".join(x.say(locale) if hasattr(x, "say") else str(x) for x in items)


def period_notes(policy: Policy, row: Row, period_order: list[str], history: dict[int | str, tuple[Any, Any]],
                 t: Labels) -> list[str]:
    """The notes of one employee's annual review about its periods, in the report's words."""
    parts: dict[str, Row] = row.get("periods") or {}
    why = {r.params.get("period"): r for r in row["reasons"] if getattr(r, "code", None) == "rollup_period"}
    notes: list[str] = []
    for period in period_order if row["status"] == "rated" else ():  # a review without a result is not provisional
        part = parts.get(period)
        if part is None:
            notes.append(t.fill("provisional_absent", period=period))
        elif part["status"] != "rated":
            reason = why.get(period)
            notes.append(t.fill("provisional_period", period=period, status=t.status(part["status"]),
                                why=_why(reason.params.get("why"), t.locale) if reason is not None else "—"))
    for column, what in ((0, "role"), (1, "team")):
        steps: list[tuple[str, Any]] = []
        for period, part in parts.items():
            value = history.get(row_where(part), (None, None))[column]
            if not steps or steps[-1][1] != value:
                steps.append((period, value))
        if len({value for _, value in steps}) > 1:
            notes.append(t.fill("changed_during", what=t[what], used=_label(policy, what, row[what]),
                                steps=t["list_sep"].join(t.fill("period_value", period=p, value=_label(policy, what, v))
                                                         for p, v in steps)))
    return notes


def _label(policy: Policy, what: str, value: Any) -> str:
    if value is None:
        return "—"
    return policy.roles[value].label if what == "role" and value in policy.roles else str(value)
