"""Typed rows: raw cells checked against the policy's `inputs`.

A bad cell makes its row an error naming the column and the line; every
other row goes on. Numbers become float64 columns with NaN for "absent",
so the engine can work on whole columns.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from kpi_rules.common.arrays import none_mask
from kpi_rules.common.errors import KpiRulesError
from kpi_rules.common.perf import no_gc_pauses
from kpi_rules.common.periods import Period, PeriodError, parse_period
from kpi_rules.common.suggest import closest, did_you_mean
from kpi_rules.data.cells import FloatArray, text_column, typed_column
from kpi_rules.data.csvbytes import LazyColumns
from kpi_rules.data.raw import DataFileError, RawTable, Source, option, where
from kpi_rules.policy.model import Input, Policy
from kpi_rules.results.notes import RowNotes
from kpi_rules.results.reasons import Reason, Word

RESERVED = ("employee_id", "role", "name", "team", "period")
SHARED = ("role", "team", "period")  # columns of few distinct values: one string object per value


class TableMismatch(KpiRulesError):
    """A table typed against one policy is evaluated with another that types data differently
    (other inputs, roles in another order, another cycle): its row codes would mean other things."""


def typing_key(policy: Policy) -> str:
    """A digest of everything typing reads from a policy: two policies with the same key type
    every file the same way, so a table typed for one is right for the other."""
    team = policy.team.key if policy.team else None
    text = repr((tuple(policy.inputs.items()), tuple(policy.roles), policy.period, team))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Table:
    """Typed rows of one data file. `errors[i]` lists why row i cannot be rated."""

    file: str
    sha256: str
    lines: list[int]
    text: dict[str, npt.NDArray[Any]]  # reserved columns and string inputs, object arrays (None: absent)
    numbers: dict[str, FloatArray]  # number/integer/boolean inputs (NaN: absent)
    errors: RowNotes
    role_code: npt.NDArray[np.intp]  # index into the policy's roles, -1 where absent or unknown
    id_first: npt.NDArray[np.intp]  # the first row with the same employee_id, -1 where it is absent
    notes: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)  # several files read as one (see RawTable)
    typed_for: str = ""  # typing_key() of the policy the cells were typed against ("": unknown)
    # Each row's period text as a number, and the texts they number (in order of first appearance),
    # made while typing; None: not known (the engine then finds them from text["period"]).
    period_code: npt.NDArray[np.intp] | None = None
    period_texts: list[str | None] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.lines)

    def where(self, i: int) -> int | str:
        """Row i's line for messages: `5`, or `q2.csv:5` when several files were read."""
        return where(self.lines, self.sources, i)

    def column(self, name: str) -> Any:
        return self.numbers[name] if name in self.numbers else self.text[name]

    def check_typed_for(self, policy: Policy) -> None:
        """Raise TableMismatch unless this table's cells were typed the way `policy` types them."""
        if self.typed_for and self.typed_for != typing_key(policy):
            raise TableMismatch(
                f"{self.file}: the data was loaded for another policy, which reads it differently (other inputs, "
                f"roles or cycle) than {policy.id} {policy.version}; load it again with this policy "
                "(load_data(policy, ...)) before evaluating")


def _default(spec: Input) -> Any:
    if spec.type == "boolean":
        return 1.0 if spec.default else 0.0
    return spec.default


def type_table(policy: Policy, raw: RawTable) -> Table:
    """Type every cell of `raw` against the policy's inputs; bad cells become row errors."""
    with no_gc_pauses():
        return _type_table(policy, raw)


def _type_table(policy: Policy, raw: RawTable) -> Table:
    _check_columns(policy, raw)
    n = raw.n
    errors = RowNotes(n, {i: list(v) for i, v in raw.row_errors.items()})
    notes: list[str] = list(raw.notes)
    header = set(raw.header)

    def fail(i: int, code: str, **params: Any) -> None:
        errors[i].append(Reason(code, line=raw.where(i), **params))

    def cells(name: str, as_written: bool = False) -> list[Any]:
        return (as_written and raw.texts.get(name)) or raw.columns.get(name, [None] * n)

    text = {name: text_column((raw.texts.get(name) or raw.columns.get(name)), n, shared=name in SHARED)
            for name in RESERVED}
    if isinstance(raw.columns, LazyColumns):  # the shared columns' text per row is not needed again
        for name in SHARED:
            raw.columns.forget(name)
    scored = cache(policy.inputs_scored)
    known = {*RESERVED, *policy.inputs}
    numbers: dict[str, FloatArray] = {}
    for name, spec in policy.inputs.items():
        if name not in header:
            hint = did_you_mean(name, raw.header)
            if spec.required:
                notes.append(f"the required column `{name}` is not in the file" + (f"; {hint}" if hint else ""))
            elif (close := closest(name, [h for h in raw.header if h not in known])) is not None:
                notes.append(f"the column `{name}` is not in the file, so it is empty in every row; if `{close}` "
                             f"is the same, pass --column {name}={close}")
        plain = raw.numbers(name) if spec.type in ("number", "integer") else None
        values, bad = typed_column(spec, partial(cells, name, as_written=spec.type == "string"), plain)
        for i, reason in bad.items():
            fail(i, "cell", column=name, problem=reason)
        absent = none_mask(values) if values.dtype == object else np.isnan(values)
        absent[list(bad)] = False
        if spec.default is not None:
            values[absent] = _default(spec)
        elif spec.required:
            for row in np.flatnonzero(absent):
                role = text["role"][row]
                if name in header and role in policy.roles and name not in scored(role):
                    fail(int(row), "empty_required_unscored", column=name, role=role)
                else:
                    fail(int(row), "empty_required" if name in header else "column_absent", column=name)
        (text if spec.type == "string" else numbers)[name] = values
    # A team key other than `team` is an input, checked (and defaulted) like any other.
    required = ["employee_id", "role"] + (["team"] if policy.team and policy.team.key == "team" else [])
    for name in required:
        if name not in header:
            notes.append(f"the required column `{name}` is not in the file")
        for row in np.flatnonzero(none_mask(text[name])):
            fail(int(row), "empty_required" if name in header else "column_absent", column=name)
    role_code = _check_roles(policy, text["role"], fail)
    period_code, period_texts = _check_periods(policy, text["period"], fail)
    return Table(raw.file, raw.sha256, raw.lines, text, numbers, errors, role_code, _first_rows(text["employee_id"]),
                 notes, raw.sources, typing_key(policy), period_code, period_texts)


def _check_columns(policy: Policy, raw: RawTable) -> None:
    """A file with none of the policy's columns, or without a required column the file names
    differently (`Employee_ID`): one error for the file, not one per row. Several files read as
    one are checked each on its own header."""
    for source in raw.sources:
        _check_header(policy, source.file, list(source.header))
    _check_header(policy, raw.file, raw.header)


def _check_header(policy: Policy, file: str, names: list[str]) -> None:
    needed = ["employee_id", "role", *(name for name, spec in policy.inputs.items()
                                       if spec.required and spec.default is None)]
    if policy.team and policy.team.key == "team":
        needed.append("team")
    header = set(names)
    if not header & {"employee_id", "role", *policy.inputs}:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise DataFileError(
            f"{file}: none of the policy's columns ({', '.join(needed[:6])}{', ...' if len(needed) > 6 else ''}) "
            f"is in the file, whose header reads: {shown or '(nothing)'}; if the column names are on a later "
            f"row (a title above them), pass {option('header_row', 'N')}; if they are named differently, "
            f"map each with {option('column', 'NAME=HEADER')}")
    hints = []
    known = {*RESERVED, *policy.inputs}
    unknown = [h for h in names if h not in known]
    # an optional column too, when the file's name for it differs only in case, spaces or `_`
    same = [name for name in policy.inputs if name not in header and name not in needed
            and any(_plain(h) == _plain(name) for h in unknown)]
    for name in dict.fromkeys([*needed, *same]):
        if name not in header:
            close = next((h for h in unknown if _plain(h) == _plain(name)), None) or closest(name, unknown)
            if close is not None:
                what = "the required column" if name in needed else "the column"
                hints.append(f"{what} `{name}` is not in the file, but `{close}` is: if it is the "
                             f"same, pass {option('column', f'{name}={close}')}")
    if hints:
        raise DataFileError(f"{file}: " + "; ".join(hints))


def _plain(name: str) -> str:
    """A column name without case, spaces, `_` or `-`: `Churn Rate` and `churn_rate` are the same."""
    return "".join(c for c in name.casefold() if c.isalnum())


def _first_rows(ids: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """For each row, the first row with the same employee_id (itself if none before), -1 without
    one: the engine finds repeated employees from these in whole-column operations."""
    first: dict[Any, int] = {}
    out = np.fromiter(map(first.setdefault, ids.tolist(), range(len(ids))), dtype=np.intp, count=len(ids))
    out[none_mask(ids)] = -1
    return out


def _check_roles(policy: Policy, roles: npt.NDArray[Any], fail: Any) -> npt.NDArray[np.intp]:
    """Each row's role as an index into the policy's roles (-1: absent or unknown, an error)."""
    index = {role: k for k, role in enumerate(policy.roles)}
    codes = np.fromiter(map(index.get, roles.tolist(), repeat(-1)), dtype=np.intp, count=len(roles))
    for i in np.flatnonzero(codes < 0).tolist():
        role = roles[i]
        if role is not None:
            close = closest(role, policy.roles)
            if close:
                fail(i, "unknown_role_close", role=role, closest=close)
            else:
                fail(i, "unknown_role", role=role, roles=", ".join(policy.roles))
    return codes


def _check_periods(policy: Policy, periods: npt.NDArray[Any], fail: Any) -> tuple[npt.NDArray[np.intp], list[Any]]:
    """Periods written as the format writes them (2024Q2 -> 2024-Q2), each distinct text read once.
    Returns each row's period (as written) as a number, and the texts they number."""
    texts = periods.tolist()
    number = {text: k for k, text in enumerate(dict.fromkeys(texts))}
    codes = np.fromiter(map(number.__getitem__, texts), dtype=np.intp, count=len(texts))
    read: dict[str, Period | Reason] = {}
    for text in number.keys() - {None}:
        try:
            read[text] = parse_period(text)
        except PeriodError:
            read[text] = Reason("not_period", value=str(text).strip())
    if not read:
        return codes, list(number)
    written = {text: str(period) for text, period in read.items() if isinstance(period, Period)}
    as_written = [written.get(text, text) for text in number]
    each = np.empty(len(as_written), dtype=object)
    for k, text in enumerate(as_written):
        each[k] = text
    periods[:] = each[codes]  # each distinct period made text once
    distinct = {text: k for k, text in enumerate(dict.fromkeys(as_written))}  # 2024Q2 and 2024-Q2: one
    codes = np.array([distinct[text] for text in as_written], dtype=np.intp)[codes]
    bad = {text for text, period in read.items() if isinstance(period, Reason) or period.kind != policy.period}
    if not bad:
        return codes, list(distinct)
    for i in [i for i, text in enumerate(texts) if text in bad]:
        period = read[texts[i]]
        if isinstance(period, Reason):
            fail(i, "cell", column="period", problem=period)
            continue
        fail(i, "cell", column="period", problem=Reason(
            "wrong_period_kind", period=str(period), kind=Word(period.kind), cycle=Word(policy.period)))
    return codes, list(distinct)
