"""Golden policies: every folder under tests/examples is one case.

`valid/<case>/policy.yaml` must validate without a single error or warning.
`invalid/<case>/policy.yaml` holds one mistake, and `expected.yaml` lists
every problem validation reports for it, as `{code, line, col}` (plus an
optional `message_contains`): the test compares the whole list, so a check
that fires too often fails as surely as one that stays silent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kpi_rules.policy.problems import Problem
from kpi_rules.policy.validate import policy_files, validate_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tests" / "examples"


def cases(kind: str) -> list[Path]:
    return sorted(path for path in (EXAMPLES / kind).iterdir() if path.is_dir())


def expected_of(folder: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    return entries


def describe(problems: list[Problem]) -> list[str]:
    return [f"{p.code} {p.line}:{p.col} {p.message}" for p in problems]


@pytest.mark.parametrize("folder", cases("valid"), ids=lambda path: path.name)
def test_valid_policy_has_no_problems(folder: Path) -> None:
    result = validate_file(folder / "policy.yaml")
    assert describe(result.problems) == []
    assert result.context is not None


@pytest.mark.parametrize("policy", sorted(policy_files([ROOT / "policies"])), ids=lambda path: path.name)
def test_example_policies_are_clean(policy: Path) -> None:
    assert describe(validate_file(policy).problems) == []


@pytest.mark.parametrize("folder", cases("invalid"), ids=lambda path: path.name)
def test_invalid_policy_reports_exactly_the_expected_problems(folder: Path) -> None:
    expected = expected_of(folder)
    result = validate_file(folder / "policy.yaml")
    got = sorted((p.code, p.line, p.col) for p in result.problems)
    want = sorted((e["code"], e["line"], e["col"]) for e in expected)
    assert got == want, "\n".join(describe(result.problems))
    for entry in expected:
        text = entry.get("message_contains")
        if text is None:
            continue
        where = (entry["code"], entry["line"], entry["col"])
        at = [p.message for p in result.problems if (p.code, p.line, p.col) == where]
        assert any(text in message for message in at), (text, at)


@pytest.mark.parametrize("folder", cases("invalid"), ids=lambda path: path.name)
def test_invalid_policy_hints_say_what_to_write(folder: Path) -> None:
    """`hint: '...'` in expected.yaml: the exact help line of that problem."""
    problems = validate_file(folder / "policy.yaml").problems
    for entry in expected_of(folder):
        if "hint" in entry:
            where = (entry["code"], entry["line"], entry["col"])
            assert [p.hint for p in problems if (p.code, p.line, p.col) == where] == [entry["hint"]]


@pytest.mark.parametrize("folder", cases("invalid"), ids=lambda path: path.name)
def test_every_problem_has_a_plain_message(folder: Path) -> None:
    for problem in validate_file(folder / "policy.yaml").problems:
        assert problem.message and problem.name, problem
        assert "Traceback" not in problem.message and "None" not in problem.message


def test_every_invalid_case_has_a_mistake_and_valid_ones_exist() -> None:
    assert len(cases("valid")) >= 3
    for folder in cases("invalid"):
        assert (folder / "policy.yaml").is_file(), folder
        assert expected_of(folder), f"{folder.name}: expected.yaml lists no problem"
