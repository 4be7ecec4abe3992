"""Data files as Excel saves them (issue 12, section 3), read by the library directly:
the encoding chosen from the bytes (Western "ANSI" never read as Chinese), `;` and tab
separators, rows of empty cells, a title above the header, several files as one table,
files without rows, and columns named differently from the policy's."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import build_policy, by_id
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kpi_rules.api import load_data
from kpi_rules.data.encodings import decode_text, encoding_name, legacy_encoding
from kpi_rules.data.raw import DataFileError
from kpi_rules.data.readers import read_bytes, read_table
from kpi_rules.data.several import read_sources
from kpi_rules.data.table import type_table
from kpi_rules.engine import evaluate
from kpi_rules.writers.results_json import evaluation_to_dict, to_json

POLICY = """
inputs:
  sales: {type: number, min: 0}
  calls: {type: integer, min: 0}
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
HEADER = "employee_id,name,role,period,sales,calls"
WESTERN = f"{HEADER}\nE001,Jürgen Müller,rep,2024-Q1,100,80\nE002,François Lefèvre,rep,2024-Q1,90,70\n"
CHINESE = f"{HEADER}\nE001,张伟,rep,2024-Q1,100,80\nE002,李娜,rep,2024-Q1,90,70\n"
CP1252_NOTE = ("the file is not UTF-8 and was read as Windows-1252 (as Western Excel saves CSV); "
               "if names look wrong, save it as UTF-8 or pass --encoding")
GB_NOTE = ("the file is not UTF-8 and was read as GB18030 (as Chinese Excel saves CSV); "
           "if names look wrong, save it as UTF-8 or pass --encoding")


@pytest.fixture
def policy(tmp_path: Path) -> Any:
    return build_policy(tmp_path, POLICY)


def put(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------- encodings

def test_a_western_excel_csv_is_read_as_windows_1252_not_gb18030(tmp_path: Path, policy: Any) -> None:
    path = put(tmp_path, "data.csv", WESTERN, "cp1252")
    assert path.read_bytes().decode("gb18030").count("黵") == 1  # what was read before: J黵gen M黮ler
    raw = read_table(path)
    assert raw.encoding == "cp1252"
    assert raw.columns["name"] == ["Jürgen Müller", "François Lefèvre"]
    assert raw.notes == [CP1252_NOTE]
    doc = evaluation_to_dict(evaluate(policy, type_table(policy, raw), "2024-Q1"))
    assert doc["data"]["notes"] == [CP1252_NOTE]
    assert [e["name"] for e in doc["employees"]] == ["Jürgen Müller", "François Lefèvre"]


def test_a_chinese_excel_csv_in_gbk_is_read_as_gb18030(tmp_path: Path) -> None:
    raw = read_table(put(tmp_path, "data.csv", CHINESE, "gbk"))
    assert (raw.encoding, raw.columns["name"], raw.notes) == ("gb18030", ["张伟", "李娜"], [GB_NOTE])


def test_a_utf8_file_has_no_encoding_note(tmp_path: Path) -> None:
    for text in (WESTERN, CHINESE):
        raw = read_table(put(tmp_path, "data.csv", text))
        assert raw.encoding == "utf-8" and raw.notes == []


def test_a_byte_undefined_in_1252_reads_as_latin_1() -> None:
    text, used, note = decode_text("Zoë x\x81y".encode("latin-1"), "f.csv", None)
    assert (text, used) == ("Zoë x\x81y", "latin-1")
    assert note is not None and "Latin-1 (ISO-8859-1)" in note


ASCII_LETTERS = "abcdefghijklmnoprstuvwxyz"
LATIN_WORD = st.builds(lambda a, accent, b: a + accent + b, st.text(ASCII_LETTERS, min_size=1, max_size=6),
                       st.sampled_from("àáâäçèéêëíîïñóôöøùúûüýÿßæœÀÉÖÜÇ"), st.text(ASCII_LETTERS, max_size=6))
HANZI = st.text(st.sampled_from("张伟李娜王芳刘洋陈静杨磊赵敏黄强周杰吴霞徐丽孙涛马超朱红胡军郭燕何平高峰林"),
                min_size=1, max_size=4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(LATIN_WORD, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=8))
def test_western_names_are_never_read_as_chinese(names: list[str]) -> None:
    # An accented letter inside a word: whatever the names, Windows-1252 and the exact text.
    text = HEADER + "\n" + "".join(f"E{k},{name},rep,2024-Q1,1,1\n" for k, name in enumerate(names))
    assert legacy_encoding(text.encode("cp1252")) == "cp1252"
    assert read_bytes(text.encode("cp1252"), "d.csv").columns["name"] == names


@settings(max_examples=200, deadline=None)
@given(st.lists(HANZI, min_size=1, max_size=8))
def test_chinese_names_in_gbk_are_read_as_gb18030(names: list[str]) -> None:
    text = HEADER + "\n" + "".join(f"E{k},{name},rep,2024-Q1,1,1\n" for k, name in enumerate(names))
    try:  # a few short GBK texts are also valid UTF-8 (伟 is CE B0, UTF-8's ΰ): UTF-8 comes first
        text.encode("gbk").decode("utf-8")
        assume(False)
    except UnicodeDecodeError:
        pass
    assert read_bytes(text.encode("gbk"), "d.csv").columns["name"] == names


@pytest.mark.parametrize(("given", "codec"), [("ansi", "cp1252"), ("ANSI", "cp1252"), ("cp1252", "cp1252"),
                                              ("latin-1", "latin-1"), ("latin1", "latin-1"), ("gbk", "gb18030"),
                                              ("GB2312", "gb18030"), ("utf8", "utf-8"), ("UTF-8", "utf-8")])
def test_encoding_names_people_use(tmp_path: Path, given: str, codec: str) -> None:
    assert encoding_name(given) == codec
    text = CHINESE if codec in ("gb18030", "utf-8") else WESTERN
    raw = read_table(put(tmp_path, "data.csv", text, codec), encoding=given)
    assert raw.encoding == codec and raw.columns["name"][0] in ("张伟", "Jürgen Müller")
    assert raw.notes == []  # chosen on purpose: nothing to say


def test_an_unknown_encoding_name_lists_the_usual_ones(tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as caught:
        read_table(put(tmp_path, "data.csv", WESTERN), encoding="rot13")
    assert str(caught.value) == (f"{tmp_path / 'data.csv'}: unknown encoding 'rot13'; use one of utf-8, "
                                 "ansi (= cp1252, Western Excel), latin-1, gbk (= gb18030, Chinese Excel)")


def test_a_forced_encoding_the_bytes_are_not_in_names_the_line(tmp_path: Path) -> None:
    path = put(tmp_path, "data.csv", WESTERN, "cp1252")
    with pytest.raises(DataFileError) as caught:
        read_table(path, encoding="utf8")
    assert str(caught.value).startswith(f"{path}: line 2: cannot be read as utf8: the bytes fc are not utf8 text;")


# ---------------------------------------------------------------- separators, empty rows, title rows

def test_a_semicolon_csv_from_european_excel(tmp_path: Path, policy: Any) -> None:
    text = "employee_id;name;role;period;sales;calls\nE001;Jürgen;rep;2024-Q1;100,5;80\nE002;Ann;rep;2024-Q1;90;70\n"
    raw = read_table(put(tmp_path, "data.csv", text))
    assert raw.notes == ["the cells are separated by `;` (as European Excel saves CSV), and were read so",
                         "1 number written with a decimal comma (0,95) read as 0.95"]
    out = by_id(evaluate(policy, type_table(policy, raw), "2024-Q1"))
    assert out["E001"]["status"] == "rated" and out["E001"]["indicators"]["sales"]["actual"] == 100.5
    assert out["E002"]["status"] == "rated"


def test_a_tab_separated_file(tmp_path: Path) -> None:
    raw = read_table(put(tmp_path, "data.csv", HEADER.replace(",", "\t") + "\nE001\tAnn, Lee\trep\t2024-Q1\t1\t2\n"))
    assert raw.columns["name"] == ["Ann, Lee"]
    assert raw.notes == ["the cells are separated by tabs, and were read so"]


@pytest.mark.parametrize("quoted", [False, True])  # the fast path and the csv module's path
def test_excel_rows_of_empty_cells_are_skipped_and_counted(tmp_path: Path, policy: Any, quoted: bool) -> None:
    name = '"Ann"' if quoted else "Ann"
    text = f"{HEADER}\nE001,{name},rep,2024-Q1,100,80\n,,,,,\nE002,Bo,rep,2024-Q1,90,70\n,,,,,\n , ,,,,\n"
    raw = read_table(put(tmp_path, "data.csv", text))
    assert raw.lines == [2, 4]
    assert raw.notes == ["3 empty rows (lines 3-6) skipped: every cell is empty"]
    out = evaluate(policy, type_table(policy, raw), "2024-Q1")
    assert out.error_rows == 0 and out.result.n == 2


def test_a_title_row_above_the_header(tmp_path: Path, policy: Any) -> None:
    text = f"Sales appraisal 2024-Q1,,,,,\n{HEADER}\nE001,Ann,rep,2024-Q1,100,80\nE002,Bo,rep,2024-Q1,x,70\n"
    path = put(tmp_path, "data.csv", text)
    raw = read_table(path, header_row=2)
    assert raw.header == HEADER.split(",") and raw.lines == [3, 4]
    out = by_id(evaluate(policy, type_table(policy, raw), "2024-Q1"))
    assert out["E002"]["reasons"] == ["column `sales`: 'x' is not a number (line 4)"]
    with pytest.raises(DataFileError) as caught:
        type_table(policy, read_table(path))
    assert str(caught.value) == (
        f"{path}: none of the policy's columns (employee_id, role, sales, calls) is in the file, whose header "
        "reads: Sales appraisal 2024-Q1; if the column names are on a later row (a title above them), pass "
        "--header-row N; if they are named differently, map each with --column NAME=HEADER")
    with pytest.raises(DataFileError, match=r"--header-row 9: the file has fewer rows than that"):
        read_table(path, header_row=9)
    with pytest.raises(DataFileError, match=r"--header-row is for CSV files and Excel workbooks"):
        read_bytes(b"[]", "d.json", header_row=2)


def test_a_title_row_above_the_header_in_a_workbook(tmp_path: Path, policy: Any) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Sales appraisal 2024-Q1"])
    sheet.append(HEADER.split(","))
    sheet.append(["E001", "Ann", "rep", "2024-Q1", 100, 80])
    sheet.append([None] * 6)
    sheet.append(["E002", "Bo", "rep", "2024-Q1", "x", 70])
    buffer = io.BytesIO()
    book.save(buffer)
    raw = read_bytes(buffer.getvalue(), "book.xlsx", header_row=2)
    assert raw.lines == [3, 5]
    assert raw.notes == ["1 empty row (row 4) skipped: every cell is empty"]
    out = by_id(evaluate(policy, type_table(policy, raw), "2024-Q1"))
    assert out["E002"]["reasons"] == ["column `sales`: 'x' is not a number (line 5)"]


# ---------------------------------------------------------------- columns, empty files

def test_a_header_named_differently_is_one_error_naming_column(tmp_path: Path, policy: Any) -> None:
    path = put(tmp_path, "data.csv", CHINESE.replace("employee_id", "Employee_ID"))
    with pytest.raises(DataFileError) as caught:
        load_data(policy, path)
    assert str(caught.value) == (f"{path}: the required column `employee_id` is not in the file, but "
                                 "`Employee_ID` is: if it is the same, pass --column employee_id=Employee_ID")
    assert load_data(policy, path, columns={"employee_id": "Employee_ID"}).n == 2


@pytest.mark.parametrize(("name", "text"), [("data.csv", HEADER + "\n"), ("data.csv", HEADER + "\n,,,,,\n"),
                                            ("data.json", "[]"), ("data.jsonl", "")])
def test_a_file_without_rows_is_an_error(tmp_path: Path, policy: Any, name: str, text: str) -> None:
    path = put(tmp_path, name, text)
    kind = "row" if name.endswith(".csv") else "record"
    with pytest.raises(DataFileError) as caught:
        load_data(policy, path)
    assert str(caught.value) == (f"{path}: no rows: the file holds no {kind} below its header to evaluate; "
                                 "is it the right file, saved after the data was entered?")


def test_bytes_without_an_extension_say_their_format(policy: Any) -> None:
    table = load_data(policy, ("stdin", CHINESE.encode()), fmt="csv")
    assert table.n == 2 and table.file == "stdin"
    with pytest.raises(DataFileError) as caught:
        read_bytes(b"x", "stdin")
    assert str(caught.value) == ("stdin: unknown data format (the name has no extension); use .csv, .json, "
                                 ".jsonl, .yaml or .xlsx, or say which with --data-format csv|json|jsonl|yaml|xlsx")


# ---------------------------------------------------------------- several files

def test_several_files_are_one_table_and_rows_name_their_file(tmp_path: Path, policy: Any) -> None:
    q1 = put(tmp_path, "q1.csv", f"{HEADER}\nE001,Ann,rep,2024-Q1,100,80\n")
    q2 = put(tmp_path, "q2.csv", f"{HEADER},extra\nE001,Ann,rep,2024-Q2,x,80,1\n,,,,,,\nE002,Bo,rep,2024-Q2,5,5,1,9\n")
    table = load_data(policy, [q1, q2])
    assert table.n == 3 and table.lines == [2, 2, 4]
    assert table.notes == ["q2.csv: 1 empty row (line 3) skipped: every cell is empty"]
    out = by_id(evaluate(policy, table, "2024-Q2"))
    assert out["E001"]["reasons"] == ["column `sales`: 'x' is not a number (line q2.csv:2)"]
    assert out["E002"]["reasons"] == ["the row has 8 cells but the header has 7 (line q2.csv:4)"]
    data = evaluation_to_dict(evaluate(policy, table, "2024-Q1"))["data"]
    assert data["file"] == "q1.csv, q2.csv"
    assert data["sha256"] == hashlib.sha256(q1.read_bytes() + q2.read_bytes()).hexdigest()
    assert data["files"] == [{"file": "q1.csv", "rows": 1, "sha256": hashlib.sha256(q1.read_bytes()).hexdigest()},
                             {"file": "q2.csv", "rows": 2, "sha256": hashlib.sha256(q2.read_bytes()).hexdigest()}]
    assert data["rows"] == 3 and data["other_periods"] == {"2024-Q2": 2}


def test_one_file_has_no_files_list(tmp_path: Path, policy: Any) -> None:
    doc = json.loads(to_json(evaluate(policy, load_data(policy, put(tmp_path, "d.csv", CHINESE)), "2024-Q1")))
    assert sorted(doc["data"]) == ["file", "notes", "other_periods", "rows", "sha256"]


def test_a_duplicate_across_files_names_both(tmp_path: Path, policy: Any) -> None:
    a = put(tmp_path, "a.csv", f"{HEADER}\nE001,Ann,rep,2024-Q1,100,80\n")
    b = put(tmp_path, "b.csv", f"{HEADER}\nE002,Bo,rep,2024-Q1,1,1\nE001,Ann,rep,2024-Q1,100,80\n")
    out = evaluate(policy, type_table(policy, read_sources([a, b])), "2024-Q1")
    reasons = [r for e in evaluation_to_dict(out)["employees"] for r in e["reasons"]]
    assert "duplicate row for employee E001 in 2024-Q1 (lines a.csv:2, b.csv:3)" in reasons


def test_column_mapping_applies_to_each_file_that_needs_it(tmp_path: Path, policy: Any) -> None:
    a = put(tmp_path, "a.csv", CHINESE.replace("employee_id", "工号"))
    b = put(tmp_path, "b.csv", CHINESE.replace("2024-Q1", "2024-Q2"))
    assert load_data(policy, [a, b], columns={"employee_id": "工号"}).n == 4
