"""kpi-rules: employee appraisal policy as code."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .api import load_data
from .compiler import compile_policy, load_policy
from .engine import Evaluation, PeriodChoiceError, evaluate
from .explain import explain
from .output import evaluation_to_dict, to_csv, to_json
from .problems import KpiRulesError, PolicyInvalid, Problem, Severity
from .readers import DataFileError
from .validate import Validation, validate_bytes, validate_file

try:
    __version__ = version("kpi-rules")
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0.0.0+checkout"

__all__ = [
    "DataFileError",
    "Evaluation",
    "KpiRulesError",
    "PeriodChoiceError",
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
