"""Policy tests (`kpi-rules test`): test files with input rows and expected
results, run against the real engine, with coverage of which bands, grades
and rules the cases reached.

Modelled on `opa test` (table-driven cases, coverage) and Cedar's
`run-tests` (expect the reason, not only the result).
"""

from __future__ import annotations

from kpi_rules.policytest.coverage import Coverage, CoverageReport
from kpi_rules.policytest.loadfile import TEST_SUFFIXES, load_test_file, test_files
from kpi_rules.policytest.model import Case, CaseResult, FileResult, Mismatch, TestFile
from kpi_rules.policytest.runner import run_files

__all__ = [
    "TEST_SUFFIXES", "Case", "CaseResult", "Coverage", "CoverageReport", "FileResult", "Mismatch", "TestFile",
    "load_test_file", "run_files", "test_files",
]
