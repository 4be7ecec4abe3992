"""kpi-rules: employee appraisal policy as code.

The public API is `kpi_rules.api`, re-exported here. It is imported on first use
(PEP 562), so the command line starts without loading what a command does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from kpi_rules.common.version import __version__

if TYPE_CHECKING:
    from kpi_rules.api import (
        Calibration,
        CalibrationInvalid,
        DataFileError,
        EmployeeNotFound,
        Evaluation,
        KpiRulesError,
        PeriodChoiceError,
        PolicyFileError,
        PolicyInvalid,
        Problem,
        Severity,
        TableMismatch,
        Validation,
        compile_policy,
        evaluate,
        evaluation_to_dict,
        explain,
        load_bytes,
        load_calibration,
        load_data,
        load_policy,
        load_records,
        to_csv,
        to_json,
        validate_bytes,
        validate_file,
    )

__all__ = [
    "Calibration",
    "CalibrationInvalid",
    "DataFileError",
    "EmployeeNotFound",
    "Evaluation",
    "KpiRulesError",
    "PeriodChoiceError",
    "PolicyFileError",
    "PolicyInvalid",
    "Problem",
    "Severity",
    "TableMismatch",
    "Validation",
    "__version__",
    "compile_policy",
    "evaluate",
    "evaluation_to_dict",
    "explain",
    "load_bytes",
    "load_calibration",
    "load_data",
    "load_policy",
    "load_records",
    "to_csv",
    "to_json",
    "validate_bytes",
    "validate_file",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(import_module("kpi_rules.api"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kpi_rules' has no attribute {name!r}")
