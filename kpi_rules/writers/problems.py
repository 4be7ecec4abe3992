"""Validation reports by name: text, json, github, junit, sarif.

Each reporter turns a list of `Validation`s into one string; only the CLI
prints it. Text from the policy (keys, values, file names) reaches every
reporter with its control characters shown as escapes (`messages.visible`):
a key holding ESC cannot drive the terminal, and JUnit XML, SARIF and JSON
stay well-formed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence

from kpi_rules.common.text import visible
from kpi_rules.policy.problems import Problem
from kpi_rules.policy.validate import Validation


def _shown(p: Problem) -> Problem:
    """The problem with control characters in its texts made visible."""
    return dataclasses.replace(p, file=visible(p.file), message=visible(p.message), name=visible(p.name),
                               hint=visible(p.hint) if p.hint is not None else None,
                               path=tuple(visible(k) if isinstance(k, str) else k for k in p.path))


def _problems(result: Validation, only_errors: bool = False) -> list[Problem]:
    return [_shown(p) for p in (result.errors if only_errors else result.problems)]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(results: Sequence[Validation]) -> str:
    errors = sum(len(r.errors) for r in results)
    warnings = sum(len(r.warnings) for r in results)
    return f"{_plural(len(results), 'file')}, {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def _snippet(problem: Problem, result: Validation) -> list[str]:
    line = result.source.source_line(problem.line)
    if not line:
        return []
    number = str(problem.line)
    pad = " " * len(number)
    # Tabs would shift the caret; show them as single spaces. Escapes widen the line before the caret.
    shown = line.replace("\t", " ")
    before = len(visible(shown[:problem.col - 1]))
    return [f" {number} | {visible(shown)}", f" {pad} | {' ' * before}^"]


def text(results: Sequence[Validation]) -> str:
    out: list[str] = []
    for result in results:
        for p in _problems(result):
            out.append(f"{p.location}: {p.severity.value} {p.code} {p.message}  [{p.name}]")
            out.extend(_snippet(p, result))
            if p.hint:
                out.append(f"  help: {p.hint}")
            out.append("")
    out.append(summary_line(results))
    return "\n".join(out) + "\n"


def as_json(results: Sequence[Validation]) -> str:
    payload = {
        "files": [
            {"file": visible(r.file), "valid": r.ok, "problems": [p.to_dict() for p in _problems(r)]} for r in results
        ],
        "summary": {
            "files": len(results),
            "errors": sum(len(r.errors) for r in results),
            "warnings": sum(len(r.warnings) for r in results),
            "text": summary_line(results),
        },
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _gh_escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(results: Sequence[Validation]) -> str:
    """GitHub Actions workflow commands: annotations on the pull request's lines."""
    out = []
    for result in results:
        for p in _problems(result):
            message = p.message + (f" (help: {p.hint})" if p.hint else "")
            out.append(
                f"::{p.severity.value} file={_gh_escape(p.file, True)},line={p.line},col={p.col},"
                f"title={_gh_escape(f'{p.code} {p.name}', True)}::{_gh_escape(message)}"
            )
    out.append(summary_line(results))
    return "\n".join(out) + "\n"


def junit(results: Sequence[Validation], strict: bool = False) -> str:
    """One test case per file; each error is a failure (with --strict, each warning too)."""
    from xml.sax.saxutils import escape, quoteattr  # imports urllib.request: here, not at every start

    failures = sum(1 for r in results if r.errors or (strict and r.warnings))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="kpi-rules validate" tests="{len(results)}" failures="{failures}">',
        f'<testsuite name="kpi-rules validate" tests="{len(results)}" failures="{failures}" errors="0">',
    ]
    for r in results:
        lines.append(f"<testcase classname=\"kpi-rules.validate\" name={quoteattr(visible(r.file))}>")
        for p in _problems(r, only_errors=not strict):
            body = escape(f"{p.location}: {p.code} {p.message}" + (f"\nhelp: {p.hint}" if p.hint else ""))
            lines.append(f"<failure type={quoteattr(p.code)} message={quoteattr(p.message)}>{body}</failure>")
        if r.warnings and not strict:
            text_out = "\n".join(f"{p.location}: warning {p.code} {p.message}" for p in map(_shown, r.warnings))
            lines.append(f"<system-out>{escape(text_out)}</system-out>")
        lines.append("</testcase>")
    lines += ["</testsuite>", "</testsuites>"]
    return "\n".join(lines) + "\n"


def sarif(results: Sequence[Validation]) -> str:
    """SARIF 2.1.0 for code-scanning tools; rule ids are the check codes."""
    from kpi_rules.common.version import __version__
    from kpi_rules.policy.codes import all_codes

    rules = [
        {"id": c.code, "name": c.name, "shortDescription": {"text": c.summary},
         "fullDescription": {"text": c.doc or c.summary},
         "defaultConfiguration": {"level": c.severity}}
        for c in all_codes()
    ]
    findings = [
        {
            "ruleId": p.code,
            "level": p.severity.value,
            "message": {"text": p.message + (f" (help: {p.hint})" if p.hint else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": p.file.replace("\\", "/")},
                "region": {"startLine": p.line, "startColumn": p.col},
            }}],
        }
        for r in results for p in _problems(r)
    ]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "kpi-rules", "version": __version__,
                                "informationUri": "https://github.com/kpi-rules/kpi-rules", "rules": rules}},
            "results": findings,
        }],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


REPORTERS: dict[str, Callable[..., str]] = {
    "text": text, "json": as_json, "github": github, "junit": junit, "sarif": sarif,
}
