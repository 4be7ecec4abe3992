"""What every check reads: the policy, its source map and its parsed formulas."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .. import formula as fx
from ..loader import Mark, SourceMap
from ..problems import JsonPath

RESERVED_COLUMNS = frozenset({"employee_id", "role", "name", "team", "period"})
SCALE_NAMES = frozenset({"value", "target", "floor", "stretch", "achievement"})
SUGGESTION_NAMES = frozenset({"final", "grade", "individual", "team_score", "bonus", "deduction"})


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
        """file:line:col of the character `offset` inside the formula at `path`."""
        mark = self.source.value(path)
        style = self.source.styles.get(path, "")
        if style in ("|", ">"):
            # Block scalar: the text starts on the next line, indented.
            text = str(self.get(path))
            before = text[:offset]
            line = mark.line + 1 + before.count("\n")
            row = self.source.source_line(line)
            indent = len(row) - len(row.lstrip())
            return Mark(line, indent + 1 + len(before) - (before.rfind("\n") + 1))
        quote = 1 if style in ("'", '"') else 0
        return Mark(mark.line, mark.col + quote + offset)
