"""kpi-rules: employee appraisal policy as code."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .problems import KpiRulesError, PolicyInvalid, Problem, Severity
from .validate import Validation, validate_bytes, validate_file

try:
    __version__ = version("kpi-rules")
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0.0.0+checkout"

__all__ = [
    "KpiRulesError",
    "PolicyInvalid",
    "Problem",
    "Severity",
    "Validation",
    "__version__",
    "validate_bytes",
    "validate_file",
]
