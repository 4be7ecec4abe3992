"""The whole calculation for one employee, step by step, in the policy's language."""

from __future__ import annotations

from kpi_rules.explanation.person import EmployeeNotFound, explain

__all__ = ["EmployeeNotFound", "explain"]
