"""Reading data files (readers.py) and typing their cells (data.py).

Encodings (UTF-8, UTF-8 with BOM, GB18030 as Chinese Excel saves, forced
with --encoding), formats (CSV, JSON array, JSON lines, YAML list, XLSX),
and the row-level errors a bad cell or a ragged row causes: the row is an
error naming the column and the line; every other row goes on.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import build_policy, by_id, employees, load_table, run_files, write_policy

from kpi_rules.data.raw import DataFileError
from kpi_rules.data.readers import read_table
from kpi_rules.data.table import type_table
from kpi_rules.engine import evaluate

POLICY = """
inputs:
  sales: {type: number, min: 0, max: 1000000}
  calls: {type: integer, min: 0}
  rate: {type: number, required: false, min: 0, max: 1}
  late: {type: integer, min: 0, default: 0}
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
bonuses: {items: [{id: remote, when: remote, points: 1}]}
deductions: {items: [{id: late, when: late > 0, points: late}]}
"""

HEADER = "employee_id,name,role,period,sales,calls"


@pytest.fixture
def policy(tmp_path: Path) -> Any:
    return build_policy(tmp_path, POLICY)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def typed(policy: Any, path: Path, encoding: str | None = None) -> Any:
    return load_table(policy, path, encoding)


def evaluated(policy: Any, path: Path, encoding: str | None = None) -> dict[str, dict[str, Any]]:
    return by_id(evaluate(policy, typed(policy, path, encoding), "2024-Q1"))


# ---------------------------------------------------------------- encodings

CHINESE = (
    "employee_id,name,role,period,sales,calls,备注\n"
    "E001,张伟,rep,2024-Q1,100,80,表现优秀\n"
    "E002,李娜,rep,2024-Q1,90,70,需要改进\n"
)


@pytest.mark.parametrize(("encoding", "prefix", "detected"), [
    ("utf-8", b"", "utf-8"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),  # Excel's "CSV UTF-8"
    ("gb18030", b"", "gb18030"),  # Chinese Excel's plain "CSV"
    ("utf-16-le", b"\xff\xfe", "utf-16"),
])
def test_csv_encodings_are_read_without_mojibake(tmp_path: Path, policy: Any, encoding: str, prefix: bytes,
                                                 detected: str) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(prefix + CHINESE.encode(encoding))
    raw = read_table(path)
    assert raw.encoding == detected
    assert raw.header == ["employee_id", "name", "role", "period", "sales", "calls", "备注"]
    assert raw.columns["name"] == ["张伟", "李娜"]
    assert raw.columns["备注"] == ["表现优秀", "需要改进"]
    out = evaluated(policy, path)
    assert out["E001"]["name"] == "张伟"
    assert out["E001"]["status"] == "rated" and out["E001"]["final"] == 90
    assert out["E002"]["final"] == 80


def test_gb18030_file_written_by_python(tmp_path: Path, policy: Any) -> None:
    path = tmp_path / "data.csv"
    with path.open("w", encoding="gb18030", newline="") as handle:
        handle.write(CHINESE)
    raw = read_table(path)
    assert raw.encoding == "gb18030"
    assert raw.columns["name"] == ["张伟", "李娜"]
    # GB18030 reads any bytes: the file's notes say it was chosen (a Latin-1 file would read as it too).
    assert raw.notes == ["the file is not UTF-8 and was read as GB18030 (as Chinese Excel saves CSV); "
                         "if names look wrong, save it as UTF-8 or pass --encoding"]
    assert read_table(path, encoding="gb18030").notes == []  # chosen on purpose: nothing to say


def test_chinese_header_mapped_to_an_input(tmp_path: Path, policy: Any) -> None:
    # `--column sales=销售额`: a Chinese header read as the policy's input.
    text = "工号,name,role,period,销售额,calls\nE001,王芳,rep,2024-Q1,120,60\n"
    path = write(tmp_path, "data.csv", text, "gb18030")
    raw = read_table(path)
    raw.rename({"employee_id": "工号", "sales": "销售额"})
    e = employees(evaluate(policy, type_table(policy, raw), "2024-Q1"))[0]
    assert (e["employee_id"], e["name"], e["final"]) == ("E001", "王芳", 90)
    with pytest.raises(DataFileError, match="销量"):
        read_table(path).rename({"sales": "销量"})


def test_forced_encoding(tmp_path: Path, policy: Any) -> None:
    path = write(tmp_path, "data.csv", CHINESE, "gb18030")
    raw = read_table(path, encoding="gb18030")
    assert raw.encoding == "gb18030" and raw.columns["name"] == ["张伟", "李娜"]
    with pytest.raises(DataFileError, match="cannot be read as utf-8"):
        read_table(path, encoding="utf-8")
    with pytest.raises(DataFileError, match="no-such-codec"):
        read_table(path, encoding="no-such-codec")


def test_forced_encoding_for_a_western_file(tmp_path: Path, policy: Any) -> None:
    text = HEADER + "\nE001,José Müller,rep,2024-Q1,100,80\n"
    path = write(tmp_path, "data.csv", text, "cp1252")
    assert read_table(path).columns["name"] == ["José Müller"]  # chosen from the bytes (test_data_excel.py)
    raw = read_table(path, encoding="cp1252")
    assert raw.columns["name"] == ["José Müller"]
    assert evaluated(policy, path, "cp1252")["E001"]["name"] == "José Müller"


def test_json_and_yaml_are_utf8(tmp_path: Path, policy: Any) -> None:
    rows = [{"employee_id": "E001", "name": "张伟", "role": "rep", "period": "2024-Q1", "sales": 100, "calls": 80}]
    path = tmp_path / "data.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert evaluated(policy, path)["E001"]["name"] == "张伟"


# ---------------------------------------------------------------- formats

ROWS = [
    {"employee_id": "E001", "name": "Ann", "role": "rep", "period": "2024-Q1", "sales": 100, "calls": 80},
    {"employee_id": "E002", "name": "Bob", "role": "rep", "period": "2024-Q1", "sales": 90.5, "calls": 70,
     "late": 2},
    {"employee_id": "E003", "name": "Cy", "role": "rep", "period": "2024-Q1", "sales": "abc", "calls": 70},
]


def _finals(path: Path, policy: Any) -> dict[str, Any]:
    return {k: (v["status"], v["final"]) for k, v in evaluated(policy, path).items()}


EXPECTED = {"E001": ("rated", 90), "E002": ("rated", 78.25), "E003": ("error", None)}


def test_csv(tmp_path: Path, policy: Any) -> None:
    path = write(tmp_path, "data.csv", HEADER + ",late\nE001,Ann,rep,2024-Q1,100,80,\n"
                 "E002,Bob,rep,2024-Q1,90.5,70,2\nE003,Cy,rep,2024-Q1,abc,70,\n")
    assert _finals(path, policy) == EXPECTED


def test_json_array(tmp_path: Path, policy: Any) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(ROWS), encoding="utf-8")
    assert _finals(path, policy) == EXPECTED
    assert read_table(path).lines == [1, 2, 3]  # record numbers


def test_json_object_with_rows(tmp_path: Path, policy: Any) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"rows": ROWS}), encoding="utf-8")
    assert _finals(path, policy) == EXPECTED


def test_jsonl(tmp_path: Path, policy: Any) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS[:2]) + "\n\n" + json.dumps(ROWS[2]) + "\n",
                    encoding="utf-8")
    assert _finals(path, policy) == EXPECTED
    assert read_table(path).lines == [1, 2, 4]  # the blank line is skipped, not renumbered


def test_yaml_list(tmp_path: Path, policy: Any) -> None:
    text = """\
# one quarter
- {employee_id: E001, name: Ann, role: rep, period: 2024-Q1, sales: 100, calls: 80}
- employee_id: E002
  name: Bob
  role: rep
  period: 2024-Q1
  sales: 90.5
  calls: 70
  late: 2
- {employee_id: E003, name: Cy, role: rep, period: 2024-Q1, sales: abc, calls: 70}
"""
    path = write(tmp_path, "data.yaml", text)
    assert _finals(path, policy) == EXPECTED
    assert read_table(path).lines == [2, 3, 10]
    error = evaluated(policy, path)["E003"]
    assert "column `sales`" in " ".join(error["reasons"]) and "line 10" in " ".join(error["reasons"])


def test_yaml_mapping_with_rows(tmp_path: Path, policy: Any) -> None:
    path = write(tmp_path, "data.yml", "rows:\n" + "".join(
        f"  - {json.dumps(r)}\n" for r in ROWS))
    assert _finals(path, policy) == EXPECTED


def test_json_record_that_is_not_an_object(tmp_path: Path, policy: Any) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps([ROWS[0], [1, 2, 3], ROWS[1]]), encoding="utf-8")
    out = employees(evaluate(policy, typed(policy, path), "2024-Q1"))
    assert [e["status"] for e in out] == ["rated", "error", "rated"]
    assert "record 2 is not an object" in " ".join(out[1]["reasons"])


@pytest.mark.parametrize(("name", "content", "message"), [
    ("data.csv", "", "empty"),
    ("data.csv", "employee_id,role,sales,sales\nE1,rep,1,2\n", "sales appear more than once"),
    ("data.json", "[{", "not valid JSON"),
    ("data.json", '{"a": 1}', "JSON array"),
    ("data.jsonl", '{"a": 1}\n{oops\n', ":2:"),
    ("data.yaml", "a: 1\n", "list of rows"),
    ("data.txt", "x", "unknown data format"),
])
def test_unreadable_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(DataFileError, match=message):
        read_table(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="cannot be read"):
        read_table(tmp_path / "nope.csv")


# ---------------------------------------------------------------- rows and cells


def test_ragged_row_is_an_error_for_that_row_only(tmp_path: Path, policy: Any) -> None:
    text = (HEADER + "\n"
            "E001,Ann,rep,2024-Q1,100,80\n"
            "E002,Bob,rep,2024-Q1,100\n"  # one cell short
            "E003,Cy,rep,2024-Q1,100,80,extra\n"  # one cell too many
            "E004,Di,rep,2024-Q1,100,60\n")
    out = evaluated(policy, write(tmp_path, "data.csv", text))
    assert {k: v["status"] for k, v in out.items()} == {"E001": "rated", "E002": "error", "E003": "error",
                                                       "E004": "rated"}
    assert out["E002"]["reasons"] == ["the row has 5 cells but the header has 6 (line 3)",
                                      "column `calls` is empty but required (line 3)"]
    assert out["E003"]["reasons"] == ["the row has 7 cells but the header has 6 (line 4)"]
    assert (out["E002"]["line"], out["E003"]["line"]) == (3, 4)
    assert out["E004"]["final"] == 80


def test_blank_lines_and_quoted_newlines_keep_line_numbers(tmp_path: Path, policy: Any) -> None:
    text = (HEADER + "\n"
            "E001,\"Ann\nSmith\",rep,2024-Q1,100,80\n"
            "\n"
            "E002,Bob,rep,2024-Q1,x,80\n")
    out = evaluated(policy, write(tmp_path, "data.csv", text))
    assert out["E001"]["name"] == "Ann\nSmith" and out["E001"]["line"] == 2
    assert out["E002"]["line"] == 5
    assert "column `sales`: 'x' is not a number (line 5)" in out["E002"]["reasons"]


@pytest.mark.parametrize(("column", "cell", "message"), [
    ("sales", "abc", "column `sales`: 'abc' is not a number (line 3)"),
    ("sales", "1,234", "column `sales`: '1,234' is not a number (write numbers without thousands separators) "
                       "(line 3)"),
    ("sales", "5%", "column `sales`: '5%' is not a number (write 2.5% as 0.025) (line 3)"),
    ("sales", "nan", "column `sales`: 'nan' is not a finite number (line 3)"),
    ("sales", "NaN", "column `sales`: 'NaN' is not a finite number (line 3)"),
    ("sales", "inf", "column `sales`: 'inf' is not a finite number (line 3)"),
    ("sales", "1e400", "column `sales`: '1e400' is not a finite number (line 3)"),
    ("sales", "-1", "column `sales`: -1 is below the minimum 0 (line 3)"),
    ("sales", "1000001", "column `sales`: 1000001 is above the maximum 1000000 (line 3)"),
    ("sales", "1000000.5", "column `sales`: 1000000.5 is above the maximum 1000000 (line 3)"),
    ("rate", "1.5", "column `rate`: 1.5 is above the maximum 1 (line 3)"),
    ("calls", "1.5", "column `calls`: 1.5 is not a whole number (line 3)"),
    ("calls", "-2", "column `calls`: -2 is below the minimum 0 (line 3)"),
    ("calls", "ten", "column `calls`: 'ten' is not a number (line 3)"),
    ("late", "0.5", "column `late`: 0.5 is not a whole number (line 3)"),
    ("calls", "12345678.5", "column `calls`: 12345678.5 is not a whole number (line 3)"),
    ("rate", "-0.001", "column `rate`: -0.001 is below the minimum 0 (line 3)"),
    ("remote", "maybe", "column `remote`: 'maybe' is not true/false (line 3)"),
    ("sales", "", "column `sales` is empty but required (line 3)"),
    ("calls", "  ", "column `calls` is empty but required (line 3)"),
])
def test_bad_cells(tmp_path: Path, policy: Any, column: str, cell: str, message: str) -> None:
    columns = ["employee_id", "role", "period", "sales", "calls", "rate", "late", "remote"]
    good = {"employee_id": "E001", "role": "rep", "period": "2024-Q1", "sales": "100", "calls": "80",
            "rate": "0.5", "late": "", "remote": ""}
    bad = dict(good, employee_id="E002", **{column: cell})
    lines = [",".join(columns)] + [",".join(f'"{r[c]}"' for c in columns) for r in (good, bad)]
    out = evaluated(policy, write(tmp_path, "data.csv", "\n".join(lines) + "\n"))
    assert out["E001"]["status"] == "rated"
    assert out["E002"]["status"] == "error"
    assert out["E002"]["reasons"] == [message]


@pytest.mark.parametrize(("column", "cell", "value"), [
    ("sales", " 12 ", 12.0),
    ("sales", "1e3", 1000.0),
    ("sales", "0", 0.0),
    ("sales", "1000000", 1e6),  # at the maximum: inclusive
    ("calls", "3.0", 3.0),
    ("calls", "0", 0.0),
    ("rate", "", math.nan),  # optional: absent
    ("late", "", 0.0),  # default
    ("remote", "", 0.0),  # default false
    ("remote", "yes", 1.0),
    ("remote", "是", 1.0),
    ("remote", "FALSE", 0.0),
    ("remote", "0", 0.0),
])
def test_good_cells(tmp_path: Path, policy: Any, column: str, cell: str, value: float) -> None:
    columns = ["employee_id", "role", "period", "sales", "calls", "rate", "late", "remote"]
    cells = dict({"employee_id": "E001", "role": "rep", "period": "2024-Q1", "sales": "5", "calls": "5",
                  "rate": "", "late": "", "remote": ""}, **{column: cell})
    text = ",".join(columns) + "\n" + ",".join(f'"{cells[c]}"' for c in columns) + "\n"
    table = typed(policy, write(tmp_path, "data.csv", text))
    assert table.errors == [[]]
    got = float(table.numbers[column][0])
    assert (math.isnan(got) and math.isnan(value)) or got == value


def test_defaults_apply_when_the_column_is_absent(tmp_path: Path, policy: Any) -> None:
    path = write(tmp_path, "data.csv", HEADER + "\nE001,Ann,rep,2024-Q1,100,80\n")
    table = typed(policy, path)
    assert table.errors == [[]]
    assert table.numbers["late"].tolist() == [0.0] and table.numbers["remote"].tolist() == [0.0]
    assert math.isnan(table.numbers["rate"][0])
    assert table.text["note"].tolist() == [None]
    assert table.notes == []  # only absent *required* columns are noted


def test_defaults_drive_rules(tmp_path: Path, policy: Any) -> None:
    text = HEADER + ",late,remote\nE001,Ann,rep,2024-Q1,100,80,,\nE002,Bob,rep,2024-Q1,100,80,3,yes\n"
    out = evaluated(policy, write(tmp_path, "data.csv", text))
    assert (out["E001"]["deduction"], out["E001"]["bonus"], out["E001"]["final"]) == (0, 0, 90)
    assert (out["E002"]["deduction"], out["E002"]["bonus"], out["E002"]["final"]) == (3, 1, 88)


def test_several_bad_cells_are_all_reported(tmp_path: Path, policy: Any) -> None:
    text = HEADER + "\nE001,Ann,rep,2024-Q1,abc,1.5\n"
    (e,) = employees(evaluate(policy, typed(policy, write(tmp_path, "data.csv", text)), "2024-Q1"))
    assert e["reasons"] == ["column `sales`: 'abc' is not a number (line 2)",
                            "column `calls`: 1.5 is not a whole number (line 2)"]


def test_a_required_column_named_differently_is_one_error_naming_column(tmp_path: Path, policy: Any) -> None:
    # Not an error on every row: one for the file, with the --column that maps it.
    path = write(tmp_path, "data.csv", "employee_id,role,period,sale,calls\nE001,rep,2024-Q1,100,80\n")
    with pytest.raises(DataFileError) as caught:
        typed(policy, path)
    assert str(caught.value) == (f"{path}: the required column `sales` is not in the file, but `sale` is: "
                                 "if it is the same, pass --column sales=sale")


@pytest.mark.parametrize(("cell", "value"), [(True, None), (12, 12.0), (12.5, 12.5), ("12.5", 12.5),
                                             (None, None), ([1], None)])
def test_json_native_values(tmp_path: Path, policy: Any, cell: Any, value: float | None) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"employee_id": 7, "role": "rep", "period": "2024-Q1", "sales": cell,
                                 "calls": 3}]), encoding="utf-8")
    table = typed(policy, path)
    assert table.text["employee_id"].tolist() == ["7"]
    if value is None:
        assert table.errors[0] and "column `sales`" in table.errors[0][0]
    else:
        assert table.errors == [[]] and table.numbers["sales"][0] == value


def test_period_cells(tmp_path: Path, policy: Any) -> None:
    text = ("employee_id,role,period,sales,calls\n"
            "E1,rep,2024q1,1,1\nE2,rep,2024-Q5,1,1\nE3,rep,2024-03,1,1\nE4,rep,,1,1\n")
    table = typed(policy, write(tmp_path, "data.csv", text))
    assert table.text["period"].tolist()[:1] == ["2024-Q1"]
    assert table.errors[0] == []
    assert "column `period`" in table.errors[1][0] and "(line 3)" in table.errors[1][0]
    assert "2024-03 is a month" in table.errors[2][0]
    assert table.errors[3] == []


# ---------------------------------------------------------------- XLSX


def test_xlsx(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Q1"
    sheet.append(["employee_id", "name", "role", "period", "sales", "calls", "备注"])
    sheet.append(["E001", "张伟", "rep", "2024-Q1", 100, 80, "好"])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append([1002, "李娜", "rep", "2024-Q1", "abc", 70.0, None])
    other = book.create_sheet("Q2")
    other.append(["employee_id", "role", "period", "sales", "calls"])
    other.append(["E009", "rep", "2024-Q2", 50, 50])
    path = tmp_path / "data.xlsx"
    book.save(path)
    policy_path = write_policy(tmp_path, POLICY)
    raw = read_table(path)
    assert raw.lines == [2, 4]
    assert raw.columns["name"] == ["张伟", "李娜"]
    ev = run_files(policy_path, path, "2024-Q1")
    out = by_id(ev)
    assert (out["E001"]["status"], out["E001"]["final"]) == ("rated", 90)
    assert out["1002"]["status"] == "error"
    assert out["1002"]["reasons"] == ["column `sales`: 'abc' is not a number (line 4)"]
    assert read_table(path, sheet="Q2").columns["employee_id"] == ["E009"]
    with pytest.raises(DataFileError, match="no sheet named 'Q3'"):
        read_table(path, sheet="Q3")


def test_xlsx_without_openpyxl_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl -> ImportError
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(DataFileError, match=r"kpi-rules\[xlsx\]"):
        read_table(path)


def test_a_data_file_error_names_its_options_as_the_caller_gives_them() -> None:
    """str() and told("command line") say the CLI's option; told("request") the service's query
    parameter; the error keeps both across a worker process (pickle)."""
    import pickle

    from kpi_rules.data.several import read_sources

    with pytest.raises(DataFileError) as caught:
        read_sources([("q.csv", b"employee_id,role\nE1,r\n")], header_row=9)
    for exc in (caught.value, pickle.loads(pickle.dumps(caught.value))):
        assert str(exc) == exc.told("command line") == "q.csv: --header-row 9: the file has fewer rows than that"
        assert exc.told("request") == "q.csv: header_row=9: the file has fewer rows than that"
        assert exc.names("header_row") and not exc.names("column")
