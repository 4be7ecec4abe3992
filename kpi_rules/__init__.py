"""kpi-rules: employee appraisal policy as code.

The library's API is imported on first use (PEP 562), so the command line
starts without loading what a command does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "load_data": "api", "compile_policy": "compiler", "load_policy": "compiler", "Evaluation": "engine",
    "PeriodChoiceError": "engine", "evaluate": "engine", "explain": "explain", "EmployeeNotFound": "explain",
    "evaluation_to_dict": "output", "to_csv": "output", "to_json": "output", "KpiRulesError": "problems",
    "PolicyFileError": "problems", "PolicyInvalid": "problems", "Problem": "problems", "Severity": "problems",
    "DataFileError": "readers", "Validation": "validate", "validate_bytes": "validate", "validate_file": "validate",
}

if TYPE_CHECKING:
    from .api import load_data
    from .compiler import compile_policy, load_policy
    from .engine import Evaluation, PeriodChoiceError, evaluate
    from .explain import EmployeeNotFound, explain
    from .output import evaluation_to_dict, to_csv, to_json
    from .problems import KpiRulesError, PolicyFileError, PolicyInvalid, Problem, Severity
    from .readers import DataFileError
    from .validate import Validation, validate_bytes, validate_file


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kpi_rules' has no attribute {name!r}")


__all__ = [
    "DataFileError",
    "EmployeeNotFound",
    "Evaluation",
    "KpiRulesError",
    "PeriodChoiceError",
    "PolicyFileError",
    "PolicyInvalid",
    "Problem",
    "Severity",
    "Validation",
    "__version__",
    "compile_policy",
    "evaluate",
    "evaluation_to_dict",
    "explain",
    "load_data",
    "load_policy",
    "to_csv",
    "to_json",
    "validate_bytes",
    "validate_file",
]
