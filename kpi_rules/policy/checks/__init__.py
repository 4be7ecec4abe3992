"""Semantic checks: what the schema cannot say about a policy.

Each check is a small function registered with a stable code and a name;
its docstring is its user documentation (rendered into docs/checks.md).
A check reads a `Context` (a shape-valid policy with its formulas parsed)
and yields `Finding`s; the runner places them at file:line:col.
"""

from __future__ import annotations

from kpi_rules.policy.checks import (  # noqa: F401  (registers the checks)
    advice,
    formulas,
    ordering,
    references,
    totals,
    usage,
)
from kpi_rules.policy.checks.registry import CHECKS, Check, Finding, run_checks

__all__ = ["CHECKS", "Check", "Finding", "run_checks"]
