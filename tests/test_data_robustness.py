"""Hostile and unusual data files: each is read faithfully, or refused with a
DataFileError naming the file, line and column, never with a traceback; a bad
cell makes only its row an error; nothing is silently changed or dropped.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import build_policy, by_id, load_table, write_policy

from kpi_rules.data import raw, read_csv, readers
from kpi_rules.data import read_yaml as yamldata
from kpi_rules.data.cells import number_column as _numbers
from kpi_rules.data.raw import DataFileError
from kpi_rules.data.read_yaml import core_scalar
from kpi_rules.data.readers import read_table
from kpi_rules.engine import evaluate
from kpi_rules.policy import loader
from kpi_rules.policy.loader import load_text

POLICY = """
inputs:
  sales: {type: number, min: 0}
  calls: {type: integer, min: 0}
  remote: {type: boolean, default: false}
  note: {type: string, required: false}
indicators:
  sales: {formula: sales}
  calls: {formula: calls}
scales:
  v: {type: formula, formula: value}
roles:
  rep:
    indicators:
      sales: {weight: 50%, scale: v}
      calls: {weight: 50%, scale: v}
"""
HEADER = "employee_id,role,period,sales,calls"


@pytest.fixture
def policy(tmp_path: Path) -> Any:
    return build_policy(tmp_path, POLICY)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refused(path: Path) -> str:
    with pytest.raises(DataFileError) as info:
        read_table(path)
    return str(info.value)


def reasons(policy: Any, path: Path) -> dict[str, list[str]]:
    return {k: v["reasons"] for k, v in by_id(evaluate(policy, load_table(policy, path), "2024-Q1")).items()}


# ---------------------------------------------------------------- 1. no tracebacks


def test_a_csv_cell_longer_than_pythons_default_limit_is_read(tmp_path: Path) -> None:
    note = "x" * 200_000  # csv's own limit is 131072
    raw = read_table(write(tmp_path, "d.csv", f"{HEADER},note\nE1,rep,2024-Q1,1,1,{note}\n"))
    assert raw.columns["note"] == [note]


def test_a_csv_cell_over_the_limit_names_its_line(tmp_path: Path) -> None:
    text = f"{HEADER}\nE1,rep,2024-Q1,1,1\n\nE2,rep,2024-Q1,{'1' * (raw.MAX_CELL + 1)},1\n"
    assert refused(write(tmp_path, "d.csv", text)) == (
        f"{tmp_path / 'd.csv'}: line 4: a cell holds more than 10,485,760 characters")


def test_csv_module_errors_become_data_file_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_CELL", 12)  # `employee_id` has 11
    monkeypatch.setattr(read_csv, "MAX_CELL", 12)
    text = f"{HEADER}\nE1,rep,2024-Q1,1,1\nE2,rep,2024-Q1,1234567890123,1\n"
    path = write(tmp_path, "d.csv", text)
    assert refused(path) == f"{path}: line 3: a cell holds more than 12 characters"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("d.json", '[{"employee_id": "E1"},\n ' + "[" * 100_000 + "]" * 100_000 + "]",
     "d.json:2:201: not valid JSON: lists and objects are nested more than 200 levels deep here"),
    ("d.jsonl", '{"employee_id": "E1"}\n\n{"x": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
     "d.jsonl:3:206: not valid JSON: lists and objects are nested more than 200 levels deep here"),
    ("d.json", '[{"employee_id": "E1",\n  "sales": 1.' + "0" * 5000 + ', "calls": ' + "9" * 5000 + "}]",
     "d.json:2:5025: not valid JSON: a number of 5,000 digits is too long to read"),
    ("d.jsonl", '{"a": "' + "1" * 5000 + '"}\n{"a": -' + "1" * 5001 + "}\n",
     "d.jsonl:2:7: not valid JSON: a number of 5,001 digits is too long to read"),
    ("d.json", '{"rows": [], "rows": [{"employee_id": "E1"}]}',
     "d.json: the top-level object gives `rows` more than once"),
])
def test_json_that_python_cannot_decode(tmp_path: Path, name: str, content: str, message: str) -> None:
    assert refused(write(tmp_path, name, content)) == f"{tmp_path}/{message}"


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "why"), [
    (b"", "BadZipFile: File is not a zip file"),
    (b"employee_id,role\nE1,rep\n", "BadZipFile: File is not a zip file"),
    (_zip({"hello.txt": "hi"}), "KeyError: \"There is no item named '[Content_Types].xml' in the archive\""),
    (b"PK\x03\x04" + b"\0" * 60, "BadZipFile: File is not a zip file"),
])
def test_files_that_are_not_excel_workbooks(tmp_path: Path, content: bytes, why: str) -> None:
    pytest.importorskip("openpyxl")
    path = write(tmp_path, "d.xlsx", content)
    assert refused(path) == f"{path}: not a readable Excel workbook ({why})"


def test_a_broken_workbook_part_is_not_a_traceback(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["employee_id"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    with zipfile.ZipFile(good) as src:
        members = {m: src.read(m).decode() for m in src.namelist()}
    members["xl/worksheets/sheet1.xml"] = "<worksheet><sheetData><row"  # cut short
    path = write(tmp_path, "d.xlsx", _zip(members))
    assert refused(path).startswith(f"{path}: not a readable Excel workbook (")


# ---------------------------------------------------------------- 2. nothing silently changed


@pytest.mark.parametrize(("cell", "reason"), [
    ("1_000", "'1_000' is not a number (write numbers without thousands separators)"),
    ("٣", "'٣' is not a number (write it with the digits 0-9)"),
    ("１２", "'１２' is not a number (write it with the digits 0-9)"),
    ("1２", "'1２' is not a number (write it with the digits 0-9)"),
    ("Infinity", "'Infinity' is not a finite number"),
    ("9" * 400, f"{'9' * 20}... is too large"),
])
def test_text_that_float_reads_is_not_always_a_number(tmp_path: Path, policy: Any, cell: str, reason: str) -> None:
    text = f"{HEADER}\nE1,rep,2024-Q1,5,1\nE2,rep,2024-Q1,{cell},1\n"
    assert reasons(policy, write(tmp_path, "d.csv", text)) == {
        "E1": [], "E2": [f"column `sales`: {reason} (line 3)"]}


@pytest.mark.parametrize("cell", [" 12 ", "\t12", "+12", "12.", ".5e1", "1.2E+1", "\u300012\u3000", "\u00a012"])
def test_ascii_decimal_notation_with_spaces_around_is_a_number(tmp_path: Path, policy: Any, cell: str) -> None:
    text = f'{HEADER}\nE1,rep,2024-Q1,"{cell}",1\n'
    table = load_table(policy, write(tmp_path, "d.csv", text))
    assert table.errors == [[]]
    assert table.numbers["sales"].tolist() == [float(cell)]


@pytest.mark.parametrize("cells", [
    ["1", "1_000", "٣", "１２", "2.5", "", None],  # all text: the vectorised path
    [1, "1_000", "٣", "１２", 2.5, "", None],  # mixed with numbers (JSON, YAML, XLSX)
    [True, "1_000", "٣", "１２", "2.5", "", None],  # a boolean: every cell one by one
])
def test_the_fast_and_the_slow_number_paths_agree(cells: list[Any]) -> None:
    values, bad = _numbers(cells)
    assert sorted(bad) == ([0] if cells[0] is True else []) + [1, 2, 3]
    assert [bad[i].code for i in (1, 2, 3)] == ["not_number_separator", "not_number_digits", "not_number_digits"]
    assert values[4] == 2.5 and all(values[i] != values[i] for i in (1, 2, 3, 5, 6))


def test_xlsx_duplicate_header_is_refused(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["employee_id", "role", "period", "calls", "sales", " calls "])
    book.active.append(["E1", "rep", "2024-Q1", 1, 2, 999])
    book.save(tmp_path / "d.xlsx")
    assert refused(tmp_path / "d.xlsx") == f"{tmp_path / 'd.xlsx'}: row 1: the column(s) calls appear more than once"


def test_xlsx_column_without_header_but_with_data_is_noted(tmp_path: Path, policy: Any) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["employee_id", "role", "period", "sales", "calls", None, None])
    book.active.append(["E1", "rep", "2024-Q1", 5, 1])
    book.active.append(["E2", "rep", "2024-Q1", 5, 1, None, 99])
    book.save(tmp_path / "d.xlsx")
    table = load_table(policy, tmp_path / "d.xlsx")
    assert table.notes == ["column 7 (G) has no header, so its cells (the first on line 3) are not read; "
                           "give it a header or delete it"]
    assert table.errors == [[], []]


def test_csv_columns_without_header(tmp_path: Path, policy: Any) -> None:
    text = f"{HEADER},,\nE1,rep,2024-Q1,5,1,,\nE2,rep,2024-Q1,5,1,,x\n"
    raw = read_table(write(tmp_path, "d.csv", text))
    assert raw.header == HEADER.split(",")  # two empty headers are not "the column  twice"
    assert raw.notes == ["column 7 (G) has no header, so its cells (the first on line 3) are not read; "
                         "give it a header or delete it"]
    assert read_table(write(tmp_path, "e.csv", f"{HEADER},\nE1,rep,2024-Q1,5,1,\n")).notes == []


@pytest.mark.parametrize(("name", "content", "record"), [
    ("d.json", '[{"employee_id": "E1", "role": "rep", "period": "2024-Q1", "sales": 5, "calls": 1},'
               ' {"employee_id": "E2", "role": "rep", "period": "2024-Q1", "sales": 5, "calls": 1, "calls": 999}]',
     2),
    ("d.jsonl", '{"employee_id": "E1", "role": "rep", "period": "2024-Q1", "sales": 5, "calls": 1}\n\n'
                '{"employee_id": "E2", "role": "rep", "period": "2024-Q1", "sales": 5, "calls": 1, "calls": 999}\n',
     3),
])
def test_a_json_record_with_a_duplicate_key_is_an_error_row(tmp_path: Path, policy: Any, name: str, content: str,
                                                            record: int) -> None:
    assert reasons(policy, write(tmp_path, name, content)) == {
        "E1": [], "E2": [f"record {record} gives the field `calls` more than once"]}


@pytest.mark.parametrize(("text", "value"), [
    ("0012", 12), ("0o17", 15), ("0x1F", 31), ("-3", -3), ("1.5e3", 1500.0), (".5", 0.5), ("-.inf", float("-inf")),
    ("", None), ("~", None), ("null", None), ("NULL", None), ("true", True), ("FALSE", False), ("tRuE", True),
    ("1:20", "1:20"), ("No", "No"), ("on", "on"), ("yes", "yes"), ("1_000", "1_000"), ("0b11", "0b11"),
    ("+0x1F", "+0x1F"), ("0o8", "0o8"), ("2024-01-01", "2024-01-01"), ("0x", "0x"),
])
def test_yaml_data_scalars_follow_the_yaml_1_2_core_schema(text: str, value: Any) -> None:
    assert core_scalar(text) == value and type(core_scalar(text)) is type(value)


def test_yaml_data_keeps_identifiers_as_written(tmp_path: Path, policy: Any) -> None:
    text = ("- {employee_id: 0012, name: No, role: rep, team: on, period: 2024-Q1, sales: 0x1F, calls: 0o17,"
            " note: 1e3, remote: yes}\n"
            "- {employee_id: 1:20, role: rep, period: 2024-Q1, sales: 1:40, calls: 1}\n"
            "- {employee_id: 12e3, name: ~, role: rep, period: 2024-Q1, sales: 5, calls: 1, remote: off}\n")
    table = load_table(policy, write(tmp_path, "d.yaml", text))
    assert table.text["employee_id"].tolist() == ["0012", "1:20", "12e3"]
    assert table.text["name"].tolist() == ["No", None, None]
    assert table.text["team"].tolist() == ["on", None, None]
    assert table.text["note"].tolist() == ["1e3", None, None]
    assert table.numbers["sales"][0] == 31 and table.numbers["calls"][0] == 15
    assert table.numbers["remote"].tolist()[:1] == [1.0]
    assert table.errors == [[], ["column `sales`: '1:40' is not a number (line 2)"],
                            ["column `remote`: 'off' is not true/false (line 3)"]]


def test_yaml_data_columns_renamed_keep_their_text(tmp_path: Path) -> None:
    raw = read_table(write(tmp_path, "d.yaml", "- {工号: 0012, sales: 1}\n"))
    raw.rename({"employee_id": "工号"})
    assert raw.texts == {"employee_id": ["0012"], "sales": ["1"]}
    assert raw.columns["employee_id"] == [12]


# ---------------------------------------------------------------- 3. valid data read


def test_a_long_yaml_data_file_without_aliases_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_NODES", 1000)  # 200,000 for real: 12,000 rows of 8 fields pass it
    monkeypatch.setattr(yamldata, "MAX_NODES", 1000)
    rows = "".join(f"- {{employee_id: E{i}, role: rep, period: 2024-Q1, sales: 1, calls: 2, note: x}}\n"
                   for i in range(100))  # 1,301 values
    assert load_text(rows, "p.yaml").problems[0].code == "KR003"  # too many for a policy
    assert read_table(write(tmp_path, "d.yaml", rows)).n == 100


def test_yaml_defaults_merged_into_every_row_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamldata, "MAX_NODES", 1000)
    head = "defaults: &d {role: rep, period: 2024-Q1, sales: 1, calls: 2, a: 1, b: 2, c: 3, d: 4}\nrows:\n"
    rows = "".join(f"  - {{<<: *d, employee_id: E{i}}}\n" for i in range(200))  # the aliases add 3,400 values
    raw = read_table(write(tmp_path, "d.yaml", head + rows))
    assert raw.n == 200 and raw.columns["calls"][-1] == 2 and raw.columns["employee_id"][-1] == "E199"


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]" for p, c in zip("abcdefgh", "bcdefghi")]
    path = write(tmp_path, "d.yaml", "\n".join(lines) + "\nrows: [*i]\n")
    started = time.perf_counter()
    message = refused(path)
    assert time.perf_counter() - started < 5
    assert message == (f"{path}:6:12: the aliases (`*name`) in this file add more than 200,220 values "
                       "(an alias bomb?); write the rows out instead")


def test_jsonl_splits_only_at_newlines(tmp_path: Path) -> None:
    rows = [{"employee_id": "E1", "name": "A\u2028B\u2029C\x85D\x0bE\x0cF\x1cG"}, {"employee_id": "E2"}]
    text = "\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\r\n"
    raw = read_table(write(tmp_path, "d.jsonl", text))
    assert raw.columns["name"] == [rows[0]["name"], None]
    assert raw.lines == [1, 2]


# ---------------------------------------------------------------- 4. positions


def test_a_nul_byte_in_a_csv_header_names_its_line_and_column(tmp_path: Path) -> None:
    # In the header (or many of them: UTF-16, a spreadsheet) the file is not CSV text; a NUL byte
    # inside a cell only makes its row an error (tests/test_nul_cells.py).
    path = write(tmp_path, "d.csv", f"{HEADER}\0\nE1,rep,2024-Q1,1,1\n")
    assert refused(path) == (f"{path}:1:{len(HEADER) + 1}: the file holds a NUL byte; is it really a CSV text file "
                             "(not a spreadsheet, nor UTF-16 without a byte order mark)?")


def test_a_nul_byte_in_a_csv_cell_makes_only_its_row_an_error(tmp_path: Path, policy: Any) -> None:
    text = f"{HEADER}\nE1,rep,2024-Q1,1,1\nE2,rep,2024-Q1,1\0,1\n"
    got = reasons(policy, write(tmp_path, "d.csv", text))
    assert got["E1"] == []
    assert got["E2"][0].startswith("the cell `sales` holds a NUL byte")


def test_a_nul_byte_in_yaml_names_its_line_and_column(tmp_path: Path) -> None:
    text = "- {employee_id: 张伟, sales: 1}\n- {employee_id: E2, sales: 1\0}\n"
    path = write(tmp_path, "d.yaml", text)
    assert refused(path) == f"{path}:2:29: not valid YAML: control characters are not allowed"
    problem = load_text("a: 张伟\nb: x\0\n", "p.yaml").problems[0]
    assert (problem.line, problem.col) == (2, 5)


def test_a_yaml_row_written_as_an_alias_has_the_aliass_line(tmp_path: Path) -> None:
    text = ("rows:\n"
            "  - &r {employee_id: E1, role: rep, period: 2024-Q1, sales: 1, calls: 1}\n"
            "  - {<<: *r, employee_id: E2}\n"
            "\n"
            "  - *r\n")
    assert read_table(write(tmp_path, "d.yaml", text)).lines == [2, 3, 5]


def test_ragged_row_reason_names_its_line(tmp_path: Path, policy: Any) -> None:
    text = f"{HEADER}\nE1,rep,2024-Q1,1,1\n\nE2,rep,2024-Q1,1,1,7\n"
    assert reasons(policy, write(tmp_path, "d.csv", text)) == {
        "E1": [], "E2": ["the row has 6 cells but the header has 5 (line 4)"]}


# ---------------------------------------------------------------- through the CLI


def test_the_cli_says_error_and_exits_1_without_a_traceback(tmp_path: Path) -> None:
    policy_path = write_policy(tmp_path, POLICY)
    files = {
        "a.csv": f"{HEADER}\nE1,rep,2024-Q1,{'1' * (raw.MAX_CELL + 1)},1\n",
        "b.json": "[" * 100_000 + "]" * 100_000,
        "c.json": "[" + "9" * 5000 + "]",
        "d.xlsx": b"not a zip",
        "e.csv": f"{HEADER}\nE1,rep,2024-Q1,1,1\n".encode("utf-16-le"),
    }
    for name, content in files.items():
        path = write(tmp_path, name, content)
        done = subprocess.run([sys.executable, "-m", "kpi_rules", "evaluate", str(policy_path), "--data", str(path)],
                              capture_output=True, text=True, check=False)
        assert (done.returncode, done.stdout) == (1, ""), name
        assert done.stderr.startswith(f"error: {path}") and "Traceback" not in done.stderr, done.stderr
