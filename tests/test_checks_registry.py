"""The check registry against the list of codes the project promises.

Codes are stable: users silence, search and document them. The list below
is the conventions' list of semantic codes (KR1xx; the loader and schema
codes KR001-KR013 are not registered checks). Each code is registered under
its name, documented by its docstring, and shown failing by a golden case.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kpi_rules.policy.checks import CHECKS
from kpi_rules.policy.problems import Severity

SEMANTIC_CODES = {
    "KR101": "weights-total", "KR102": "formula-syntax", "KR103": "formula-construct",
    "KR104": "unknown-name", "KR105": "unknown-function", "KR106": "indicator-cycle",
    "KR107": "unknown-indicator", "KR108": "unknown-scale", "KR109": "bands-order",
    "KR110": "linear-order", "KR111": "grades-order", "KR112": "unknown-grade",
    "KR113": "quota-total", "KR114": "rollup-weights", "KR115": "blend-range",
    "KR116": "unused-input", "KR117": "unused-indicator", "KR118": "formula-type",
    "KR119": "formula-limits", "KR120": "unknown-group", "KR121": "missing-target",
    "KR122": "effective-dates", "KR123": "reserved-name", "KR124": "duplicate-id",
    "KR125": "team-aggregate", "KR126": "coefficient-order", "KR127": "team-key", "KR128": "number-range",
    "KR129": "fraction-percentage", "KR130": "uncapped-lower-zero", "KR131": "percent-unit-target",
}
LOADER_AND_SCHEMA_CODES = ["KR001", "KR002", "KR003", "KR004", "KR005", "KR010", "KR011", "KR012", "KR013"]
WARNINGS = {"KR116", "KR117", "KR129", "KR130", "KR131"}
INVALID = Path(__file__).resolve().parent / "examples" / "invalid"


def golden_codes() -> set[str]:
    codes: set[str] = set()
    for expected in INVALID.glob("*/expected.yaml"):
        codes.update(entry["code"] for entry in yaml.safe_load(expected.read_text(encoding="utf-8")))
    return codes


def test_every_code_is_registered_under_its_name() -> None:
    assert {code: check.name for code, check in CHECKS.items()} == SEMANTIC_CODES


@pytest.mark.parametrize("code", sorted(SEMANTIC_CODES))
def test_check_is_documented(code: str) -> None:
    doc = CHECKS[code].doc
    assert doc, f"{code} has no docstring"
    assert len(doc.split()) >= 8, f"{code}: the docstring is the user doc; say what is wrong and why"


@pytest.mark.parametrize("code", sorted(SEMANTIC_CODES))
def test_check_severity(code: str) -> None:
    expected = Severity.WARNING if code in WARNINGS else Severity.ERROR
    assert CHECKS[code].severity is expected


@pytest.mark.parametrize("code", sorted(SEMANTIC_CODES) + LOADER_AND_SCHEMA_CODES)
def test_code_has_a_golden_invalid_case(code: str) -> None:
    assert code in golden_codes(), f"no tests/examples/invalid/*/expected.yaml mentions {code}"
