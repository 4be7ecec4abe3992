"""The validation pipeline: load -> shape -> meaning, problems collected."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kpi_rules.policy.checks import run_checks
from kpi_rules.policy.checks.context import Context
from kpi_rules.policy.loader import Loaded, SourceMap, load_bytes, load_file
from kpi_rules.policy.problems import Problem
from kpi_rules.policy.schema import check_shape

POLICY_SUFFIXES = (".yaml", ".yml")


@dataclass
class Validation:
    """One file's outcome: its problems (sorted), its source and, if valid, its context."""

    file: str
    problems: list[Problem]
    source: SourceMap
    context: Context | None
    sha256: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_loaded(loaded: Loaded) -> Validation:
    problems = list(loaded.problems)
    context = None
    if not problems:
        problems += check_shape(loaded.data, loaded.source)
    if not problems:
        context = Context(loaded.file, loaded.data, loaded.source)
        problems += run_checks(context)
    return Validation(loaded.file, sorted(problems), loaded.source, context, loaded.sha256)


def validate_file(path: str | Path) -> Validation:
    return validate_loaded(load_file(path))


def validate_bytes(raw: bytes, file: str) -> Validation:
    return validate_loaded(load_bytes(raw, file))


def policy_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand folders into the policy files below them, sorted; files as given.

    Policy test files (`*.test.yaml`) are not policies and are skipped, and so are hidden files
    and folders below a folder given (`.github/`, `.pre-commit-config.yaml`)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in found.relative_to(path).parts)
                if found.suffix in POLICY_SUFFIXES and found.is_file() and not hidden and not found.name.endswith(
                        (".test.yaml", ".test.yml")):
                    yield found
        else:
            yield path
