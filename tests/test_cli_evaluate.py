"""`kpi-rules evaluate` as a command: where it writes, and what it refuses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kpi_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _copies(tmp_path: Path) -> tuple[Path, Path]:
    policy, data = tmp_path / "policy.yaml", tmp_path / "data.csv"
    shutil.copy(ROOT / "policies" / "ops-department.yaml", policy)
    shutil.copy(ROOT / "examples" / "ops-2024.csv", data)
    return policy, data


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["evaluate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_the_results_never_overwrite_an_input(tmp_path: Path) -> None:
    policy, data = _copies(tmp_path)
    before = (policy.read_bytes(), data.read_bytes())
    for out in (data, policy):
        code, output = _run(str(policy), "--data", str(data), "--period", "2024-Q2", "--format", "csv",
                            "--out", str(out))
        assert code == 2 and f"is the input file {out}" in output
    assert (policy.read_bytes(), data.read_bytes()) == before


def test_an_output_path_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    policy, data = _copies(tmp_path)
    for out, why in ((data / "x.json", "cannot write"), (tmp_path / ("a" * 300 + ".json"), "File name too long")):
        code, output = _run(str(policy), "--data", str(data), "--period", "2024-Q2", "--out", str(out))
        assert code == 1 and why in output and "Traceback" not in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "policy.yaml"]  # nothing half-written


def test_a_period_the_data_has_no_rows_for_is_a_usage_error(tmp_path: Path) -> None:
    policy, data = _copies(tmp_path)
    code, output = _run(str(policy), "--data", str(data), "--period", "2024-Q3", "--format", "csv")
    assert code == 0
    data.write_text("\n".join(line for line in data.read_text(encoding="utf-8").splitlines()
                              if "2024-Q3" not in line) + "\n", encoding="utf-8")
    code, output = _run(str(policy), "--data", str(data), "--period", "2024-Q3", "--format", "csv")
    assert code == 2
    assert "the data has no rows for 2024-Q3 (it holds 2024-Q1, 2024-Q2, 2024-Q4); check --period" in output


def test_the_program_runs_as_a_one_shot_process() -> None:
    # `kpi-rules` (cli.run) marks its process as one run: the loaded table is frozen out of the
    # garbage collector's view, and numpy is asked for ordinary pages (see perf.one_run).
    code = ("from kpi_rules.common import perf; perf.one_run(); import os, numpy; "
            "from numpy._core import multiarray as m; "
            "print(perf.ONE_RUN, os.environ['NUMPY_MADVISE_HUGEPAGE'], m._get_madvise_hugepage())")
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["True", "0", "False"]
