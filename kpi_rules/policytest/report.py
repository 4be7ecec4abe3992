"""`kpi-rules test` reports by name: text, json, junit, github. Each returns one string."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from kpi_rules.policy.validate import Validation
from kpi_rules.policytest.coverage import KINDS, CoverageReport
from kpi_rules.policytest.model import CaseResult, FileResult
from kpi_rules.writers.problems import _gh_escape, _snippet


@dataclass
class Run:
    """Everything a report shows: file outcomes, and coverage when asked for."""

    files: list[FileResult]
    coverage: list[CoverageReport] | None = None
    threshold: float | None = None
    below: list[CoverageReport] = field(default_factory=list)

    @property
    def cases(self) -> list[CaseResult]:
        return [c for f in self.files for c in f.cases]

    @property
    def invalid(self) -> list[Validation]:
        return [v for f in self.files for v in f.invalid]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files) and not self.below


def summary_line(run: Run) -> str:
    cases = run.cases
    passed = sum(c.passed for c in cases)
    line = f"{passed} passed, {len(cases) - passed} failed"
    bad = len({v.file for v in run.invalid})
    return line + (f", {bad} invalid file{'s' if bad != 1 else ''}" if bad else "")


def _problem_lines(validation: Validation) -> list[str]:
    out = []
    for p in validation.problems:
        out.append(f"{p.location}: {p.severity.value} {p.code} {p.message}  [{p.name}]")
        out += _snippet(p, validation)
        if p.hint:
            out.append(f"  help: {p.hint}")
    return out


def _case_lines(case: CaseResult) -> list[str]:
    if case.passed:
        return [f"PASS {case.title}"]
    out = [f"FAIL {case.title}"]
    if case.error:
        out.append(f"    {case.file}:{case.line}:{case.col}: {case.error}")
    for m in case.mismatches:
        out.append(f"    {case.file}:{m.line}:{m.col}: {m.where}")
        out.append(f"      expected: {m.expected}")
        out.append(f"      actual:   {m.actual}")
    out += [f"    note: {note}" for note in case.notes]
    return out


def coverage_lines(run: Run) -> list[str]:
    out: list[str] = []
    for report in run.coverage or []:
        reached = len(report.items) - len(report.missed)
        out.append(f"coverage {report.policy}: {report.percent:.1f}% ({reached} of {len(report.items)} reached)")
        for kind in KINDS:
            missed = [i.label for i in report.missed if i.kind == kind]
            if missed:
                out.append(f"  not reached ({kind}): " + "; ".join(missed))
    for report in run.below:
        out.append(f"coverage {report.policy}: {report.percent:.1f}% is below the threshold {run.threshold:g}%")
    return out


def text(run: Run) -> str:
    out: list[str] = []
    for f in run.files:
        for validation in f.invalid:
            out.append(f"ERROR {f.file}: " + ("the test file is invalid" if validation.file == f.file
                                              else f"its policy {validation.file} is invalid"))
            out += ["    " + line for line in _problem_lines(validation)]
        for case in f.cases:
            out += _case_lines(case)
    out += coverage_lines(run)
    out.append(summary_line(run))
    return "\n".join(out) + "\n"


def as_json(run: Run) -> str:
    cases = run.cases
    doc = {
        "files": [{"file": f.file, "policy": f.policy, "ok": f.ok,
                   "problems": [p.to_dict() for v in f.invalid for p in v.problems]} for f in run.files],
        "cases": [c.to_dict() for c in cases],
        "coverage": [r.to_dict() for r in run.coverage] if run.coverage is not None else None,
        "summary": {"passed": sum(c.passed for c in cases), "failed": sum(not c.passed for c in cases),
                    "invalid_files": len({v.file for v in run.invalid}), "threshold": run.threshold,
                    "below_threshold": [r.policy for r in run.below], "ok": run.ok, "text": summary_line(run)},
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _failure_text(case: CaseResult) -> str:
    return "\n".join(_case_lines(case)[1:])


def _annotation(case: CaseResult) -> str:
    """Short lines for an annotation that already sits on the case's line."""
    lines = [case.error] if case.error else []
    lines += [f"{m.where}: expected {m.expected}, actual {m.actual}" for m in case.mismatches]
    return "\n".join(lines + case.notes)


def github(run: Run) -> str:
    """The text report, plus a workflow command per failure and per problem, on the real line."""
    out = text(run).rstrip("\n").split("\n")
    summary = out.pop()
    for v in run.invalid:
        for p in v.problems:
            message = p.message + (f" (help: {p.hint})" if p.hint else "")
            out.append(f"::{p.severity.value} file={_gh_escape(p.file, True)},line={p.line},col={p.col},"
                       f"title={_gh_escape(f'{p.code} {p.name}', True)}::{_gh_escape(message)}")
    for case in run.cases:
        if case.passed:
            continue
        line, col = (case.mismatches[0].line, case.mismatches[0].col) if case.mismatches else (case.line, case.col)
        out.append(f"::error file={_gh_escape(case.file, True)},line={line},col={col},"
                   f"title={_gh_escape(f'FAIL {case.name}', True)}::{_gh_escape(_annotation(case))}")
    for report in run.below:
        message = f"{report.policy}: {report.percent:.1f}% < {run.threshold:g}%"
        out.append(f"::error title=kpi-rules coverage::{_gh_escape(message)}")
    out.append(summary)
    return "\n".join(out) + "\n"


def junit(run: Run) -> str:
    """A test suite per test file, a test case per case; a bad file is one errored test case."""
    cases = run.cases
    failures = sum(not c.passed for c in cases)
    errors = len(run.invalid)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name="kpi-rules test" tests="{len(cases) + errors}" failures="{failures}" '
             f'errors="{errors}">']
    for f in run.files:
        bad = len(f.invalid)
        lines.append(f"<testsuite name={quoteattr(f.file)} tests=\"{len(f.cases) + bad}\" "
                     f"failures=\"{sum(not c.passed for c in f.cases)}\" errors=\"{bad}\">")
        for validation in f.invalid:
            body = escape("\n".join(_problem_lines(validation)))
            lines.append(f"<testcase classname=\"kpi-rules.test\" name={quoteattr(validation.file)}>"
                         f"<error type=\"invalid-file\" message={quoteattr(f'{validation.file} is invalid')}>"
                         f"{body}</error></testcase>")
        for case in f.cases:
            lines.append(f"<testcase classname={quoteattr(f.file)} name={quoteattr(case.name)}>")
            if not case.passed:
                message = case.error or f"{len(case.mismatches)} expectation(s) not met"
                lines.append(f"<failure message={quoteattr(message)}>{escape(_failure_text(case))}</failure>")
            lines.append("</testcase>")
        lines.append("</testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


REPORTS: dict[str, Callable[[Run], str]] = {"text": text, "json": as_json, "junit": junit, "github": github}
