"""Checks on top-down tables (bands, grades, team coefficients) and on the
floor -> target -> stretch order of linear scales."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kpi_rules.policy.checks.context import Context
from kpi_rules.policy.checks.references import scored_indicators
from kpi_rules.policy.checks.registry import Finding, check
from kpi_rules.policy.problems import JsonPath


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _steps(path: JsonPath, steps: list[dict[str, Any]], what: str, value: str,
           lowest: float | None = None) -> Iterator[Finding]:
    """A table read top-down, first match wins: `min` strictly descending, and
    only the last row without `min` (the catch-all, which must be there).

    `lowest`: the smallest value the table can ever see; a last row whose
    `min` is at or below it catches everything too.
    """
    last = len(steps) - 1
    previous: float | None = None
    for i, step in enumerate(steps):
        if "min" not in step:
            if i != last:
                yield Finding((*path, i), f"{what} {i + 1} has no `min`, but only the last one may leave it out: "
                              f"it catches every {value}, so the ones below it are never reached",
                              "give it a `min`, or move it to the end")
            continue
        if previous is not None and not step["min"] < previous:
            yield Finding((*path, i, "min"),
                          f"`min: {_num(step['min'])}` is not below the `min` above it ({_num(previous)}); "
                          f"the first match wins, so this {what} can never be reached",
                          f"list the {what}s from the highest `min` to the lowest")
        previous = step["min"]
    catch_all = any("min" not in step for step in steps)
    if not catch_all and (lowest is None or steps[last]["min"] > lowest):
        yield Finding((*path, last),
                      f"the last {what} has a `min`, so a {value} below {_num(steps[last]['min'])} matches no {what}",
                      f"end the list with a catch-all {what} without `min`")


@check("KR109", "bands-order")
def bands_order(ctx: Context) -> Iterator[Finding]:
    """The bands of a `bands` scale are read top-down and the first band whose
    `min` the value reaches wins, so `min` must go strictly down, and the
    last band (only that one) leaves out `min` to catch everything below.
    With `basis: achievement` a last band with `min: 0` also catches all,
    because achievement is never below 0.

    ```yaml
    bands:
      - {min: 0.8, score: 80}
      - {min: 1.0, score: 100}   # KR109: never reached, 0.8 matches first
      - {score: 0}
    ```
    """
    for scale_id, scale in ctx.scales.items():
        if scale["type"] == "bands":
            lowest = 0.0 if scale.get("basis", "achievement") == "achievement" else None
            yield from _steps(("scales", scale_id, "bands"), scale["bands"], "band", "value", lowest)


@check("KR111", "grades-order")
def grades_order(ctx: Context) -> Iterator[Finding]:
    """Grades are given top-down: the first grade whose `min` the final score
    reaches wins. So `min` must go strictly down, every grade but the last
    has a `min`, the last has none (it catches every score below, including
    scores pushed under 0 by deductions), and no grade name appears twice.

    ```yaml
    grades:
      - {grade: A, min: 100}
      - {grade: B, min: 100}   # KR111: not below A's min
      - {grade: C}
    ```
    """
    grades = ctx.data["grades"]
    yield from _steps(("grades",), grades, "grade", "final score")
    seen: set[str] = set()
    for i, grade in enumerate(grades):
        if grade["grade"] in seen:
            yield Finding(("grades", i, "grade"), f"the grade `{grade['grade']}` is listed twice",
                          "each grade appears once in the table")
        seen.add(grade["grade"])


@check("KR126", "coefficient-order")
def coefficient_order(ctx: Context) -> Iterator[Finding]:
    """The rows of `team.apply.coefficient` are read top-down: the first row
    whose `min` the team score reaches gives the multiplier. `min` must go
    strictly down, and only the last row leaves it out, to catch the rest.

    ```yaml
    coefficient:
      - {min: 90, value: 1.00}
      - {min: 100, value: 1.05}   # KR126: never reached
      - {value: 0.90}
    ```
    """
    rows = ctx.team.get("apply", {}).get("coefficient")
    if rows:
        yield from _steps(("team", "apply", "coefficient"), rows, "coefficient row", "team score")


@check("KR110", "linear-order")
def linear_order(ctx: Context) -> Iterator[Finding]:
    """On a `linear` scale, an indicator's values must be in order along its
    direction: `floor < target < stretch` when higher is better, and
    `floor > target > stretch` when lower is better (`direction: lower`,
    e.g. a cost: floor 60 > target 50 > stretch 45).

    ```yaml
    cac: {weight: 15%, floor: 45, target: 50, stretch: 60, scale: graded}
    # KR110 when `cac` has `direction: lower`
    ```
    """
    for item in scored_indicators(ctx):
        scale = ctx.scales.get(item.entry["scale"])
        if scale is None or scale["type"] != "linear" or not all(k in item.entry for k in _VALUES):
            continue
        floor, target, stretch = (item.entry[k] for k in _VALUES)
        lower = item.direction == "lower"
        if _ordered(floor, target, lower) and _ordered(target, stretch, lower):
            continue
        sign = ">" if lower else "<"
        better = "lower" if lower else "higher"
        bad = "floor" if not _ordered(floor, target, lower) else "stretch"
        hint = f"write floor {sign} target {sign} stretch"
        if not lower and floor > target > stretch:
            hint = "if lower is better for this indicator, set `direction: lower` on it"
        elif lower and floor < target < stretch:
            hint = "if higher is better for this indicator, remove its `direction: lower`"
        yield Finding((*item.path, bad),
                      f"`{item.ind_id}` in {item.owner}: {better} is better, so it needs floor {sign} target {sign} "
                      f"stretch, but has {_num(floor)}, {_num(target)}, {_num(stretch)}", hint)


_VALUES = ("floor", "target", "stretch")


def _ordered(a: float, b: float, lower: bool) -> bool:
    """`a` comes before `b` on the way from floor to stretch."""
    return a > b if lower else a < b


@check("KR128", "number-range")
def number_range(ctx: Context) -> Iterator[Finding]:
    """A number in the policy is too large for the engine's arithmetic: beyond
    about 1.8e308 (the largest binary float), or an integer of hundreds of
    digits. Such a value cannot be a real target, limit or score.

    ```yaml
    grades:
      - {grade: S, min: 1000000000...000}   # KR128: 400 digits
    ```
    """
    def walk(value: Any, path: JsonPath) -> Iterator[Finding]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from walk(item, path + (i,))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _LARGEST:
            yield Finding(path, f"this number ({len(str(abs(value)))} digits) is too large to compute with",
                          "write an ordinary number; a target or limit is never this large")

    yield from walk(ctx.data, ())


_LARGEST = 1.7976931348623157e308
