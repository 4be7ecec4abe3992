"""Policy tests (`kpi-rules test`): test files with input rows and expected
results, run against the real engine, with coverage of which bands, grades
and rules the cases reached.

Modelled on `opa test` (table-driven cases, coverage) and Cedar's
`run-tests` (expect the reason, not only the result).
"""

from __future__ import annotations

from .coverage import Coverage, CoverageReport
from .loadfile import TEST_SUFFIXES, load_test_file, test_files
from .model import Case, CaseResult, FileResult, Mismatch, TestFile
from .runner import run_files

__all__ = [
    "TEST_SUFFIXES", "Case", "CaseResult", "Coverage", "CoverageReport", "FileResult", "Mismatch", "TestFile",
    "load_test_file", "run_files", "test_files",
]
