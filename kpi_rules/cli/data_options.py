"""The data options of `kpi-rules evaluate`, `explain` and `diff` (--data, --data-format,
--encoding, --sheet, --header-row, --column) and the reading of the data they name."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from kpi_rules.common.text import visible
from kpi_rules.data.encodings import KNOWN, encoding_name
from kpi_rules.data.raw import DataFileError, RawTable
from kpi_rules.data.readers import FORMATS, format_of
from kpi_rules.data.several import DataSource, read_sources
from kpi_rules.data.table import Table, type_table
from kpi_rules.policy.model import Policy

F = TypeVar("F", bound=Callable[..., Any])
STDIN = "stdin"  # what data read from standard input is called in messages and results


def _check_encoding(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            encoding_name(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    return value


def data_options(command: F) -> F:
    """Add the data options to a click command."""
    options = [
        click.option("--data", "data_files", required=True, multiple=True,
                     type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
                     help="The data: .csv, .json, .jsonl, .yaml or .xlsx, one row per employee and period. "
                          "Repeat it to read several files as one (--data q1.csv --data q2.csv); "
                          "`-` reads standard input (with --data-format)."),
        click.option("--data-format", type=click.Choice(FORMATS),
                     help="The data's format, for standard input and for files without an extension."),
        click.option("--encoding", callback=_check_encoding,
                     help=f"Text encoding of a CSV file: {KNOWN}. Default: UTF-8, else chosen from the "
                          "bytes (said in the results' data notes)."),
        click.option("--sheet", help="Sheet of an .xlsx file (default: the first)."),
        click.option("--header-row", "header_rows", type=click.IntRange(min=1), multiple=True, metavar="N",
                     help="The row holding the column names, in a CSV file or a sheet with a title above them "
                          "(default: 1). Once for every file, or once per --data in the same order."),
        click.option("--column", "columns", multiple=True, metavar="NAME=HEADER",
                     help="Read column NAME from the file's column HEADER, e.g. --column employee_id=工号 "
                          "(repeatable)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def column_map(columns: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for item in columns:
        name, sep, header = item.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise click.BadParameter(f"{item!r}: write it as NAME=HEADER, e.g. employee_id=工号", param_hint="--column")
        mapping[name.strip()] = header.strip()
    return mapping


def _check_header_rows(data_files: tuple[Path, ...], data_format: str | None, header_rows: tuple[int, ...]) -> None:
    """--header-row names a row of a table: a JSON or YAML file has none (a usage error, exit 2);
    given several times, once per --data."""
    if len(header_rows) > 1 and len(header_rows) != len(data_files):
        raise click.BadParameter(
            f"given {len(header_rows)} times for {len(data_files)} --data files: give it once for every file, "
            "or once per --data in the same order (--header-row 1 for a file without a title row)",
            param_hint="'--header-row'")
    rows = header_rows * len(data_files) if len(header_rows) == 1 else header_rows or (1,) * len(data_files)
    for path, header_row in zip(data_files, rows):
        if header_row == 1:
            continue
        name = STDIN if str(path) == "-" else str(path)
        fmt = data_format or format_of(name)
        if fmt not in (None, "csv", "xlsx"):
            raise click.BadParameter(
                f"{header_row}: it is for CSV files and Excel workbooks, whose column names are on a row; "
                f"{visible(name)} is a {fmt} file, which names its fields in each record: leave --header-row out",
                param_hint="'--header-row'")


def _sources(data_files: tuple[Path, ...], data_format: str | None) -> list[DataSource]:
    sources: list[DataSource] = []
    for path in data_files:
        if str(path) != "-":
            sources.append(path)
            continue
        if data_format is None:
            raise click.UsageError(f"--data - reads standard input: say its format with --data-format "
                                   f"{'|'.join(FORMATS)}")
        if any(isinstance(s, tuple) for s in sources):
            raise click.UsageError("--data - can be given once: standard input is read only once")
        sources.append((STDIN, sys.stdin.buffer.read()))
    return sources


def read_raw(data_files: tuple[Path, ...], data_format: str | None, encoding: str | None,
             sheet: str | None, header_rows: tuple[int, ...], columns: tuple[str, ...]) -> RawTable:
    """The data as read, one table for all the files; a usage mistake exits 2, an unreadable
    file is one message and exit status 1."""
    mapping = column_map(columns)
    _check_header_rows(data_files, data_format, header_rows)
    sources = _sources(data_files, data_format)
    try:
        return read_sources(sources, fmt=data_format, encoding=encoding, sheet=sheet, header_row=header_rows or 1,
                            columns=mapping)
    except DataFileError as exc:
        fail(exc)


def fail(exc: DataFileError) -> NoReturn:
    """A data file that cannot be used: one line on standard error, exit status 1."""
    click.echo(f"error: {visible(str(exc))}", err=True)
    sys.exit(1)


def read_data(policy: Policy, data_files: tuple[Path, ...], data_format: str | None, encoding: str | None,
              sheet: str | None, header_rows: tuple[int, ...], columns: tuple[str, ...]) -> Table:
    """The data typed against the policy; an unreadable file is one message and exit status 1."""
    raw = read_raw(data_files, data_format, encoding, sheet, header_rows, columns)
    try:
        table = type_table(policy, raw)
    except DataFileError as exc:
        fail(exc)
    for note in table.notes:
        where = "" if table.sources else f"{visible(table.file)}: "
        click.echo(f"warning: {where}{visible(note)}", err=True)
    return table


def input_paths(data_files: tuple[Path, ...]) -> list[Path]:
    """The data files given as files (not standard input)."""
    return [path for path in data_files if str(path) != "-"]
