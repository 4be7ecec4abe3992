"""The engine against POLICY_FORMAT section 2, one test class per rule.

Each test builds a small policy (see `engine_helpers.policy_yaml` for the
parts filled in) and a few rows, and checks exact values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from engine_helpers import (
    build_policy,
    by_id,
    employees,
    json_bytes,
    load_table,
    one,
    reasons_text,
    row,
    run,
    write_rows,
)

from kpi_rules.engine import evaluate
from kpi_rules.writers.results_json import to_json

# A policy whose final is the input `s` itself: one indicator, weight 100%,
# scale `value`. Tests that care about totals, rounding, grades and
# distribution use it.
SIMPLE = """
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
"""


# ---------------------------------------------------------------- 2.1 rows


class TestRule01Rows:
    POLICY = """
    inputs:
      s: {type: number, min: 0}
      days: {type: integer, default: 90}
    eligibility: {when: days >= 45, reason: too few days}
    indicators:
      s: {formula: s}
    scales:
      v: {type: formula, formula: value}
    roles:
      r:
        indicators:
          s: {weight: 100%, scale: v}
    """

    def test_every_row_once_with_its_status_and_reason(self, tmp_path: Path) -> None:
        rows = [
            row("E1", s=90),
            row("E2", s=80, days=10),
            row("E3", s="abc"),
            row("E4", s=-1),
            row("E5", role="nobody", s=70),
            row("E6", s=100),
        ]
        ev = run(tmp_path, self.POLICY, rows)
        out = employees(ev)
        assert [e["employee_id"] for e in out] == ["E1", "E2", "E3", "E4", "E5", "E6"]
        assert [e["line"] for e in out] == [2, 3, 4, 5, 6, 7]
        assert [e["status"] for e in out] == ["rated", "not_rated", "error", "error", "error", "rated"]
        assert out[0]["reasons"] == [] and out[0]["final"] == 90
        assert out[1]["reasons"] == ["too few days"] and out[1]["final"] is None
        assert "column `s`" in reasons_text(out[2]) and "line 4" in reasons_text(out[2])
        assert "column `s`" in reasons_text(out[3]) and "minimum" in reasons_text(out[3])
        for e in out[2:5]:
            assert e["reasons"], e
            assert e["final"] is None and e["grade"] is None
        assert ev.result.summary() == {"rows": 6, "rated": 2, "not_rated": 1, "error": 3,
                                       "grades": {"B": 1, "A": 1}}

    def test_duplicate_rows_are_both_errors_naming_the_lines(self, tmp_path: Path) -> None:
        rows = [row("E1", s=90), row("E2", s=80), row("E1", s=95)]
        out = employees(run(tmp_path, self.POLICY, rows))
        assert [e["status"] for e in out] == ["error", "rated", "error"]
        for e in (out[0], out[2]):
            assert "duplicate" in reasons_text(e)
            assert "lines 2, 4" in reasons_text(e)
            assert "E1" in reasons_text(e)

    def test_duplicate_across_a_missing_period_cell(self, tmp_path: Path) -> None:
        # A row without a period belongs to the period evaluated: it duplicates the Q1 row.
        rows = [row("E1", s=90), {"employee_id": "E1", "role": "r", "period": None, "s": 91}]
        out = employees(run(tmp_path, self.POLICY, rows))
        assert [e["status"] for e in out] == ["error", "error"]

    def test_same_employee_in_two_periods_is_not_a_duplicate(self, tmp_path: Path) -> None:
        rows = [row("E1", s=90), row("E1", period="2024-Q2", s=95)]
        ev = run(tmp_path, self.POLICY, rows)
        assert [e["status"] for e in employees(ev)] == ["rated"]

    def test_unknown_role(self, tmp_path: Path) -> None:
        e = one(run(tmp_path, self.POLICY, [row("E1", role="rr", s=90)]))
        assert e["status"] == "error"
        assert "unknown role `rr`" in reasons_text(e)
        assert "line 2" in reasons_text(e)

    def test_missing_employee_id_and_role(self, tmp_path: Path) -> None:
        rows = [row("", s=90), row("E2", role="", s=90)]
        out = employees(run(tmp_path, self.POLICY, rows))
        assert [e["status"] for e in out] == ["error", "error"]
        assert "column `employee_id` is empty but required (line 2)" in out[0]["reasons"]
        assert "column `role` is empty but required (line 3)" in out[1]["reasons"]

    def test_other_periods_are_counted(self, tmp_path: Path) -> None:
        rows = [row("E1", s=90), row("E1", period="2024-Q2", s=1), row("E2", period="2024-Q2", s=1),
                row("E3", period="2023-Q4", s=1), row("E2", s=80)]
        ev = run(tmp_path, self.POLICY, rows)
        assert [e["employee_id"] for e in employees(ev)] == ["E1", "E2"]
        assert ev.other_periods == {"2024-Q2": 2, "2023-Q4": 1}
        assert ev.result.n + sum(ev.other_periods.values()) == len(rows)
        data = json.loads(to_json(ev))
        assert data["data"]["other_periods"] == {"2024-Q2": 2, "2023-Q4": 1}
        assert data["data"]["rows"] == 5

    def test_unreadable_period_is_an_error_row_of_this_period(self, tmp_path: Path) -> None:
        rows = [row("E1", s=90), row("E2", period="2024-Q5", s=80)]
        ev = run(tmp_path, self.POLICY, rows)
        out = by_id(ev)
        assert out["E2"]["status"] == "error"
        assert "column `period`" in reasons_text(out["E2"])
        assert ev.other_periods == {}

    def test_a_row_of_the_wrong_period_kind_in_a_review_is_not_dropped(self, tmp_path: Path) -> None:
        # A month row in a quarterly policy is an error; the annual review must still show it.
        rows = [row("E1", period="2024-Q1", s=80), row("E1", period="2024-Q2", s=90),
                row("E2", period="2024-02", s=90), row("E3", period="2024", s=90)]
        ev = run(tmp_path, rollup_policy(), rows, period="2024")
        out = by_id(ev)
        assert sorted(out) == ["E1", "E2", "E3"]
        assert ev.other_periods == {}
        assert out["E1"]["status"] == "rated" and out["E1"]["final"] == 85
        for emp, per in (("E2", "2024-02"), ("E3", "2024")):
            assert out[emp]["status"] != "rated"
            assert f"{per} is a" in reasons_text(out[emp]) and "quarter" in reasons_text(out[emp])

    def test_a_row_of_the_wrong_period_kind_inside_the_period_is_shown_with_it(self, tmp_path: Path) -> None:
        # A month row in a quarterly policy, evaluating its quarter: an error row, not just a count.
        rows = [row("E1", period="2024-Q1", s=80), row("E2", period="2024-02", s=90),
                row("E3", period="2024-05", s=90), row("E4", period="2024", s=90)]
        ev = run(tmp_path, rollup_policy(), rows, period="2024-Q1")
        out = by_id(ev)
        assert sorted(out) == ["E1", "E2"]
        assert (out["E2"]["status"], out["E2"]["period"]) == ("error", "2024-02")
        assert "2024-02 is a month" in reasons_text(out["E2"])
        assert ev.other_periods == {"2024-05": 1, "2024": 1}

    def test_evaluating_leaves_the_table_unchanged(self, tmp_path: Path) -> None:
        # Evaluating the same typed table twice gives the same bytes (duplicate reasons are not added twice).
        policy = build_policy(tmp_path, self.POLICY)
        table = load_table(policy, write_rows(tmp_path, [row("E1", s=90), row("E1", s=91), row("E2", s=1)]))
        before = [list(e) for e in table.errors]
        first = json_bytes(evaluate(policy, table, "2024-Q1"))
        second = json_bytes(evaluate(policy, table, "2024-Q1"))
        assert first == second
        assert table.errors == before
        assert employees(evaluate(policy, table, "2024-Q1"))[0]["reasons"] == [
            "duplicate row for employee E1 in 2024-Q1 (lines 2, 3)"]

    def test_period_is_taken_from_the_data_when_not_asked(self, tmp_path: Path) -> None:
        ev = run(tmp_path, self.POLICY, [row("E1", period="2024-Q3", s=90)], period=None)
        assert ev.period == "2024-Q3"


# ---------------------------------------------------------------- 2.2 formulas


class TestRule02Formulas:
    ZOO: ClassVar[dict[str, tuple[str, float]]] = {
        "plus_times": ("a + b * 2", 11.0),
        "floordiv": ("a // 2", 3.0),
        "mod": ("a % 4", 3.0),
        "power": ("b ** 3", 8.0),
        "neg": ("-a + 1", -6.0),
        "div": ("a / b", 3.5),
        "abs_": ("abs(b - a)", 5.0),
        "min_": ("min(a, b, 3)", 2.0),
        "max_": ("max(a, b, 3)", 7.0),
        "round_": ("round(2.675, 2)", 2.68),
        "round0": ("round(a / 2)", 4.0),
        "clamp_hi": ("clamp(a, 0, 5)", 5.0),
        "clamp_lo": ("clamp(-a, 0, 5)", 0.0),
        "safe_ok": ("safe_div(a, b)", 3.5),
        "safe_zero": ("safe_div(a, zero, 9)", 9.0),
        "safe_zero_default": ("safe_div(a, zero)", 0.0),
        "safe_missing": ("safe_div(opt, b, 4)", 4.0),
        "coalesce_missing": ("coalesce(opt, 9)", 9.0),
        "coalesce_chain": ("coalesce(opt, opt, b)", 2.0),
        "coalesce_present": ("coalesce(a, 9)", 7.0),
        "coalesce_div_zero": ("coalesce(a / zero, 0)", 0.0),
        "ifexp": ("1 if a > b else 2", 1.0),
        "and_": ("a > 1 and b < 5", 1.0),
        "or_value": ("zero or 5", 5.0),
        "not_": ("not (a > 1)", 0.0),
        "chain": ("1 < b < a < 10", 1.0),
        "chain_false": ("1 < a < b", 0.0),
        "eq": ("a == 7", 1.0),
        "ne": ("a != 7", 0.0),
        "text_eq": ("10 if role == 'r' else 20", 10.0),
        "text_ne": ("'x' != 'y'", 1.0),
        "true_": ("True + 1", 2.0),
        "false_": ("False * 3 + 1", 1.0),
        "depends": ("plus_times * 2", 22.0),  # an indicator used by another
        "depends_late": ("zz_last + 1", 101.0),  # declared before the one it reads
        "zz_last": ("100", 100.0),
    }

    def policy(self) -> str:
        indicators = "\n".join(f"  {k}: {{formula: {json.dumps(f)}}}" for k, (f, _) in self.ZOO.items())
        return f"""
inputs:
  a: {{type: number}}
  b: {{type: number}}
  zero: {{type: number}}
  opt: {{type: number, required: false}}
indicators:
{indicators}
scales:
  v: {{type: formula, formula: value}}
roles:
  r:
    indicators:
      plus_times: {{weight: 100%, scale: v}}
"""

    def test_function_zoo(self, tmp_path: Path) -> None:
        ev = run(tmp_path, self.policy(), [row("E1", a=7, b=2, zero=0, opt=None)])
        cols = ev.result.indicators
        got = {k: float(cols[k].actual[0]) for k in self.ZOO}
        assert got == {k: v for k, (_, v) in self.ZOO.items()}
        assert one(ev)["final"] == 11

    def test_zoo_with_several_rows(self, tmp_path: Path) -> None:
        # The same formulas evaluated over a column give each row its own value.
        rows = [row("E1", a=7, b=2, zero=0), row("E2", a=1, b=4, zero=0, opt=3)]
        cols = run(tmp_path, self.policy(), rows).result.indicators
        assert [float(x) for x in cols["ifexp"].actual] == [1.0, 2.0]
        assert [float(x) for x in cols["coalesce_missing"].actual] == [9.0, 3.0]
        assert [float(x) for x in cols["safe_missing"].actual] == [4.0, 0.75]
        assert [float(x) for x in cols["min_"].actual] == [2.0, 1.0]
        assert [float(x) for x in cols["and_"].actual] == [1.0, 0.0]


# ---------------------------------------------------------------- 2.3 missing


MISSING_BASE = """
inputs:
  a: {type: number}
  b: {type: number}
  c: {type: number, required: false}
  d: {type: number, default: 0}
indicators:
  ia: {formula: a}
  ib: {formula: b}
  ic: {formula: c, MISSING_IC}
scales:
  v: {type: formula, formula: value}
roles:
  r:
    indicators:
      ia: {weight: 20%, scale: v}
      ib: {weight: 30%, scale: v}
      ic: {weight: 50%, scale: v ROLE_IC}
"""


def missing_policy(default: str = "zero", ic: str = "", role_ic: str = "", extra: str = "") -> str:
    body = MISSING_BASE.replace(", MISSING_IC", f", missing: {ic}" if ic else "")
    body = body.replace(" ROLE_IC", f", missing: {role_ic}" if role_ic else "")
    return body + f"missing: {default}\n" + extra


class TestRule03Missing:
    def test_required_input_absent_is_an_error_naming_column_and_line(self, tmp_path: Path) -> None:
        rows = [row("E1", a=100, b=100, c=100), row("E2", a=None, b=100, c=100)]
        out = by_id(run(tmp_path, missing_policy(), rows))
        assert out["E1"]["status"] == "rated"
        assert out["E2"]["status"] == "error"
        assert out["E2"]["reasons"] == ["column `a` is empty but required (line 3)"]

    def test_required_column_absent_from_the_file(self, tmp_path: Path) -> None:
        ev = run(tmp_path, missing_policy(), [row("E1", b=100)])
        e = one(ev)
        assert e["status"] == "error"
        assert "the required column `a` is not in the file (line 2)" in e["reasons"]
        assert any("`a`" in note for note in ev.table.notes)

    def test_required_input_of_the_wrong_type(self, tmp_path: Path) -> None:
        e = one(run(tmp_path, missing_policy(), [row("E1", a="n/a", b=1)]))
        assert e["status"] == "error"
        assert "column `a`" in reasons_text(e) and "line 2" in reasons_text(e)

    def test_default_fills_an_absent_input(self, tmp_path: Path) -> None:
        body = missing_policy(extra="bonuses: {items: [{id: dd, when: d == 0, points: 1}]}\n")
        e = one(run(tmp_path, body, [row("E1", a=100, b=100, c=100)]))
        assert e["status"] == "rated"
        assert e["bonuses"] == ["dd"]

    def test_optional_absent_is_flagged_and_scored_zero(self, tmp_path: Path) -> None:
        e = one(run(tmp_path, missing_policy("zero"), [row("E1", a=100, b=80, c=None)]))
        assert e["status"] == "rated"
        ic = e["indicators"]["ic"]
        assert ic["flags"] == ["missing_input", "zero"]
        assert ic["score"] == 0 and ic["weighted"] == 0 and ic["weight"] == 0.5
        assert e["individual"] == 44  # 0.2 x 100 + 0.3 x 80
        assert e["indicators"]["ia"]["flags"] == []

    def test_division_by_zero_flags_div_zero(self, tmp_path: Path) -> None:
        body = missing_policy().replace("ic: {formula: c}", "ic: {formula: a / b}")
        e = one(run(tmp_path, body, [row("E1", a=100, b=0)]))
        assert e["status"] == "rated"
        assert e["indicators"]["ic"]["flags"] == ["div_zero", "zero"]
        assert e["final"] == 20

    @pytest.mark.parametrize(("direction", "target", "actual"), [
        ("higher", 0, 50),  # actual 0 with direction lower is the best result: tests/test_lower_zero.py
    ])
    def test_achievement_that_cannot_be_computed(self, tmp_path: Path, direction: str, target: float,
                                                 actual: float) -> None:
        body = f"""
        inputs:
          x: {{type: number}}
          y: {{type: number}}
        indicators:
          x: {{formula: x, direction: {direction}}}
          y: {{formula: y}}
        scales:
          b:
            type: bands
            bands: [{{min: 1.0, score: 100}}, {{score: 50}}]
          v: {{type: formula, formula: value}}
        roles:
          r:
            indicators:
              x: {{weight: 40%, target: {target}, scale: b}}
              y: {{weight: 60%, scale: v}}
        """
        e = one(run(tmp_path, body, [row("E1", x=actual, y=100)]))
        assert e["indicators"]["x"]["flags"] == ["no_achievement", "zero"]
        assert e["indicators"]["x"]["achievement"] is None
        assert e["final"] == 60

    def test_exclude_rescales_weights_to_exactly_100_percent(self, tmp_path: Path) -> None:
        ev = run(tmp_path, missing_policy("exclude"), [row("E1", a=100, b=80, c=None),
                                                       row("E2", a=100, b=80, c=90)])
        out = by_id(ev)
        e1 = out["E1"]
        assert e1["status"] == "rated"
        assert e1["indicators"]["ic"]["flags"] == ["missing_input", "excluded"]
        assert e1["indicators"]["ia"]["weight"] == 0.4
        assert e1["indicators"]["ib"]["weight"] == 0.6
        assert e1["indicators"]["ic"]["weight"] == 0
        cols = ev.result.indicators
        total_weight = sum(float(cols[k].effective_weight[0]) for k in ("ia", "ib", "ic"))
        assert total_weight == pytest.approx(1.0, abs=1e-12)
        assert e1["individual"] == 88  # 0.4 x 100 + 0.6 x 80
        assert e1["final"] == 88
        # A row with nothing missing keeps its weights as written.
        assert out["E2"]["indicators"]["ic"]["weight"] == 0.5
        assert out["E2"]["final"] == 89  # 20 + 24 + 45

    def test_missing_error_makes_the_row_an_error(self, tmp_path: Path) -> None:
        out = by_id(run(tmp_path, missing_policy("error"), [row("E1", a=100, b=80, c=None),
                                                            row("E2", a=100, b=80, c=90)]))
        assert out["E1"]["status"] == "error"
        assert "ic" in reasons_text(out["E1"])
        assert out["E2"]["status"] == "rated"

    def test_all_excluded_is_not_rated(self, tmp_path: Path) -> None:
        body = """
        inputs:
          c: {type: number, required: false}
        indicators:
          c: {formula: c}
        scales:
          v: {type: formula, formula: value}
        roles:
          r:
            indicators:
              c: {weight: 100%, scale: v}
        missing: exclude
        """
        e = one(run(tmp_path, body, [row("E1", c=None)]))
        assert e["status"] == "not_rated"
        assert e["reasons"] and "excluded" in reasons_text(e)

    @pytest.mark.parametrize(("default", "ic", "role_ic", "status", "final"), [
        ("zero", "exclude", "", "rated", 88),  # indicator override
        ("exclude", "zero", "", "rated", 44),
        ("zero", "", "exclude", "rated", 88),  # role override
        ("exclude", "", "error", "error", None),
        ("zero", "error", "exclude", "rated", 88),  # the role's entry beats the indicator's
        ("error", "", "zero", "rated", 44),
    ])
    def test_overrides(self, tmp_path: Path, default: str, ic: str, role_ic: str, status: str,
                       final: float | None) -> None:
        e = one(run(tmp_path, missing_policy(default, ic, role_ic), [row("E1", a=100, b=80, c=None)]))
        assert (e["status"], e["final"]) == (status, final)

    def test_override_does_not_leak_to_other_indicators(self, tmp_path: Path) -> None:
        # `b` missing through a division by zero: treated by the default (error), not by ic's override.
        body = missing_policy("error", ic="zero").replace("ib: {formula: b}", "ib: {formula: b / a}")
        e = one(run(tmp_path, body, [row("E1", a=0, b=80, c=None)]))
        assert e["status"] == "error"

    def test_rules_reading_a_missing_value_do_not_fire_and_say_so(self, tmp_path: Path) -> None:
        extra = """
bonuses:
  items:
    - {id: b_when, when: c > 1, points: 3}
    - {id: b_points, when: a > 1, points: c}
    - {id: b_ok, when: a > 1, points: 1}
deductions:
  items:
    - {id: d_when, when: c >= 0, points: 2}
vetoes:
  - {id: v_when, when: c > 0, grade: D}
"""
        e = one(run(tmp_path, missing_policy("zero", extra=extra), [row("E1", a=100, b=100, c=None)]))
        assert e["status"] == "rated"
        assert e["bonuses"] == ["b_ok"]
        assert e["bonus"] == 1
        assert e["deductions"] == [] and e["deduction"] == 0
        assert e["veto"] is None
        text = reasons_text(e)
        for rule in ("b_when", "b_points", "d_when", "v_when"):
            assert f"`{rule}`" in text
        assert "missing" in text
        assert e["final"] == 51  # 20 + 30 + 0 + 1

    def test_rules_that_cannot_be_computed_say_why(self, tmp_path: Path) -> None:
        extra = """
bonuses:
  items:
    - {id: b_div, when: a / (b - b) > 1, points: 3}
    - {id: b_ok, when: a > 1, points: 1}
vetoes:
  - {id: v_div, when: a // (b - b) > 0, grade: D}
"""
        e = one(run(tmp_path, missing_policy("zero", extra=extra), [row("E1", a=100, b=100, c=1)]))
        assert (e["status"], e["bonuses"], e["veto"]) == ("rated", ["b_ok"], None)
        assert e["reasons"] == ["bonus `b_div` not applied: it cannot be computed (a division by zero)",
                                "veto `v_div` could not be checked: it cannot be computed (a division by zero)"]

    @pytest.mark.parametrize(("extra", "reason"), [
        # 9e307 x 2 is beyond the float range: the deduction must not slip through as "missing".
        ("deductions: {items: [{id: late, when: d > 0, points: d * 2}], cap: 10}\n",
         "deduction `late` cannot be computed: a number is too large; check the data"),
        ("deductions: {items: [{id: late, when: d * 2 > 0, points: 1}]}\n",
         "deduction `late` cannot be computed: a number is too large; check the data"),
        ("bonuses: {items: [{id: x, when: a > 0, points: d}, {id: y, when: a > 0, points: d}]}\n",
         "the final score is too large to compute; check the data"),
        ("vetoes: [{id: v, when: d * 2 > 0, grade: D}]\n",
         "veto `v` cannot be checked: a number is too large; check the data"),
    ])
    def test_a_number_too_large_makes_the_row_an_error(self, tmp_path: Path, extra: str, reason: str) -> None:
        rows = [row("E1", a=100, b=100, c=1, d=9e307), row("E2", a=100, b=100, c=1, d=1)]
        out = by_id(run(tmp_path, missing_policy("zero", extra=extra), rows))
        assert (out["E1"]["status"], out["E1"]["final"], out["E1"]["reasons"]) == ("error", None, [reason])
        assert out["E2"]["status"] == "rated"

    def test_eligibility_reading_a_missing_value(self, tmp_path: Path) -> None:
        extra = "eligibility: {when: c > 0, reason: not eligible}\n"
        e = one(run(tmp_path, missing_policy(extra=extra), [row("E1", a=1, b=1, c=None)]))
        assert e["status"] == "not_rated"
        assert "not eligible" in reasons_text(e) and "missing" in reasons_text(e)

    @pytest.mark.parametrize("rule", ["zero", "exclude", "error"])
    def test_a_team_indicator_without_a_value(self, tmp_path: Path, rule: str) -> None:
        # Team a has no `o` at all: mean(o) is missing. Team b has one.
        body = f"""
        inputs: {{v: {{type: number}}, o: {{type: number, required: false}}}}
        indicators: {{v: {{formula: v}}}}
        scales: {{direct: {{type: formula, formula: value}}}}
        roles: {{r: {{indicators: {{v: {{weight: 100%, scale: direct}}}}}}}}
        team:
          indicators: {{t: {{formula: mean(o), scale: direct, weight: 100%}}}}
          apply: {{blend: 50%}}
        missing: {rule}
        """
        rows = [row("E1", team="a", v=100, o=None), row("E2", team="a", v=120, o=None),
                row("E3", team="b", v=100, o=80)]
        out = by_id(run(tmp_path, body, rows))
        assert (out["E3"]["status"], out["E3"]["final"]) == ("rated", 90)
        got = {k: (out[k]["status"], out[k]["final"]) for k in ("E1", "E2")}
        if rule == "zero":  # team score 0, blended in
            assert got == {"E1": ("rated", 50), "E2": ("rated", 60)}
        elif rule == "exclude":  # no team score: the team part is left out
            assert got == {"E1": ("rated", 100), "E2": ("rated", 120)}
            assert "team part is left out" in reasons_text(out["E1"])
        else:  # POLICY_FORMAT 2.3: `error` makes the row an error
            assert got == {"E1": ("error", None), "E2": ("error", None)}
            assert "team indicator `t` of team a has no value" in reasons_text(out["E1"])


# ---------------------------------------------------------------- 2.4 achievement


def band_policy(direction: str = "higher", cap: str = "", basis: str = "achievement", target: str = "target: 100",
                bands: str = "[{min: 1.2, score: 120}, {min: 1.0, score: 100}, {min: 0.8, score: 80}, {score: 0}]"
                ) -> str:
    cap_line = f"\n    cap: {cap}" if cap else ""
    return f"""
inputs:
  x: {{type: number}}
indicators:
  x: {{formula: x, direction: {direction}}}
scales:
  s:
    type: bands
    basis: {basis}{cap_line}
    bands: {bands}
roles:
  r:
    indicators:
      x: {{weight: 100%, {target}, scale: s}}
"""


class TestRule04Achievement:
    @pytest.mark.parametrize(("direction", "actual", "achievement", "score"), [
        ("higher", 125, 1.25, 120),
        ("higher", 100, 1, 100),
        ("higher", 79, 0.79, 0),
        ("higher", 0, 0, 0),
        ("lower", 80, 1.25, 120),
        ("lower", 100, 1, 100),
        ("lower", 125, 0.8, 80),
        ("lower", 200, 0.5, 0),
    ])
    def test_direction(self, tmp_path: Path, direction: str, actual: float, achievement: float,
                       score: float) -> None:
        e = one(run(tmp_path, band_policy(direction), [row("E1", x=actual)]))
        assert e["indicators"]["x"]["achievement"] == achievement
        assert e["indicators"]["x"]["score"] == score
        assert e["indicators"]["x"]["target"] == 100

    @pytest.mark.parametrize(("cap", "actual", "achievement"), [
        ("1.5", 300, 1.5),
        ("1.5", 150, 1.5),
        ("1.5", 120, 1.2),
        ("", 300, 3),
        ("", 1000, 10),
    ])
    def test_cap(self, tmp_path: Path, cap: str, actual: float, achievement: float) -> None:
        e = one(run(tmp_path, band_policy(cap=cap), [row("E1", x=actual)]))
        assert e["indicators"]["x"]["achievement"] == achievement

    def test_negative_achievement_is_kept_at_zero(self, tmp_path: Path) -> None:
        body = band_policy().replace("x: {type: number}", "x: {type: number, min: -1000}")
        e = one(run(tmp_path, body, [row("E1", x=-50)]))
        assert e["indicators"]["x"]["achievement"] == 0

    @pytest.mark.parametrize(("actual", "score"), [(4.6, 120), (4.5, 120), (4.49, 100), (3.0, 100), (2.99, 60)])
    def test_basis_value(self, tmp_path: Path, actual: float, score: float) -> None:
        body = band_policy(basis="value", target="target: 4",
                           bands="[{min: 4.5, score: 120}, {min: 3, score: 100}, {score: 60}]")
        e = one(run(tmp_path, body, [row("E1", x=actual)]))
        assert e["indicators"]["x"]["score"] == score


# ---------------------------------------------------------------- 2.5 linear


def linear_policy(direction: str, plan: str, points: str = "{floor: 60, target: 100, stretch: 120}",
                  below_floor: str = "", cap: str = "") -> str:
    extra = (f"\n    below_floor: {below_floor}" if below_floor else "") + (f"\n    cap: {cap}" if cap else "")
    return f"""
inputs:
  x: {{type: number}}
indicators:
  x: {{formula: x, direction: {direction}}}
scales:
  lin:
    type: linear
    points: {points}{extra}
roles:
  r:
    indicators:
      x: {{weight: 100%, {plan}, scale: lin}}
"""


class TestRule05Linear:
    @pytest.mark.parametrize(("actual", "score"), [
        (0, 0),
        (79.99, 0),  # below floor
        (80, 60),  # at floor exactly
        (90, 80),  # between floor and target
        (95, 90),
        (100, 100),  # at target
        (110, 110),  # between target and stretch
        (120, 120),  # at stretch
        (150, 120),  # above stretch: capped
        (1e6, 120),
    ])
    def test_higher(self, tmp_path: Path, actual: float, score: float) -> None:
        body = linear_policy("higher", "floor: 80, target: 100, stretch: 120")
        e = one(run(tmp_path, body, [row("E1", x=actual)]))
        assert e["indicators"]["x"]["score"] == score
        assert e["final"] == score

    @pytest.mark.parametrize(("actual", "score"), [
        (70, 0),  # worse than floor
        (60.01, 0),
        (60, 60),  # at floor
        (55, 80),
        (52, 92),
        (50, 100),  # at target
        (47.5, 110),
        (45, 120),  # at stretch
        (40, 120),  # better than stretch: capped
        (0.5, 120),
    ])
    def test_lower_mirrors(self, tmp_path: Path, actual: float, score: float) -> None:
        body = linear_policy("lower", "floor: 60, target: 50, stretch: 45")
        e = one(run(tmp_path, body, [row("E1", x=actual)]))
        assert e["indicators"]["x"]["score"] == score

    @pytest.mark.parametrize(("actual", "score"), [(79, 30), (80, 60)])
    def test_below_floor_value(self, tmp_path: Path, actual: float, score: float) -> None:
        body = linear_policy("higher", "floor: 80, target: 100, stretch: 120", below_floor="30")
        assert one(run(tmp_path, body, [row("E1", x=actual)]))["indicators"]["x"]["score"] == score

    def test_score_is_exact_in_full_precision(self, tmp_path: Path) -> None:
        body = linear_policy("higher", "floor: 2.0, target: 2.5, stretch: 3.0")
        ev = run(tmp_path, body, [row("E1", x=2.3)])
        assert ev.result.indicators["x"].score[0] == pytest.approx(84, abs=1e-9)
        assert one(ev)["final"] == 84

    def test_lower_linear_at_zero_scores_the_stretch(self, tmp_path: Path) -> None:
        # POLICY_FORMAT 2.3 as amended: a floor/target/stretch scale scores the actual itself,
        # and 0 with direction lower is better than the stretch.
        body = linear_policy("lower", "floor: 5, target: 2, stretch: 1")
        e = one(run(tmp_path, body, [row("E1", x=0)]))
        assert e["indicators"]["x"]["score"] == 120
        assert e["indicators"]["x"]["flags"] == []
        assert e["final"] == 120

    @pytest.mark.parametrize(("direction", "cap", "actual", "score"), [
        ("higher", "", 150, 75),  # 100 x 150/200
        ("higher", "", 200, 100),
        ("higher", "", 500, 250),  # no cap: no upper limit
        ("higher", "1.5", 500, 150),  # capped at 1.5
        ("higher", "1.5", 0, 0),
        ("lower", "", 400, 50),  # 100 x 200/400
        ("lower", "1.2", 100, 120),  # 200/100 = 2, capped at 1.2
    ])
    def test_target_only(self, tmp_path: Path, direction: str, cap: str, actual: float, score: float) -> None:
        body = linear_policy(direction, "target: 200", points="{target: 100}", cap=cap)
        e = one(run(tmp_path, body, [row("E1", x=actual)]))
        assert e["indicators"]["x"]["score"] == score


# ---------------------------------------------------------------- 2.6 band edges


class TestRule06BandEdges:
    VALUE_BANDS = "[{min: 0.3, score: 100}, {min: 0.2, score: 50}, {score: 0}]"

    def value_policy(self) -> str:
        return band_policy(basis="value", target="target: 1", bands=self.VALUE_BANDS).replace(
            "x: {formula: x, direction: higher}", "x: {formula: p + q, direction: higher}").replace(
            "x: {type: number}", "p: {type: number}\n  q: {type: number, default: 0}")

    @pytest.mark.parametrize(("p", "q", "score"), [
        (0.3, 0, 100),  # exactly on the edge
        (0.1, 0.2, 100),  # 0.30000000000000004
        (0.2, 0.1, 100),
        (0.15, 0.15, 100),
        (0.3 * (1 - 1e-10), 0, 100),  # 1e-10 relative below: on the edge
        (0.3 * (1 - 1e-6), 0, 50),  # 1e-6 relative below: not
        (0.2999, 0, 50),
        (0.2, 0, 50),
        (0.2 * (1 - 1e-10), 0, 50),
        (0.2 * (1 - 1e-6), 0, 0),
        (0.19, 0, 0),
    ])
    def test_value_edges(self, tmp_path: Path, p: float, q: float, score: float) -> None:
        e = one(run(tmp_path, self.value_policy(), [row("E1", p=p, q=q)]))
        assert e["indicators"]["x"]["score"] == score

    @pytest.mark.parametrize(("actual", "score"), [
        (120, 120), (100, 100), (80, 80), (119.99, 100), (99.99, 80), (79.99, 0),
    ])
    def test_achievement_edges(self, tmp_path: Path, actual: float, score: float) -> None:
        e = one(run(tmp_path, band_policy(), [row("E1", x=actual)]))
        assert e["indicators"]["x"]["score"] == score

    def test_achievement_reaching_an_edge_through_float_noise(self, tmp_path: Path) -> None:
        # 0.7 / 0.7 is 1 but 0.1 * 3 / 0.3 is 1.0000000000000002; 0.3 / (0.1 * 3) is 0.9999999999999999.
        body = band_policy(target="target: 0.3").replace("x: {formula: x,", "x: {formula: x * 3,")
        e = one(run(tmp_path, body, [row("E1", x=0.1)]))
        assert e["indicators"]["x"]["score"] == 100
        body = band_policy("lower", target="target: 0.3").replace("x: {formula: x,", "x: {formula: x * 3,")
        e = one(run(tmp_path, body, [row("E1", x=0.1)]))
        assert e["indicators"]["x"]["score"] == 100

    def test_grade_edges_are_inclusive_and_tolerant(self, tmp_path: Path) -> None:
        # 84.99999999999 rounds to 85.00 anyway; grades compare the rounded final.
        rows = [row("E1", s=85), row("E2", s=84.99), row("E3", s=110), row("E4", s=69.99)]
        out = by_id(run(tmp_path, SIMPLE, rows))
        assert {k: v["grade"] for k, v in out.items()} == {"E1": "B", "E2": "C", "E3": "S", "E4": "D"}

    def test_linear_floor_within_noise_counts_as_at_floor(self, tmp_path: Path) -> None:
        body = linear_policy("higher", "floor: 0.3, target: 0.5, stretch: 0.7").replace(
            "x: {formula: x,", "x: {formula: x + 0.2,")
        e = one(run(tmp_path, body, [row("E1", x=0.1)]))  # 0.30000000000000004
        assert e["indicators"]["x"]["score"] == 60
        body = linear_policy("higher", "floor: 0.3, target: 0.5, stretch: 0.7")
        e = one(run(tmp_path, body, [row("E1", x=0.3 * (1 - 1e-10))]))
        assert e["indicators"]["x"]["score"] == 60


# ---------------------------------------------------------------- 2.7 total


TEAM_BASE = """
inputs:
  s: {type: number}
  rev: {type: number, required: false}
  xd: {type: integer, default: 0}
  late: {type: integer, default: 0}
  bad: {type: integer, default: 0}
indicators:
  s: {formula: s}
scales:
  v: {type: formula, formula: value}
roles:
  r:
    indicators:
      s: {weight: 100%, scale: v}
"""


class TestRule07Total:
    def blend_policy(self, blend: str = "30%") -> str:
        return TEAM_BASE + f"""
team:
  indicators:
    tr: {{formula: "sum(rev)", scale: v, weight: 60%}}
    tm: {{formula: "mean(rev)", scale: v, weight: 40%}}
  apply: {{blend: {blend}}}
"""

    def test_blend_formula_exact(self, tmp_path: Path) -> None:
        rows = [row("E1", team="t1", s=90, rev=40), row("E2", team="t1", s=80, rev=60),
                row("E3", team="t2", s=100, rev=70)]
        ev = run(tmp_path, self.blend_policy(), rows)
        out = by_id(ev)
        # t1: sum 100, mean 50 -> team score 0.6 x 100 + 0.4 x 50 = 80
        assert out["E1"]["team_score"] == 80
        assert out["E1"]["final"] == 87  # 0.7 x 90 + 0.3 x 80
        assert out["E2"]["final"] == 80  # 0.7 x 80 + 0.3 x 80
        assert out["E1"]["coefficient_team"] == 1
        # t2: sum 70, mean 70 -> 70
        assert out["E3"]["team_score"] == 70
        assert out["E3"]["final"] == 91  # 70 + 21
        teams = {t["team"]: t for t in ev.result.teams}
        assert teams["t1"]["members"] == 2 and teams["t1"]["team_score"] == 80
        assert teams["t1"]["indicators"]["tr"]["actual"] == 100
        assert teams["t1"]["indicators"]["tm"]["actual"] == 50

    def test_team_aggregates_skip_error_rows(self, tmp_path: Path) -> None:
        rows = [row("E1", team="t1", s=90, rev=40), row("E2", team="t1", s="oops", rev=1000)]
        out = by_id(run(tmp_path, self.blend_policy(), rows))
        assert out["E2"]["status"] == "error"
        assert out["E1"]["team_score"] == 40  # 0.6 x 40 + 0.4 x 40
        assert out["E1"]["final"] == 75  # 63 + 12

    def test_no_team_has_a_counted_row(self, tmp_path: Path) -> None:
        # Every row an error (here: a duplicate pair): no team has a member; this used to raise IndexError.
        rows = [row("E1", team="t1", s=90, rev=40), row("E1", team="t1", s=80, rev=60)]
        ev = run(tmp_path, self.blend_policy(), rows)
        assert [e["status"] for e in employees(ev)] == ["error", "error"]
        assert ev.result.teams == []

    def test_blend_with_bonus_and_deduction(self, tmp_path: Path) -> None:
        body = self.blend_policy("50%") + """
bonuses: {items: [{id: x, when: xd > 0, points: 4}]}
deductions: {items: [{id: l, when: late > 0, points: late * 1.5}]}
"""
        e = one(run(tmp_path, body, [row("E1", team="t", s=90, rev=70, xd=1, late=2)]))
        assert e["individual"] == 90 and e["team_score"] == 70
        assert (e["bonus"], e["deduction"]) == (4, 3)
        assert e["final"] == 81  # 0.5 x 90 + 0.5 x 70 + 4 - 3

    COEFFICIENT = TEAM_BASE + """
team:
  indicators:
    tr: {formula: "sum(rev)", scale: v, weight: 100%}
  apply:
    coefficient: [{min: 100, value: 1.05}, {min: 90, value: 1.0}, {value: 0.9}]
bonuses: {cap: 5, items: [{id: x, when: xd > 0, points: 3}]}
deductions: {items: [{id: l, when: late > 0, points: late * 2}]}
"""

    @pytest.mark.parametrize(("rev", "coefficient", "final"), [
        (103, 1.05, 106.85),  # (100.76 + 3 - 2) x 1.05 = 106.848
        (100, 1.05, 106.85),  # at the step
        (99.99, 1, 101.76),
        (90, 1, 101.76),
        (89, 0.9, 91.58),  # 101.76 x 0.9 = 91.584
    ])
    def test_coefficient(self, tmp_path: Path, rev: float, coefficient: float, final: float) -> None:
        e = one(run(tmp_path, self.COEFFICIENT, [row("E1", team="t", s=100.76, rev=rev, xd=1, late=1)]))
        assert e["team_score"] == rev
        assert e["coefficient_team"] == coefficient
        assert e["final"] == final

    def test_bonus_cap(self, tmp_path: Path) -> None:
        body = TEAM_BASE + """
bonuses:
  cap: 5
  items:
    - {id: b1, when: xd >= 1, points: 3}
    - {id: b2, when: xd >= 2, points: 4}
"""
        out = by_id(run(tmp_path, body, [row("E1", s=80, xd=2), row("E2", s=80, xd=1), row("E3", s=80)]))
        assert (out["E1"]["bonus"], out["E1"]["final"], out["E1"]["bonuses"]) == (5, 85, ["b1", "b2"])
        assert (out["E2"]["bonus"], out["E2"]["final"], out["E2"]["bonuses"]) == (3, 83, ["b1"])
        assert (out["E3"]["bonus"], out["E3"]["final"], out["E3"]["bonuses"]) == (0, 80, [])

    def test_deduction_cap(self, tmp_path: Path) -> None:
        body = TEAM_BASE + """
deductions:
  cap: 6
  items:
    - {id: late, when: late > 0, points: late * 2}
"""
        out = by_id(run(tmp_path, body, [row("E1", s=80, late=5), row("E2", s=80, late=2)]))
        assert (out["E1"]["deduction"], out["E1"]["final"]) == (6, 74)
        assert (out["E2"]["deduction"], out["E2"]["final"]) == (4, 76)

    def test_no_deduction_cap(self, tmp_path: Path) -> None:
        body = TEAM_BASE + "deductions: {items: [{id: late, when: late > 0, points: late * 2}]}\n"
        e = one(run(tmp_path, body, [row("E1", s=80, late=5)]))
        assert (e["deduction"], e["final"]) == (10, 70)

    def test_veto_sets_the_grade_keeps_the_score_and_is_reported(self, tmp_path: Path) -> None:
        body = TEAM_BASE + """
vetoes:
  - {id: compliance, when: bad > 0, grade: D}
  - {id: second, when: bad > 1, grade: C}
"""
        out = by_id(run(tmp_path, body, [row("E1", s=115, bad=2), row("E2", s=115)]))
        e1 = out["E1"]
        assert (e1["final"], e1["grade"], e1["veto"], e1["pay_coefficient"]) == (115, "D", "compliance", 0)
        assert "`second`" in reasons_text(e1)  # a second veto that also fires is reported
        assert (out["E2"]["grade"], out["E2"]["veto"]) == ("S", None)

    def test_individual_is_the_weighted_sum(self, tmp_path: Path) -> None:
        body = """
        inputs:
          a: {type: number}
          b: {type: number}
          c: {type: number}
        indicators:
          a: {formula: a}
          b: {formula: b}
          c: {formula: c}
        scales:
          v: {type: formula, formula: value}
        roles:
          r:
            indicators:
              a: {weight: 15%, scale: v}
              b: {weight: 35%, scale: v}
              c: {weight: 50%, scale: v}
        """
        e = one(run(tmp_path, body, [row("E1", a=110, b=84, c=92)]))
        assert e["individual"] == 91.9  # 16.5 + 29.4 + 46
        assert [e["indicators"][k]["weighted"] for k in "abc"] == [16.5, 29.4, 46]


# ---------------------------------------------------------------- 2.8 rounding


class TestRule08Rounding:
    @pytest.mark.parametrize(("mode", "actual", "final"), [
        ("half_up", 2.675, 2.68),
        ("half_up", 84.125, 84.13),
        ("half_up", 2.665, 2.67),
        ("half_up", 1.005, 1.01),
        ("half_up", 0.125, 0.13),
        ("half_up", 84.124999, 84.12),
        ("half_even", 2.675, 2.68),
        ("half_even", 2.665, 2.66),
        ("half_even", 84.125, 84.12),
        ("half_even", 84.135, 84.14),
        ("half_even", 1.005, 1.0),
    ])
    def test_final_rounding(self, tmp_path: Path, mode: str, actual: float, final: float) -> None:
        body = SIMPLE.replace("s: {type: number}", "s: {type: number, min: -1000}") + \
            f"rounding: {{decimals: 2, mode: {mode}}}\n"
        ev = run(tmp_path, body, [row("E1", s=actual)])
        e = one(ev)
        assert e["final"] == final
        assert ev.result.final[0] == final

    def test_rounding_of_a_computed_final(self, tmp_path: Path) -> None:
        # 80.125 + 4 = 84.125: the sum is exact, half_up gives 84.13 (numpy's round would give 84.12).
        body = TEAM_BASE + "bonuses: {items: [{id: b, when: xd > 0, points: 4}]}\n"
        assert one(run(tmp_path, body, [row("E1", s=80.125, xd=1)]))["final"] == 84.13

    def test_negative_half_rounds_away_from_zero(self, tmp_path: Path) -> None:
        body = SIMPLE.replace("s: {type: number}", "s: {type: number, min: -1000}")
        assert one(run(tmp_path, body, [row("E1", s=-2.675)]))["final"] == -2.68

    @pytest.mark.parametrize("actual", [1e30, 1e300, 12345678901234567890.0])
    def test_huge_values_do_not_stop_the_evaluation(self, tmp_path: Path, actual: float) -> None:
        body = SIMPLE.replace("s: {formula: s}", "s: {formula: 'round(s, 2)'}")
        ev = run(tmp_path, body, [row("E1", s=actual), row("E2", s=90)])
        out = by_id(ev)
        assert (out["E1"]["final"], out["E1"]["grade"]) == (actual, "S")
        assert out["E2"]["final"] == 90
        assert json.loads(to_json(ev))["employees"][0]["final"] == actual

    @pytest.mark.parametrize(("decimals", "actual", "final"), [(0, 84.5, 85), (1, 84.25, 84.3), (3, 2.6745, 2.675)])
    def test_decimals(self, tmp_path: Path, decimals: int, actual: float, final: float) -> None:
        body = SIMPLE + f"rounding: {{decimals: {decimals}, mode: half_up}}\n"
        assert one(run(tmp_path, body, [row("E1", s=actual)]))["final"] == final

    @pytest.mark.parametrize(("actual", "final", "grade"), [
        (84.996, 85, "B"),
        (84.995, 85, "B"),
        (84.994, 84.99, "C"),
        (109.995, 110, "S"),
        (99.999, 100, "A"),
    ])
    def test_grade_from_the_rounded_final(self, tmp_path: Path, actual: float, final: float, grade: str) -> None:
        e = one(run(tmp_path, SIMPLE, [row("E1", s=actual)]))
        assert (e["final"], e["grade"]) == (final, grade)

    def test_rounding_happens_once_at_the_end(self, tmp_path: Path) -> None:
        # Two indicators at 50%: 84.125 and 84.125 -> individual 84.125 -> 84.13, not 84.13 + 84.13 / 2 of
        # separately rounded halves (42.06 + 42.06 = 84.12).
        body = """
        inputs:
          a: {type: number}
          b: {type: number}
        indicators:
          a: {formula: a}
          b: {formula: b}
        scales:
          v: {type: formula, formula: value}
        roles:
          r:
            indicators:
              a: {weight: 50%, scale: v}
              b: {weight: 50%, scale: v}
        """
        e = one(run(tmp_path, body, [row("E1", a=84.125, b=84.125)]))
        assert e["final"] == 84.13

    @pytest.mark.parametrize(("a", "b", "final", "grade"), [
        # 15% x 62.3 + 85% x 89 = 9.345 + 75.65 = 84.995 on paper; binary floats say 84.99499999999999.
        (62.3, 89, 85, "B"),
        # 8.415 + 76.5 = 84.915 (floats: 84.91499999999999)
        (56.1, 90, 84.92, "C"),
    ])
    def test_a_computed_half_rounds_as_on_paper(self, tmp_path: Path, a: float, b: float, final: float,
                                                grade: str) -> None:
        body = """
        inputs: {a: {type: number}, b: {type: number}}
        indicators: {a: {formula: a}, b: {formula: b}}
        scales: {v: {type: formula, formula: value}}
        roles: {r: {indicators: {a: {weight: 15%, scale: v}, b: {weight: 85%, scale: v}}}}
        """
        assert 0.15 * a + 0.85 * b != float(f"{0.15 * a + 0.85 * b:.15g}")  # the float is off the paper value
        e = one(run(tmp_path, body, [row("E1", a=a, b=b)]))
        assert (e["final"], e["grade"]) == (final, grade)


# ---------------------------------------------------------------- 2.9 roll-up


def rollup_policy(method: str = "mean", min_periods: int = 2, extra: str = "") -> str:
    weights = "\n    weights: {Q1: 20%, Q2: 20%, Q3: 30%, Q4: 30%}" if method == "weighted" else ""
    return f"""
cycle:
  period: quarter
  rollup:
    period: year
    method: {method}{weights}
    min_periods: {min_periods}
inputs:
  s: {{type: number}}
  bad: {{type: integer, default: 0}}
indicators:
  s: {{formula: s}}
scales:
  v: {{type: formula, formula: value}}
roles:
  r:
    indicators:
      s: {{weight: 100%, scale: v}}
vetoes:
  - {{id: compliance, when: bad > 0, grade: D}}
""" + extra


YEAR_ROWS = [
    row("E1", period="2024-Q1", s=80), row("E1", period="2024-Q2", s=90),
    row("E1", period="2024-Q3", s=100), row("E1", period="2024-Q4", s=110),
    # E2 has no row in Q2 and Q4
    row("E2", period="2024-Q1", s=80), row("E2", period="2024-Q3", s=100),
    # E3: one rated quarter only
    row("E3", period="2024-Q1", s=70),
    # E4: Q3 is an error row
    row("E4", period="2024-Q1", s=85), row("E4", period="2024-Q2", s=85),
    row("E4", period="2024-Q3", s="bad"), row("E4", period="2024-Q4", s=86),
    # E5: a veto in Q2
    row("E5", period="2024-Q1", s=120), row("E5", period="2024-Q2", s=120, bad=1),
    # E6: finals rounded per quarter before the mean
    row("E6", period="2024-Q1", s=80.005), row("E6", period="2024-Q2", s=80.004),
    # another year: not part of the 2024 review
    row("E1", period="2023-Q4", s=10),
]


class TestRule09Rollup:
    @pytest.mark.parametrize(("method", "expected"), [
        ("mean", {"E1": 95, "E2": 90, "E4": 85.33, "E5": 120, "E6": 80.01}),
        # E2: (0.2 x 80 + 0.3 x 100) / 0.5; E4: (0.2 x 85 + 0.2 x 85 + 0.3 x 86) / 0.7 = 85.428...
        ("weighted", {"E1": 97, "E2": 92, "E4": 85.43, "E5": 120, "E6": 80.01}),
        ("last", {"E1": 110, "E2": 100, "E4": 86, "E5": 120, "E6": 80}),
    ])
    def test_methods(self, tmp_path: Path, method: str, expected: dict[str, float]) -> None:
        ev = run(tmp_path, rollup_policy(method), YEAR_ROWS, period="2024")
        assert ev.kind == "rollup"
        out = by_id(ev)
        assert {k: v["final"] for k, v in out.items() if v["status"] == "rated"} == expected
        assert out["E3"]["status"] == "not_rated"
        assert ev.other_periods == {"2023-Q4": 1}

    @pytest.mark.parametrize("method", ["mean", "weighted"])
    def test_the_combined_score_rounds_as_on_paper(self, tmp_path: Path, method: str) -> None:
        # (101 + 103.33) / 2 = 102.165 -> 102.17 half-up (binary floats say 102.16499999999999).
        rows = [row("E1", period="2024-Q3", s=101), row("E1", period="2024-Q4", s=103.33)]  # weights 30%, 30%
        e1 = one(run(tmp_path, rollup_policy(method), rows, period="2024"))
        assert e1["final"] == 102.17

    def test_min_periods(self, tmp_path: Path) -> None:
        out = by_id(run(tmp_path, rollup_policy(min_periods=3), YEAR_ROWS, period="2024"))
        assert {k: v["status"] for k, v in out.items()} == {
            "E1": "rated", "E2": "not_rated", "E3": "not_rated", "E4": "rated", "E5": "not_rated",
            "E6": "not_rated"}
        assert "rated in 2 period(s)" in reasons_text(out["E2"])
        assert "at least 3" in reasons_text(out["E2"])
        assert out["E2"]["final"] is None and out["E2"]["grade"] is None

    def test_a_veto_in_one_quarter_applies_to_the_annual_grade(self, tmp_path: Path) -> None:
        e5 = by_id(run(tmp_path, rollup_policy(), YEAR_ROWS, period="2024"))["E5"]
        assert (e5["final"], e5["grade"], e5["veto"]) == (120, "D", "compliance")
        assert e5["pay_coefficient"] == 0

    def test_error_quarter_is_reported_and_skipped(self, tmp_path: Path) -> None:
        e4 = by_id(run(tmp_path, rollup_policy(), YEAR_ROWS, period="2024"))["E4"]
        assert e4["status"] == "rated"
        assert "2024-Q3" in reasons_text(e4) and "error" in reasons_text(e4)
        assert e4["periods"]["2024-Q3"]["status"] == "error"
        assert e4["periods"]["2024-Q1"] == {"status": "rated", "line": 9, "final": 85, "grade": "B"}

    def test_the_breakdown_lists_only_present_quarters(self, tmp_path: Path) -> None:
        e2 = by_id(run(tmp_path, rollup_policy(), YEAR_ROWS, period="2024"))["E2"]
        assert sorted(e2["periods"]) == ["2024-Q1", "2024-Q3"]
        assert e2["grade"] == "B"

    def test_a_single_quarter_still_evaluates_alone(self, tmp_path: Path) -> None:
        ev = run(tmp_path, rollup_policy(), YEAR_ROWS, period="2024-Q2")
        assert ev.kind == "period"
        assert [e["employee_id"] for e in employees(ev)] == ["E1", "E4", "E5", "E6"]
        assert ev.other_periods == {"2024-Q1": 6, "2024-Q3": 3, "2024-Q4": 2, "2023-Q4": 1}

    def test_the_annual_grades_go_through_the_distribution(self, tmp_path: Path) -> None:
        extra = "distribution: {scope: all, mode: enforce, min_group_size: 1, quotas: {S: {max: 10%}}}\n"
        rows = [row("A1", period="2024-Q1", s=115), row("A1", period="2024-Q2", s=115),
                row("A2", period="2024-Q1", s=112), row("A2", period="2024-Q2", s=112)]
        out = by_id(run(tmp_path, rollup_policy(extra=extra), rows, period="2024"))
        assert (out["A1"]["grade"], out["A2"]["grade"]) == ("S", "A")
        assert out["A2"]["grade_before_distribution"] == "S"
        assert out["A2"]["pay_coefficient"] == 1.2


# ---------------------------------------------------------------- 2.10 forced distribution


def dist_policy(mode: str = "enforce", scope: str = "all", min_group_size: int = 1,
                quotas: str = "{S: {max: 10%}, A: {max: 20%}, D: {min: 10%}}") -> str:
    return f"""
inputs:
  s: {{type: number}}
  bad: {{type: integer, default: 0}}
  up: {{type: integer, default: 0}}
indicators:
  s: {{formula: s}}
scales:
  v: {{type: formula, formula: value}}
roles:
  r:
    indicators:
      s: {{weight: 100%, scale: v}}
vetoes:
  - {{id: fail, when: bad > 0, grade: D}}
  - {{id: pinned, when: up > 0, grade: A}}
distribution:
  scope: {scope}
  mode: {mode}
  min_group_size: {min_group_size}
  quotas: {quotas}
"""


TEN = [120, 115, 112, 105, 102, 101, 90, 88, 75, 71]


def ten_rows(finals: list[float] = TEN, **extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [row(f"E{i + 1:02d}", s=f, **extra.get(f"E{i + 1:02d}", {})) for i, f in enumerate(finals)]


def grades(ev: Any, key: str = "grade") -> list[str]:
    return [e[key] for e in employees(ev)]


class TestRule10Distribution:
    def test_enforce_cascades(self, tmp_path: Path) -> None:
        ev = run(tmp_path, dist_policy(), ten_rows())
        assert grades(ev, "grade_before_distribution") == ["S", "S", "S", "A", "A", "A", "B", "B", "C", "C"]
        # S: 1 of 10 keeps it; the two others move to A, where only the 2 best of five stay.
        assert grades(ev) == ["S", "A", "A", "B", "B", "B", "B", "B", "C", "C"]
        assert [e["pay_coefficient"] for e in employees(ev)] == [1.5, 1.2, 1.2, 1, 1, 1, 1, 1, 0.8, 0.8]
        assert [e["final"] for e in employees(ev)] == TEN  # scores never change
        (group,) = ev.result.distribution["groups"]
        assert group["size"] == 10 and not group["exempt"]
        assert group["quotas"]["S"]["allowed"] == 1 and group["quotas"]["S"]["moved"] == 2
        assert group["quotas"]["A"]["allowed"] == 2 and group["quotas"]["A"]["holders"] == 5
        assert [(m["employee_id"], m["from"], m["to"]) for m in group["moves"]] == [
            ("E02", "S", "A"), ("E03", "S", "A"), ("E04", "A", "B"), ("E05", "A", "B"), ("E06", "A", "B")]
        out = by_id(ev)
        assert "forced distribution" in reasons_text(out["E02"])
        assert "at most 1 of 10" in reasons_text(out["E02"])
        assert out["E01"]["reasons"] == [] and out["E07"]["reasons"] == []

    def test_ties_at_the_cut_move_down_together(self, tmp_path: Path) -> None:
        ev = run(tmp_path, dist_policy(), ten_rows([120, 120, 105, 102, 102, 90, 88, 80, 75, 71]))
        # S: two tied for one place: both move to A. A: 120, 120, 105 + 102, 102; 2 places: the 120s keep it.
        assert grades(ev) == ["A", "A", "B", "B", "B", "B", "B", "C", "C", "C"]
        (group,) = ev.result.distribution["groups"]
        ties = {(m["employee_id"], m["from"]): m["tied_at_cut"] for m in group["moves"]}
        assert ties == {("E01", "S"): True, ("E02", "S"): True, ("E03", "A"): False, ("E04", "A"): False,
                        ("E05", "A"): False}
        out = by_id(ev)
        assert "tied" in reasons_text(out["E01"]) and "all moved down together" in reasons_text(out["E01"])
        assert "tied" not in reasons_text(out["E03"])

    def test_tie_at_a_lower_cut(self, tmp_path: Path) -> None:
        ev = run(tmp_path, dist_policy(), ten_rows([115, 105, 102, 102, 90, 88, 86, 80, 75, 71]))
        # A: 105, 102, 102 for 2 places; the two at 102 are tied at the cut: both move, 105 keeps A.
        assert grades(ev) == ["S", "A", "B", "B", "B", "B", "B", "C", "C", "C"]
        assert "tied" in reasons_text(by_id(ev)["E03"])

    def test_min_quota_is_checked_not_forced(self, tmp_path: Path) -> None:
        ev = run(tmp_path, dist_policy(), ten_rows())
        assert "D" not in grades(ev)
        (group,) = ev.result.distribution["groups"]
        assert group["quotas"]["D"] == {"min": 0.1, "required": 1, "actual": 0, "met": False}

    def test_min_quota_met(self, tmp_path: Path) -> None:
        ev = run(tmp_path, dist_policy(), ten_rows([115, 105, 102, 101, 90, 88, 86, 80, 75, 50]))
        (group,) = ev.result.distribution["groups"]
        assert group["quotas"]["D"]["met"] is True and group["quotas"]["D"]["actual"] == 1

    def test_vetoed_keep_their_grade_and_take_no_place(self, tmp_path: Path) -> None:
        rows = ten_rows([125, 115, 112, 105, 102, 90, 88, 80, 75, 60],
                        E01={"bad": 1}, E10={"up": 1})
        ev = run(tmp_path, dist_policy(), rows)
        # E01 (125, vetoed to D) takes no S place: E02 keeps S. E10 (60, pinned to A by a veto) keeps A and
        # takes no A place: E03 (moved down from S) and E04 hold the two A places.
        assert grades(ev) == ["D", "S", "A", "A", "B", "B", "B", "C", "C", "A"]
        e01, e10 = by_id(ev)["E01"], by_id(ev)["E10"]
        assert (e01["veto"], e01["final"], e01["pay_coefficient"]) == ("fail", 125, 0)
        assert (e10["veto"], e10["pay_coefficient"]) == ("pinned", 1.2)
        (group,) = ev.result.distribution["groups"]
        assert group["size"] == 10  # vetoed rows are rated rows of the group
        assert group["quotas"]["A"]["holders"] == 3  # E03, E04, E05: not E10

    def test_check_mode_reports_without_moving(self, tmp_path: Path) -> None:
        ev = run(tmp_path, dist_policy(mode="check"), ten_rows())
        assert grades(ev) == grades(ev, "grade_before_distribution") == [
            "S", "S", "S", "A", "A", "A", "B", "B", "C", "C"]
        assert [e["pay_coefficient"] for e in employees(ev)] == [1.5, 1.5, 1.5, 1.2, 1.2, 1.2, 1, 1, 0.8, 0.8]
        (group,) = ev.result.distribution["groups"]
        assert ev.result.distribution["mode"] == "check"
        assert group["moves"] == []
        assert [m["employee_id"] for m in group["would_move"]] == ["E02", "E03", "E04", "E05", "E06"]
        assert all(e["reasons"] == [] for e in employees(ev))
        assert group["quotas"]["D"]["met"] is False

    def test_min_group_size_exempts_small_groups(self, tmp_path: Path) -> None:
        rows = [row(f"T{i}", team="small", s=f) for i, f in enumerate([120, 115, 112])]
        rows += [row(f"U{i}", team="big", s=f) for i, f in enumerate([120, 115, 112, 90, 80])]
        ev = run(tmp_path, dist_policy(scope="team", min_group_size=5), rows)
        out = by_id(ev)
        assert [out[f"T{i}"]["grade"] for i in range(3)] == ["S", "S", "S"]
        # big: 5 rows, S at most floor(0.5) but at least 1; A at most 1 (floor(1.0)).
        assert [out[f"U{i}"]["grade"] for i in range(5)] == ["S", "A", "B", "B", "C"]
        groups = {g["group"]: g for g in ev.result.distribution["groups"]}
        assert groups["small"]["exempt"] is True and groups["small"]["size"] == 3
        assert groups["big"]["exempt"] is False and groups["big"]["size"] == 5

    def test_quotas_count_rated_rows_only(self, tmp_path: Path) -> None:
        rows = ten_rows() + [row(f"X{i}", s="oops") for i in range(10)]
        ev = run(tmp_path, dist_policy(), rows)
        (group,) = ev.result.distribution["groups"]
        assert group["size"] == 10
        assert group["quotas"]["S"]["allowed"] == 1

    @pytest.mark.parametrize(("n", "allowed"), [(1, 1), (5, 1), (10, 1), (19, 1), (20, 2), (30, 3)])
    def test_at_most_floor_but_at_least_one(self, tmp_path: Path, n: int, allowed: int) -> None:
        rows = [row(f"E{i:02d}", s=115 - i * 0.01) for i in range(n)]
        ev = run(tmp_path, dist_policy(quotas="{S: {max: 10%}}"), rows)
        assert grades(ev).count("S") == allowed
        assert grades(ev).count("A") == n - allowed

    def test_pay_coefficient_is_that_of_the_final_grade(self, tmp_path: Path) -> None:
        ev = run(tmp_path, dist_policy(quotas="{S: {max: 10%}}"), [row("E1", s=120), row("E2", s=119)])
        e = by_id(ev)["E2"]
        assert (e["grade_before_distribution"], e["grade"], e["pay_coefficient"]) == ("S", "A", 1.2)
        assert by_id(ev)["E1"]["pay_coefficient"] == 1.5

    def test_people_without_a_team_are_in_no_group_and_told_so(self, tmp_path: Path) -> None:
        rows = [row("E1", team="x", s=101), row("E2", team="x", s=100), row("E3", s=105), row("E4", s=104)]
        ev = run(tmp_path, dist_policy(scope="team", quotas="{A: {max: 10%}}"), rows)
        out = by_id(ev)
        assert {k: v["grade"] for k, v in out.items()} == {"E1": "A", "E2": "B", "E3": "A", "E4": "A"}
        assert out["E3"]["reasons"] == ["forced distribution: no team, so in no group's quotas"]
        assert [g["group"] for g in ev.result.distribution["groups"]] == ["x"]
        assert ev.result.distribution["without_group"] == ["E3", "E4"]

    def test_even_a_zero_quota_leaves_one_place(self, tmp_path: Path) -> None:
        # "at most floor(n x 10%), but at least 1": floor(3 x 0%) = 0, so 1.
        ev = run(tmp_path, dist_policy(quotas="{S: {max: 0%}}"), [row(f"E{i}", s=120 - i) for i in range(3)])
        assert grades(ev) == ["S", "A", "A"]
        assert ev.result.distribution["groups"][0]["quotas"]["S"]["allowed"] == 1


# ---------------------------------------------------------------- 2.11 percentages


class TestRule11Percentages:
    def policy(self, w1: str, w2: str, blend: str, quota: str, q1: str, q2: str) -> str:
        return f"""
cycle:
  period: quarter
  rollup: {{period: year, method: weighted, weights: {{Q1: {q1}, Q2: {q2}, Q3: 0, Q4: 0}}, min_periods: 1}}
inputs:
  a: {{type: number}}
  b: {{type: number}}
  rev: {{type: number}}
indicators:
  a: {{formula: a}}
  b: {{formula: b}}
scales:
  v: {{type: formula, formula: value}}
roles:
  r:
    indicators:
      a: {{weight: {w1}, scale: v}}
      b: {{weight: {w2}, scale: v}}
team:
  indicators:
    t: {{formula: "mean(rev)", scale: v, weight: 100%}}
  apply: {{blend: {blend}}}
distribution: {{scope: all, mode: enforce, quotas: {{S: {{max: {quota}}}}}}}
"""

    ROWS: ClassVar[list[dict[str, Any]]] = [
        row(f"E{i}", team="t", period=f"2024-Q{q}", a=100 + i + q, b=90 + 2 * i, rev=110 + q)
        for i in range(12) for q in (1, 2)]

    SPELLINGS: ClassVar[list[tuple[str, ...]]] = [
        ("15%", "85%", "30%", "10%", "25%", "75%"),
        ("15", "85", "30", "10", "25", "75"),
        ("15.0", "85.0", "30.0", "10.0", "25.0", "75.0"),
        ("15.0%", "85%", "30 %", "10%", "25", "75%"),
    ]

    def results(self, tmp_path: Path, spelling: tuple[str, ...], period: str) -> list[dict[str, Any]]:
        folder = tmp_path / ("-".join(spelling).replace("%", "p").replace(" ", "_") + period)
        folder.mkdir()
        return employees(run(folder, self.policy(*spelling), self.ROWS, period=period))

    @pytest.mark.parametrize("period", ["2024-Q1", "2024"])
    @pytest.mark.parametrize("spelling", SPELLINGS[1:], ids=lambda s: " ".join(s))
    def test_percent_and_bare_number_are_equal(self, tmp_path: Path, spelling: tuple[str, ...],
                                               period: str) -> None:
        assert self.results(tmp_path, spelling, period) == self.results(tmp_path, self.SPELLINGS[0], period)

    def test_the_values_are_percentages(self, tmp_path: Path) -> None:
        out = self.results(tmp_path, self.SPELLINGS[1], "2024-Q1")
        e0 = out[0]
        assert e0["indicators"]["a"]["weight"] == 0.15
        # individual 0.15 x 101 + 0.85 x 90 = 91.65; team mean(rev) 111; 0.7 x 91.65 + 0.3 x 111 = 97.455
        assert (e0["individual"], e0["team_score"], e0["final"]) == (91.65, 111, 97.46)
        assert [e["grade"] for e in out].count("S") == 1  # 10% of 12 rows, at least 1

    def test_decimal_percentages(self, tmp_path: Path) -> None:
        body = """
        inputs:
          a: {type: number}
          b: {type: number}
        indicators:
          a: {formula: a}
          b: {formula: b}
        scales:
          v: {type: formula, formula: value}
        roles:
          r:
            indicators:
              a: {weight: 12.5%, scale: v}
              b: {weight: 87.5, scale: v}
        """
        e = one(run(tmp_path, body, [row("E1", a=80, b=96)]))
        assert (e["indicators"]["a"]["weight"], e["indicators"]["b"]["weight"], e["final"]) == (0.125, 0.875, 94)


# ---------------------------------------------------------------- 2.12 determinism


def _keys_sorted(value: Any) -> bool:
    if isinstance(value, dict):
        return list(value) == sorted(value) and all(_keys_sorted(v) for v in value.values())
    if isinstance(value, list):
        return all(_keys_sorted(v) for v in value)
    return True


class TestRule12Determinism:
    POLICY = dist_policy() + """
team:
  indicators:
    t: {formula: "mean(s)", scale: v, weight: 100%}
  apply: {blend: 20%}
bonuses: {items: [{id: b, when: s > 100, points: 1}]}
suggestions:
  - {when: "score('s') < 80", text: improve}
"""

    def rows(self) -> list[dict[str, Any]]:
        out = ten_rows(E03={"bad": 1})
        for i, r in enumerate(out):
            r["team"] = "t1" if i % 2 else "t2"
        return [*out, row("E99", s="x", team="t1"), row("E01", period="2024-Q2", s=1, team="t1")]

    def test_two_runs_give_identical_bytes(self, tmp_path: Path) -> None:
        policy = build_policy(tmp_path, self.POLICY)
        data = write_rows(tmp_path, self.rows())
        first = json_bytes(evaluate(policy, load_table(policy, data), "2024-Q1"))
        again = build_policy(tmp_path, self.POLICY)
        second = json_bytes(evaluate(again, load_table(again, data), "2024-Q1"))
        assert first == second

    def test_keys_are_sorted_and_rows_keep_input_order(self, tmp_path: Path) -> None:
        ev = run(tmp_path, self.POLICY, self.rows())
        text = to_json(ev)
        data = json.loads(text)
        assert _keys_sorted(data)
        assert [e["employee_id"] for e in data["employees"]] == [f"E{i:02d}" for i in range(1, 11)] + ["E99"]
        assert [e["line"] for e in data["employees"]] == list(range(2, 13))
        # The JSON's employees are exactly the section-3 rows the result gives one by one.
        assert data["employees"] == json.loads(json.dumps(employees(ev), ensure_ascii=False))

    def test_no_timestamps(self, tmp_path: Path) -> None:
        import datetime as dt

        text = to_json(run(tmp_path, self.POLICY, self.rows()))
        assert dt.date.today().isoformat() not in text
        assert "time" not in json.loads(text)

    def test_csv_and_json_data_give_the_same_results(self, tmp_path: Path) -> None:
        policy = build_policy(tmp_path, self.POLICY)
        rows = self.rows()[:-2]
        as_csv = evaluate(policy, load_table(policy, write_rows(tmp_path, rows, "csv")), "2024-Q1")
        as_json = evaluate(policy, load_table(policy, write_rows(tmp_path, rows, "json")), "2024-Q1")

        def strip(ev: Any) -> list[dict[str, Any]]:
            return [{k: v for k, v in e.items() if k != "line"} for e in employees(ev)]

        assert strip(as_csv) == strip(as_json)

    def test_results_do_not_depend_on_row_order(self, tmp_path: Path) -> None:
        rows = self.rows()
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        forward = by_id(run(tmp_path / "a", self.POLICY, rows))
        backward = by_id(run(tmp_path / "b", self.POLICY, rows[::-1]))
        for emp, entry in forward.items():
            other = dict(backward[emp])
            assert {k: v for k, v in entry.items() if k not in ("line", "reasons")} == {
                k: v for k, v in other.items() if k not in ("line", "reasons")}
