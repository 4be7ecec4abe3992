"""Warnings for policies that are valid but very likely not what their author meant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kpi_rules.policy.checks.context import Context
from kpi_rules.policy.checks.references import scored_indicators
from kpi_rules.policy.checks.registry import Finding, check
from kpi_rules.policy.percent import format_percent, is_bare_fraction
from kpi_rules.policy.problems import JsonPath, Severity

_SHARES = {0.5: "a half", 0.25: "a quarter", 0.75: "three quarters", 0.2: "a fifth", 0.1: "a tenth",
           0.05: "a twentieth", 0.4: "two fifths", 0.3: "three tenths", 0.15: "15 in 100"}
PERCENT_TARGET_LIMIT = 1.5


def _fraction(path: JsonPath, value: Any, what: str) -> Finding | None:
    if not is_bare_fraction(value):
        return None
    share = _SHARES.get(value, f"{format_percent(value)} of the whole")
    return Finding(path, f"{what} {value} means {value}%, not {format_percent(value)}",
                   f"{value} means {value}%; write {format_percent(value)} if you meant {share}")


@check("KR129", "fraction-percentage", Severity.WARNING)
def fraction_percentage(ctx: Context) -> Iterator[Finding]:
    """A percentage written as a fraction: `blend: 0.2`, a quota `max: 0.1`, a
    roll-up weight `0.2`. These fields are percentages, and a bare number is
    already one, so `0.2` means 0.2% (a fifth is `20%`). Role weights written
    as fractions (`0.4` + `0.6`) do not total 100% (KR101 says so).

    ```yaml
    apply: {blend: 0.2}        # KR129: 0.2 means 0.2%; write 20% if you meant a fifth
    ```
    """
    blend = ctx.team.get("apply", {}).get("blend")
    found = _fraction(("team", "apply", "blend"), blend, "the blend")
    if found:
        yield found
    for grade, quota in ctx.section("distribution").get("quotas", {}).items():
        for bound in ("max", "min"):
            found = _fraction(("distribution", "quotas", grade, bound), quota.get(bound),
                              f"the `{bound}` quota of {grade}")
            if found:
                yield found
    rollup = ctx.section("cycle").get("rollup")
    weights = rollup.get("weights") if isinstance(rollup, dict) else None
    if weights and all(is_bare_fraction(w) for w in weights.values()):
        return  # all fractions: KR114 says "these look like fractions" once
    for label, weight in (weights or {}).items():
        found = _fraction(("cycle", "rollup", "weights", label), weight, f"the weight of {label}")
        if found:
            yield found


@check("KR130", "uncapped-lower-zero", Severity.WARNING)
def uncapped_lower_zero(ctx: Context) -> Iterator[Finding]:
    """An indicator with `direction: lower` is scored on its achievement
    (target / actual) by a scale without `cap`: a target-only `linear` scale,
    or a `formula` scale that reads `achievement`. An actual of 0 (no churn,
    no complaints) is the best possible result, but its achievement is
    endless, so such a scale cannot score it: the indicator is missing
    (flagged `no_cap`). Give the scale a `cap` (0 then scores the cap's
    achievement), or score the actual with floor/target/stretch.

    ```yaml
    scales:
      per_target: {type: linear, points: {target: 100}}   # KR130 when a `direction: lower` indicator uses it
    ```
    """
    for item in scored_indicators(ctx):
        name = str(item.entry.get("scale"))
        scale = ctx.scales.get(name)
        if item.direction != "lower" or not isinstance(scale, dict) or "cap" in scale:
            continue
        if scale["type"] == "linear":
            needs = not ({"floor", "stretch"} <= set(item.entry))
        elif scale["type"] == "formula":
            parsed = ctx.parsed.get(("scales", name, "formula"))
            needs = parsed is not None and "achievement" in parsed.names
        else:
            needs = False
        if needs:
            yield Finding((*item.path, "scale"),
                          f"`{item.ind_id}` is lower-is-better and its scale `{name}` has no `cap`, so an actual "
                          "of 0 (the best result) cannot be scored and counts as missing",
                          f"add `cap:` to the scale `{name}` (e.g. `cap: 1.5`), or give floor, target and stretch")


@check("KR131", "percent-unit-target", Severity.WARNING)
def percent_unit_target(ctx: Context) -> Iterator[Finding]:
    """An indicator with `unit: percent` holds a fraction (0.25) and is shown
    x100 (25%). A target, floor or stretch above 1.5 (150%) on it is almost
    always a value already in percent (80 for 80%), which would show as 8000%.

    ```yaml
    indicators:
      csat: {formula: csat, unit: percent}
    roles:
      agent:
        indicators:
          csat: {weight: 20%, target: 80, scale: banded}   # KR131: write 0.8, or drop `unit: percent`
    ```
    """
    for item in scored_indicators(ctx):
        indicator = ctx.indicators.get(item.ind_id) if item.path[0] == "roles" else item.entry
        if not isinstance(indicator, dict) or indicator.get("unit") != "percent":
            continue
        for field in ("floor", "target", "stretch"):
            value = item.entry.get(field)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > PERCENT_TARGET_LIMIT:
                yield Finding((*item.path, field),
                              f"`{item.ind_id}` has `unit: percent` (a fraction shown x100), so the {field} "
                              f"{value} would show as {format_percent(value)}",
                              f'write {value / 100:g} for {value}%, or use `unit: "%"` if the values are '
                              "already 0-100")

