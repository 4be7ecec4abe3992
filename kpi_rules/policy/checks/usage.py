"""Warnings for declarations nothing uses: usually a leftover or a typo."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from kpi_rules.policy.checks.context import Context
from kpi_rules.policy.checks.registry import Finding, check
from kpi_rules.policy.formula.habits import plain_text
from kpi_rules.policy.problems import Severity

_NAME = re.compile(r"[^\W\d]\w*")


@dataclass
class Usage:
    inputs: set[str] = field(default_factory=set)
    indicators: set[str] = field(default_factory=set)


def usage(ctx: Context) -> Usage:
    """Which inputs and indicators something reads.

    In an indicator formula a name that is also an input means the input
    (`visits: {formula: visits}` reads the data column); elsewhere such a
    name counts for both, since either reading keeps them in use.
    """
    used = Usage()
    for site in ctx.sites:
        parsed = ctx.parsed.get(site.path)
        if site.kind == "scale":
            continue
        if parsed is None:  # the formula has an error of its own: count every name it mentions
            words = set(_NAME.findall(plain_text(str(ctx.get(site.path)))))  # `𝐯𝐢𝐬𝐢𝐭𝐬` mentions visits
            used.inputs |= words & set(ctx.inputs)
            used.indicators |= words & set(ctx.indicators)
            continue
        for name in parsed.names:
            if name in ctx.inputs:
                used.inputs.add(name)
                if site.kind == "indicator":
                    continue
            if name in ctx.indicators and name != site.owner:
                used.indicators.add(name)
        for ids in parsed.string_args.values():
            used.indicators.update(ids)
    for role in ctx.roles.values():
        used.indicators.update(role["indicators"])
    team_key = ctx.team.get("key", "team") if ctx.team else None
    if team_key:
        used.inputs.add(team_key)
    return used


@check("KR116", "unused-input", Severity.WARNING)
def unused_input(ctx: Context) -> Iterator[Finding]:
    """An input that no formula reads: no indicator, eligibility rule, team
    indicator, bonus, deduction, veto or suggestion. Perhaps a formula
    misspells it, or it is left over from an older version of the policy.
    (An input read only by an unused indicator is in use; the indicator gets
    its own warning.)

    ```yaml
    inputs:
      survey_score: {type: number}   # KR116 if no formula reads survey_score
    ```
    """
    used = usage(ctx).inputs
    for name in ctx.inputs:
        if name not in used and not keyword.iskeyword(name):  # KR123 already says no formula can read it
            yield Finding(("inputs", name), f"no formula reads the input `{name}`",
                          "use it in a formula, or remove it so the data need not carry it", key=True)


@check("KR117", "unused-indicator", Severity.WARNING)
def unused_indicator(ctx: Context) -> Iterator[Finding]:
    """An indicator that counts nowhere: no role scores it, and no other
    indicator, team indicator, bonus, deduction, veto, eligibility rule or
    suggestion (`score('id')`, `actual('id')`, `achievement('id')`) reads it.

    ```yaml
    indicators:
      arpu: {formula: revenue / active_users}   # KR117 if no role or formula uses arpu
    ```
    """
    used = usage(ctx).indicators
    for ind_id in ctx.indicators:
        if ind_id not in used:
            yield Finding(("indicators", ind_id), f"the indicator `{ind_id}` is not used by any role or formula",
                          "add it to a role's `indicators:`, or remove it", key=True)
