"""What every check reads: the policy, its source map and its parsed formulas."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kpi_rules.policy import formula as fx
from kpi_rules.policy.loader import Mark, SourceMap
from kpi_rules.policy.problems import JsonPath

RESERVED_COLUMNS = frozenset({"employee_id", "role", "name", "team", "period"})
SCALE_NAMES = frozenset({"value", "target", "floor", "stretch", "achievement"})
SUGGESTION_NAMES = frozenset({"final", "grade", "individual", "team_score", "bonus", "deduction"})

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Site:
    """One place in the policy that holds a formula, and what it may use there."""

    path: JsonPath
    kind: str  # eligibility | indicator | scale | team | when | points | suggestion
    functions: frozenset[str]
    owner: str | None = None  # the indicator id, for indicator formulas


@dataclass
class Context:
    file: str
    data: dict[str, Any]
    source: SourceMap
    parsed: dict[JsonPath, fx.Formula] = field(default_factory=dict)
    issues: dict[JsonPath, list[fx.FormulaIssue]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for site in self.sites:
            parsed, issues = fx.parse(self.get(site.path), site.functions)
            if parsed is not None:
                self.parsed[site.path] = parsed
            if issues:
                self.issues[site.path] = issues

    def get(self, path: JsonPath) -> Any:
        node: Any = self.data
        for part in path:
            node = node[part]
        return node

    # ------------------------------------------------------------ sections

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, dict) else {}

    @property
    def inputs(self) -> dict[str, Any]:
        return self.section("inputs")

    @property
    def indicators(self) -> dict[str, Any]:
        return self.section("indicators")

    @property
    def scales(self) -> dict[str, Any]:
        return self.section("scales")

    @property
    def roles(self) -> dict[str, Any]:
        return self.section("roles")

    @property
    def team(self) -> dict[str, Any]:
        return self.section("team")

    @property
    def grade_names(self) -> list[str]:
        return [str(g["grade"]) for g in self.data.get("grades", [])]

    @property
    def text_names(self) -> frozenset[str]:
        """Row names whose values are text: the reserved columns but none shadowed by an
        input of another type, and string inputs."""
        typed = {k: v.get("type") for k, v in self.inputs.items() if isinstance(v, dict)}
        return frozenset(n for n in RESERVED_COLUMNS if typed.get(n, "string") == "string" and n != "period"
                         and n not in self.indicators) | frozenset(n for n, t in typed.items() if t == "string")

    @property
    def row_names(self) -> frozenset[str]:
        """Names a row-level formula may read: inputs, indicators, reserved columns."""
        return frozenset(self.inputs) | frozenset(self.indicators) | RESERVED_COLUMNS

    def items(self, section: str) -> list[tuple[JsonPath, dict[str, Any]]]:
        """Bonus/deduction items or vetoes, with their paths."""
        if section == "vetoes":
            return [(("vetoes", i), v) for i, v in enumerate(self.data.get("vetoes", []))]
        items = self.section(section).get("items", [])
        return [((section, "items", i), v) for i, v in enumerate(items)]

    # ------------------------------------------------------------ formulas

    @cached_property
    def sites(self) -> list[Site]:
        base = fx.BASE_FUNCTIONS
        out: list[Site] = []
        if isinstance(self.data.get("eligibility"), dict):
            out.append(Site(("eligibility", "when"), "eligibility", base))
        for ind_id in self.indicators:
            out.append(Site(("indicators", ind_id, "formula"), "indicator", base, ind_id))
        for scale_id, scale in self.scales.items():
            if scale.get("type") == "formula":
                out.append(Site(("scales", scale_id, "formula"), "scale", base))
        for team_id in self.team.get("indicators", {}):
            out.append(Site(("team", "indicators", team_id, "formula"), "team", base | fx.AGGREGATE_FUNCTIONS))
        for section in ("bonuses", "deductions", "vetoes"):
            for path, item in self.items(section):
                out.append(Site(path + ("when",), "when", base))
                if isinstance(item.get("points"), str):
                    out.append(Site(path + ("points",), "points", base))
        for i, _ in enumerate(self.data.get("suggestions", [])):
            out.append(Site(("suggestions", i, "when"), "suggestion", base | fx.SUGGESTION_FUNCTIONS))
        return out

    def allowed_names(self, site: Site) -> frozenset[str]:
        if site.kind == "scale":
            return SCALE_NAMES
        if site.kind == "suggestion":
            return self.row_names | SUGGESTION_NAMES
        return self.row_names

    def formula_mark(self, path: JsonPath, offset: int) -> Mark:
        """file:line:col of the character `offset` inside the formula at `path`.

        YAML may fold a formula over several lines (block scalars, long quoted or plain
        scalars), changing only its white space. So the character is found as the same
        word, at the same place in it, in the source lines from where the value starts."""
        mark = self.source.value(path)
        style = self.source.styles.get(path, "")
        words = [m.span() for m in _WORD.finditer(str(self.get(path)))]
        if not words:
            return Mark(mark.line, mark.col)
        k = next((k for k, (_, end) in enumerate(words) if offset < end), len(words) - 1)
        within = max(offset - words[k][0], 0)
        if style in ("|", ">"):
            line, col = mark.line + 1, 1  # the text starts on the next line
        else:
            line, col = mark.line, mark.col + (1 if style in ("'", '"') else 0)
        seen = 0
        while line <= len(self.source.lines):
            for match in _WORD.finditer(self.source.source_line(line), col - 1):
                if seen == k:
                    return Mark(line, match.start() + 1 + within)
                seen += 1
            line, col = line + 1, 1
        return Mark(mark.line, mark.col)
