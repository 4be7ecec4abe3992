"""Hints that say what to do, for names a formula cannot use where it stands."""

from __future__ import annotations

from engine_helpers import policy_yaml

from kpi_rules import validate_bytes

BASE = """
inputs: {s: {type: number}, t: {type: number}}
indicators: {s: {formula: s}, t: {formula: t}}
scales: {v: {type: formula, formula: FORMULA}}
roles: {r: {indicators: {s: {weight: 50%, scale: v}, t: {weight: 50%, scale: v}}}}
"""


def problems(body: str) -> list[tuple[str, str, str | None]]:
    result = validate_bytes(policy_yaml(body).encode(), "p.yaml")
    return [(p.code, p.message, p.hint) for p in result.errors]


def test_an_input_in_a_scale_formula() -> None:
    assert problems(BASE.replace("FORMULA", "value + s")) == [
        ("KR104", "`s` is not one of the names a scale formula reads",
         "a scale formula reads only value, target, floor, stretch and achievement")]


def test_final_outside_a_suggestion() -> None:
    body = BASE.replace("FORMULA", "value") + "bonuses: {items: [{id: b, when: final > 100, points: 1}]}\n"
    assert problems(body) == [
        ("KR104", "`final` is only known in suggestions",
         "final, grade, individual, team_score, bonus and deduction are read by suggestions only")]


def test_a_function_under_another_name() -> None:
    body = BASE.replace("FORMULA", "value") + "team:\n  indicators: {ts: {formula: avg(s), scale: v, weight: 100%}}\n" \
        "  apply: {blend: 10%}\n"
    assert [(code, hint) for code, _, hint in problems(body)] == [("KR105", "did you mean `mean`?")]
