"""The library as an integrator uses it: a service that shares loaded policies and tables
between requests and threads, and that never writes a temporary file."""

from __future__ import annotations

import ast
import gc
import itertools
import json
import pkgutil
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import kpi_rules
from kpi_rules import (
    PeriodChoiceError,
    PolicyInvalid,
    TableMismatch,
    evaluate,
    evaluation_to_dict,
    load_bytes,
    load_data,
    load_policy,
    load_records,
    to_csv,
    to_json,
)
from kpi_rules.common import perf

ROOT = Path(__file__).resolve().parents[1]
OPS = ROOT / "policies" / "ops-department.yaml"
OPS_DATA = ROOT / "examples" / "ops-2024.csv"
RESULTS_SCHEMA = Draft202012Validator(json.loads((ROOT / "schemas" / "results.schema.json").read_text("utf-8")))


def _employee(document: dict[str, Any], employee_id: str) -> dict[str, Any]:
    return next(row for row in document["employees"] if row["employee_id"] == employee_id)


# --- every public name is the thing README documents, whatever was imported before ---------------

IMPORTS = ["import kpi_rules.explanation", "from kpi_rules import *", "import kpi_rules.explanation.person",
           "import kpi_rules.engine, kpi_rules.diff, kpi_rules.report, kpi_rules.writers"]
CHECK = """
import importlib, pkgutil, types, kpi_rules, kpi_rules.api as api
from kpi_rules import explain, evaluate, load_data
assert callable(explain) and explain is api.explain and explain.__module__ == "kpi_rules.explanation.person", explain
for name in kpi_rules.__all__:
    value = getattr(kpi_rules, name)
    assert value is getattr(api, name), name
    assert not isinstance(value, types.ModuleType), name
print("ok")
"""


@pytest.mark.parametrize("order", list(itertools.permutations(IMPORTS, 3)), ids=lambda o: " > ".join(o))
def test_public_names_resolve_to_the_api_in_every_import_order(order: tuple[str, ...]) -> None:
    done = subprocess.run([sys.executable, "-c", "\n".join(order) + CHECK], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr[-2000:]


def test_no_public_name_is_also_a_submodule_name() -> None:
    # `import kpi_rules.X` binds X on the package, replacing a lazily exported X: a public name
    # that is also a submodule's name would change meaning with what was imported before.
    submodules = {info.name for info in pkgutil.iter_modules(kpi_rules.__path__)}
    assert "explanation" in submodules  # the walk sees the packages
    assert not submodules & set(kpi_rules.__all__)


def test_the_package_and_the_api_export_the_same_names_and_type_them() -> None:
    from kpi_rules import api

    assert sorted(kpi_rules.__all__) == sorted(api.__all__)
    tree = ast.parse((ROOT / "kpi_rules" / "__init__.py").read_text(encoding="utf-8"))
    typed = {alias.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module == "kpi_rules.api" for alias in node.names}
    assert typed == set(api.__all__) - {"__version__"}  # what mypy sees is what exists


# --- a table remembers the policy it was typed against -----------------------------------------


def _roles_reordered(tmp_path: Path) -> Path:
    text = OPS.read_text(encoding="utf-8")
    start, middle, end = text.index("  ops_manager:\n"), text.index("  ops_specialist:\n"), text.index(
        "  data_analyst:\n")
    moved = text[:start] + text[middle:end] + text[start:middle] + text[end:]
    assert moved != text and sorted(moved.splitlines()) == sorted(text.splitlines())
    path = tmp_path / "ops-reordered.yaml"
    path.write_text(moved, encoding="utf-8")
    return path


def test_a_table_evaluated_with_a_policy_that_types_it_differently_raises(tmp_path: Path) -> None:
    policy, other = load_policy(OPS), load_policy(_roles_reordered(tmp_path))
    table = load_data(policy, OPS_DATA)
    right = _employee(evaluation_to_dict(evaluate(policy, table, "2024-Q2")), "E002")
    assert (right["grade"], right["final"]) == ("B", 89.67)
    with pytest.raises(TableMismatch, match="loaded for another policy"):
        evaluate(other, table, "2024-Q2")
    # Loaded for the reordered policy, the same person gets the same grade.
    again = _employee(evaluation_to_dict(evaluate(other, load_data(other, OPS_DATA), "2024-Q2")), "E002")
    assert (again["grade"], again["final"]) == ("B", 89.67)


def test_a_policy_that_types_data_the_same_way_may_share_the_table(tmp_path: Path) -> None:
    policy = load_policy(OPS)
    copy = tmp_path / "copy.yaml"
    copy.write_text(OPS.read_text(encoding="utf-8") + "\n# the same policy, another file\n", "utf-8")
    other = load_policy(copy)
    assert other.sha256 != policy.sha256
    table = load_data(policy, OPS_DATA)
    assert evaluation_to_dict(evaluate(other, table, "2024-Q2"))["employees"] == \
        evaluation_to_dict(evaluate(policy, table, "2024-Q2"))["employees"]


# --- what the library returns belongs to the caller ---------------------------------------------


def test_the_results_dict_is_the_callers_to_change() -> None:
    policy = load_policy(OPS)
    table = load_data(policy, OPS_DATA)
    ev = evaluate(policy, table, "2024-Q2")
    first = evaluation_to_dict(ev)
    expected = json.loads(json.dumps(first, ensure_ascii=False))
    for row in first["employees"]:
        row.pop("name")
        row["reasons"].append("changed")
        row["indicators"].clear()
    first["data"]["notes"].append("a note of the caller's")
    first["teams"].clear()
    first["distribution"]["changed"] = True
    first["summary"]["grades"].clear()
    first["data"]["other_periods"].clear()
    assert evaluation_to_dict(ev) == expected
    assert evaluation_to_dict(evaluate(policy, table, "2024-Q2")) == expected
    assert table.notes == []


def test_the_annual_breakdown_is_the_callers_to_change() -> None:
    policy = load_policy(OPS)
    ev = evaluate(policy, load_data(policy, OPS_DATA), "2024")
    first = evaluation_to_dict(ev)
    _employee(first, "E002")["periods"]["2024-Q1"]["final"] = 0
    _employee(first, "E002")["periods"].clear()
    assert _employee(evaluation_to_dict(ev), "E002")["periods"]["2024-Q1"]["final"] == 101.56


# --- the garbage collector is the process's, not the library's ----------------------------------


def test_library_calls_never_switch_the_garbage_collector(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert not perf.ONE_RUN
    calls: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: calls.append("disable"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    policy = load_policy(OPS)
    table = load_data(policy, OPS_DATA)
    records = load_records(policy, [dict(zip(["employee_id", "role", "period"], ["E1", "ops_manager", "2024-Q2"]))])
    for ev in (evaluate(policy, table, "2024-Q2"), evaluate(policy, table, "2024"), evaluate(policy, records)):
        to_json(ev), to_csv(ev), evaluation_to_dict(ev)
    load_bytes(policy, OPS_DATA.read_bytes(), format="csv")
    assert calls == [] and gc.isenabled()


def test_another_thread_sees_the_collector_on_during_an_evaluation() -> None:
    policy = load_policy(OPS)
    table = load_data(policy, OPS_DATA)
    seen: set[bool] = set()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            seen.add(gc.isenabled())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        for _ in range(5):
            to_json(evaluate(policy, table, "2024"))
    finally:
        done.set()
        sampler.join()
    assert seen == {True}


# --- the annual review with an employee twice in a quarter --------------------------------------


def test_an_employee_twice_in_a_quarter_keeps_the_annual_document_valid_and_says_so(tmp_path: Path) -> None:
    lines = OPS_DATA.read_text(encoding="utf-8").splitlines()
    twice = next(line for line in lines if line.startswith("E002,") and ",2024-Q2," in line)
    data = tmp_path / "data.csv"
    data.write_text("\n".join([*lines, twice]) + "\n", encoding="utf-8")
    policy = load_policy(OPS)
    document = json.loads(to_json(evaluate(policy, load_data(policy, data), "2024")))
    assert not list(RESULTS_SCHEMA.iter_errors(document))
    row = _employee(document, "E002")
    assert list(row["periods"]) == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert row["periods"]["2024-Q2"] == {"status": "error", "line": lines.index(twice) + 1, "final": None,
                                         "grade": None}
    assert row["status"] == "rated"  # from the other three quarters, and it says so:
    assert f"2024-Q2 holds 2 rows for this employee (lines {lines.index(twice) + 1}, {len(lines) + 1}), " \
           "so the review leaves 2024-Q2 out" in row["reasons"]


# --- data from memory ---------------------------------------------------------------------------


def test_records_from_memory_evaluate_like_the_file() -> None:
    policy = load_policy(OPS)
    from_file = evaluation_to_dict(evaluate(policy, load_data(policy, ROOT / "examples" / "ops-2024.json"),
                                            "2024-Q2"))
    records = json.loads((ROOT / "examples" / "ops-2024.json").read_text(encoding="utf-8"))
    rows = records["rows"] if isinstance(records, dict) else records
    from_memory = evaluation_to_dict(evaluate(policy, load_records(policy, iter(rows), name="hr-db"), "2024-Q2"))
    assert from_memory["data"]["file"] == "hr-db"
    assert [(r["employee_id"], r["final"], r["grade"]) for r in from_memory["employees"]] == \
        [(r["employee_id"], r["final"], r["grade"]) for r in from_file["employees"]]


def test_a_bad_record_is_an_error_row_with_its_number() -> None:
    policy = load_policy(OPS)
    table = load_records(policy, [{"employee_id": "E1", "role": "ops_manager", "period": "2024-Q2",
                                   "visits": "many"}, ["not", "a", "mapping"]])
    rows = evaluation_to_dict(evaluate(policy, table))["employees"]
    assert [r["status"] for r in rows] == ["error", "error"]
    assert any("`visits`: 'many' is not a number (line 1)" in reason for reason in rows[0]["reasons"])
    assert rows[1]["reasons"][0] == "record 2 is not an object with named fields"


def test_bytes_from_memory_evaluate_like_the_file() -> None:
    policy = load_policy(OPS)
    expected = evaluation_to_dict(evaluate(policy, load_data(policy, OPS_DATA), "2024-Q2"))
    for data, kwargs in ((OPS_DATA.read_bytes(), {"format": "csv", "name": "upload"}),
                         ((ROOT / "examples" / "ops-2024.xlsx").read_bytes(), {"name": "ops-2024.xlsx"})):
        got = evaluation_to_dict(evaluate(policy, load_bytes(policy, data, **kwargs), "2024-Q2"))
        assert got["data"]["file"] == kwargs["name"]
        assert got["employees"] == expected["employees"]


def test_bytes_without_a_known_format_raise() -> None:
    policy = load_policy(OPS)
    with pytest.raises(kpi_rules.DataFileError, match="hr-db: no rows"):
        load_records(policy, [], name="hr-db")
    with pytest.raises(kpi_rules.DataFileError, match="unknown data format"):
        load_bytes(policy, b"employee_id\nE1\n", name="upload")


# --- a period without rows, and problems' column ------------------------------------------------


def test_a_period_the_data_has_no_rows_for_raises_what_the_cli_says() -> None:
    policy = load_policy(OPS)
    lines = OPS_DATA.read_text(encoding="utf-8").splitlines(keepends=True)
    table = load_bytes(policy, "".join(line for line in lines if "2024-Q3" not in line).encode(), name="a.csv")
    with pytest.raises(PeriodChoiceError) as caught:
        evaluate(policy, table, "2024-Q3")
    assert str(caught.value) == ("the data has no rows for 2024-Q3 (it holds 2024-Q1, 2024-Q2, 2024-Q4); "
                                 "check the period argument")
    assert evaluate(policy, table, "2024-Q2").result.n == 40


def test_a_problem_has_col_and_column_is_a_deprecated_alias(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(OPS.read_text(encoding="utf-8").replace("paid_users / registrations", "paid_user / registrations"),
                   encoding="utf-8")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(bad)
    problem = caught.value.problems[0]
    assert problem.col > 1
    with pytest.warns(DeprecationWarning, match="use Problem.col"):
        assert problem.column == problem.col
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert problem.to_dict()["col"] == problem.col


def test_threads_sharing_a_policy_and_a_table_get_what_one_thread_gets() -> None:
    policy = load_policy(OPS)
    table = load_data(policy, OPS_DATA)
    expected = [to_json(evaluate(policy, table, period)) for period in ("2024-Q2", "2024")]
    got: list[list[str]] = []

    def work() -> None:
        got.append([to_json(evaluate(policy, table, period)) for period in ("2024-Q2", "2024")])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == [expected] * 4
