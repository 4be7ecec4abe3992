"""Compare one employee's actual result (the section-3 dict) with an expectation."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from kpi_rules.policy.loader import Mark
from kpi_rules.policytest.model import Expectation, Mismatch

NUMBER_FIELDS = ("final", "pay_coefficient", "individual", "team_score", "bonus", "deduction", "coefficient_team")
TEXT_FIELDS = ("status", "grade", "grade_before_distribution", "veto")
ID_LIST_FIELDS = ("bonuses", "deductions", "suggestions")
EXACT = 1e-9


def show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def number_matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return actual is not None and abs(float(actual) - expected["value"]) <= expected["tolerance"] + EXACT
    if expected is None or actual is None:
        return expected is None and actual is None
    return math.isclose(float(actual), float(expected), rel_tol=EXACT, abs_tol=EXACT)


def show_number(expected: Any) -> str:
    if isinstance(expected, dict):
        return f"{show(expected['value'])} ± {show(expected['tolerance'])}"
    return show(expected)


def _check(where: str, mark: Mark, ok: bool, expected: str, actual: str) -> Iterator[Mismatch]:
    if not ok:
        yield Mismatch(where, expected, actual, mark.line, mark.col)


def _indicators(prefix: str, expected: dict[str, Any], actual: dict[str, Any], mark: Mark) -> Iterator[Mismatch]:
    for ind_id, wanted in expected.items():
        got = actual.get(ind_id)
        where = f"{prefix}indicators.{ind_id}"
        if got is None:
            yield Mismatch(where, "an indicator of the employee's role",
                           "not scored for this row" if actual else "no indicators (the row is not rated)",
                           mark.line, mark.col)
            continue
        for name, value in wanted.items():
            if name == "flags":
                yield from _check(f"{where}.flags", mark, sorted(value) == sorted(got.get("flags", [])),
                                  show(sorted(value)), show(sorted(got.get("flags", []))))
            else:
                yield from _check(f"{where}.{name}", mark, number_matches(value, got.get(name)), show_number(value),
                                  show(got.get(name)))


def compare(expectation: Expectation, actual: dict[str, Any], suggestion_ids: list[str]) -> list[Mismatch]:
    """Every field of `expectation` that `actual` does not meet. `suggestion_ids`: the ids that fired."""
    prefix = f"{expectation.employee_id} " if expectation.employee_id else ""
    out: list[Mismatch] = []
    for name, wanted in expectation.fields.items():
        mark = expectation.marks[name]
        where = prefix + name
        if name in NUMBER_FIELDS:
            out += _check(where, mark, number_matches(wanted, actual.get(name)), show_number(wanted),
                          show(actual.get(name)))
        elif name in TEXT_FIELDS:
            out += _check(where, mark, wanted == actual.get(name), show(wanted), show(actual.get(name)))
        elif name in ID_LIST_FIELDS:
            got = suggestion_ids if name == "suggestions" else list(actual.get(name) or [])
            out += _check(where, mark, sorted(wanted) == sorted(got), show(sorted(wanted)), show(sorted(got)))
        elif name == "indicators":
            out += _indicators(prefix, wanted, actual.get("indicators") or {}, mark)
        elif name == "reasons_contain":
            reasons = actual.get("reasons") or []
            for text in wanted:
                out += _check(where, mark, any(text in r for r in reasons), f"a reason containing {text!r}",
                              show(reasons) if reasons else "no reasons")
        elif name == "moved":
            moved = actual.get("status") == "rated" and actual.get("grade") != actual.get("grade_before_distribution")
            detail = f"{actual.get('grade_before_distribution')} -> {actual.get('grade')}" if moved else "not moved"
            out += _check(where, mark, wanted == moved, "moved" if wanted else "not moved", detail)
    return out
