"""schemas/results.schema.json describes what `kpi-rules evaluate --format json` emits.

The example data (examples/, written by examples/generate.py) is evaluated
through the Python API, for a period and for the roll-up review, and the
results must validate against the schema; their summary must account for
every input row of the scope. The schema must also reject results that are
wrong in shape, so it is not a schema that accepts anything.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kpi_rules import engine
from kpi_rules.data import readers
from kpi_rules.data import table as data
from kpi_rules.policy import compiler
from kpi_rules.writers import results_json as output

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCHEMA: dict[str, Any] = json.loads((ROOT / "schemas" / "results.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)

OPS = (ROOT / "policies" / "ops-department.yaml", EXAMPLES / "ops-2024.csv")
SUPPORT = (ROOT / "policies" / "customer-support.yaml", EXAMPLES / "support-2024.csv")

CASES = [
    pytest.param(*OPS, "2024-Q2", "period", id="ops-2024-Q2"),
    pytest.param(*OPS, "2024", "rollup", id="ops-2024-annual"),
    pytest.param(*OPS, "2024-Q4", "period", id="ops-2024-Q4-error-row"),
    pytest.param(*SUPPORT, "2024-04", "period", id="support-2024-04"),
    pytest.param(*SUPPORT, "2024-Q2", "rollup", id="support-2024-Q2-review"),
]


def evaluate(policy: Path, data_file: Path, period: str) -> dict[str, Any]:
    """The results as the CLI writes them: evaluation_to_dict, through JSON and back."""
    compiled = compiler.load_policy(policy)
    table = data.type_table(compiled, readers.read_table(data_file))
    evaluation = engine.evaluate(compiled, table, period)
    text = json.dumps(output.evaluation_to_dict(evaluation), ensure_ascii=False, sort_keys=True)
    result: dict[str, Any] = json.loads(text)
    return result


def input_rows(data_file: Path) -> list[dict[str, str]]:
    with data_file.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def schema_errors(instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in VALIDATOR.iter_errors(instance)]


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(("policy", "data_file", "period", "kind"), CASES)
def test_results_validate_and_account_for_every_row(policy: Path, data_file: Path, period: str, kind: str) -> None:
    result = evaluate(policy, data_file, period)
    assert schema_errors(result) == []
    assert result["period"] == period
    assert result["kind"] == kind

    rows = input_rows(data_file)
    summary = result["summary"]
    assert result["data"]["rows"] == len(rows)
    assert summary["rows"] == len(result["employees"])
    assert summary["rated"] + summary["not_rated"] + summary["error"] == summary["rows"]
    assert Counter(e["status"] for e in result["employees"]) == Counter(
        {s: summary[s] for s in ("rated", "not_rated", "error") if summary[s]})
    assert sum(summary["grades"].values()) == summary["rated"]

    if kind == "period":
        in_scope = [r for r in rows if r["period"] == period]
        assert summary["rows"] == len(in_scope)
        assert sorted(e["employee_id"] for e in result["employees"]) == sorted(r["employee_id"] for r in in_scope)
        others = Counter(r["period"] for r in rows if r["period"] != period)
        assert result["data"]["other_periods"] == dict(others)
    else:
        # The roll-up has one entry per employee; their period breakdowns hold every row of the scope.
        year_or_quarter = {"2024": ("2024-",), "2024-Q2": ("2024-04", "2024-05", "2024-06")}[period]
        in_scope = [r for r in rows if r["period"].startswith(year_or_quarter)]
        assert summary["rows"] == len({r["employee_id"] for r in in_scope})
        assert sum(len(e["periods"]) for e in result["employees"]) == len(in_scope)
        assert result["data"]["other_periods"] == dict(Counter(r["period"] for r in rows if r not in in_scope))


def test_edge_cases_of_the_example_data() -> None:
    """The deliberate cases examples/README.md documents, as the results show them."""
    def person(result: dict[str, Any], emp: str) -> dict[str, Any]:
        return next(e for e in result["employees"] if e["employee_id"] == emp)

    q1, q2 = evaluate(*OPS, "2024-Q1"), evaluate(*OPS, "2024-Q2")
    q3, q4, year = evaluate(*OPS, "2024-Q3"), evaluate(*OPS, "2024-Q4"), evaluate(*OPS, "2024")

    rate = person(q1, "E018")["indicators"]["complaint_rate"]
    assert rate["flags"] == ["div_zero", "excluded"] and rate["weight"] == 0

    vetoed = person(q2, "E012")
    assert (vetoed["veto"], vetoed["grade"]) == ("compliance", "D") and vetoed["final"] >= 110
    assert (person(year, "E012")["veto"], person(year, "E012")["grade"]) == ("compliance", "D")

    blank = person(q2, "E025")
    assert blank["status"] == "not_rated" and "could not be decided" in blank["reasons"][0]
    assert person(year, "E025")["status"] == "rated"

    assert person(q3, "E041")["status"] == "not_rated"
    assert person(q4, "E041")["status"] == "rated"
    assert person(year, "E041")["status"] == "not_rated"
    assert "needs at least 2" in person(year, "E041")["reasons"][-1]

    bad = person(q4, "E033")
    assert bad["status"] == "error" and "survey_score" in bad["reasons"][0]

    for result in (q1, q2, q3, q4, year):
        assert set(result["summary"]["grades"]) == {"S", "A", "B", "C", "D"}
        assert result["distribution"]["groups"][0]["moves"], "forced distribution moves somebody"
    assert {t["team"]: t["coefficient"] for t in q3["teams"]}["content"] == 0.9


@pytest.fixture(scope="module")
def ops_q2() -> dict[str, Any]:
    return evaluate(*OPS, "2024-Q2")


@pytest.mark.parametrize("spoil", [
    pytest.param(lambda r: r.update(extra=1), id="unknown-top-level-key"),
    pytest.param(lambda r: r["employees"][0].update(score=1), id="unknown-employee-key"),
    pytest.param(lambda r: r["employees"][0].pop("reasons"), id="employee-without-reasons"),
    pytest.param(lambda r: r["employees"][0].update(status="skipped"), id="unknown-status"),
    pytest.param(lambda r: r["employees"][0].update(final=None), id="rated-without-final"),
    pytest.param(lambda r: r["employees"][0].update(periods={}), id="periods-outside-a-rollup"),
    pytest.param(lambda r: r.update(kind="rollup"), id="rollup-without-periods"),
    pytest.param(lambda r: next(iter(r["employees"][0]["indicators"].values())).update(flags=["odd"]),
                 id="unknown-indicator-flag"),
    pytest.param(lambda r: r["summary"].pop("error"), id="summary-without-error-count"),
    pytest.param(lambda r: r["policy"].update(sha256="abc"), id="short-sha256"),
])
def test_schema_rejects_wrong_results(ops_q2: dict[str, Any], spoil: Any) -> None:
    result = copy.deepcopy(ops_q2)
    assert result["employees"][0]["status"] == "rated"
    spoil(result)
    assert schema_errors(result)


def test_not_rated_rows_carry_no_scores(ops_q2: dict[str, Any]) -> None:
    result = copy.deepcopy(ops_q2)
    row = next(e for e in result["employees"] if e["status"] == "not_rated")
    assert schema_errors(result) == []
    row["final"] = 99.5
    assert schema_errors(result)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("examples_generate", EXAMPLES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_example_data_matches_the_generator() -> None:
    gen = _generator()
    ops = gen.ops_rows()
    assert (EXAMPLES / "ops-2024.csv").read_text(encoding="utf-8") == gen.csv_text(gen.OPS_COLUMNS, ops)
    assert (EXAMPLES / "ops-2024.json").read_text(encoding="utf-8") == gen.json_text(gen.OPS_COLUMNS, ops)
    support = gen.support_rows()
    assert (EXAMPLES / "support-2024.csv").read_text(encoding="utf-8") == gen.csv_text(gen.SUPPORT_COLUMNS, support)


@pytest.mark.parametrize("suffix", [".json", ".xlsx"])
def test_example_formats_give_the_same_results(ops_q2: dict[str, Any], suffix: str) -> None:
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
    other = evaluate(OPS[0], EXAMPLES / f"ops-2024{suffix}", "2024-Q2")
    assert schema_errors(other) == []

    def strip(result: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "line"} for e in result["employees"]]

    assert strip(other) == strip(ops_q2)
    assert other["summary"] == ops_q2["summary"]
