"""Read a policy test file (`*.test.yaml`): the same loader and schema
machinery as policies, so a bad test file is reported at `file:line:col`
exactly like a bad policy.

Test-file codes (documented in docs/ci.md): KR301 policy-not-found,
KR302 duplicate-case, KR303 unknown-employee, KR304 expect-needs-ids,
KR305 unknown-expectation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kpi_rules.common.suggest import did_you_mean
from kpi_rules.policy.loader import Loaded, SourceMap, load_file
from kpi_rules.policy.problems import JsonPath, PolicyFileError, Problem
from kpi_rules.policy.schema import check_shape
from kpi_rules.policy.validate import Validation
from kpi_rules.policytest.model import EXPECT_FIELDS, Case, Expectation, TestFile

TEST_SUFFIXES = (".test.yaml", ".test.yml")
SCHEMA = "testcases.schema.json"


def test_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Folders expand to the `*.test.yaml` files below them (sorted); files are taken as given."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(TEST_SUFFIXES))
        else:
            yield path


def _problem(source: SourceMap, path: JsonPath, code: str, name: str, message: str, hint: str | None = None,
             key: bool = False) -> Problem:
    mark = source.key(path) if key else source.value(path)
    return Problem(source.file, mark.line, mark.col, code, message, name=name, path=path, hint=hint)


def _row_ids(case: dict[str, Any]) -> list[str]:
    rows = case.get("rows")
    if not isinstance(rows, list):
        return []
    return [str(r["employee_id"]) if isinstance(r, dict) and r.get("employee_id") is not None else f"row{k + 1}"
            for k, r in enumerate(rows)]


def _expect_keys(data: Any, source: SourceMap) -> tuple[list[Problem], set[JsonPath]]:
    """Keys of `expect` that are neither expectation fields nor employee ids of the case's rows.

    The schema would call such a key "must be a mapping"; the real mistake is
    a misspelt field or employee id, so it is reported here with a hint and
    the schema's message for that place is dropped."""
    problems: list[Problem] = []
    skip: set[JsonPath] = set()
    cases = data.get("cases") if isinstance(data, dict) else None
    for i, case in enumerate(cases if isinstance(cases, list) else []):
        expect = case.get("expect") if isinstance(case, dict) else None
        if not isinstance(expect, dict):
            continue
        ids = _row_ids(case)
        for key in expect:
            if key in EXPECT_FIELDS or key in ids:
                continue
            where: JsonPath = ("cases", i, "expect", key)
            skip.add(where)
            if len(set(ids)) > 1 or isinstance(expect[key], dict):
                problems.append(_problem(source, where, "KR303", "unknown-employee",
                                         f"`{key}` is not the employee_id of any row of this case",
                                         did_you_mean(key, ids, "employee ids here: " + ", ".join(ids)), key=True))
            else:
                problems.append(_problem(source, where, "KR305", "unknown-expectation",
                                         f"`{key}` is not something a case can expect",
                                         did_you_mean(key, EXPECT_FIELDS, "expectations: " + ", ".join(EXPECT_FIELDS)),
                                         key=True))
    return problems, skip


def _semantics(data: dict[str, Any], source: SourceMap, policy: Path) -> list[Problem]:
    problems = []
    if not policy.is_file():
        problems.append(_problem(source, ("policy",), "KR301", "policy-not-found",
                                 f"the policy file {policy} does not exist",
                                 "the path is relative to the test file, e.g. ../../policies/ops-department.yaml"))
    seen: dict[str, int] = {}
    for i, case in enumerate(data["cases"]):
        name = case["name"]
        if name in seen:
            first = source.value(("cases", seen[name], "name")).line
            problems.append(_problem(source, ("cases", i, "name"), "KR302", "duplicate-case",
                                     f"the case name `{name}` is used twice (first at line {first})",
                                     "give every case its own name: results are reported as file::name"))
        seen.setdefault(name, i)
        singles = [k for k in case["expect"] if k in EXPECT_FIELDS]
        people = len(set(_row_ids(case)))
        if singles and people > 1:
            problems.append(_problem(source, ("cases", i, "expect", singles[0]), "KR304", "expect-needs-ids",
                                     f"this case has rows for {people} employees: say whose result `{singles[0]}` is",
                                     "write the expectations under each employee id: expect: {E1: {grade: A}}",
                                     key=True))
        elif singles and len(singles) != len(case["expect"]):
            problems.append(_problem(source, ("cases", i, "expect"), "KR304", "expect-needs-ids",
                                     "`expect` mixes result fields with employee ids",
                                     "with one row write the fields directly; otherwise key them by employee id"))
    return problems


def _expectation(source: SourceMap, base: JsonPath, employee: str | None, fields: dict[str, Any]) -> Expectation:
    marks = {k: source.value((*base, k)) for k in fields}
    return Expectation(employee, dict(fields), marks, source.key(base))


def _case(data: dict[str, Any], source: SourceMap, i: int) -> Case:
    raw = data["cases"][i]
    period = raw.get("period", data.get("period"))
    defaults = data.get("defaults") or {}
    rows = []
    for k, row in enumerate(raw["rows"]):
        merged = {**defaults, **row}
        if merged.get("employee_id") is None:
            merged["employee_id"] = f"row{k + 1}"
        if merged.get("period") is None and period is not None:
            merged["period"] = str(period)
        rows.append(merged)
    expect = raw["expect"]
    base: JsonPath = ("cases", i, "expect")
    if all(k in EXPECT_FIELDS for k in expect):
        expectations = [_expectation(source, base, None, expect)]
    else:
        expectations = [_expectation(source, (*base, str(emp)), str(emp), fields) for emp, fields in expect.items()]
    return Case(raw["name"], i, str(period) if period is not None else None, rows,
                [source.value(("cases", i, "rows", k)).line for k in range(len(rows))], expectations,
                source.value(("cases", i)))


def _invalid(loaded: Loaded, problems: list[Problem]) -> TestFile:
    return TestFile(loaded.file, loaded.source, validation=Validation(loaded.file, sorted(problems), loaded.source,
                                                                       None, loaded.sha256))


def load_test_file(path: str | Path) -> TestFile:
    try:
        loaded = load_file(path)
    except PolicyFileError as exc:
        source = SourceMap(str(path))
        why = str(exc).split(": cannot be read: ", 1)[-1]
        problem = Problem(str(path), 1, 1, "KR301", f"the test file cannot be read: {why}", name="policy-not-found")
        return TestFile(str(path), source, validation=Validation(str(path), [problem], source, None))
    if loaded.problems:
        return _invalid(loaded, loaded.problems)
    extra, skip = _expect_keys(loaded.data, loaded.source)
    shape = [p for p in check_shape(loaded.data, loaded.source, SCHEMA, "the test file")
             if not any(p.path[:len(s)] == s for s in skip)]
    if shape:
        return _invalid(loaded, extra + shape)
    data: dict[str, Any] = loaded.data
    policy = Path(os.path.normpath(Path(loaded.file).parent / data["policy"]))
    problems = extra + _semantics(data, loaded.source, policy)  # every problem of the file at once
    if problems:
        return _invalid(loaded, problems)
    cases = [_case(data, loaded.source, i) for i in range(len(data["cases"]))]
    return TestFile(loaded.file, loaded.source, str(policy), cases,
                    Validation(loaded.file, [], loaded.source, None, loaded.sha256))
