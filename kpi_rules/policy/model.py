"""The compiled policy: frozen, names resolved, formulas parsed once.

Everything the engine needs and nothing it has to look up again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kpi_rules.policy.formula import Formula


@dataclass(frozen=True)
class Input:
    name: str
    type: str  # number | integer | string | boolean
    required: bool
    default: object = None
    min: float | None = None
    max: float | None = None
    label: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Band:
    score: float
    min: float | None = None
    label: str = ""


@dataclass(frozen=True)
class Scale:
    id: str
    type: str  # bands | linear | formula
    cap: float | None = None
    basis: str = "achievement"  # bands only
    bands: tuple[Band, ...] = ()
    points: dict[str, float] = field(default_factory=dict)  # linear: floor/target/stretch
    below_floor: float = 0.0
    formula: Formula | None = None


@dataclass(frozen=True)
class Indicator:
    id: str
    formula: Formula
    label: str = ""
    group: str | None = None
    unit: str = ""
    direction: str = "higher"
    missing: str | None = None


@dataclass(frozen=True)
class Plan:
    """One indicator as a role (or the team) uses it: targets, scale, weight."""

    indicator: str
    weight: float  # fraction: 0.15
    scale: Scale
    direction: str
    missing: str  # zero | exclude | error (resolved)
    target: float | None = None
    floor: float | None = None
    stretch: float | None = None
    label: str = ""


@dataclass(frozen=True)
class Role:
    id: str
    label: str
    plans: tuple[Plan, ...]


@dataclass(frozen=True)
class TeamIndicator:
    id: str
    formula: Formula
    plan: Plan


@dataclass(frozen=True)
class CoefficientStep:
    value: float
    min: float | None = None


@dataclass(frozen=True)
class Team:
    key: str
    label: str
    indicators: tuple[TeamIndicator, ...]
    blend: float | None = None  # fraction
    coefficient: tuple[CoefficientStep, ...] = ()


@dataclass(frozen=True)
class Adjustment:
    """A bonus or deduction item; `points` is a constant or a formula."""

    id: str
    label: str
    when: Formula
    points: Formula


@dataclass(frozen=True)
class Veto:
    id: str
    label: str
    when: Formula
    grade: str


@dataclass(frozen=True)
class Grade:
    grade: str
    min: float | None
    label: str
    coefficient: float


@dataclass(frozen=True)
class Quota:
    max: float | None = None  # fractions
    min: float | None = None


@dataclass(frozen=True)
class Distribution:
    scope: str  # team | all
    mode: str  # check | enforce
    min_group_size: int
    quotas: dict[str, Quota]


@dataclass(frozen=True)
class Rollup:
    period: str
    method: str
    weights: dict[str, float]  # label -> fraction
    min_periods: int


@dataclass(frozen=True)
class Suggestion:
    when: Formula
    text: str
    id: str = ""
    scope: str = "employee"


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    version: str
    locale: str
    effective_from: str
    effective_to: str | None
    sha256: str
    period: str  # month | quarter | half | year
    rollup: Rollup | None
    inputs: dict[str, Input]
    eligibility: Formula | None
    eligibility_reason: str
    groups: dict[str, str]  # id -> label
    indicators: tuple[Indicator, ...]  # in dependency order
    roles: dict[str, Role]
    team: Team | None
    bonuses: tuple[Adjustment, ...]
    bonus_cap: float | None
    deductions: tuple[Adjustment, ...]
    deduction_cap: float | None
    vetoes: tuple[Veto, ...]
    grades: tuple[Grade, ...]
    distribution: Distribution | None
    missing: str
    decimals: int
    rounding_mode: str
    suggestions: tuple[Suggestion, ...]
    file: str = ""

    def indicator(self, ind_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == ind_id:
                return ind
        raise KeyError(ind_id)

    def grade(self, name: str) -> Grade:
        for g in self.grades:
            if g.grade == name:
                return g
        raise KeyError(name)

    def inputs_scored(self, role_id: str) -> frozenset[str]:
        """The inputs a role's indicators read, through the indicators they read."""
        formulas = {ind.id: ind.formula for ind in self.indicators}
        role = self.roles.get(role_id)
        todo = [plan.indicator for plan in role.plans] if role else []
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += formulas[name].names if name in formulas else []
        return frozenset(seen & set(self.inputs))
