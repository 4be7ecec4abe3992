"""Review sheets: one folder per period, and the team's grade distribution left out on request."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kpi_rules.cli import main

ROOT = Path(__file__).resolve().parents[1]
OPS = [str(ROOT / "policies" / "ops-department.yaml"), "--data", str(ROOT / "examples" / "ops-2024.csv")]


def sheets(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_sheets_of_each_period_go_to_their_own_folder(tmp_path: Path) -> None:
    for period, code in (("2024-Q1", 0), ("2024-Q2", 0), ("2024", 1)):  # 2024: a quarter's row is an error
        result = CliRunner().invoke(main, ["evaluate", *OPS, "--period", period, "--format", "md",
                                           "--out", f"{tmp_path}/", "--per-employee"])
        assert result.exit_code == code, result.output
        assert f"review sheets to {tmp_path / 'employees' / period}" in result.stderr
    found = sheets(tmp_path / "employees")
    assert {name.split("/")[0] for name in found} == {"2024-Q1", "2024-Q2", "2024"}
    assert "2024-Q1/E012.md" in found and "2024-Q2/E012.md" in found and "2024/E012.md" in found
    assert all(name.count("/") == 1 for name in found)
    q1 = (tmp_path / "employees" / "2024-Q1" / "E012.md").read_text(encoding="utf-8")
    assert "| 2024-Q1 |" in q1 and "2024-Q2" not in q1


def test_no_team_distribution_leaves_the_grade_table_out(tmp_path: Path) -> None:
    for fmt in ("md", "html"):
        for flag, folder in (([], "with"), (["--no-team-distribution"], "without")):
            result = CliRunner().invoke(main, ["evaluate", *OPS, "--period", "2024-Q2", "--format", fmt,
                                               "--out", f"{tmp_path / folder}/", "--per-employee", *flag])
            assert result.exit_code == 0, result.output
        with_it = (tmp_path / "with" / "employees" / "2024-Q2" / f"E012.{fmt}").read_text(encoding="utf-8")
        without = (tmp_path / "without" / "employees" / "2024-Q2" / f"E012.{fmt}").read_text(encoding="utf-8")
        assert "等级分布" in with_it and "等级分布" not in without
        assert "平均" in without  # the team's other figures stay


def test_no_team_distribution_needs_per_employee() -> None:
    result = CliRunner().invoke(main, ["evaluate", *OPS, "--period", "2024-Q2", "--format", "md",
                                       "--no-team-distribution"])
    assert result.exit_code == 2
    assert "--no-team-distribution: only with --per-employee" in result.stderr
