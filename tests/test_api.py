"""The library API: what another system calls, without the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

import kpi_rules
from kpi_rules import DataFileError, PolicyInvalid, evaluate, evaluation_to_dict, load_data, load_policy

ROOT = Path(__file__).resolve().parent.parent


def test_the_worked_example_through_the_library() -> None:
    policy = load_policy(ROOT / "tests" / "examples" / "worked" / "policy.yaml")
    table = load_data(policy, ROOT / "tests" / "examples" / "worked" / "data.csv")
    document = evaluation_to_dict(evaluate(policy, table))
    (employee,) = document["employees"]
    assert (employee["final"], employee["grade"]) == (106.85, "A")
    assert document["policy"]["sha256"] == policy.sha256


def test_columns_map_a_header_to_a_reserved_name(tmp_path: Path) -> None:
    policy = load_policy(ROOT / "tests" / "examples" / "worked" / "policy.yaml")
    text = (ROOT / "tests" / "examples" / "worked" / "data.csv").read_text(encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text(text.replace("employee_id", "工号", 1), encoding="utf-8")
    table = load_data(policy, data, columns={"employee_id": "工号"})
    assert evaluation_to_dict(evaluate(policy, table))["employees"][0]["employee_id"] == "E001"


def test_an_invalid_policy_raises_with_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "policies" / "ops-department.yaml").read_text(encoding="utf-8")
                   .replace("paid_users / registrations", "paid_user / registrations"), encoding="utf-8")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(bad)
    assert [p.code for p in caught.value.problems if p.is_error] == ["KR104"]


def test_an_unreadable_data_file_raises(tmp_path: Path) -> None:
    policy = load_policy(ROOT / "tests" / "examples" / "worked" / "policy.yaml")
    text = tmp_path / "data.txt"
    text.write_text("employee_id\nE1\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="unknown data format"):
        load_data(policy, text)
    with pytest.raises(DataFileError, match="cannot be read"):
        load_data(policy, tmp_path / "missing.csv")


def test_every_public_name_is_exported() -> None:
    assert all(hasattr(kpi_rules, name) for name in kpi_rules.__all__)


def test_data_without_periods_is_appraised_as_one_unnamed_period(tmp_path: Path) -> None:
    policy = load_policy(ROOT / "tests" / "examples" / "worked" / "policy.yaml")
    text = (ROOT / "tests" / "examples" / "worked" / "data.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if name != "period"]
    data = tmp_path / "d.csv"
    data.write_text("\n".join(",".join(line.split(",")[i] for i in keep) for line in lines) + "\n", encoding="utf-8")
    document = evaluation_to_dict(evaluate(policy, load_data(policy, data)))
    assert document["period"] is None
    (employee,) = document["employees"]
    assert (employee["period"], employee["final"], employee["grade"]) == (None, 106.85, "A")
    import json

    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "schemas" / "results.schema.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(json.loads(json.dumps(document)))) == []


def test_a_policy_file_that_cannot_be_read_is_a_kpi_rules_error(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.yaml", tmp_path):
        with pytest.raises(kpi_rules.PolicyFileError, match="cannot be read"):
            kpi_rules.load_policy(path)
        with pytest.raises(kpi_rules.KpiRulesError):
            kpi_rules.validate_file(path)
    assert issubclass(kpi_rules.EmployeeNotFound, kpi_rules.KpiRulesError)
