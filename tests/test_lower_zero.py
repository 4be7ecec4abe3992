"""POLICY_FORMAT 2.3 as amended: actual 0 with `direction: lower` is the best result, never missing.

An achievement that cannot be computed makes an indicator missing only where its scale needs the
achievement; where it is needed, 0 with direction lower is the scale's `cap`, flagged
`achievement_capped` (no cap: achievement bands give their top band, a target-only linear or a
formula scale reading `achievement` cannot score it and the indicator is missing, flagged `no_cap`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from engine_helpers import one, row, run, write_policy

from kpi_rules.cli import main

BANDS = "[{min: 1.2, score: 120}, {min: 1.0, score: 100}, {min: 0.8, score: 80}, {score: 0}]"


def policy(scale: str, plan: str, direction: str = "lower") -> str:
    return f"""
inputs:
  x: {{type: number}}
  y: {{type: number}}
indicators:
  x: {{formula: x, direction: {direction}}}
  y: {{formula: y}}
scales:
  s: {scale}
  v: {{type: formula, formula: value}}
roles:
  r:
    indicators:
      x: {{weight: 40%, {plan}, scale: s}}
      y: {{weight: 60%, scale: v}}
suggestions:
  - {{id: x_above_target, when: achievement('x') < 1, text: x above target}}
"""


# (scale, plan, score, achievement, flags, final); y = 100 scores 60 points of the final.
CASES: list[tuple[str, str, str, float, Any, list[str], float]] = [
    ("linear floor/target/stretch, no cap", "{type: linear, points: {floor: 60, target: 100, stretch: 120}}",
     "floor: 0.08, target: 0.04, stretch: 0.01", 120, None, [], 108),
    ("linear floor/target/stretch, cap", "{type: linear, cap: 1.5, points: {floor: 60, target: 100, stretch: 120}}",
     "floor: 0.08, target: 0.04, stretch: 0.01", 120, 1.5, ["achievement_capped"], 108),
    ("value bands", "{type: bands, basis: value, bands: [{min: 1, score: 50}, {score: 100}]}",
     "target: 2", 100, None, [], 100),
    ("achievement bands, cap", f"{{type: bands, cap: 1.1, bands: {BANDS}}}", "target: 5",
     100, 1.1, ["achievement_capped"], 100),
    ("achievement bands, no cap: top band", f"{{type: bands, bands: {BANDS}}}", "target: 5",
     120, None, [], 108),
    ("target-only linear, cap", "{type: linear, cap: 1.2, points: {target: 100}}", "target: 5",
     120, 1.2, ["achievement_capped"], 108),
    ("target-only linear, no cap: missing", "{type: linear, points: {target: 100}}", "target: 5",
     0, None, ["no_cap", "zero"], 60),
    ("formula reading achievement, cap", "{type: formula, cap: 1.3, formula: 100 * achievement}", "target: 5",
     130, 1.3, ["achievement_capped"], 112),
    ("formula reading achievement, no cap: missing", "{type: formula, formula: 100 * achievement}", "target: 5",
     0, None, ["no_cap", "zero"], 60),
    ("formula not reading achievement", "{type: formula, formula: 100 - value}", "target: 5",
     100, None, [], 100),
]


@pytest.mark.parametrize(("scale", "plan", "score", "achievement", "flags", "final"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_zero_with_direction_lower(tmp_path: Path, scale: str, plan: str, score: float,
                                   achievement: float | None, flags: list[str], final: float) -> None:
    e = one(run(tmp_path, policy(scale, plan), [row("E1", x=0, y=100)]))
    got = e["indicators"]["x"]
    assert (got["score"], got["achievement"], got["flags"], e["final"]) == (score, achievement, flags, final)
    assert e["status"] == "rated"
    # the "x above target" suggestion never fires for 0 (the best result)
    assert e["suggestions"] == []


def test_target_zero_only_matters_where_the_scale_needs_the_achievement(tmp_path: Path) -> None:
    # direction higher, target 0: a floor/target/stretch scale scores the actual; bands on achievement cannot
    lin = policy("{type: linear, points: {floor: 60, target: 100, stretch: 120}}",
                 "floor: -5, target: 0, stretch: 10", direction="higher")
    e = one(run(tmp_path, lin, [row("E1", x=5, y=100)]))
    assert (e["indicators"]["x"]["score"], e["indicators"]["x"]["flags"]) == (110, [])
    bands = policy(f"{{type: bands, bands: {BANDS}}}", "target: 0", direction="higher")
    e = one(run(tmp_path, bands, [row("E1", x=5, y=100)]))
    assert (e["indicators"]["x"]["score"], e["indicators"]["x"]["flags"]) == (0, ["no_achievement", "zero"])


CUSTOMER_SUCCESS = """
inputs:
  churned: {type: number, min: 0}
  accounts: {type: number, min: 0}
  nps: {type: number}
indicators:
  churn_rate: {label: Churn rate, formula: churned / accounts, direction: lower, unit: percent}
  nps: {label: NPS, formula: nps}
scales:
  linear_std:
    type: linear
    points: {floor: 60, target: 100, stretch: 120}
  direct: {type: formula, formula: "clamp(value, 0, 120)"}
roles:
  csm:
    indicators:
      churn_rate: {weight: 50%, floor: 0.08, target: 0.04, stretch: 0.01, scale: linear_std}
      nps: {weight: 50%, scale: direct}
suggestions:
  - {id: churn, when: score('churn_rate') < 100, text: Churn above target}
"""


def test_customer_success_zero_churn_scores_the_stretch_and_explains_it(tmp_path: Path) -> None:
    path = write_policy(tmp_path, CUSTOMER_SUCCESS)
    data = tmp_path / "data.csv"
    data.write_text("employee_id,role,period,churned,accounts,nps\nC1,csm,2024-Q1,0,40,80\n", encoding="utf-8")
    e = one(run(tmp_path, CUSTOMER_SUCCESS, [row("C1", role="csm", churned=0, accounts=40, nps=80)]))
    churn = e["indicators"]["churn_rate"]
    assert (churn["actual"], churn["score"], churn["flags"]) == (0, 120, [])
    assert (e["status"], e["final"], e["suggestions"]) == ("rated", 100, [])
    result = CliRunner().invoke(main, ["explain", str(path), "--data", str(data), "--employee", "C1"])
    assert result.exit_code == 0, result.output
    assert "churn_rate" in result.output
    lines = [line for line in result.output.splitlines() if "0 is the best" in line]
    assert lines, result.output
    assert "120" in result.output
    assert "no value" not in result.output
