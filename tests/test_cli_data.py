"""`kpi-rules evaluate` with data as Excel and HR hand it over (issue 12, section 3): exact
messages and exit statuses through the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kpi_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "ops-department.yaml"
LINES = (ROOT / "examples" / "ops-2024.csv").read_text(encoding="utf-8").splitlines()
HEADER, ROWS = LINES[0], LINES[1:]


def quarter(tmp_path: Path, name: str, q: str, header: str = HEADER, sep: str = ",", tail: str = "") -> Path:
    path = tmp_path / name
    rows = [r for r in ROWS if f",2024-{q}," in r]
    path.write_text("\n".join([header.replace(",", sep)] + [r.replace(",", sep) for r in rows]) + "\n" + tail,
                    encoding="utf-8")
    return path


def run(*args: str, stdin: bytes | None = None) -> Result:
    result = CliRunner().invoke(main, ["evaluate", str(POLICY), *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_a_cp1252_file_keeps_its_names_and_says_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "q2.csv"
    rows = [r.split(",") for r in ROWS if ",2024-Q2," in r]
    for k, row in enumerate(rows):
        row[1] = f"Jürgen Müller {k}"  # Western Excel's "CSV" holds no Chinese names
    path.write_bytes(("\n".join([HEADER] + [",".join(r) for r in rows]) + "\n").encode("cp1252"))
    result = run("--data", str(path), "--period", "2024-Q2")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["employees"][0]["name"] == "Jürgen Müller 0"
    note = ("the file is not UTF-8 and was read as Windows-1252 (as Western Excel saves CSV); "
            "if names look wrong, save it as UTF-8 or pass --encoding")
    assert doc["data"]["notes"] == [note]
    assert f"warning: {path}: {note}\n" in result.stderr
    assert json.loads(run("--data", str(path), "--period", "2024-Q2", "--encoding", "ansi").stdout)[
        "employees"][0]["name"] == "Jürgen Müller 0"


def test_an_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    result = run("--data", str(quarter(tmp_path, "q2.csv", "Q2")), "--encoding", "klingon")
    assert result.exit_code == 2
    assert ("Error: Invalid value for '--encoding': unknown encoding 'klingon'; use one of utf-8, "
            "ansi (= cp1252, Western Excel), latin-1, gbk (= gb18030, Chinese Excel)") in result.stderr


def test_a_semicolon_file_is_read_and_said(tmp_path: Path) -> None:
    path = quarter(tmp_path, "q2.csv", "Q2", sep=";")
    result = run("--data", str(path), "--period", "2024-Q2")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["error"] == 0
    assert (f"warning: {path}: the cells are separated by `;` (as European Excel saves CSV), and were read so\n"
            in result.stderr)


def test_excel_rows_of_empty_cells_do_not_make_errors(tmp_path: Path) -> None:
    path = quarter(tmp_path, "q2.csv", "Q2", tail=f"{',' * HEADER.count(',')}\n" * 3)
    result = run("--data", str(path), "--period", "2024-Q2")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["data"]["notes"] == ["3 empty rows (lines 42-44) skipped: every cell is empty"]


def test_a_header_in_other_case_is_one_error_naming_column(tmp_path: Path) -> None:
    path = quarter(tmp_path, "q2.csv", "Q2", header=HEADER.replace("employee_id", "Employee_ID"))
    result = run("--data", str(path), "--period", "2024-Q2")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"error: {path}: the required column `employee_id` is not in the file, but "
                             "`Employee_ID` is: if it is the same, pass --column employee_id=Employee_ID\n")
    assert run("--data", str(path), "--period", "2024-Q2", "--column", "employee_id=Employee_ID").exit_code == 0


def test_a_file_with_none_of_the_columns_and_a_title_row(tmp_path: Path) -> None:
    path = tmp_path / "q2.csv"
    path.write_text("Ops appraisal 2024-Q2,,\n" + quarter(tmp_path, "x.csv", "Q2").read_text(encoding="utf-8"),
                    encoding="utf-8")
    result = run("--data", str(path), "--period", "2024-Q2")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"error: {path}: none of the policy's columns (employee_id, role, ")
    assert "whose header reads: Ops appraisal 2024-Q2; if the column names are on a later row" in result.stderr
    assert result.stderr.count("\n") == 1  # one error, not one per row
    result = run("--data", str(path), "--period", "2024-Q2", "--header-row", "2")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["employees"][0]["line"] == 3


@pytest.mark.parametrize(("name", "text"), [("q2.csv", HEADER + "\n"), ("q2.json", "[]")])
def test_an_empty_data_file_is_an_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run("--data", str(path), "--period", "2024-Q2")
    kind = "row" if name.endswith("csv") else "record"
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"error: {path}: no rows: the file holds no {kind} below its header to evaluate; "
                             "is it the right file, saved after the data was entered?\n")


def test_four_quarters_at_once_for_the_annual_review(tmp_path: Path) -> None:
    files = [quarter(tmp_path, f"q{k}.csv", f"Q{k}") for k in (1, 2, 3, 4)]
    bad = files[1].read_text(encoding="utf-8").splitlines()
    bad[4] = bad[4].replace(",ops_", ",opz_", 1)
    files[1].write_text("\n".join(bad) + "\n", encoding="utf-8")
    args = [a for f in files for a in ("--data", str(f))]
    result = run(*args, "--period", "2024", "--format", "csv", "--excel")
    assert result.exit_code == 1  # the bad Q2 row
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbfemployee_id,")
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert [k for k in rows[0] if k.startswith(("final_2024", "grade_2024"))] == [
        "final_2024-Q1", "grade_2024-Q1", "final_2024-Q2", "grade_2024-Q2", "final_2024-Q3", "grade_2024-Q3",
        "final_2024-Q4", "grade_2024-Q4"]
    e001 = rows[0]
    assert e001["employee_id"] == "E001" and e001["final_2024-Q1"] == "81.81" and e001["grade_2024-Q1"] == "C"
    doc = json.loads(run(*args, "--period", "2024").stdout)
    assert doc["data"]["file"] == "q1.csv, q2.csv, q3.csv, q4.csv"
    assert [f["file"] for f in doc["data"]["files"]] == ["q1.csv", "q2.csv", "q3.csv", "q4.csv"]
    reasons = [r for e in doc["employees"] for r in e["reasons"]]
    assert any(r.endswith("(line q2.csv:5)") and "opz_" in r for r in reasons), reasons


def test_excel_is_for_csv(tmp_path: Path) -> None:
    result = run("--data", str(quarter(tmp_path, "q2.csv", "Q2")), "--excel")
    assert result.exit_code == 2
    assert "Error: --excel is for --format csv (a byte order mark for Excel)" in result.stderr


def test_standard_input_needs_its_format(tmp_path: Path) -> None:
    data = quarter(tmp_path, "q2.csv", "Q2").read_bytes()
    result = run("--data", "-", "--period", "2024-Q2", stdin=data)
    assert result.exit_code == 2
    assert "Error: --data - reads standard input: say its format with --data-format csv|json|jsonl|yaml|xlsx" \
        in result.stderr
    result = run("--data", "-", "--data-format", "csv", "--period", "2024-Q2", "--out", "-", stdin=data)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["data"]["file"] == "stdin"
    assert not (Path.cwd() / "-").exists()


def test_a_file_without_an_extension_with_data_format(tmp_path: Path) -> None:
    path = tmp_path / "export"
    path.write_bytes(quarter(tmp_path, "q2.csv", "Q2").read_bytes())
    result = run("--data", str(path), "--period", "2024-Q2")
    assert result.exit_code == 1
    assert "say which with --data-format csv|json|jsonl|yaml|xlsx" in result.stderr
    assert run("--data", str(path), "--data-format", "csv", "--period", "2024-Q2").exit_code == 0


def test_pipes_in_a_real_process(tmp_path: Path) -> None:
    data = quarter(tmp_path, "q2.csv", "Q2").read_bytes()
    done = subprocess.run([sys.executable, "-m", "kpi_rules", "evaluate", str(POLICY), "--data", "-",
                           "--data-format", "csv", "--period", "2024-Q2", "--format", "csv", "--out", "-"],
                          input=data, capture_output=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"employee_id,name,")  # no byte order mark unless --excel
    assert done.stderr.decode().endswith("0 input rows with errors\n")
    assert list(tmp_path.iterdir()) == [tmp_path / "q2.csv"]


def test_explain_reads_several_files(tmp_path: Path) -> None:
    files = [quarter(tmp_path, f"q{k}.csv", f"Q{k}") for k in (1, 2)]
    result = CliRunner().invoke(main, ["explain", str(POLICY), "--data", str(files[0]), "--data", str(files[1]),
                                       "--period", "2024-Q2", "--employee", "E001"])
    assert result.exit_code == 0, result.output
    assert "E001" in result.stdout


def test_results_of_several_files_and_of_one_validate_against_the_schema(tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json.loads((ROOT / "schemas" / "results.schema.json").read_text(encoding="utf-8")))
    files = [quarter(tmp_path, f"q{k}.csv", f"Q{k}") for k in (1, 2)]
    for args in (["--data", str(files[0]), "--data", str(files[1])], ["--data", str(files[0])]):
        for period in ("2024-Q1", "2024"):
            doc = json.loads(run(*args, "--period", period).stdout)
            assert sorted(validator.iter_errors(doc), key=str) == []
            assert ("files" in doc["data"]) == (len(args) == 4)


def test_one_of_several_files_naming_a_column_differently_is_one_error(tmp_path: Path) -> None:
    q1 = quarter(tmp_path, "q1.csv", "Q1")
    q2 = quarter(tmp_path, "q2.csv", "Q2", header=HEADER.replace("employee_id", "Employee_ID"))
    result = run("--data", str(q1), "--data", str(q2), "--period", "2024")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("error: q2.csv: the required column `employee_id` is not in the file, but "
                             "`Employee_ID` is: if it is the same, pass --column employee_id=Employee_ID\n")
    result = run("--data", str(q1), "--data", str(q2), "--period", "2024", "--column", "employee_id=Employee_ID")
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("name", ["q2.json", "q2.yaml", "-"])
def test_header_row_on_json_or_yaml_is_a_usage_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name != "-":
        path.write_text("[]", encoding="utf-8")
    fmt = ["--data-format", "jsonl"] if name == "-" else []
    result = run("--data", name if name == "-" else str(path), *fmt, "--header-row", "2", stdin=b"")
    shown, kind = ("stdin", "jsonl") if name == "-" else (str(path), name.rsplit(".", 1)[1])
    assert result.exit_code == 2
    assert (f"Error: Invalid value for '--header-row': 2: it is for CSV files and Excel workbooks, whose column "
            f"names are on a row; {shown} is a {kind} file, which names its fields in each record: leave "
            "--header-row out") in " ".join(result.stderr.split())


def test_evaluate_help_lists_every_exit_status() -> None:
    text = " ".join(CliRunner().invoke(main, ["evaluate", "--help"]).stdout.split())
    assert ("1 when some input rows are errors (they are still in the output; in an annual review, in each "
            "employee's `periods`) or the policy is invalid, 2 on usage errors, 130 on Ctrl-C and 143 on SIGTERM "
            "(the file being written is removed), 141 (silent) when standard output is closed early "
            "(`| head`).") in text


def test_header_row_once_per_file(tmp_path: Path) -> None:
    q1 = quarter(tmp_path, "q1.csv", "Q1")
    q2 = tmp_path / "q2.csv"
    q2.write_text("Ops appraisal 2024-Q2,,\n" + quarter(tmp_path, "x.csv", "Q2").read_text(encoding="utf-8"),
                  encoding="utf-8")
    result = run("--data", str(q1), "--data", str(q2), "--header-row", "1", "--header-row", "2", "--period", "2024")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [f["rows"] for f in doc["data"]["files"]] == [40, 40]
    assert {p["2024-Q2"]["line"] for p in (e["periods"] for e in doc["employees"]) if "2024-Q2" in p} == set(
        range(3, 43))
    result = run("--data", str(q1), "--data", str(q2), "--header-row", "2", "--period", "2024")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {q1}: ")
    assert result.stderr.endswith(f"; --header-row 2 reads the column names of {q1} from its row 2: is that the row "
                                  "that holds them?\n")
    result = run("--data", str(q1), "--data", str(q2), "--data", str(q2), "--header-row", "1", "--header-row", "2")
    assert result.exit_code == 2
    assert ("Invalid value for '--header-row': given 2 times for 3 --data files: give it once for every file, or "
            "once per --data in the same order (--header-row 1 for a file without a title row)"
            ) in " ".join(result.stderr.split())
