"""Properties of the engine, checked with hypothesis.

Scoring properties call the scoring functions on compiled model objects
directly (a policy file per example would be slow); the row and
determinism properties run the whole pipeline: CSV file -> typed table ->
evaluation -> JSON.
"""

from __future__ import annotations

import ast
import math
import tempfile
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_helpers import build_policy, employees, json_bytes, load_table, write_rows
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kpi_rules.common.rounding import round_array, round_decimal
from kpi_rules.engine import PeriodChoiceError, evaluate
from kpi_rules.engine.plans import score_plans
from kpi_rules.engine.scoring import score_plan
from kpi_rules.policy.formula import ColumnEvaluator, Fail, parse
from kpi_rules.policy.model import Band, Plan, Scale

SETTINGS = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
PIPELINE = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------- monotonicity


@st.composite
def linear_plans(draw: Any) -> Plan:
    """A higher-is-better linear plan: floor < target < stretch, points rising."""
    floor = draw(st.floats(min_value=0, max_value=1000, allow_nan=False))
    target = floor + draw(positive)
    stretch = target + draw(positive)
    assume(floor < target < stretch)
    p_floor = draw(st.floats(min_value=0, max_value=100))
    p_target = p_floor + draw(st.floats(min_value=0, max_value=100))
    p_stretch = p_target + draw(st.floats(min_value=0, max_value=100))
    below = draw(st.floats(min_value=0, max_value=p_floor))
    scale = Scale("lin", "linear", points={"floor": p_floor, "target": p_target, "stretch": p_stretch},
                  below_floor=below)
    return Plan("x", 1.0, scale, "higher", "zero", target=target, floor=floor, stretch=stretch)


@st.composite
def target_only_plans(draw: Any) -> Plan:
    cap = draw(st.none() | st.floats(min_value=0.5, max_value=3))
    scale = Scale("lin", "linear", cap=cap, points={"target": draw(st.floats(min_value=1, max_value=200))})
    return Plan("x", 1.0, scale, "higher", "zero", target=draw(positive))


@st.composite
def band_plans(draw: Any) -> Plan:
    """Bands top-down with falling mins and falling scores (a sensible table)."""
    mins = sorted(draw(st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=6, unique=True)),
                  reverse=True)
    scores = sorted(draw(st.lists(st.floats(min_value=0, max_value=150), min_size=len(mins) + 1,
                                  max_size=len(mins) + 1)), reverse=True)
    bands = tuple(Band(s, m) for s, m in zip(scores, mins)) + (Band(scores[-1], None),)
    basis = draw(st.sampled_from(["achievement", "value"]))
    cap = draw(st.none() | st.floats(min_value=0.5, max_value=3))
    scale = Scale("b", "bands", cap=cap, basis=basis, bands=bands)
    return Plan("x", 1.0, scale, "higher", "zero", target=draw(positive))


def _scores(plan: Plan, actuals: list[float]) -> list[float]:
    values = np.array(actuals, dtype=np.float64)
    scored = score_plan(values, np.zeros(len(actuals), dtype=np.int8), plan, ColumnEvaluator())
    return [float(s) for s in scored.score]


@SETTINGS
@given(plan=linear_plans() | target_only_plans() | band_plans(),
       actuals=st.lists(st.floats(min_value=0, max_value=1e5, allow_nan=False), min_size=2, max_size=20))
def test_raising_an_actual_never_lowers_its_score(plan: Plan, actuals: list[float]) -> None:
    actuals = sorted(actuals)
    scores = _scores(plan, actuals)
    assert not any(math.isnan(s) for s in scores)
    for (a1, s1), (a2, s2) in zip(zip(actuals, scores), zip(actuals[1:], scores[1:])):
        # Linear interpolation may differ by float noise between neighbours; never by more.
        assert s2 >= s1 - 1e-9 * max(1.0, abs(s1)), (plan, a1, s1, a2, s2)


@SETTINGS
@given(plan=linear_plans(), actual=st.floats(min_value=0, max_value=1e5, allow_nan=False))
def test_linear_scores_stay_between_below_floor_and_stretch_points(plan: Plan, actual: float) -> None:
    (score,) = _scores(plan, [actual])
    pts = plan.scale.points
    assert plan.scale.below_floor - 1e-9 <= score <= pts["stretch"] + 1e-9


# ---------------------------------------------------------------- exclude rescales to 1


@st.composite
def plan_sets(draw: Any) -> tuple[list[Plan], list[np.ndarray], int]:
    k = draw(st.integers(min_value=1, max_value=8))
    raw = draw(st.lists(st.integers(min_value=1, max_value=1000), min_size=k, max_size=k))
    scale = Scale("v", "formula", formula=parse("value")[0])
    plans = [Plan(f"i{j}", w / sum(raw), scale, "higher", "exclude") for j, w in enumerate(raw)]
    n = draw(st.integers(min_value=1, max_value=12))
    cells = st.one_of(st.just(math.nan), st.floats(min_value=0, max_value=200, allow_nan=False))
    actuals = [np.array(draw(st.lists(cells, min_size=n, max_size=n)), dtype=np.float64) for _ in plans]
    return plans, actuals, n


@SETTINGS
@given(plan_sets())
def test_after_exclude_effective_weights_total_one(case: tuple[list[Plan], list[np.ndarray], int]) -> None:
    plans, actuals, n = case
    fails = [np.where(np.isnan(a), Fail.MISSING, Fail.OK).astype(np.int8) for a in actuals]
    result = score_plans(plans, actuals, fails, ColumnEvaluator())
    total = np.sum(result.effective_weight, axis=0)
    for i in range(n):
        present = [a[i] for a in actuals if not np.isnan(a[i])]
        if present:
            assert total[i] == pytest.approx(1.0, abs=1e-9)
            weighted = sum(p.weight * a[i] for p, a in zip(plans, actuals) if not np.isnan(a[i]))
            kept = sum(p.weight for p, a in zip(plans, actuals) if not np.isnan(a[i]))
            assert result.total[i] == pytest.approx(weighted / kept, rel=1e-9, abs=1e-9)
        else:
            assert np.isnan(result.total[i])
        for w, a in zip(result.effective_weight, actuals):
            if np.isnan(a[i]):
                assert w[i] == 0


# ---------------------------------------------------------------- whole pipeline

POLICY = """
inputs:
  a: {type: number, min: 0, max: 1000}
  b: {type: integer, min: 0, required: false}
  late: {type: integer, min: 0, default: 0}
indicators:
  a: {formula: a}
  ratio: {formula: a / b}
scales:
  lin: {type: linear, points: {floor: 60, target: 100, stretch: 120}}
  bands:
    type: bands
    bands: [{min: 1.2, score: 120}, {min: 1.0, score: 100}, {min: 0.8, score: 80}, {score: 0}]
roles:
  r:
    indicators:
      a: {weight: 60%, floor: 50, target: 100, stretch: 150, scale: lin}
      ratio: {weight: 40%, target: 2, scale: bands, missing: exclude}
  s:
    indicators:
      a: {weight: 100%, target: 80, scale: bands}
team:
  indicators:
    t: {formula: "mean(a)", target: 100, scale: bands, weight: 100%}
  apply: {blend: 25%}
bonuses: {cap: 4, items: [{id: b, when: b > 3, points: b}]}
deductions: {items: [{id: l, when: late > 0, points: late * 1.5}]}
vetoes: [{id: v, when: late > 5, grade: D}]
distribution: {scope: team, mode: enforce, min_group_size: 3, quotas: {S: {max: 20%}, A: {max: 30%}}}
"""


@pytest.fixture(scope="module")
def policy() -> Any:
    with tempfile.TemporaryDirectory() as folder:
        return build_policy(Path(folder), POLICY)


numberish = st.one_of(
    st.integers(min_value=0, max_value=300).map(str),
    st.floats(min_value=0, max_value=300, allow_nan=False).map(repr),
    st.sampled_from(["", "abc", "1,234", "5%", "nan", "-1", "2000", "1e400", " 12 "]),
)
integerish = st.one_of(st.integers(min_value=0, max_value=8).map(str), st.sampled_from(["", "1.5", "x", "-2"]))


@st.composite
def data_rows(draw: Any) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=25))
    return [{
        "employee_id": draw(st.sampled_from(["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", ""])),
        "role": draw(st.sampled_from(["r", "r", "s", "x", ""])),
        "team": draw(st.sampled_from(["t1", "t2", "t3", ""])),
        "period": draw(st.sampled_from(["2024-Q1", "2024-Q1", "2024-Q1", "2024-Q2", "2023-Q4", "2024-13", "",
                                        "2024-02"])),
        "a": draw(numberish), "b": draw(integerish), "late": draw(integerish),
    } for _ in range(n)]


# Periods of data_rows() outside the period evaluated (a row without a readable period belongs to it).
OUTSIDE = {"2024-Q1": {"2024-Q2", "2023-Q4"}, "2024": {"2023-Q4"}}


def _holds_none(rows: list[dict[str, Any]], period: str) -> bool:
    return bool(rows) and all(r["period"] in OUTSIDE[period] for r in rows)


def _evaluate(policy: Any, rows: list[dict[str, Any]], period: str) -> tuple[Any, Any]:
    """The table and its evaluation; data without a row for the period raises, as the CLI says
    (the example is then done)."""
    with tempfile.TemporaryDirectory() as folder:
        table = load_table(policy, write_rows(Path(folder), rows))
        try:
            return table, evaluate(policy, table, period)
        except PeriodChoiceError as exc:
            assert _holds_none(rows, period) and f"the data has no rows for {period} " in str(exc)
            assume(False)
            raise


@PIPELINE
@given(rows=data_rows())
def test_every_input_row_appears_exactly_once(policy: Any, rows: list[dict[str, Any]]) -> None:
    _, ev = _evaluate(policy, rows, "2024-Q1")
    out = employees(ev)
    lines = [e["line"] for e in out]
    assert len(lines) == len(set(lines))
    assert len(out) + sum(ev.other_periods.values()) == len(rows)
    assert set(lines) <= set(range(2, len(rows) + 2))
    for e in out:
        assert e["status"] in ("rated", "not_rated", "error")
        if e["status"] == "rated":
            assert e["final"] is not None and e["grade"] is not None
        else:
            assert e["reasons"], e
    # (employee_id, period) pairs seen more than once are all errors, naming the lines. A row without a
    # readable period belongs to the period evaluated (it is an error anyway, and blocks its twin).
    def key(r: dict[str, Any]) -> tuple[str, str]:
        period = r["period"] if r["period"] in ("2024-Q2", "2023-Q4", "2024-02") else "2024-Q1"
        return r["employee_id"], period

    keys: dict[tuple[str, str], list[int]] = {}
    for line, r in enumerate(rows, start=2):
        if r["employee_id"] and key(r)[1] == "2024-Q1":
            keys.setdefault(key(r), []).append(line)
    for e in out:
        group = keys.get(key(rows[e["line"] - 2]), [])
        if len(group) > 1:
            assert e["status"] == "error"
            assert f"(lines {', '.join(map(str, group))})" in " ".join(e["reasons"])


@PIPELINE
@given(rows=data_rows())
def test_every_input_row_appears_in_the_review(policy: Any, rows: list[dict[str, Any]]) -> None:
    # The annual review merges a person's quarters; every row of 2024 is still accounted for, as a
    # rated period in the breakdown or a reason naming its line.
    policy_with_rollup = policy
    if policy.rollup is None:
        from dataclasses import replace

        from kpi_rules.policy.model import Rollup
        policy_with_rollup = replace(policy, rollup=Rollup("year", "mean", {}, 1))
    _, ev = _evaluate(policy_with_rollup, rows, "2024")
    out = employees(ev)
    counted = sum(ev.other_periods.values())
    seen = 0
    for e in out:
        rated_lines = [p["line"] for p in e["periods"].values() if p["status"] == "rated"]
        text = " ".join(e["reasons"])
        other = [r for r in range(len(rows)) if f"(line {r + 2})" in text]
        seen += len(rated_lines) + len(other)
    assert seen + counted == len(rows)


@PIPELINE
@given(rows=data_rows())
def test_evaluating_twice_gives_identical_bytes(policy: Any, rows: list[dict[str, Any]]) -> None:
    assume(not _holds_none(rows, "2024-Q1"))  # (it raises: see _evaluate)
    with tempfile.TemporaryDirectory() as folder:
        path = write_rows(Path(folder), rows)
        table = load_table(policy, path)
        first = json_bytes(evaluate(policy, table, "2024-Q1"))
        again = json_bytes(evaluate(policy, table, "2024-Q1"))  # the same table object
        fresh = json_bytes(evaluate(policy, load_table(policy, path), "2024-Q1"))
    assert first == again == fresh


# ---------------------------------------------------------------- rounding


def _decimal(value: float, decimals: int, mode: str) -> float:
    """The decimal of the float's repr, read to 6 more places than kept (float noise dropped), rounded."""
    rounding = ROUND_HALF_UP if mode == "half_up" else ROUND_HALF_EVEN
    wide = Context(prec=1000)  # the reference never runs out of digits, even for 1e308
    text = Decimal(repr(value))
    noise_free = text.quantize(Decimal(1).scaleb(-decimals - 6), rounding=ROUND_HALF_EVEN, context=wide)
    return float(noise_free.quantize(Decimal(1).scaleb(-decimals), rounding=rounding, context=wide)) + 0.0


halves = st.builds(lambda i, d, k: (i + 0.5) / 10**d + 0 * k, st.integers(-10**7, 10**7), st.integers(0, 4),
                   st.integers(0, 0))
any_float = st.one_of(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),  # 1e300 and 5e-324 too
    st.floats(min_value=-1000, max_value=1000, allow_nan=False).map(lambda x: round(x, 3)),
    halves,
    st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False, allow_infinity=False).map(float),
)


@SETTINGS
@given(values=st.lists(any_float, min_size=1, max_size=30), decimals=st.integers(0, 4),
       mode=st.sampled_from(["half_up", "half_even"]))
def test_round_array_is_decimal_rounding_of_repr_without_noise(values: list[float], decimals: int, mode: str) -> None:
    got = round_array(np.array(values, dtype=np.float64), decimals, mode)
    expected = [_decimal(v, decimals, mode) for v in values]
    assert got.tolist() == expected
    assert [round_decimal(v, decimals, mode) for v in values] == expected
    assert not any(math.copysign(1, g) < 0 and g == 0 for g in got)  # no -0.0


def test_round_array_keeps_nan_and_inf() -> None:
    got = round_array(np.array([math.nan, math.inf, -math.inf, 2.675]), 2)
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf and got[3] == 2.68


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (1e300, 2, 1e300), (-1e30, 2, -1e30), (1e26, 6, 1e26), (123456789012345678.0, 0, 123456789012345678.0),
    (9007199254740993.0, 2, 9007199254740992.0), (5e-324, 2, 0.0), (-0.0, 2, 0.0), (123.0, -1, 120.0),
    (1e30, -2, 1e30),
])
def test_rounding_huge_and_tiny_values(value: float, decimals: int, expected: float) -> None:
    # Decimal's default 28 digits cannot quantize 1e30 to 2 decimals: this used to raise InvalidOperation.
    assert round_decimal(value, decimals) == expected
    assert round_array(np.array([value]), decimals).tolist() == [expected]


# ---------------------------------------------------------------- column evaluator


NAMES = ("a", "b", "c")


@st.composite
def formulas(draw: Any, depth: int = 0) -> str:
    leaf = st.one_of(st.sampled_from(NAMES), st.sampled_from(["0", "1", "2", "0.5", "3.25", "-1"]))
    if depth >= 4 or draw(st.booleans()):
        return draw(leaf)
    kind = draw(st.sampled_from(["+", "-", "*", "/", "min", "max", "neg"]))
    if kind == "neg":
        return f"-({draw(formulas(depth + 1))})"
    left, right = draw(formulas(depth + 1)), draw(formulas(depth + 1))
    if kind in ("min", "max"):
        extra = draw(st.lists(formulas(depth + 1), max_size=1))
        return f"{kind}({', '.join([left, right, *extra])})"
    return f"({left} {kind} {right})"


cell = st.one_of(st.just(math.nan), st.just(0.0), st.just(-0.0),
                 st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
                 st.floats(allow_nan=False, allow_infinity=False))


@SETTINGS
@given(source=formulas(), rows=st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=12))
def test_batch_equals_rows_alone(source: str, rows: list[tuple[float, float, float]]) -> None:
    formula, issues = parse(source)
    assert formula is not None, (source, issues)
    assert isinstance(formula.node, ast.expr)
    columns = {name: np.array([r[k] for r in rows], dtype=np.float64) for k, name in enumerate(NAMES)}
    batch = ColumnEvaluator().evaluate(formula, columns, len(rows))
    single = ColumnEvaluator()
    for i, r in enumerate(rows):
        alone = single.evaluate(formula, {name: np.array([r[k]]) for k, name in enumerate(NAMES)}, 1)
        b, s = batch.values[i], alone.values[0]
        assert (math.isnan(b) and math.isnan(s)) or b == s, (source, r, b, s)
        assert batch.fail[i] == alone.fail[0], (source, r, batch.fail[i], alone.fail[0])
        assert math.isnan(b) == (batch.fail[i] != Fail.OK)
