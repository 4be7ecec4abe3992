"""Policy formulas: parse once (allow-listed), evaluate over columns."""

from .aggregate import Groups
from .evaluator import ColumnEvaluator, Outcome
from .parse import (
    AGGREGATE_FUNCTIONS,
    BASE_FUNCTIONS,
    NUMERIC_FUNCTIONS,
    SUGGESTION_FUNCTIONS,
    Formula,
    FormulaIssue,
    parse,
)
from .vector import Fail

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
