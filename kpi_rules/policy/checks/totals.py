"""Checks on numbers that must add up or lie in a range: weights, quotas,
roll-up weights, the team blend and the effective dates."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

from kpi_rules.policy.checks.context import Context
from kpi_rules.policy.checks.registry import Finding, check
from kpi_rules.policy.percent import format_percent, in_range, is_bare_fraction, parse_percent
from kpi_rules.policy.problems import JsonPath

TOLERANCE = 1e-9


def _out_of_range(path: JsonPath, value: Any, what: str) -> Finding | None:
    fraction = parse_percent(value)
    if in_range(fraction):
        return None
    return Finding(path, f"{what} {format_percent(fraction)} is not between 0% and 100%",
                   "a percentage is written like `15%` or `15`, from 0 to 100")


def _total(path: JsonPath, values: dict[str, Any], whose: str) -> Iterator[Finding]:
    """Each value in range, and together exactly 100% (to 1e-9)."""
    for name, value in values.items():
        bad = _out_of_range((*path, name, "weight"), value, "the weight")
        if bad:
            yield bad
    total = math.fsum(parse_percent(v) for v in values.values())
    if abs(total - 1.0) > TOLERANCE:
        gap = format_percent(abs(1.0 - total))
        hint = f"{gap} {'is missing' if total < 1.0 else 'too much'}: change the weights so they add up to 100%"
        bare = list(values.values())
        if bare and all(is_bare_fraction(v) for v in bare):  # 0.4 + 0.6: fractions, read as 0.4% + 0.6%
            hint = (f"these look like fractions: write {format_percent(bare[0])} for {bare[0]} "
                    "(a bare number is already a percentage)")
        yield Finding(path, f"the weights of {whose} total {format_percent(total)}, not 100%", hint, key=True)


@check("KR101", "weights-total")
def weights_total(ctx: Context) -> Iterator[Finding]:
    """A role's indicator weights must total exactly 100%, and so must the
    team indicators' weights. `15%` and `15` both mean 15 percent; each
    weight lies between 0% and 100%.

    ```yaml
    indicators:                # KR101: 15% + 20% + 60% = 95%
      visits:  {weight: 15%, target: 100, scale: graded}
      revenue: {weight: 20%, target: 500, scale: graded}
      cac:     {weight: 60, target: 50, scale: graded}
    ```
    """
    for role_id, role in ctx.roles.items():
        weights = {ind_id: entry["weight"] for ind_id, entry in role["indicators"].items()}
        yield from _total(("roles", role_id, "indicators"), weights, f"role `{role_id}`")
    team_indicators = ctx.team.get("indicators")
    if team_indicators:
        weights = {ind_id: entry["weight"] for ind_id, entry in team_indicators.items()}
        yield from _total(("team", "indicators"), weights, "the team indicators")


@check("KR113", "quota-total")
def quota_total(ctx: Context) -> Iterator[Finding]:
    """Distribution quotas must be possible: each between 0% and 100%, a
    grade's `min` not above its `max`, and the `min` quotas together at most
    100% (nobody can be in two grades). `max` quotas may add up to more than
    100%: each is only an upper limit.

    ```yaml
    quotas:
      S: {min: 10%, max: 5%}    # KR113: at least 10% but at most 5%
    ```
    """
    quotas = ctx.section("distribution").get("quotas", {})
    base: JsonPath = ("distribution", "quotas")
    for grade, quota in quotas.items():
        for bound in ("max", "min"):
            if bound in quota:
                bad = _out_of_range((*base, grade, bound), quota[bound], f"the `{bound}` quota")
                if bad:
                    yield bad
        if "min" in quota and "max" in quota and parse_percent(quota["min"]) > parse_percent(quota["max"]):
            yield Finding((*base, grade, "min"),
                          f"grade `{grade}` must have at least {format_percent(parse_percent(quota['min']))} "
                          f"but at most {format_percent(parse_percent(quota['max']))} of the group",
                          "the `min` quota cannot be above the `max` quota")
    total_min = math.fsum(parse_percent(q["min"]) for q in quotas.values() if "min" in q)
    if total_min > 1.0 + TOLERANCE:
        yield Finding(base, f"the `min` quotas total {format_percent(total_min)}: more than the whole group",
                      "lower the `min` quotas so they add up to 100% at most", key=True)


PERIOD_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def period_labels(period: str) -> list[str]:
    """Labels of a cycle period within the year: Q1..Q4, H1/H2 or 01..12."""
    if period == "quarter":
        return [f"Q{i}" for i in range(1, 5)]
    if period == "half":
        return ["H1", "H2"]
    if period == "month":
        return [f"{i:02d}" for i in range(1, 13)]
    return []


def _label_month(label: str) -> int:
    """First month (1..12) of a period label."""
    if label[0] == "Q":
        return (int(label[1]) - 1) * 3 + 1
    if label[0] == "H":
        return (int(label[1]) - 1) * 6 + 1
    return int(label)


def _rollup_name(rollup: str, label: str) -> str:
    start = (_label_month(label) - 1) // PERIOD_MONTHS[rollup]
    return {"year": "the year", "half": f"H{start + 1}", "quarter": f"Q{start + 1}"}[rollup]


@check("KR114", "rollup-weights")
def rollup_weights(ctx: Context) -> Iterator[Finding]:
    """The roll-up must fit the cycle. Its `period` is longer than
    `cycle.period`; `min_periods` is not more than the periods it holds;
    `weights` are given with `method: weighted`, and only then.

    Weights are keyed by the cycle period's label within the year: `Q1`..`Q4`
    for quarters, `H1`/`H2` for halves, `01`..`12` for months — also when the
    roll-up is a quarter or a half (a quarterly roll-up of months uses
    `01`..`12`). Every label has a weight, and the weights of each roll-up
    period total 100% (the year's for a yearly roll-up, each quarter's
    months for a quarterly one).

    ```yaml
    cycle:
      period: quarter
      rollup: {period: year, method: weighted, weights: {Q1: 20%, Q2: 20%, Q3: 30%}}   # KR114: no Q4
    ```
    """
    cycle = ctx.section("cycle")
    rollup = cycle.get("rollup")
    if not isinstance(rollup, dict):
        return
    base: JsonPath = ("cycle", "rollup")
    period = cycle.get("period", "quarter")
    if PERIOD_MONTHS[rollup["period"]] <= PERIOD_MONTHS[period]:
        hint = ("a yearly appraisal has nothing to roll up: remove `rollup`" if period == "year"
                else "roll up to a longer period, e.g. `year`")
        yield Finding((*base, "period"), f"the roll-up period ({rollup['period']}) must be longer than "
                      f"the appraisal period (`cycle.period: {period}`)", hint)
        return
    count = PERIOD_MONTHS[rollup["period"]] // PERIOD_MONTHS[period]
    if rollup.get("min_periods", 1) > count:
        yield Finding((*base, "min_periods"), f"a {rollup['period']} holds only {count} periods of a {period}, "
                      f"so `min_periods: {rollup['min_periods']}` can never be reached", f"use at most {count}")
    method = rollup.get("method", "mean")
    weights = rollup.get("weights")
    if weights is None:
        if method == "weighted":
            example = ", ".join(f"{label}: ..." for label in period_labels(period)[:2])
            yield Finding((*base, "method"), "`method: weighted` needs `weights`, one per period",
                          f"add e.g. `weights: {{{example}, ...}}`")
        return
    if method != "weighted":
        yield Finding((*base, "weights"), f"`weights` are only used with `method: weighted`, not `{method}`",
                      "write `method: weighted`, or remove the weights", key=True)
        return
    yield from _weight_labels((*base, "weights"), weights, rollup["period"], period)


def _weight_labels(path: JsonPath, weights: dict[str, Any], rollup: str, period: str) -> Iterator[Finding]:
    labels = period_labels(period)
    strangers = [label for label in weights if label not in labels]
    for label in strangers:
        yield Finding((*path, label), f"`{label}` is not the label of a {period}",
                      f"{period} labels are {labels[0]}..{labels[-1]}", key=True)
    if strangers:
        return
    for label, value in weights.items():
        bad = _out_of_range((*path, label), value, "the weight")
        if bad:
            yield bad
    missing = [label for label in labels if label not in weights]
    if missing:
        yield Finding(path, "there is no weight for " + ", ".join(missing),
                      "give every period a weight, `0%` if it should not count", key=True)
        return
    totals: dict[str, list[float]] = {}
    for label in labels:
        totals.setdefault(_rollup_name(rollup, label), []).append(parse_percent(weights[label]))
    for name, values in totals.items():
        total = math.fsum(values)
        if abs(total - 1.0) > TOLERANCE:
            first = next(iter(weights.values()))
            hint = "change the weights so they add up to 100%"
            if all(is_bare_fraction(v) for v in weights.values()):
                hint = (f"these look like fractions: write {format_percent(first)} for {first} "
                        "(a bare number is already a percentage)")
            yield Finding(path, f"the weights of {name} total {format_percent(total)}, not 100%", hint, key=True)


@check("KR115", "blend-range")
def blend_range(ctx: Context) -> Iterator[Finding]:
    """`team.apply.blend` is the team score's share of each total, between
    0% and 100%.

    ```yaml
    apply: {blend: 130%}   # KR115
    ```
    """
    blend = ctx.team.get("apply", {}).get("blend")
    if blend is not None:
        bad = _out_of_range(("team", "apply", "blend"), blend, "the blend")
        if bad:
            yield bad


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@check("KR122", "effective-dates")
def effective_dates(ctx: Context) -> Iterator[Finding]:
    """`metadata.effective` holds real calendar dates, and `from` is not
    after `to`.

    ```yaml
    effective: {from: 2024-12-31, to: 2024-01-01}   # KR122: ends before it starts
    ```
    """
    base: JsonPath = ("metadata", "effective")
    effective = ctx.data["metadata"]["effective"]
    dates: dict[str, dt.date | None] = {}
    for bound in ("from", "to"):
        if bound in effective:
            dates[bound] = _date(effective[bound])
            if dates[bound] is None:
                yield Finding((*base, bound), f"`{effective[bound]}` is not a date in the calendar",
                              "check the month (01-12) and the day of the month")
    start, end = dates.get("from"), dates.get("to")
    if start and end and start > end:
        yield Finding((*base, "to"), f"the policy ends ({end}) before it starts ({start})",
                      "swap `from` and `to`, or correct one of them")
