"""`kpi-rules explain`: the calculation an HR analyst can redo by hand, in the policy's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_rules import evaluate, explain, load_data, load_policy
from kpi_rules.cli import main
from kpi_rules.explain import EmployeeNotFound

ROOT = Path(__file__).resolve().parent.parent
WORKED = ROOT / "tests" / "examples" / "worked"


def worked_lines() -> list[str]:
    policy = load_policy(WORKED / "policy.yaml")
    return explain(evaluate(policy, load_data(policy, WORKED / "data.csv")), "E001")


def test_worked_example_is_explained_step_by_step() -> None:
    lines = worked_lines()
    for expected in [
        "   between target 100 and stretch 120: 100 + (110 - 100) / (120 - 100) x (120 - 100) = 110",
        "   points = 15% x 110 = 16.5",
        "   between floor 2 and target 2.5: 60 + (2.3 - 2) / (2.5 - 2) x (100 - 60) = 84",
        "   at or beyond the stretch 600 -> score 120 (capped)",
        "   achievement = target / actual = 50 / 52 = 0.9615 (lower is better)",
        "   between floor 60 and target 50: 60 + (52 - 60) / (50 - 60) x (100 - 60) = 92",
        "   with mgr = 4.5, peer = 3.8",
        "Individual score = 16.5 + 16.8 + 30 + 13.8 + 11 + 12.66 = 100.76",
        "Team coefficient for a team score of 103: 1.05",
        "Final = (100.76 + 3 - 2) x 1.05 = 106.848",
        "Rounded once, half_up to 2 decimals: 106.85",
    ]:
        assert expected in lines, expected
    assert any(line.startswith("Grade A") and "106.85 >= 100" in line for line in lines)


def test_every_weighted_term_is_shown_and_adds_up() -> None:
    lines = worked_lines()
    points = [float(line.rsplit("= ", 1)[1]) for line in lines if line.startswith("   points = ")]
    assert points == [16.5, 16.8, 30, 13.8, 11, 12.66]
    assert round(sum(points), 2) == 100.76


def test_zh_cn_policy_is_explained_in_chinese_with_the_roll_up_sum() -> None:
    policy = load_policy(ROOT / "policies" / "ops-department.yaml")
    ev = evaluate(policy, load_data(policy, ROOT / "examples" / "ops-2024.csv"), "2024")
    lines = explain(ev, "E012")
    assert lines[0].startswith("孙浩然(E012)")
    assert "  合并 = (20% x 109.75 + 20% x 119.25 + 30% x 97.54 + 30% x 113.2) / 100% = 109.022" in lines
    assert "  - 2024-Q2触发一票否决「compliance」,等级定为D" in lines
    text = "\n".join(lines)
    for english in ("rated", "veto", "Rounded", "review"):
        assert english not in text


def test_unknown_employee_is_a_usage_error_with_a_hint() -> None:
    policy = load_policy(WORKED / "policy.yaml")
    with pytest.raises(EmployeeNotFound, match="did you mean `E001`"):
        explain(evaluate(policy, load_data(policy, WORKED / "data.csv")), "E00l")
    result = CliRunner().invoke(main, ["explain", str(WORKED / "policy.yaml"), "--data", str(WORKED / "data.csv"),
                                       "--employee", "E9"])
    assert result.exit_code == 2
    assert "no row for employee E9" in result.output
