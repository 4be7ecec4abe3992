"""Policy formulas: parse once (allow-listed), evaluate over columns."""

from kpi_rules.policy.formula.aggregate import Groups
from kpi_rules.policy.formula.evaluator import ColumnEvaluator, Outcome
from kpi_rules.policy.formula.grammar import (
    AGGREGATE_FUNCTIONS,
    BASE_FUNCTIONS,
    NUMERIC_FUNCTIONS,
    SUGGESTION_FUNCTIONS,
)
from kpi_rules.policy.formula.parse import Formula, FormulaIssue, parse
from kpi_rules.policy.formula.vector import Fail

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "BASE_FUNCTIONS",
    "NUMERIC_FUNCTIONS",
    "SUGGESTION_FUNCTIONS",
    "ColumnEvaluator",
    "Fail",
    "Formula",
    "FormulaIssue",
    "Groups",
    "Outcome",
    "parse",
]
