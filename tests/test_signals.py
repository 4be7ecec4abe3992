"""Signals and pipes, with real processes and real signals: Ctrl-C exits 130, SIGTERM 143, a
closed pipe is silent (SIGPIPE, 141 in the shell); nothing half-written is left behind."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kpi_rules.writers import atomic
from kpi_rules.writers.atomic import atomic_folder, atomic_writer, write_atomic

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "ops-department.yaml"
KPI_RULES = [sys.executable, "-c", "from kpi_rules.cli import run; run()"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def big_data(path: Path, copies: int) -> Path:
    """The example's 2024-Q2 rows, `copies` times over with distinct employee ids."""
    with (ROOT / "examples" / "ops-2024.csv").open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["period"] == "2024-Q2"]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for n in range(copies):
            for r in rows:
                writer.writerow({**r, "employee_id": f"{r['employee_id']}-{n}"})
    return path


def start(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*KPI_RULES, "evaluate", str(POLICY), *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(found: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not found():
        assert proc.poll() is None, "the process ended before the moment to signal it"
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_sigterm_while_writing_out_leaves_no_temp_file(tmp_path: Path) -> None:
    data = big_data(tmp_path / "big.csv", 500)  # 20,000 employees: seconds of writing
    out = tmp_path / "out"
    out.mkdir()
    proc = start("--data", str(data), "--period", "2024-Q2", "--out", str(out / "results.json"), cwd=tmp_path)
    wait_for(lambda: any(out.iterdir()), proc)  # the hidden temporary file is being written
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert list(out.iterdir()) == []
    assert b"Traceback" not in err


def test_ctrl_c_while_writing_sheets_leaves_none_and_keeps_the_previous_ones(tmp_path: Path) -> None:
    data = big_data(tmp_path / "big.csv", 25)  # 1,000 review sheets
    out = tmp_path / "out"
    previous = out / "employees" / "2024-Q2"
    previous.mkdir(parents=True)
    (previous / "E001.md").write_text("last run's sheet", encoding="utf-8")
    proc = start("--data", str(data), "--period", "2024-Q2", "--format", "md", "--out", f"{out}/",
                 "--per-employee", cwd=tmp_path)
    employees = out / "employees"
    wait_for(lambda: any(len(list(p.iterdir())) > 5 for p in employees.glob(".2024-Q2.*")), proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert sorted(p.name for p in employees.iterdir()) == ["2024-Q2"]  # no hidden half-written folder
    assert [p.name for p in previous.iterdir()] == ["E001.md"]
    assert (previous / "E001.md").read_text(encoding="utf-8") == "last run's sheet"
    assert b"Traceback" not in err and b"Aborted" not in err


def test_a_closed_pipe_is_silent_and_exits_by_sigpipe(tmp_path: Path) -> None:
    data = big_data(tmp_path / "big.csv", 50)
    proc = start("--data", str(data), "--period", "2024-Q2", "--format", "csv", cwd=tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # `| head -1`
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGPIPE  # the shell shows 141
    assert err == b""


def test_shell_pipeline_to_head_exits_141(tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    data = big_data(tmp_path / "big.csv", 50)
    command = " ".join([*(f"'{a}'" for a in KPI_RULES), "evaluate", str(POLICY), "--data", str(data),
                        "--period", "2024-Q2", "--format", "csv", "| head -1; echo ${PIPESTATUS[0]} >&2"])
    done = subprocess.run(["bash", "-c", command], capture_output=True, cwd=tmp_path, timeout=120)
    assert done.stdout.startswith(b"\xef\xbb\xbf") or done.stdout.count(b"\n") == 1
    assert done.stderr == b"141\n"


# ---------------------------------------------------------------------------
# writers.atomic: no umask games, temp files and folders cleaned up
# ---------------------------------------------------------------------------

def test_atomic_writer_never_touches_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    current = os.umask(0o027)
    os.umask(0o027)
    try:
        def refuse(mask: int) -> int:
            raise AssertionError("os.umask is process-wide state")

        monkeypatch.setattr(atomic.os, "umask", refuse)
        write_atomic(tmp_path / "r.md", "text")
    finally:
        monkeypatch.undo()
        os.umask(current)
    assert stat.S_IMODE((tmp_path / "r.md").stat().st_mode) == 0o640
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == "text"


def test_atomic_writer_removes_its_temp_file_when_interrupted(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_writer(tmp_path / "r.json", binary=True) as handle:
        handle.write(b"half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_folder_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "employees" / "2024-Q1"
    with atomic_folder(target) as tmp:
        (tmp / "a.md").write_text("1", encoding="utf-8")
    assert [p.name for p in target.iterdir()] == ["a.md"]
    with pytest.raises(RuntimeError), atomic_folder(target) as tmp:
        (tmp / "b.md").write_text("2", encoding="utf-8")
        raise RuntimeError
    assert [p.name for p in target.parent.iterdir()] == ["2024-Q1"]
    assert [p.name for p in target.iterdir()] == ["a.md"]
    with atomic_folder(target) as tmp:
        (tmp / "c.md").write_text("3", encoding="utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["2024-Q1"]
    assert [p.name for p in target.iterdir()] == ["c.md"]
