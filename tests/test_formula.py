"""Formulas: what `parse` accepts and refuses (exact code and 0-based character
offset), and what the column evaluator computes.

The evaluator works on whole columns: `ColumnEvaluator.evaluate(formula,
names, n)` returns an `Outcome` with one float per row (NaN: no value) and,
per row, why there is no value (`Fail.MISSING`, `DIV_ZERO`, `OVERFLOW`,
`TYPE`, `DOMAIN`). It never raises for data.
"""

from __future__ import annotations

import ast
import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pytest
import simpleeval
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_rules.policy.formula import (
    AGGREGATE_FUNCTIONS,
    BASE_FUNCTIONS,
    SUGGESTION_FUNCTIONS,
    ColumnEvaluator,
    Fail,
    Formula,
    Groups,
    Outcome,
    parse,
)

TEAM = BASE_FUNCTIONS | AGGREGATE_FUNCTIONS
SUGGEST = BASE_FUNCTIONS | SUGGESTION_FUNCTIONS


def issues_of(source: Any, functions: frozenset[str] = BASE_FUNCTIONS) -> list[tuple[str, int]]:
    formula, issues = parse(source, functions)
    assert (formula is None) == bool(issues)
    return [(i.code, i.offset) for i in issues]


def evaluate(source: str, names: dict[str, Any] | None = None, n: int = 1, functions: frozenset[str] = BASE_FUNCTIONS,
             groups: Groups | None = None) -> Outcome:
    formula, issues = parse(source, functions)
    assert formula is not None, issues
    return ColumnEvaluator().evaluate(formula, names or {}, n, groups=groups)


def one(source: str, **names: Any) -> tuple[float | None, Fail]:
    """The single row's value (None when there is none) and its Fail code."""
    out = evaluate(source, names)
    value = float(out.values[0])
    return (None if math.isnan(value) else value), Fail(int(out.fail[0]))


# ---------------------------------------------------------------- accepted

ACCEPTED: list[tuple[str, frozenset[str], set[str], set[str]]] = [
    # (formula, functions, names, calls)
    ("42", BASE_FUNCTIONS, set(), set()),
    ("0.025", BASE_FUNCTIONS, set(), set()),
    ("1e3", BASE_FUNCTIONS, set(), set()),
    ("'text'", BASE_FUNCTIONS, set(), set()),
    ("True", BASE_FUNCTIONS, set(), set()),
    ("False", BASE_FUNCTIONS, set(), set()),
    ("a + b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a - b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a * b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a / b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a // b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a % b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a ** 2", BASE_FUNCTIONS, {"a"}, set()),
    ("a ** -100", BASE_FUNCTIONS, {"a"}, set()),
    ("-a + +b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a < b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a <= b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a > b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a >= b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a == b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a != b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("1 < a <= 2 < b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a and b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("a or b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("not a", BASE_FUNCTIONS, {"a"}, set()),
    ("a and not b or c", BASE_FUNCTIONS, {"a", "b", "c"}, set()),
    ("a if c else b", BASE_FUNCTIONS, {"a", "b", "c"}, set()),
    ("role == 'ops_manager'", BASE_FUNCTIONS, {"role"}, set()),
    ("min(a, b)", BASE_FUNCTIONS, {"a", "b"}, {"min"}),
    ("max(a, b, 3)", BASE_FUNCTIONS, {"a", "b"}, {"max"}),
    ("abs(a - b)", BASE_FUNCTIONS, {"a", "b"}, {"abs"}),
    ("round(a, 2)", BASE_FUNCTIONS, {"a"}, {"round"}),
    ("clamp(value, 0, 120)", BASE_FUNCTIONS, {"value"}, {"clamp"}),
    ("safe_div(paid_users, registrations, 0)", BASE_FUNCTIONS, {"paid_users", "registrations"}, {"safe_div"}),
    ("coalesce(a, b, 0)", BASE_FUNCTIONS, {"a", "b"}, {"coalesce"}),
    ("clamp(value, floor, stretch) + safe_div(a, b, 0)", BASE_FUNCTIONS, {"value", "floor", "stretch", "a", "b"},
     {"clamp", "safe_div"}),
    ("(0.6 * manager_rating + 0.4 * peer_rating) * 20", BASE_FUNCTIONS, {"manager_rating", "peer_rating"}, set()),
    ("late_reports * 2", BASE_FUNCTIONS, {"late_reports"}, set()),
    ("a +\n  b", BASE_FUNCTIONS, {"a", "b"}, set()),
    ("sum(revenue)", TEAM, {"revenue"}, {"sum"}),
    ("mean(paid_conversion) * 100", TEAM, {"paid_conversion"}, {"mean"}),
    ("median(x) + count(x)", TEAM, {"x"}, {"median", "count"}),
    ("min(x) / max(x)", TEAM, {"x"}, {"min", "max"}),
    ("score('paid_conversion') < 80", SUGGEST, set(), {"score"}),
    ("achievement('cac') < 0.9 or actual('visits') > final", SUGGEST, {"final"}, {"achievement", "actual"}),
    ("grade == 'C' or grade == 'D'", SUGGEST, {"grade"}, set()),
    # Plain parentheses do not nest the expression: 200 of them are just `1`.
    ("(" * 200 + "1" + ")" * 200, BASE_FUNCTIONS, set(), set()),
]


@pytest.mark.parametrize(("source", "functions", "names", "calls"), ACCEPTED, ids=[a[0][:40] for a in ACCEPTED])
def test_accepted(source: str, functions: frozenset[str], names: set[str], calls: set[str]) -> None:
    formula, issues = parse(source, functions)
    assert issues == []
    assert formula is not None
    assert formula.source == source
    assert formula.names == frozenset(names)
    assert formula.calls == frozenset(calls)


def test_string_arguments_of_suggestion_functions() -> None:
    formula, _ = parse("score('paid_conversion') < 80 and achievement('cac') < 0.9 or score('x') > 1", SUGGEST)
    assert formula is not None
    assert dict(formula.string_args) == {"score": frozenset({"paid_conversion", "x"}),
                                         "achievement": frozenset({"cac"})}


@pytest.mark.parametrize(
    ("source", "offsets"),
    [
        ("paid_users / registrations", {"paid_users": 0, "registrations": 13}),
        ("  paid_users / registrations", {"paid_users": 2, "registrations": 15}),
        # Characters, not UTF-8 bytes: '运营' is 4 characters but 8 bytes.
        ("'运营' == role and revenue > 1", {"role": 8, "revenue": 17}),
        ("a + a * b", {"a": 0, "b": 8}),
        ("x\n+ y", {"x": 0, "y": 4}),
    ],
)
def test_name_offsets(source: str, offsets: dict[str, int]) -> None:
    formula, _ = parse(source)
    assert formula is not None
    assert dict(formula.name_offsets) == offsets


@pytest.mark.parametrize(("source", "text"), [(5, "5"), (0.5, "0.5"), (120, "120")])
def test_numbers_from_yaml_are_formulas(source: float, text: str) -> None:
    formula, issues = parse(source)
    assert issues == [] and formula is not None
    assert formula.source == text
    assert formula.is_constant


# ---------------------------------------------------------------- refused

REFUSED: list[tuple[str, Any, frozenset[str], list[tuple[str, int]]]] = [
    # (id, formula, functions, [(code, offset)])
    ("attribute", "revenue.__class__", BASE_FUNCTIONS, [("KR103", 0)]),
    ("attribute chain", "().__class__.__bases__", BASE_FUNCTIONS, [("KR103", 0)]),
    ("attribute after text", "x + y.z", BASE_FUNCTIONS, [("KR103", 4)]),
    ("subscript", "a[0]", BASE_FUNCTIONS, [("KR103", 0)]),
    ("slice", "a[1:2]", BASE_FUNCTIONS, [("KR103", 0)]),
    ("subscript inside", "1 + a[0]", BASE_FUNCTIONS, [("KR103", 4)]),
    ("list comprehension", "[x for x in a]", BASE_FUNCTIONS, [("KR103", 0)]),
    ("dict comprehension", "{x: 1 for x in a}", BASE_FUNCTIONS, [("KR103", 0)]),
    ("set comprehension", "{x for x in a}", BASE_FUNCTIONS, [("KR103", 0)]),
    ("generator", "(x for x in a)", BASE_FUNCTIONS, [("KR103", 0)]),
    ("generator argument", "max(x for x in a)", BASE_FUNCTIONS, [("KR103", 3)]),
    ("lambda", "lambda: 1", BASE_FUNCTIONS, [("KR103", 0)]),
    ("lambda call", "(lambda: 1)()", BASE_FUNCTIONS, [("KR103", 1)]),
    ("walrus", "(y := 3)", BASE_FUNCTIONS, [("KR103", 1)]),
    ("walrus inside", "a + (y := 3)", BASE_FUNCTIONS, [("KR103", 5)]),
    ("f-string", "f'{a}'", BASE_FUNCTIONS, [("KR103", 0)]),
    ("keyword argument", "max(a, key=b)", BASE_FUNCTIONS, [("KR103", 0)]),
    ("starred argument", "max(*a)", BASE_FUNCTIONS, [("KR103", 0), ("KR103", 4)]),
    ("in", "a in b", BASE_FUNCTIONS, [("KR103", 0)]),
    ("not in", "a not in b", BASE_FUNCTIONS, [("KR103", 0)]),
    ("is", "a is b", BASE_FUNCTIONS, [("KR103", 0)]),
    ("is not", "a is not b", BASE_FUNCTIONS, [("KR103", 0)]),
    ("bit and", "a & b", BASE_FUNCTIONS, [("KR103", 0)]),
    ("bit or", "a | b", BASE_FUNCTIONS, [("KR103", 0)]),
    ("bit xor", "a ^ b", BASE_FUNCTIONS, [("KR103", 0)]),
    ("shift left", "a << 2", BASE_FUNCTIONS, [("KR103", 0)]),
    ("shift right", "a >> 2", BASE_FUNCTIONS, [("KR103", 0)]),
    ("invert", "~a", BASE_FUNCTIONS, [("KR103", 0)]),
    ("matmul", "a @ b", BASE_FUNCTIONS, [("KR103", 0)]),
    ("list", "[1, 2]", BASE_FUNCTIONS, [("KR103", 0)]),
    ("tuple", "(1, 2)", BASE_FUNCTIONS, [("KR103", 0)]),
    ("bare tuple", "1, 2", BASE_FUNCTIONS, [("KR103", 0)]),
    ("dict", "{1: 2}", BASE_FUNCTIONS, [("KR103", 0)]),
    ("set", "{1}", BASE_FUNCTIONS, [("KR103", 0)]),
    ("None", "None", BASE_FUNCTIONS, [("KR103", 0)]),
    ("bytes", "b'x'", BASE_FUNCTIONS, [("KR103", 0)]),
    ("complex", "1j", BASE_FUNCTIONS, [("KR103", 0)]),
    ("ellipsis", "...", BASE_FUNCTIONS, [("KR103", 0)]),
    ("await", "await x", BASE_FUNCTIONS, [("KR103", 0)]),
    ("huge exponent", "2 ** 1000", BASE_FUNCTIONS, [("KR119", 5)]),
    ("huge negative exponent", "2 ** -1000", BASE_FUNCTIONS, [("KR119", 5)]),
    ("huge exponent inside", "a * (b ** 101)", BASE_FUNCTIONS, [("KR119", 10)]),
    ("infinite literal", "1e999", BASE_FUNCTIONS, [("KR119", 0)]),
    ("3000 characters", "1 + " * 749 + "1234", BASE_FUNCTIONS, [("KR119", 0)]),
    ("5000-digit number", "9" * 5000, BASE_FUNCTIONS, [("KR119", 0)]),
    ("1000 parentheses", "(" * 1000 + "1" + ")" * 1000, BASE_FUNCTIONS, [("KR119", 0)]),
    ("201 parentheses", "(" * 201 + "1" + ")" * 201, BASE_FUNCTIONS, [("KR102", 200)]),
    ("__import__", "__import__('os')", BASE_FUNCTIONS, [("KR105", 0)]),
    ("eval", "eval('1')", BASE_FUNCTIONS, [("KR105", 0)]),
    ("open", "1 + open('x')", BASE_FUNCTIONS, [("KR105", 4)]),
    ("aggregate outside team", "sum(revenue)", BASE_FUNCTIONS, [("KR105", 0)]),
    ("score outside suggestions", "score('x') < 80", BASE_FUNCTIONS, [("KR105", 0)]),
    ("text times number", "'a' * 3", BASE_FUNCTIONS, [("KR118", 0)]),
    ("text plus number", "1 + 'a'", BASE_FUNCTIONS, [("KR118", 4)]),
    ("negated text", "max(-'a', 1)", BASE_FUNCTIONS, [("KR118", 5)]),
    ("text to abs", "abs('x')", BASE_FUNCTIONS, [("KR118", 4)]),
    ("score without quotes", "score(x) < 80", SUGGEST, [("KR118", 0)]),
    ("score with a number", "score(1) < 80", SUGGEST, [("KR118", 0)]),
    ("score with two ids", "score('a', 'b') < 80", SUGGEST, [("KR118", 0)]),
    ("score with nothing", "1 + score()", SUGGEST, [("KR118", 4)]),
    ("true/false", True, BASE_FUNCTIONS, [("KR118", 0)]),
    ("empty", "", BASE_FUNCTIONS, [("KR102", 0)]),
    ("blank", "   ", BASE_FUNCTIONS, [("KR102", 0)]),
    ("double operator", "paid_users / / registrations", BASE_FUNCTIONS, [("KR102", 13)]),
    ("if without else", "a if b", BASE_FUNCTIONS, [("KR102", 0)]),
    ("two statements", "a; b", BASE_FUNCTIONS, [("KR102", 1)]),
    ("assignment", "a = 1", BASE_FUNCTIONS, [("KR102", 2)]),
    ("leading blanks shift the offset", "  a.b", BASE_FUNCTIONS, [("KR103", 2)]),
    ("second line", "x\n+ y.z", BASE_FUNCTIONS, [("KR103", 4)]),
    # Offsets count characters, not UTF-8 bytes.
    ("after Chinese text", "'运营部门' == x.y", BASE_FUNCTIONS, [("KR103", 10)]),
    ("after Chinese text, two issues", "'中文' + a.b", BASE_FUNCTIONS, [("KR118", 0), ("KR103", 7)]),
    ("after Chinese name", "收入 + a[0]", BASE_FUNCTIONS, [("KR103", 5)]),
    ("after Chinese text and a name", "'运营' == role and revenue.x > 1", BASE_FUNCTIONS, [("KR103", 17)]),
]


@pytest.mark.parametrize(("source", "functions", "expected"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused(source: Any, functions: frozenset[str], expected: list[tuple[str, int]]) -> None:
    assert issues_of(source, functions) == expected


@pytest.mark.parametrize(
    ("source", "message", "hint"),
    [
        ("revenue.__class__", "attribute access (`a.b`): not allowed in a formula", None),
        ("rond(a, 2)", "`rond` is not a function you can use here", "did you mean `round`?"),
        ("2 ** 1000", "the exponent 1000 is too large (at most 100)", None),
        ("1 + " * 749 + "1234", "the formula is 3000 characters long (at most 2000)", None),
        ("'a' * 3", "the text 'a' is used where an arithmetic operator needs a number",
         "only comparisons (==, !=) may use text"),
    ],
)
def test_messages(source: str, message: str, hint: str | None) -> None:
    _, issues = parse(source)
    assert issues[0].message == message
    if hint is not None:
        assert issues[0].hint == hint


@pytest.mark.parametrize(
    "source",
    [
        "(1 + " * 200 + "1" + ")" * 200,
        "-" * 200 + "1",
        "not " * 300 + "a",
        "+".join(["1"] * 900),
        "abs(" * 199 + "1" + ")" * 199,
        "(" * 200 + "1" + ")" * 200,
    ],
    ids=["nested sums", "signs", "nots", "long sum", "nested calls", "parentheses"],
)
def test_deep_nesting_is_never_a_crash(source: str) -> None:
    formula, issues = parse(source)
    if formula is None:
        assert {i.code for i in issues} <= {"KR102", "KR119"}
    else:
        out = ColumnEvaluator().evaluate(formula, {"a": 1.0}, 1)
        assert out.values.shape == (1,)


@pytest.mark.parametrize(
    ("source", "offset"),
    [("-" * 150 + "1", 99), ("1" + "+1" * 150, 0), ("(1 + " * 150 + "1" + ")" * 150, 496)],
    ids=["signs", "long sum", "nested sums"],
)
def test_too_deep_is_one_problem_at_the_deepest_node(source: str, offset: int) -> None:
    assert issues_of(source) == [("KR119", offset)]


@pytest.mark.parametrize(
    ("source", "offset"),
    [("x + (a in b)", 5), ("x + (a is b)", 5), ("x + (a & b)", 5), ("x + ~a", 4), ("x * (a @ b)", 5)],
)
def test_operator_constructs_point_at_their_expression(source: str, offset: int) -> None:
    assert issues_of(source) == [("KR103", offset)]


@pytest.mark.parametrize("source", ["clamp(a)", "abs()", "abs(1, 2)", "min()", "round(a, 2, 3)", "safe_div(a)",
                                    "coalesce()"])
def test_wrong_number_of_arguments_is_refused(source: str) -> None:
    codes = issues_of(source)
    assert len(codes) == 1 and codes[0][1] == 0


@pytest.mark.parametrize("source", ["9" * 400, "a > " + "9" * 1990])
def test_huge_integer_literal_is_never_a_crash(source: str) -> None:
    formula, issues = parse(source)
    if formula is None:
        assert [(i.code, i.offset) for i in issues] == [("KR119", source.index("9"))]
        return
    out = ColumnEvaluator().evaluate(formula, {"a": 1.0}, 1)
    assert Fail(int(out.fail[0])) is Fail.OVERFLOW


def test_huge_integer_literal_within_float_range() -> None:
    assert one("9" * 300 + " / 1e300") == (pytest.approx(1.0), Fail.OK)


# ---------------------------------------------------------------- evaluation

ARITHMETIC = [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("7 / 2", 3.5),
    ("7 // 2", 3.0),
    ("-7 // 2", -4.0),
    ("7 % 3", 1.0),
    ("-7 % 3", 2.0),
    ("2 ** 10", 1024.0),
    ("2 ** -1", 0.5),
    ("-2 ** 2", -4.0),
    ("-8 ** 0.5", -(8**0.5)),
    ("(0.6 * 4.5 + 0.4 * 3.8) * 20", (0.6 * 4.5 + 0.4 * 3.8) * 20),
    ("0.1 + 0.2", 0.1 + 0.2),
    ("1 < 2", 1.0),
    ("2 < 1", 0.0),
    ("1 < 2 < 3", 1.0),
    ("1 < 3 < 2", 0.0),
    ("1 == 1.0", 1.0),
    ("not 0", 1.0),
    ("not 5", 0.0),
    ("0 and 5", 0.0),
    ("2 and 5", 5.0),
    ("0 or 5", 5.0),
    ("2 or 5", 2.0),
    ("10 if 1 > 0 else 20", 10.0),
    ("10 if 1 < 0 else 20", 20.0),
    ("True + 1", 2.0),
    ("min(3, 1, 2)", 1.0),
    ("max(3, 1, 2)", 3.0),
    ("abs(-3.5)", 3.5),
    ("clamp(150, 0, 120)", 120.0),
    ("clamp(-5, 0, 120)", 0.0),
    ("clamp(84.4, 0, 120)", 84.4),
    ("safe_div(6, 3, 0)", 2.0),
    ("safe_div(6, 3)", 2.0),
    ("safe_div(6, 0)", 0.0),
    ("safe_div(6, 0, -1)", -1.0),
    ("coalesce(0, 5)", 0.0),
    ("round(2.675, 2)", 2.68),
    ("round(84.125, 2)", 84.13),
    ("round(1.005, 2)", 1.01),
    ("round(0.125, 2)", 0.13),
    ("round(2.5)", 3.0),
    ("round(-2.5)", -3.0),
    ("round(-0.4)", 0.0),
    ("round(1234.5678, 1)", 1234.6),
]


@pytest.mark.parametrize(("source", "value"), ARITHMETIC, ids=[a[0] for a in ARITHMETIC])
def test_exact_values(source: str, value: float) -> None:
    assert one(source) == (value, Fail.OK)


WITH_NAMES: list[tuple[str, dict[str, Any], float | None, Fail]] = [
    # (formula, names, value, fail)
    ("paid_users / registrations", {"paid_users": 300, "registrations": 12000}, 0.025, Fail.OK),
    ("a / b", {"a": 1, "b": 0}, None, Fail.DIV_ZERO),
    ("a // b", {"a": 1, "b": 0}, None, Fail.DIV_ZERO),
    ("a % b", {"a": 1, "b": 0}, None, Fail.DIV_ZERO),
    ("a // b", {"a": 1, "b": 0.0}, None, Fail.DIV_ZERO),
    ("1 / 0", {}, None, Fail.DIV_ZERO),
    ("0 ** -1", {}, None, Fail.DIV_ZERO),
    ("a + 1", {"a": None}, None, Fail.MISSING),
    ("a + 1", {}, None, Fail.MISSING),
    ("a > 1", {"a": None}, None, Fail.MISSING),
    ("not a", {"a": None}, None, Fail.MISSING),
    ("-a", {"a": None}, None, Fail.MISSING),
    ("abs(a)", {"a": None}, None, Fail.MISSING),
    ("round(a, 2)", {"a": None}, None, Fail.MISSING),
    ("clamp(a, 0, 1)", {"a": None}, None, Fail.MISSING),
    ("min(a, 1)", {"a": None}, None, Fail.MISSING),
    ("a if c else b", {"a": 1, "b": 2, "c": None}, None, Fail.MISSING),
    ("a and b", {"a": None, "b": 1}, None, Fail.MISSING),
    ("a / b", {"a": None, "b": 0}, None, Fail.MISSING),
    ("a * 10", {"a": 1e308}, None, Fail.OVERFLOW),
    ("1e308 * 10", {}, None, Fail.OVERFLOW),
    ("a ** b", {"a": 10.0, "b": 400}, None, Fail.OVERFLOW),
    ("a ** 100", {"a": 1e10}, None, Fail.OVERFLOW),
    ("a // b", {"a": 1e308, "b": 1e-308}, None, Fail.OVERFLOW),
    ("a - b", {"a": -1e308, "b": 1e308}, None, Fail.OVERFLOW),
    ("a ** 0.5", {"a": -4}, None, Fail.DOMAIN),
    ("(-8) ** (1 / 3)", {}, None, Fail.DOMAIN),
    ("a ** 0.5", {"a": 16}, 4.0, Fail.OK),
    # safe_div: the default when the divisor is 0 or either side is missing.
    ("safe_div(a, b, 0)", {"a": 1, "b": 0}, 0.0, Fail.OK),
    ("safe_div(a, b, 7)", {"a": None, "b": 2}, 7.0, Fail.OK),
    ("safe_div(a, b, 7)", {"a": 1, "b": None}, 7.0, Fail.OK),
    ("safe_div(a, b, 7)", {"a": 3, "b": 2}, 1.5, Fail.OK),
    ("safe_div(a, b, 0)", {"a": 1e308, "b": 1e-308}, None, Fail.OVERFLOW),
    # coalesce: the first present value; a failure inside an argument is skipped.
    ("coalesce(a, b, 3)", {"a": None, "b": None}, 3.0, Fail.OK),
    ("coalesce(a, b, 3)", {"a": None, "b": 0}, 0.0, Fail.OK),
    ("coalesce(a, b, 3)", {"a": 5, "b": 0}, 5.0, Fail.OK),
    ("coalesce(a, b)", {"a": None, "b": None}, None, Fail.MISSING),
    ("coalesce(a, 1) + 1", {"a": None}, 2.0, Fail.OK),
    ("coalesce(a / b, 0)", {"a": 1, "b": 0}, 0.0, Fail.OK),
    # Text: only == and != compare it.
    ("role == 'ops_manager'", {"role": "ops_manager"}, 1.0, Fail.OK),
    ("role == 'ops_manager'", {"role": "ops_specialist"}, 0.0, Fail.OK),
    ("role != 'ops_manager'", {"role": "ops_specialist"}, 1.0, Fail.OK),
    ("role == 1", {"role": "x"}, 0.0, Fail.OK),
    ("role == 'x'", {"role": None}, None, Fail.MISSING),
    ("role < other", {"role": "a", "other": "b"}, None, Fail.TYPE),  # text ordering: refused at validation (KR118)
    ("role + 1", {"role": "a"}, None, Fail.TYPE),
    ("max(role, 1)", {"role": "a"}, None, Fail.TYPE),
    ("'a' if x else 'b'", {"x": 1}, None, Fail.TYPE),
    ("a", {"a": [1, 2]}, None, Fail.TYPE),
    ("sum(x)", {"x": 3.0}, None, Fail.TYPE),
]


@pytest.mark.parametrize(("source", "names", "value", "fail"), WITH_NAMES,
                         ids=[f"{w[0]} {w[1]}" for w in WITH_NAMES])
def test_values_and_failures(source: str, names: dict[str, Any], value: float | None, fail: Fail) -> None:
    functions = TEAM if source.startswith("sum") else BASE_FUNCTIONS
    out = evaluate(source, names, functions=functions)
    got = float(out.values[0])
    assert (None if math.isnan(got) else got) == value
    assert Fail(int(out.fail[0])) is fail


def test_column_rows_fail_independently() -> None:
    a = np.array([1.0, 2.0, np.nan, 4.0, 1e308])
    b = np.array([0.0, 2.0, 1.0, np.nan, 1e-10])
    out = evaluate("a / b", {"a": a, "b": b}, n=5)
    assert out.values[1] == 1.0
    assert np.isnan(out.values[[0, 2, 3, 4]]).all()
    assert [Fail(int(f)) for f in out.fail] == [Fail.DIV_ZERO, Fail.OK, Fail.MISSING, Fail.MISSING, Fail.OVERFLOW]


def test_text_column_comparison() -> None:
    role = np.array(["ops_manager", "data_analyst", None], dtype=object)
    out = evaluate("role == 'ops_manager'", {"role": role}, n=3)
    assert out.values[:2].tolist() == [1.0, 0.0]
    assert np.isnan(out.values[2])
    assert [Fail(int(f)) for f in out.fail] == [Fail.OK, Fail.OK, Fail.MISSING]


def test_round_is_half_up_on_the_decimal_text_over_a_column() -> None:
    values = np.array([2.675, 84.125, 0.125, -2.675, 1.005, 100.0, 0.0049])
    out = evaluate("round(a, 2)", {"a": values}, n=len(values))
    assert out.values.tolist() == [2.68, 84.13, 0.13, -2.68, 1.01, 100.0, 0.0]
    assert set(out.fail.tolist()) == {0}


@settings(deadline=None, max_examples=300)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(0, 4))
def test_round_matches_decimal_half_up(value: float, decimals: int) -> None:
    noise_free = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals - 6), rounding=ROUND_HALF_EVEN)
    expected = float(noise_free.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)) + 0.0
    out = evaluate(f"round(a, {decimals})", {"a": np.array([value])})
    assert out.values[0] == expected


@pytest.mark.parametrize(("source", "a"), [("round(a, 0)", 1e28), ("round(a, 2)", 1e26), ("round(a, 2)", 1e300),
                                           ("round(a, d)", 1.5)])
def test_round_of_huge_values_is_never_a_crash(source: str, a: float) -> None:
    out = evaluate(source, {"a": a, "d": 400.0})
    assert out.values.shape == (1,)


@pytest.mark.parametrize(("source", "message"), [
    ("round(a, 2.7)", "takes a whole number from -15 to 15"),
    ("round(a, -1000)", "takes a whole number from -15 to 15"),
    ("clamp(a, 200, 100)", "needs lo <= hi, but 200 > 100"),
])
def test_constant_arguments_that_cannot_work_are_refused(source: str, message: str) -> None:
    formula, issues = parse(source)
    assert formula is None and [(i.code, message in i.message) for i in issues] == [("KR118", True)]


def test_round_with_decimals_out_of_range_is_a_type_failure() -> None:
    assert one("round(a, d)", a=1.5, d=400) == (None, Fail.TYPE)


def test_huge_integer_input_is_overflow() -> None:
    assert one("a * 2", a=10**400) == (None, Fail.OVERFLOW)


# ---------------------------------------------------------------- team aggregates

# Rows 0-3 are team 0, row 4 is team 1, row 5 belongs to no team (-1), team 2 has nobody.
GROUPS = Groups(index=np.array([0, 0, 0, 0, 1, -1]), count=3)
COLUMN = np.array([1.0, np.nan, 3.0, 2.0, np.nan, 100.0])

AGGREGATES = [
    ("sum(x)", [6.0, None, None]),
    ("mean(x)", [2.0, None, None]),
    ("median(x)", [2.0, None, None]),
    ("count(x)", [3.0, 0.0, 0.0]),
    ("min(x)", [1.0, None, None]),
    ("max(x)", [3.0, None, None]),
    ("sum(x) / count(x)", [2.0, None, None]),
    ("max(x) - min(x)", [2.0, None, None]),
]


@pytest.mark.parametrize(("source", "expected"), AGGREGATES, ids=[a[0] for a in AGGREGATES])
def test_aggregates_skip_missing_rows(source: str, expected: list[float | None]) -> None:
    out = evaluate(source, {"x": COLUMN}, n=3, functions=TEAM, groups=GROUPS)
    got = [None if math.isnan(v) else v for v in out.values.tolist()]
    assert got == expected
    assert [Fail(int(f)) for f in out.fail] == [Fail.OK if v is not None else Fail.MISSING for v in expected]


def test_median_of_an_even_count() -> None:
    groups = Groups(index=np.array([0, 0, 0, 0, 1]), count=2)
    out = evaluate("median(x)", {"x": np.array([4.0, 1.0, 3.0, 2.0, 7.0])}, n=2, functions=TEAM, groups=groups)
    assert out.values.tolist() == [2.5, 7.0]


def test_min_max_with_several_arguments_stay_per_row() -> None:
    out = evaluate("max(a, b)", {"a": np.array([1.0, 5.0]), "b": np.array([3.0, 2.0])}, n=2, functions=TEAM)
    assert out.values.tolist() == [3.0, 5.0]


def test_aggregate_without_groups_is_a_type_failure() -> None:
    out = evaluate("sum(x)", {"x": np.array([1.0, 2.0])}, n=2, functions=TEAM)
    assert [Fail(int(f)) for f in out.fail] == [Fail.TYPE, Fail.TYPE]


# ---------------------------------------------------------------- never a raw exception (property)

_NAMES = ("a", "b", "c")
_literals = st.one_of(st.integers(0, 10).map(str), st.sampled_from(["0", "0.5", "2.5", "1e308", "1e-308", "100.0"]))
_leaf = st.one_of(st.sampled_from(_NAMES), _literals)
_BINARY = ["+", "-", "*", "/", "//", "%", "**", "<", "<=", ">", ">=", "==", "!=", "and", "or"]


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    two = st.tuples(inner, inner)
    three = st.tuples(inner, inner, inner)
    return st.one_of(
        st.tuples(inner, st.sampled_from(_BINARY), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"(-{x})"),
        inner.map(lambda x: f"(not {x})"),
        three.map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        three.map(lambda t: f"({t[0]} < {t[1]} <= {t[2]})"),
        two.map(lambda t: f"min({t[0]}, {t[1]})"),
        two.map(lambda t: f"max({t[0]}, {t[1]})"),
        inner.map(lambda x: f"abs({x})"),
        three.map(lambda t: f"clamp({t[0]}, {t[1]}, {t[2]})"),
        three.map(lambda t: f"safe_div({t[0]}, {t[1]}, {t[2]})"),
        two.map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        # round() only over values it can handle: see test_round_of_huge_values_is_never_a_crash.
        st.tuples(inner, st.integers(0, 3)).map(lambda t: f"round(clamp({t[0]}, -1e9, 1e9), {t[1]})"),
    )


_formulas = st.recursive(_leaf, _grow, max_leaves=12)
_inputs = st.one_of(st.none(), st.just(0.0), st.floats(allow_nan=False, allow_infinity=False))
_rows = st.lists(st.fixed_dictionaries({n: _inputs for n in _NAMES}), min_size=1, max_size=4)


@settings(deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(_formulas, _rows)
def test_evaluation_never_raises_and_columns_match_rows(source: str, rows: list[dict[str, float | None]]) -> None:
    formula, issues = parse(source)
    if formula is None:
        # Only the limits refuse formulas of this grammar (a constant exponent over 100, depth),
        # and clamp() with constant bounds the wrong way round.
        assert {i.code for i in issues} <= {"KR119", "KR118"}, issues
        assert all(i.code == "KR119" or "needs lo <= hi" in i.message for i in issues), issues
        return
    n = len(rows)
    columns = {k: np.array([np.nan if r[k] is None else r[k] for r in rows]) for k in _NAMES}
    out = ColumnEvaluator().evaluate(formula, columns, n)
    assert out.values.shape == (n,) and out.values.dtype == np.float64
    assert out.fail.shape == (n,)
    for i, row in enumerate(rows):
        value, fail = float(out.values[i]), Fail(int(out.fail[i]))
        assert not math.isinf(value)
        assert math.isnan(value) == (fail is not Fail.OK)
        # The column gives each row what evaluating that row alone gives.
        alone = ColumnEvaluator().evaluate(formula, row, 1)
        assert Fail(int(alone.fail[0])) is fail
        assert (math.isnan(alone.values[0]) and math.isnan(value)) or alone.values[0] == value


# ---------------------------------------------------------------- defence in depth


class _Canary:
    """A value whose attributes must never be read by a formula."""

    touched = False

    @property
    def secret(self) -> str:
        _Canary.touched = True
        return "leaked"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a.secret", simpleeval.FeatureNotAvailable),
        ("a.__class__", simpleeval.FeatureNotAvailable),
        ("().__class__.__bases__", simpleeval.FeatureNotAvailable),
        ("(1).real", simpleeval.FeatureNotAvailable),
        ("a[0]", simpleeval.FeatureNotAvailable),
        ("[x for x in a]", simpleeval.FeatureNotAvailable),
        ("f'{a}'", simpleeval.FeatureNotAvailable),
        ("(b := 1)", simpleeval.FeatureNotAvailable),
        ("__import__('os')", simpleeval.FunctionNotDefined),
        ("eval('1')", simpleeval.FunctionNotDefined),
        ("a.secret()", Exception),
        ("(lambda: 1)()", Exception),
        ("a in b", Exception),
        ("~a", Exception),
    ],
)
def test_evaluator_refuses_prebuilt_trees_outside_the_allow_list(source: str, error: type[Exception]) -> None:
    """Even a tree that never went through `parse` cannot reach attributes."""
    _Canary.touched = False
    node = ast.parse(source, mode="eval").body
    formula = Formula(source=source, node=node, names=frozenset(), calls=frozenset())
    with pytest.raises(error):
        ColumnEvaluator().evaluate(formula, {"a": _Canary(), "b": 1.0}, 1)
    assert _Canary.touched is False


def test_count_counts_text_too() -> None:
    # count(employee_id) is the team's size; absent text is not counted.
    ids = np.array(["E1", "E2", None, "E4"], dtype=object)
    groups = Groups(index=np.array([0, 0, 0, 1]), count=2)
    out = evaluate("count(employee_id)", {"employee_id": ids}, n=2, functions=TEAM, groups=groups)
    assert out.values.tolist() == [2.0, 1.0]


def test_a_team_sum_beyond_the_float_range_is_an_overflow() -> None:
    groups = Groups(index=np.array([0, 0, 1]), count=2)
    out = evaluate("sum(x)", {"x": np.array([1.7e308, 1.7e308, 5.0])}, n=2, functions=TEAM, groups=groups)
    assert math.isnan(out.values[0]) and out.values[1] == 5.0
    assert [Fail(int(f)) for f in out.fail] == [Fail.OVERFLOW, Fail.OK]


@pytest.mark.parametrize(("source", "message"), [
    ("9 ** 9 ** 9", "the exponent is too large (at most 100)"),   # the exponent is 9 ** 9
    ("99 ** 99 ** 2", "the exponent is too large (at most 100)"),
    ("abs(" * 101 + "x" + ")" * 101, "nested more than 100 levels deep"),  # calls nest too
    ("min(1, " * 101 + "x" + ")" * 101, "nested more than 100 levels deep"),
])
def test_limits_see_through_constant_chains_and_calls(source: str, message: str) -> None:
    formula, issues = parse(source)
    assert formula is None and [(i.code, message in i.message) for i in issues] == [("KR119", True)]


@pytest.mark.parametrize("source", ["2 ** 3 ** 2", "2 ** (3 * 4)", "x ** 2", "abs(" * 99 + "x" + ")" * 99])
def test_reasonable_powers_and_nesting_pass(source: str) -> None:
    assert parse(source)[1] == []
