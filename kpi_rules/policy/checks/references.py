"""Checks that every name a policy uses is declared, once, and not reserved."""

from __future__ import annotations

import keyword
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kpi_rules.common.suggest import did_you_mean
from kpi_rules.policy.checks.context import RESERVED_COLUMNS, SUGGESTION_NAMES, Context
from kpi_rules.policy.checks.registry import Finding, check
from kpi_rules.policy.problems import JsonPath


@dataclass(frozen=True)
class Scored:
    """One indicator as a role or the team scores it: weight, targets and scale."""

    path: JsonPath  # ("roles", role, "indicators", id) or ("team", "indicators", id)
    ind_id: str
    entry: dict[str, Any]
    direction: str
    owner: str  # "role `x`" or "the team"


def scored_indicators(ctx: Context) -> Iterator[Scored]:
    """Every role indicator (whose id is in the library) and every team indicator."""
    for role_id, role in ctx.roles.items():
        for ind_id, entry in role["indicators"].items():
            if ind_id in ctx.indicators:
                direction = ctx.indicators[ind_id].get("direction", "higher")
                yield Scored(("roles", role_id, "indicators", ind_id), ind_id, entry, direction, f"role `{role_id}`")
    for ind_id, entry in ctx.team.get("indicators", {}).items():
        yield Scored(("team", "indicators", ind_id), ind_id, entry, entry.get("direction", "higher"), "the team")


def _scale_refs(ctx: Context) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    for role_id, role in ctx.roles.items():
        for ind_id, entry in role["indicators"].items():
            yield ("roles", role_id, "indicators", ind_id), entry
    for ind_id, entry in ctx.team.get("indicators", {}).items():
        yield ("team", "indicators", ind_id), entry


@check("KR107", "unknown-indicator")
def unknown_indicator(ctx: Context) -> Iterator[Finding]:
    """A role scores an indicator that is not in the `indicators` library.
    Every indicator a role uses is defined once under `indicators:`, with its
    formula; the role only sets its weight, targets and scale.

    ```yaml
    roles:
      ops_specialist:
        indicators:
          paid_conversoin: {weight: 20%, target: 0.025, scale: banded}   # KR107
    ```
    """
    team_ids = set(ctx.team.get("indicators", {}))
    for role_id, role in ctx.roles.items():
        for ind_id in role["indicators"]:
            if ind_id in ctx.indicators:
                continue
            hint = did_you_mean(ind_id, ctx.indicators, "define it under `indicators:` with its formula")
            if ind_id in team_ids:
                hint = "team indicators are scored under `team:`, not by a role"
            yield Finding(("roles", role_id, "indicators", ind_id),
                          f"role `{role_id}` uses the indicator `{ind_id}`, which is not defined under `indicators:`",
                          hint, key=True)


@check("KR108", "unknown-scale")
def unknown_scale(ctx: Context) -> Iterator[Finding]:
    """A role or team indicator names a scale that is not defined under `scales:`.

    ```yaml
    visits: {weight: 15%, target: 100, scale: graded}   # KR108 when `scales:` has no `graded`
    ```
    """
    for path, entry in _scale_refs(ctx):
        name = entry["scale"]
        if name not in ctx.scales:
            yield Finding((*path, "scale"), f"the scale `{name}` is not defined under `scales:`",
                          did_you_mean(name, ctx.scales, "define it under `scales:`"))


@check("KR112", "unknown-grade")
def unknown_grade(ctx: Context) -> Iterator[Finding]:
    """A veto or a distribution quota names a grade that is not in `grades`.

    ```yaml
    vetoes:
      - {id: compliance, when: compliance_incidents > 0, grade: E}   # KR112: grades are S A B C D
    ```
    """
    grades = ctx.grade_names
    listed = ", ".join(grades)
    for path, veto in ctx.items("vetoes"):
        if veto["grade"] not in grades:
            yield Finding((*path, "grade"), f"the veto grade `{veto['grade']}` is not one of the grades ({listed})",
                          did_you_mean(veto["grade"], grades, "use one of the grades, or add it to `grades:`"))
    for grade in ctx.section("distribution").get("quotas", {}):
        if grade not in grades:
            yield Finding(("distribution", "quotas", grade),
                          f"the quota is for the grade `{grade}`, which is not one of the grades ({listed})",
                          did_you_mean(grade, grades, "use one of the grades, or add it to `grades:`"), key=True)


@check("KR127", "team-key")
def team_key(ctx: Context) -> Iterator[Finding]:
    """`team.key` names the data column that says which team each employee is in:
    the reserved `team` column (the default), or an input of type `string`.

    ```yaml
    team:
      key: squad        # KR127: declare it: inputs: {squad: {type: string}}
    ```
    """
    if not ctx.team:
        return
    key = ctx.team.get("key", "team")
    if key == "team":
        return
    spec = ctx.inputs.get(key)
    if spec is None:
        yield Finding(("team", "key"), f"the team column `{key}` is neither `team` nor a declared input",
                      did_you_mean(key, [*ctx.inputs, "team"], f"declare it: `inputs: {{{key}: {{type: string}}}}`"))
    elif spec.get("type") != "string":
        yield Finding(("team", "key"), f"the team column `{key}` is an input of type {spec.get('type')}, not string",
                      f"declare it as `{key}: {{type: string}}`")


@check("KR120", "unknown-group")
def unknown_group(ctx: Context) -> Iterator[Finding]:
    """An indicator names a `group` that is not declared under `groups:`.
    Groups organise the reports; each one needs a label there.

    ```yaml
    cac: {formula: ops_cost / new_customers, group: costs}   # KR120: groups has `cost`
    ```
    """
    groups = ctx.section("groups")
    for ind_id, indicator in ctx.indicators.items():
        group = indicator.get("group")
        if group is not None and group not in groups:
            yield Finding(("indicators", ind_id, "group"), f"the group `{group}` is not declared under `groups:`",
                          did_you_mean(group, groups, f"add it: `groups: {{{group}: {{label: ...}}}}`"))


_TARGETS = ("floor", "target", "stretch")


def _needed(ctx: Context, name: str, scale: dict[str, Any], entry: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(values the scale needs, values it cannot use) for a role or team indicator `entry`."""
    kind = scale["type"]
    if kind == "bands":
        return ({"target"} if scale.get("basis", "achievement") == "achievement" else set()), set()
    if kind == "linear":
        # Floor and stretch work as a pair: an indicator gives both (and the scale
        # points for both), or neither and is scored on target alone
        # (points.target x achievement, POLICY_FORMAT 2.5).
        ends = {"floor", "stretch"}
        full = ends <= set(scale["points"])
        given = bool(ends & set(entry))
        return {"target"} | (ends if full and given else set()), (set() if full else ends)
    parsed = ctx.parsed.get(("scales", name, "formula"))
    names = set(parsed.names) if parsed else set()
    if "achievement" in names:
        names.add("target")
    return names & set(_TARGETS), set()


@check("KR121", "missing-target")
def missing_target(ctx: Context) -> Iterator[Finding]:
    """A role or team indicator lacks a value its scale needs.

    - `bands` with `basis: achievement` (the default) need a `target`;
    - `linear` scales need a `target`; `floor` and `stretch` go together: give
      both (the scale must then give points for both, like
      `points: {floor: 60, target: 100, stretch: 120}`) or neither, and the
      indicator is scored on its target alone (points.target x achievement);
    - `formula` scales need whichever of `target floor stretch` their formula
      reads (`achievement` needs `target`).

    ```yaml
    paid_conversion: {weight: 20%, scale: banded}   # KR121: no target to measure achievement against
    ```
    """
    for item in scored_indicators(ctx):
        scale = ctx.scales.get(item.entry["scale"])
        if scale is None:
            continue
        name = item.entry["scale"]
        needed, unusable = _needed(ctx, name, scale, item.entry)
        missing = [t for t in _TARGETS if t in needed and t not in item.entry]
        if missing:
            quoted = [f"`{t}`" for t in missing]
            words = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
            yield Finding(item.path, f"`{item.ind_id}` in {item.owner} has no {words}, which its scale `{name}` needs",
                          "add " + ", ".join(f"`{t}: ...`" for t in missing), key=True)
        for extra in (t for t in _TARGETS if t in unusable and t in item.entry):
            yield Finding((*item.path, extra),
                          f"the scale `{name}` does not give points for both a floor and a stretch, "
                          f"so this `{extra}` cannot be used",
                          f"give `{name}` points for floor, target and stretch, or remove floor and stretch here")


def _reserved(name: str) -> str | None:
    if name in RESERVED_COLUMNS:
        return "is a reserved column, always available in the data"
    if keyword.iskeyword(name):
        return "is a word formulas keep for themselves, so no formula could read it"
    if name in SUGGESTION_NAMES:
        return "is a name suggestions already use for the result"
    return None


@check("KR123", "reserved-name")
def reserved_name(ctx: Context) -> Iterator[Finding]:
    """An input or indicator takes a name that is already spoken for:
    a reserved column (`employee_id role name team period`, always available
    without declaring them), a word of the formula language (`if`, `and`,
    `not`, `True`, ...), or a result name suggestions read (`final grade
    individual team_score bonus deduction`).

    ```yaml
    inputs:
      team: {type: string}      # KR123: `team` is always available; do not declare it
    ```
    """
    for section in ("inputs", "indicators"):
        for name in ctx.section(section):
            why = _reserved(name)
            if why:
                kind = "an input" if section == "inputs" else "an indicator"
                hint = ("remove it from `inputs:`; reserved columns need no declaration"
                        if section == "inputs" and name in RESERVED_COLUMNS else f"give {kind} another name")
                yield Finding((section, name), f"`{name}` {why}; it cannot be the name of {kind}", hint, key=True)


def _ids(ctx: Context) -> Iterator[tuple[str, JsonPath, str]]:
    """(namespace, path of the id, id)."""
    for section in ("bonuses", "deductions", "vetoes"):
        for path, item in ctx.items(section):
            yield "rules", (*path, "id"), str(item["id"])
    for i, suggestion in enumerate(ctx.data.get("suggestions", [])):
        if "id" in suggestion:
            yield "suggestions", ("suggestions", i, "id"), str(suggestion["id"])
    for ind_id in ctx.indicators:
        yield "indicators", ("indicators", ind_id), ind_id
    for ind_id in ctx.team.get("indicators", {}):
        yield "indicators", ("team", "indicators", ind_id), ind_id


@check("KR124", "duplicate-id")
def duplicate_id(ctx: Context) -> Iterator[Finding]:
    """Two rules share an id, so results could not tell them apart. Bonus,
    deduction and veto ids are unique together; suggestion ids are unique
    among suggestions; a team indicator may not reuse an indicator's id
    (`score('id')` must name one thing).

    ```yaml
    bonuses:    {items: [{id: teamwork, when: peer_rating >= 4.5, points: 2}]}
    deductions: {items: [{id: teamwork, when: late_reports > 0, points: 1}]}   # KR124
    ```
    """
    seen: dict[tuple[str, str], JsonPath] = {}
    for space, path, ident in _ids(ctx):
        first = seen.setdefault((space, ident), path)
        if first is path:
            continue
        where = ctx.source.key(first).line
        if space == "indicators":
            yield Finding(path, f"the team indicator `{ident}` has the id of the indicator at line {where}, "
                          f"so `score('{ident}')` would not say which one it means",
                          "rename the team indicator", key=True)
        else:
            what = "suggestion" if space == "suggestions" else "rule"
            yield Finding(path, f"the id `{ident}` is already used at line {where}", f"give each {what} its own id")
