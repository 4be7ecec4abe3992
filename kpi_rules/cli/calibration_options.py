"""The `--calibration FILE` option of evaluate, explain and diff, and how its problems are shown."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from kpi_rules.common.text import visible
from kpi_rules.policy.calibration import Calibration, CalibrationInvalid, check_loaded
from kpi_rules.policy.loader import SourceMap, load_file
from kpi_rules.policy.problems import PolicyFileError
from kpi_rules.policy.validate import Validation
from kpi_rules.writers.problems import REPORTERS

F = TypeVar("F", bound=Callable[..., Any])


def calibration_option(command: F) -> F:
    """Add `--calibration FILE` (repeatable) to a click command."""
    return click.option(
        "--calibration", "calibration_files", multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A calibration file (kind: Calibration): grades changed in a calibration meeting, with reasons, "
             "applied after forced distribution. Repeat it for a roll-up's periods (2024-Q2, 2024).")(command)


def read_calibrations(paths: Sequence[Path]) -> list[Calibration]:
    """Every file read and checked; any problem in any of them is shown and exits 1."""
    checked, invalid = [], []
    for path in paths:
        try:
            validation, calibration = check_loaded(load_file(path))
        except PolicyFileError as exc:
            click.echo(f"error: {visible(str(exc))}", err=True)
            sys.exit(1)
        if calibration is None:
            invalid.append(validation)
        else:
            checked.append(calibration)
    if invalid:
        click.echo(REPORTERS["text"](invalid), err=True, nl=False)
        sys.exit(1)
    return checked


def fail_on_calibration(exc: CalibrationInvalid, calibrations: Sequence[Calibration]) -> NoReturn:
    """Show a calibration's problems with the data or the policy (file:line:col, the line, a hint); exit 1."""
    sources = {c.file: c.source for c in calibrations}
    files = sorted({p.file for p in exc.problems})
    results = [Validation(f, [p for p in exc.problems if p.file == f], sources.get(f, SourceMap(f)), None)
               for f in files]
    click.echo(REPORTERS["text"](results), err=True, nl=False)
    sys.exit(1)
