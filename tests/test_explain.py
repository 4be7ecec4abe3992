"""`kpi-rules explain`: the calculation an HR analyst can redo by hand, in the policy's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_rules import evaluate, explain, load_data, load_policy
from kpi_rules.cli import main
from kpi_rules.explanation.person import EmployeeNotFound

ROOT = Path(__file__).resolve().parent.parent
WORKED = ROOT / "tests" / "examples" / "worked"


def worked_lines() -> list[str]:
    policy = load_policy(WORKED / "policy.yaml")
    return explain(evaluate(policy, load_data(policy, WORKED / "data.csv")), "E001")


def test_worked_example_is_explained_step_by_step() -> None:
    lines = worked_lines()
    for expected in [
        "   between target 100 and stretch 120: 100 + (110 - 100) / (120 - 100) × (120 - 100) = 110",
        "   points = 15% × 110 = 16.5",
        "   between floor 2 and target 2.5: 60 + (2.3 - 2) / (2.5 - 2) × (100 - 60) = 84",
        "   at or beyond the stretch 600 -> score 120 (capped)",
        "   achievement = target / actual = 50 / 52 = 0.9615 (lower is better)",
        "   between floor 60 and target 50: 60 + (52 - 60) / (50 - 60) × (100 - 60) = 92",
        "   with mgr = 4.5, peer = 3.8",
        "Individual score = 16.5 + 16.8 + 30 + 13.8 + 11 + 12.66 = 100.76",
        "Team coefficient: team score 103 >= 100 -> 1.05",
        "Final = (100.76 + 3 - 2) × 1.05 = 106.848",
        "Rounded once, half_up to 2 decimals: 106.85",
    ]:
        assert expected in lines, expected
    assert any(line.startswith("Grade A") and "106.85 >= 100" in line for line in lines)


def test_every_weighted_term_is_shown_and_adds_up() -> None:
    lines = worked_lines()
    individual = lines[:lines.index("Team indicators (team growth)")]
    points = [float(line.rsplit("= ", 1)[1]) for line in individual if line.startswith("   points = ")]
    assert points == [16.5, 16.8, 30, 13.8, 11, 12.66]
    assert round(sum(points), 2) == 100.76


def test_zh_cn_policy_is_explained_in_chinese_with_the_roll_up_sum() -> None:
    policy = load_policy(ROOT / "policies" / "ops-department.yaml")
    ev = evaluate(policy, load_data(policy, ROOT / "examples" / "ops-2024.csv"), "2024")
    lines = explain(ev, "E012")
    assert lines[0].startswith("孙浩然(E012)")
    assert "  合并 = (20% × 109.75 + 20% × 119.25 + 30% × 97.54 + 30% × 113.2) / 100% = 109.022" in lines
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


# ---------------------------------------------------------------------------
# Every line in the policy's locale, team indicators, × and precision
# ---------------------------------------------------------------------------

OPS = ROOT / "policies" / "ops-department.yaml"
OPS_DATA = ROOT / "examples" / "ops-2024.csv"
SUPPORT = ROOT / "policies" / "customer-support.yaml"
SUPPORT_DATA = ROOT / "examples" / "support-2024.csv"


def lines_of(policy_path: Path, data: Path, employee: str, period: str | None = None) -> list[str]:
    policy = load_policy(policy_path)
    return explain(evaluate(policy, load_data(policy, data), period), employee)


def relocated(policy_path: Path, tmp_path: Path, locale: str, edit: tuple[str, str] = ("", "")) -> Path:
    """The policy in another locale (and with an optional text edit), written under tmp_path."""
    text = policy_path.read_text(encoding="utf-8")
    text = text.replace("locale: zh-CN", f"locale: {locale}").replace("locale: en", f"locale: {locale}")
    if edit[0]:
        assert edit[0] in text
        text = text.replace(*edit)
    out = tmp_path / f"{locale}-{policy_path.name}"
    out.write_text(text, encoding="utf-8")
    return out


def test_forced_distribution_is_said_in_chinese(tmp_path: Path) -> None:
    lines = lines_of(OPS, OPS_DATA, "E004", "2024-Q2")
    assert "强制分布:S → A:全部门已评定39人,4人达到S,本人在其中排名第4;S名额为3人" in lines
    assert not any("forced distribution" in line for line in lines)
    assert not any(line.startswith("  - 强制分布") for line in lines)  # said once, on the grade's line
    en = lines_of(relocated(OPS, tmp_path, "en"), OPS_DATA, "E004", "2024-Q2")
    assert ("Forced distribution: S -> A: ranked 4 of the 4 who reached S in the department (39 rated); "
            "S allows 3") in en


def test_roll_up_is_said_in_chinese_with_the_same_multiplication_sign(tmp_path: Path) -> None:
    lines = lines_of(OPS, OPS_DATA, "E006", "2024")
    assert lines[3:14] == [
        "2024 总评:各已评定期间的加权平均值(权重按实际参评的期间重新折算)",
        "  2024-Q1:已评定,106.23(A)",
        "  2024-Q2:已评定,101.92(B)",
        "  2024-Q3:已评定,92.59(B)",
        "  2024-Q4:已评定,105.04(B)",
        "  合并 = (20% × 106.23 + 20% × 101.92 + 30% × 92.59 + 30% × 105.04) / 100% = 100.919",
        "最后统一四舍五入(half_up,保留2位小数):100.92",
        "等级 A(优秀):最终得分 100.92 ≥ 100",
        "强制分布:A → B:全部门已评定40人,13人达到A,本人在其中排名第13;A名额为10人",
        "绩效系数:1",
        "",
    ]
    en = lines_of(relocated(OPS, tmp_path, "en"), OPS_DATA, "E006", "2024")
    assert "  2024-Q1: rated, 106.23 (A)" in en
    assert "  combined = (20% × 106.23 + 20% × 101.92 + 30% × 92.59 + 30% × 105.04) / 100% = 100.919" in en
    assert ("Forced distribution: A -> B: ranked 13 of the 13 who reached A in the department (40 rated); "
            "A allows 10") in en
    # the combined sum at the precision of the figures, then the rounding step
    assert "  合并 = (20% × 98.69 + 20% × 88.9 + 30% × 81.5) / 70% = 88.5257" in lines_of(OPS, OPS_DATA, "E033", "2024")


# English words a zh-CN explanation may hold: the policy's ids, formulas and keywords, the data's team names.
OPS_WORDS = {"ARPU", "CAC", "PIP", "active_users", "arpu", "cac", "channel", "clamp", "complaint_rate",
             "complaints_handled", "complaints_total", "compliance", "content", "cross_dept", "cross_dept_projects",
             "exclude", "growth", "half_up", "insights", "knowledge_share", "knowledge_shares", "late_reports",
             "manager_rating", "mean", "missing", "new_customers", "ops_cost", "paid_conversion", "paid_users",
             "peer_praise", "peer_rating", "registrations", "revenue", "sum", "survey_score", "team_revenue",
             "team_satisfaction", "teamwork_", "value", "visits"}


def test_no_english_in_any_chinese_explanation() -> None:
    import re

    policy = load_policy(OPS)
    data = load_data(policy, OPS_DATA)
    seen: set[str] = set()
    for period in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2024"):  # rated, not rated, errors, vetoes, roll-up
        ev = evaluate(policy, data, period)
        for employee in sorted(set(ev.result.employee_id.tolist())):
            for line in explain(ev, employee):
                seen |= set(re.findall(r"[A-Za-z_]{2,}", line))
    assert seen <= OPS_WORDS, seen - OPS_WORDS


def test_error_not_rated_and_veto_rows_in_chinese() -> None:
    assert lines_of(OPS, OPS_DATA, "E033", "2024-Q4")[1:3] == [
        "状态:数据有误", "  - 第155行「survey_score」列:7 高于最大值 5"]
    assert lines_of(OPS, OPS_DATA, "E025", "2024-Q2")[1:3] == [
        "状态:未评定", "  - 本季度在岗不足45天,本期不参与考核(无法判断参与资格:所需数据缺失)"]
    vetoed = lines_of(OPS, OPS_DATA, "E012", "2024-Q2")
    assert "一票否决 compliance(重大合规事故):等级直接定为 D" in vetoed
    assert not any(line.startswith("  - 一票否决") for line in vetoed)  # said once
    assert "最终得分 = (108.574 + 5 − 0) × 1.05 = 119.2526" in vetoed


MISSING_POLICY = """\
apiVersion: kpi-rules/v1
kind: AppraisalPolicy
metadata: {id: gaps, title: Gaps, version: "1", effective: {from: 2024-01-01}, locale: LOCALE}
cycle: {period: quarter}
inputs:
  visits: {type: number}
  conv: {type: number, required: false}
  revenue: {type: number, required: false}
  cac: {type: number}
  grp: {type: string, required: false}
  xdept: {type: integer, required: false}
indicators:
  visits: {formula: visits}
  conv: {formula: conv, missing: zero}
  revenue: {formula: revenue, missing: exclude}
  cac: {formula: visits / cac}
scales:
  lin: {type: linear, points: {floor: 60, target: 100, stretch: 120}}
  bands: {type: bands, bands: [{min: 1.0, score: 103}, {score: 90}]}
roles:
  spec:
    indicators:
      visits: {weight: 25%, floor: 80, target: 100, stretch: 120, scale: lin}
      conv: {weight: 25%, floor: 2.0, target: 2.5, stretch: 3.0, scale: lin}
      revenue: {weight: 25%, floor: 400, target: 500, stretch: 600, scale: lin}
      cac: {weight: 25%, target: 2, scale: bands}
team:
  key: grp
  indicators:
    team_revenue: {formula: sum(revenue), target: 600, scale: bands, weight: 50%, missing: exclude}
    team_visits: {formula: mean(visits), target: 100, scale: bands, weight: 50%}
  apply:
    blend: 30%
bonuses:
  cap: 2
  items: [{id: cross_dept, when: xdept >= 2, points: 3}, {id: ratio, when: visits / cac > 1, points: 1}]
grades:
  - {grade: A, min: 100}
  - {grade: B, min: 85}
  - {grade: C}
"""
MISSING_DATA = """\
employee_id,name,role,team,period,visits,conv,revenue,cac,grp,xdept
E001,Ann,spec,t,2024-Q2,110,,620,52,g1,
E002,Bob,spec,t,2024-Q2,110,2.3,620,0,,2
E003,Cy,spec,t,2024-Q2,110,2.3,,52,g2,3
"""


def gaps(tmp_path: Path, locale: str, employee: str) -> list[str]:
    (tmp_path / "gaps.yaml").write_text(MISSING_POLICY.replace("LOCALE", locale), encoding="utf-8")
    (tmp_path / "gaps.csv").write_text(MISSING_DATA, encoding="utf-8")
    return lines_of(tmp_path / "gaps.yaml", tmp_path / "gaps.csv", employee)


def test_missing_values_and_undecided_bonuses_in_both_languages(tmp_path: Path) -> None:
    zh = gaps(tmp_path, "zh-CN", "E001")
    assert "   无法取值(输入数据缺失):按0分计(missing: zero)" in zh
    assert "   分档:达成率 1.0577 ≥ 1 → 得分 103" in zh
    assert "加分项 cross_dept(cross_dept):xdept >= 2 (xdept = —) → 未计入:其读取的数据缺失" in zh
    en = gaps(tmp_path, "en", "E001")
    assert "   no value (input missing): scored 0 (missing: zero)" in en
    assert "   band: achievement 1.0577 >= 1 -> score 103" in en
    assert "Bonus cross_dept (cross_dept): xdept >= 2 (xdept = —) -> not applied: a value it reads is missing" in en
    assert not any("`cross_dept`" in line for line in en)  # not repeated as a reason

    zh = gaps(tmp_path, "zh-CN", "E002")  # no team; a division by zero
    assert "   无法取值(除数为0):按0分计(missing: zero)" in zh
    assert "加分项 ratio(ratio):visits / cac > 1 (cac = 0, visits = 110) → 未计入:无法计算(除数为零)" in zh
    assert zh[zh.index("个人得分 = 27.5 + 21 + 30 + 0 = 78.5") + 1:][:2] == ["", "无团队得分:不计入团队部分"]
    assert "加分项合计 3,超过上限,按 2 计" in zh
    assert not any(line.startswith("  - ") for line in zh)
    en = gaps(tmp_path, "en", "E002")
    assert "   no value (division by zero): scored 0 (missing: zero)" in en
    assert ("Bonus ratio (ratio): visits / cac > 1 (cac = 0, visits = 110) -> not applied: it cannot be computed "
            "(a division by zero)") in en
    assert "No team score: the team part is left out" in en
    assert "Bonus points add up to 3, capped at 2" in en


def test_team_indicator_left_out_in_both_languages(tmp_path: Path) -> None:
    zh = gaps(tmp_path, "zh-CN", "E003")
    start = zh.index("团队指标(团队 g2)")
    assert zh[start:start + 11] == [
        "团队指标(团队 g2)",
        "1. team_revenue [team_revenue],权重 0%",
        "   实际值 = sum(revenue) = —(按团队 g2 的各行汇总)",
        "   无法取值(输入数据缺失):不计入,其余指标权重按比例放大到100%(missing: exclude)",
        "2. team_visits [team_visits],权重 100%",
        "   实际值 = mean(visits) = 110(按团队 g2 的各行汇总)",
        "   达成率 = 实际值 ÷ 目标值 = 110 ÷ 100 = 1.1",
        "   分档:达成率 1.1 ≥ 1 → 得分 103",
        "   折算 = 100% × 103 = 103",
        "团队得分 = 103 = 103",
        "合计 = (1 − 30%) × 个人得分 + 30% × 团队得分 = (1 − 30%) × 99 + 30% × 103 = 100.2",
    ]
    en = gaps(tmp_path, "en", "E003")
    assert "   actual = sum(revenue) = — (over the rows of team g2)" in en
    assert "   no value (input missing): left out; the other weights are rescaled to 100% (missing: exclude)" in en


def test_team_score_with_a_coefficient_is_worked_out(tmp_path: Path) -> None:
    lines = worked_lines()
    start = lines.index("Team indicators (team growth)")
    assert lines[start - 1:start + 8] == [
        "",
        "Team indicators (team growth)",
        "1. team_revenue [team_revenue], weight 100%",
        "   actual = sum(revenue) = 620 (over the rows of team growth)",
        "   achievement = actual / target = 620 / 600 = 1.0333",
        "   band: achievement 1.0333 >= 1 -> score 103",
        "   points = 100% × 103 = 103",
        "Team score = 103 = 103",
        "Team coefficient: team score 103 >= 100 -> 1.05",
    ]
    zh = lines_of(relocated(WORKED / "policy.yaml", tmp_path, "zh-CN"), WORKED / "data.csv", "E001")
    start = zh.index("团队指标(团队 growth)")
    assert zh[start:start + 8] == [
        "团队指标(团队 growth)",
        "1. team_revenue [team_revenue],权重 100%",
        "   实际值 = sum(revenue) = 620(按团队 growth 的各行汇总)",
        "   达成率 = 实际值 ÷ 目标值 = 620 ÷ 600 = 1.0333",
        "   分档:达成率 1.0333 ≥ 1 → 得分 103",
        "   折算 = 100% × 103 = 103",
        "团队得分 = 103 = 103",
        "团队系数:团队得分 103 ≥ 100 → 1.05",
    ]
    # a linear team scale, and the catch-all coefficient step
    low = relocated(WORKED / "policy.yaml", tmp_path, "en", (
        "team_revenue: {formula: sum(revenue), target: 600, scale: bands, weight: 100%}",
        "team_revenue: {formula: sum(revenue), floor: 600, target: 700, stretch: 800, scale: lin, weight: 100%}"))
    en = lines_of(low, WORKED / "data.csv", "E001")
    assert "   between floor 600 and target 700: 60 + (620 - 600) / (700 - 600) × (100 - 60) = 68" in en
    assert "Team coefficient: team score 68 is below every other step -> 0.9" in en
    assert "Final = (100.76 + 3 - 2) × 0.9 = 91.584" in en
    zh = lines_of(relocated(low, tmp_path, "zh-CN"), WORKED / "data.csv", "E001")
    assert "   介于门槛值 600 与目标值 700 之间:60 + (620 − 600) ÷ (700 − 600) × (100 − 60) = 68" in zh
    assert "团队系数:团队得分 68 低于其他所有档位 → 0.9" in zh


def test_team_blend_and_the_final_at_one_precision(tmp_path: Path) -> None:
    lines = lines_of(SUPPORT, SUPPORT_DATA, "S002", "2024-01")
    start = lines.index("Team indicators (team emea)")
    assert lines[start:start + 12] == [
        "Team indicators (team emea)",
        "1. Team CSAT [team_csat], weight 50%",
        "   actual = mean(csat) = 91.9375 (over the rows of team emea)",
        "   band: value 91.9375 >= 90 -> score 100",
        "   points = 50% × 100 = 50",
        "2. Team resolution rate [team_resolution], weight 50%",
        "   actual = mean(resolution_rate) = 0.9123 (over the rows of team emea)",
        "   achievement = actual / target = 0.9123 / 0.9 = 1.0137 (kept within 0 and 1.5)",
        "   band: achievement 1.0137 >= 1 -> score 100",
        "   points = 50% × 100 = 50",
        "Team score = 50 + 50 = 100",
        "Total = (1 - 20%) × individual score + 20% × team score = (1 - 20%) × 102.0874 + 20% × 100 = 101.6699",
    ]
    assert "Final = 101.6699 + 2 - 3 = 100.6699" in lines
    assert "Rounded once, half_up to 2 decimals: 100.67" in lines
    zh = lines_of(relocated(SUPPORT, tmp_path, "zh-CN"), SUPPORT_DATA, "S002", "2024-01")
    assert "   分档:实际值 91.9375 ≥ 90 → 得分 100" in zh
    assert "团队得分 = 50 + 50 = 100" in zh
    assert "合计 = (1 − 20%) × 个人得分 + 20% × 团队得分 = (1 − 20%) × 102.0874 + 20% × 100 = 101.6699" in zh
    assert "最终得分 = 101.6699 + 2 − 3 = 100.6699" in zh
    assert "最后统一四舍五入(half_up,保留2位小数):100.67" in zh


def test_more_decimals_only_where_four_would_round_another_way() -> None:
    from kpi_rules.explanation.team import raw_figure

    assert raw_figure(100.669944, 100.67, 2, "half_up") == "100.6699"
    assert raw_figure(2.674999, 2.67, 2, "half_up") == "2.674999"  # 2.675 would round to 2.68


def test_cli_md_sample_is_real_output() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    command = ("kpi-rules explain policies/customer-support.yaml --data examples/support-2024.csv --period 2024-01 "
               "--employee S002")
    sample = text.split(f"```console\n$ {command}\n", 1)[1].split("```\n", 1)[0]
    result = CliRunner().invoke(main, [str(ROOT / a) if "/" in a else a for a in command.split()[1:]])
    assert result.exit_code == 0, result.output
    assert sample == result.output
    assert "capped" not in sample


def test_explain_never_rounds_an_actual_across_its_target() -> None:
    # E027's paid conversion is 285 / 11,416 = 0.024965, under the target 0.025: shown as 0.02496, not 0.025.
    result = CliRunner().invoke(main, ["explain", str(OPS), "--data", str(OPS_DATA), "--period", "2024-Q2",
                                       "--employee", "E027"])
    assert result.exit_code == 0, result.output
    assert "   实际值 = paid_users / registrations = 0.02496\n" in result.output
    assert "   达成率 = 实际值 ÷ 目标值 = 0.02496 ÷ 0.025 = 0.9986(限制在0到1.5之间)\n" in result.output


# ---------------------------------------------------------------------------
# --lang: the catalogue's words, whatever the policy's locale; the policy's labels as written
# ---------------------------------------------------------------------------

def ops_q2() -> object:
    policy = load_policy(OPS)
    return evaluate(policy, load_data(policy, OPS_DATA), "2024-Q2")


def test_an_english_explanation_of_a_zh_cn_policy() -> None:
    ev = ops_q2()
    assert explain(ev, "E025", "en") == [  # name, role label and eligibility message are the policy's and data's
        "韩梅 (E025) — 运营专员, team channel, 2024-Q2",
        "Status: not rated",
        "  - 本季度在岗不足45天,本期不参与考核 (eligibility could not be decided: a value it reads is missing)",
        "",
    ]
    assert explain(ev, "E025") == explain(ev, "E025", "zh-CN") == [
        "韩梅(E025)— 运营专员,团队 channel,2024-Q2",
        "状态:未评定",
        "  - 本季度在岗不足45天,本期不参与考核(无法判断参与资格:所需数据缺失)",
        "",
    ]
    rated = explain(ev, "E001", "en")
    assert rated[:2] == ["王建国 (E001) — 运营经理, team growth, 2024-Q2", "Status: rated"]
    assert rated[3:5] == ["Indicators", "1. 网站访问量 [visits], weight 10%"]
    assert "   achievement = actual / target = 882,070 / 1,000,000 = 0.8821" in rated


def test_cli_lang_is_the_library_s_and_checked() -> None:
    args = ["explain", str(OPS), "--data", str(OPS_DATA), "--period", "2024-Q2", "--employee", "E025"]
    result = CliRunner().invoke(main, [*args, "--lang", "en"])
    assert result.exit_code == 0
    assert result.output == "\n".join(explain(ops_q2(), "E025", "en")).rstrip("\n") + "\n"
    assert CliRunner().invoke(main, args).output == "\n".join(explain(ops_q2(), "E025")).rstrip("\n") + "\n"
    wrong = CliRunner().invoke(main, [*args, "--lang", "fr"])
    assert wrong.exit_code == 2 and "'fr' is not one of 'en', 'zh-CN'" in wrong.output
