"""The check registry and the runner that turns findings into Problems."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kpi_rules.policy.checks.context import Context
from kpi_rules.policy.problems import JsonPath, Problem, Severity


@dataclass(frozen=True)
class Finding:
    """What a check found, and where: a json path, optionally a column inside a formula."""

    path: JsonPath
    message: str
    hint: str | None = None
    key: bool = False  # point at the key that names `path`, not its value
    offset: int | None = None  # character offset inside the formula at `path`


CheckFunction = Callable[[Context], Iterator[Finding]]


@dataclass(frozen=True)
class Check:
    code: str
    name: str
    severity: Severity
    function: CheckFunction | None

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "") if self.function else ""


CHECKS: dict[str, Check] = {}


def check(code: str, name: str, severity: Severity = Severity.ERROR) -> Callable[[CheckFunction], CheckFunction]:
    """Register a semantic check under a stable code."""

    def register(function: CheckFunction) -> CheckFunction:
        if code in CHECKS:
            raise ValueError(f"check code {code} registered twice")
        CHECKS[code] = Check(code, name, severity, function)
        return function

    return register


def run_checks(ctx: Context) -> list[Problem]:
    problems: list[Problem] = []
    for entry in CHECKS.values():
        assert entry.function is not None
        for finding in entry.function(ctx):
            if finding.offset is not None:
                mark = ctx.formula_mark(finding.path, finding.offset)
            elif finding.key:
                mark = ctx.source.key(finding.path)
            else:
                mark = ctx.source.value(finding.path)
            problems.append(Problem(
                ctx.file, mark.line, mark.col, entry.code, finding.message,
                severity=entry.severity, name=entry.name, path=finding.path, hint=finding.hint))
    return sorted(problems)
