"""The one diagnostic value every step returns and every reporter formats."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from enum import Enum

from kpi_rules.common.errors import KpiRulesError


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


JsonPath = tuple[str | int, ...]


def format_path(path: JsonPath) -> str:
    """`roles.ops_specialist.indicators[0]` style, as HR reads it."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(document)"


@dataclass(frozen=True, order=True)
class Problem:
    """A finding about one place in one file.

    Ordered by file, position, then code, so every reporter lists problems the
    same way every time.
    """

    file: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = field(default=Severity.ERROR, compare=False)
    name: str = field(default="", compare=False)
    path: JsonPath = field(default=(), compare=False)
    hint: str | None = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def column(self) -> int:
        """Deprecated: the column is `col` (as in the JSON output). `column` goes in a later release."""
        warnings.warn("Problem.column is deprecated; use Problem.col", DeprecationWarning, stacklevel=2)
        return self.col

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "path": format_path(self.path),
            "hint": self.hint,
        }


class PolicyFileError(KpiRulesError):
    """A policy file cannot be read at all (missing, a folder, no permission)."""


class PolicyInvalid(KpiRulesError):
    """The policy has errors; `problems` says which."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        first = self.problems[0] if self.problems else None
        summary = f"{first.location}: {first.code} {first.message}" if first else "invalid policy"
        super().__init__(summary)
