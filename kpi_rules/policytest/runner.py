"""Run test cases: rows -> typed table -> the real engine -> expectations."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.data.raw import records_table
from kpi_rules.data.table import type_table
from kpi_rules.engine import evaluate
from kpi_rules.policy.compiler import compile_policy
from kpi_rules.policy.model import Policy
from kpi_rules.policy.validate import Validation, validate_file
from kpi_rules.policytest.coverage import Coverage
from kpi_rules.policytest.expect import compare, show
from kpi_rules.policytest.loadfile import load_test_file
from kpi_rules.policytest.model import Case, CaseResult, FileResult, TestFile

SUMMARY_FIELDS = ("individual", "team_score", "bonus", "deduction", "coefficient_team", "final", "grade", "veto")


class _Policies:
    """Each policy file is validated and compiled once per run."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[Validation, Policy | None]] = {}

    def get(self, file: str) -> tuple[Validation, Policy | None]:
        key = Path(file).resolve()
        if key not in self._cache:
            validation = validate_file(file)
            self._cache[key] = (validation, compile_policy(validation) if validation.ok else None)
        return self._cache[key]


def _suggestion_ids(policy: Policy, fired: list[str]) -> list[str]:
    """Suggestions as reported (their text, or their id) -> ids."""
    by_text = {s.text: s.id for s in policy.suggestions}
    return [by_text.get(f, f) for f in fired]


def run_case(test: TestFile, case: Case, policy: Policy, coverage: Coverage) -> CaseResult:
    result = CaseResult(test.file, case.name, case.mark.line, case.mark.col)
    digest = hashlib.sha256(json.dumps(case.rows, sort_keys=True, default=str).encode()).hexdigest()
    raw = records_table(test.file, digest, list(case.rows), case.row_lines)
    try:
        table = type_table(policy, raw)
        evaluation = evaluate(policy, table, case.period)
    except KpiRulesError as exc:
        result.error = str(exc)
        return result
    except Exception as exc:  # an engine crash fails this case; the other cases still run
        result.error = f"internal error: {type(exc).__name__}: {exc}"
        return result
    result.notes = list(table.notes)
    coverage.add(test.policy, evaluation)
    rows = evaluation.result.employees()
    by_id: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_id.setdefault(str(row["employee_id"]), row)
    for expectation in case.expectations:
        actual = rows[0] if expectation.employee_id is None and len(rows) == 1 else by_id.get(
            expectation.employee_id or "")
        if actual is None:
            others = f"; rows of other periods are not evaluated: {', '.join(evaluation.other_periods)}" if (
                evaluation.other_periods) else ""
            result.error = (f"no result for employee {expectation.employee_id} in {evaluation.period} "
                            f"(results: {', '.join(by_id) or 'none'}{others})")
            continue
        ids = _suggestion_ids(policy, actual.get("suggestions") or [])
        mismatches = compare(expectation, actual, ids)
        if mismatches:
            result.notes.append(_outline(actual))
        result.mismatches += mismatches
    return result


def _outline(row: dict[str, Any]) -> str:
    """One line with the employee's whole result, to help whoever fixes the case."""
    parts = [f"{name} {show(row.get(name))}" for name in SUMMARY_FIELDS if row.get(name) is not None]
    return f"{row['employee_id']}: status {row['status']}, " + ", ".join(parts)


def run_file(test: TestFile, policies: _Policies, coverage: Coverage) -> FileResult:
    outcome = FileResult(test.file, test.policy)
    if not test.ok:
        assert test.validation is not None
        outcome.invalid.append(test.validation)
        return outcome
    validation, policy = policies.get(test.policy)
    if policy is None:
        outcome.invalid.append(validation)
        return outcome
    coverage.register(test.policy, policy)
    outcome.cases = [run_case(test, case, policy, coverage) for case in test.cases]
    return outcome


def run_files(files: Iterable[str | Path]) -> tuple[list[FileResult], Coverage]:
    """Run every case of every test file; returns the outcomes and the coverage of each policy."""
    policies = _Policies()
    coverage = Coverage()
    results = [run_file(load_test_file(f), policies, coverage) for f in files]
    return results, coverage
