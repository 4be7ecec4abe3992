"""Suggestions: employee-scope ones on each person's row, team-scope ones per team."""

from __future__ import annotations

from pathlib import Path

from engine_helpers import employees, row, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

POLICY = """
inputs:
  s: {type: number}
indicators:
  s: {formula: s}
scales:
  v: {type: formula, formula: value}
roles:
  r:
    indicators:
      s: {weight: 100%, scale: v}
team:
  indicators:
    t: {formula: "mean(s)", scale: v, weight: 100%}
  apply: {blend: 0%}
suggestions:
  - {id: low, when: "score('s') < 80", text: improve s}
  - {id: weak_team, when: "team_score < 90", text: review the team plan, scope: team}
  - {id: high, when: "final >= 100", text: share what works}
"""


def test_employee_suggestions_are_per_row_and_team_ones_per_team(tmp_path: Path) -> None:
    rows = [row("E1", s=70, team="a"), row("E2", s=85, team="a"), row("E3", s=100, team="b"),
            row("E4", s=120, team="b")]
    ev = run(tmp_path, POLICY, rows)
    assert [e["suggestions"] for e in employees(ev)] == [["improve s"], [], ["share what works"],
                                                         ["share what works"]]
    teams = {t["team"]: t for t in ev.result.teams}
    assert teams["a"]["team_score"] == 77.5
    assert teams["a"]["suggestions"] == [{"id": "weak_team", "text": "review the team plan", "members": 2}]
    assert teams["b"]["team_score"] == 110
    assert teams["b"]["suggestions"] == []


def test_team_suggestions_count_only_rated_members(tmp_path: Path) -> None:
    rows = [row("E1", s=70, team="a"), row("E2", s="x", team="a")]  # E2 is an error row
    ev = run(tmp_path, POLICY, rows)
    assert [e["status"] for e in employees(ev)] == ["rated", "error"]
    assert ev.result.teams[0]["suggestions"] == [{"id": "weak_team", "text": "review the team plan", "members": 1}]


def test_a_team_key_other_than_team_is_read_from_its_input(tmp_path: Path) -> None:
    body = POLICY.replace("team:\n  indicators:", "team:\n  key: squad\n  indicators:").replace(
        "inputs:\n  s: {type: number}", "inputs:\n  s: {type: number}\n  squad: {type: string}")
    rows = [row("E1", s=70, squad="a"), row("E2", s=90, squad="a"), row("E3", s=110, squad="b")]
    ev = run(tmp_path, body, rows)
    assert [e["status"] for e in employees(ev)] == ["rated", "rated", "rated"]
    assert {t["team"]: t["team_score"] for t in ev.result.teams} == {"a": 80, "b": 110}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 130), st.sampled_from(["a", "b", "c", "None", "d e", ""])),
                min_size=1, max_size=30))
def test_team_suggestion_counts_equal_each_teams_own_count(tmp_path: Path, people: list[tuple[int, str]]) -> None:
    """Counted in one pass for every team: the same as looking at each team alone (a team named
    "None" is a team; a row without a team is in none)."""
    rows = [row(f"E{i}", s=s, team=team) for i, (s, team) in enumerate(people)]
    ev = run(tmp_path, POLICY, rows)
    result = ev.result
    for entry in result.teams:
        members = [i for i in range(result.n) if result.team[i] == entry["team"] and result.status[i] == "rated"]
        weak = entry["team_score"] is not None and entry["team_score"] < 90
        expected = [{"id": "weak_team", "text": "review the team plan", "members": len(members)}] if weak else []
        assert entry["suggestions"] == expected
