"""A NUL byte inside one cell affects only its row, in every output format (issue 12, section 6)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_rules.cli import main

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "ops-department.yaml"
MESSAGE = "the cell `name` holds a NUL byte (an invisible control character, shown as \\x00)"


def q1_rows() -> list[dict[str, str]]:
    with (ROOT / "examples" / "ops-2024.csv").open(encoding="utf-8-sig", newline="") as f:
        return [r for r in csv.DictReader(f) if r["period"] == "2024-Q1"]


def nul_data(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """Q1 of the example data with a NUL byte inside the fourth row's name; that row's employee id."""
    rows = q1_rows()
    rows[3]["name"] = rows[3]["name"][:1] + "\0" + rows[3]["name"][1:]
    path = tmp_path / f"data.{kind}"
    if kind == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    else:
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path, rows[3]["employee_id"]


@pytest.mark.parametrize("kind", ["csv", "json"])
@pytest.mark.parametrize("fmt", ["json", "csv", "md", "html"])
def test_one_nul_byte_affects_only_its_row(tmp_path: Path, kind: str, fmt: str) -> None:
    data, bad = nul_data(tmp_path, kind)
    out = tmp_path / f"out.{fmt}"
    result = CliRunner().invoke(main, ["evaluate", str(POLICY), "--data", str(data), "--period", "2024-Q1",
                                       "--format", fmt, "--out", str(out)])
    assert result.exit_code == 1, result.output  # one row is an error
    assert "40 rows: 39 rated, 0 not rated, 1 errors" in result.output
    written = out.read_bytes()
    assert b"\0" not in written
    text = written.decode("utf-8")
    for row in q1_rows():  # every employee is written, the others rated as without the byte
        assert row["employee_id"] in text
    if fmt == "json":
        employees = {e["employee_id"]: e for e in json.loads(text)["employees"]}
        assert len(employees) == 40
        assert employees[bad]["status"] == "error"
        assert employees[bad]["name"].count("\\x00") == 1
        line = 5 if kind == "csv" else 4
        assert employees[bad]["reasons"] == [f"{MESSAGE}: retype that cell in the data file (line {line})"]
        assert sum(e["status"] == "rated" for e in employees.values()) == 39
    if fmt == "csv":
        lines = list(csv.DictReader(text.lstrip("\ufeff").splitlines()))
        assert [r["status"] for r in lines if r["employee_id"] == bad] == ["error"]
        assert sum(r["status"] == "rated" for r in lines) == 39


def test_a_binary_file_is_still_refused(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes("employee_id,role\nE1,r\n".encode("utf-16-le"))
    result = CliRunner().invoke(main, ["evaluate", str(POLICY), "--data", str(data), "--period", "2024-Q1"])
    assert result.exit_code == 1
    assert "NUL byte" in result.output
