"""The run form's More options: what the /v1 upload is sent, the periods read with them, and where the
page says to fix a data file's header row or column names."""

from __future__ import annotations

import pytest

from kpi_rules.serve.web.run_options import options_of, with_hint
from kpi_rules.serve.web.tables import periods_in
from tests.serve_helpers import ROOT

OPS = (ROOT / "examples" / "ops-2024.csv").read_bytes()


def test_only_the_options_given_are_sent_as_the_uploads_query() -> None:
    assert options_of("1", "", "", "\n").query() == {}
    assert options_of(" 3 ", " 2024 ", "gbk", "paid_users=付费用户\n\n employee_id=工号 \n").query() == {
        "header_row": 3, "sheet": "2024", "encoding": "gbk", "column": ["paid_users=付费用户", "employee_id=工号"]}
    assert options_of("", "", "", "").header_row == 1  # a cleared field is the default


@pytest.mark.parametrize("row", ["0", "-1", "two", "1.5"])
def test_a_header_row_that_is_not_a_row_number_is_said_in_the_requests_words(row: str) -> None:
    with pytest.raises(ValueError, match=f"^header_row={row}: rows are counted from 1$"):
        options_of(row, "", "", "")


def test_the_periods_are_read_with_the_options() -> None:
    titled = b"2024 ops appraisal\n" + OPS.replace(b",period,", b",Quarter,", 1)
    assert periods_in(titled, "ops.csv") == []
    assert periods_in(titled, "ops.csv", options_of("2", "", "", "period=Quarter")) == \
        ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    with pytest.raises(ValueError) as missing:
        periods_in(titled, "ops.csv", options_of("2", "", "", "period=quarter"))
    assert str(missing.value) == "ops.csv: column=period=quarter: there is no column `quarter`"
    with pytest.raises(ValueError) as unmapped:
        periods_in(titled, "ops.csv", options_of("2", "", "", "period"))
    assert str(unmapped.value) == "column='period': write it as NAME=HEADER, e.g. employee_id=工号"


def test_the_hint_names_the_field_in_the_pages_language() -> None:
    said = "ops.csv: ... pass column=paid_users=Paid Users"
    assert with_hint("en", said) == f"{said} — Fill Column mappings under More options: one NAME=HEADER per line."
    assert with_hint("zh-CN", said) == f"{said} — 请在“更多选项”的“列名对应”中填写,每行一条 NAME=HEADER。"
    assert with_hint("en", "ops.csv:3: not valid JSON") == "ops.csv:3: not valid JSON"
