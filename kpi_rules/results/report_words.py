"""Every word the report templates print, per locale (`en`, `zh-CN`), and the
engine's fixed reason sentences in the report's language.

Templates read these as `t.<key>`; a key with `{name}` fields is filled with
the `fill` filter. Nothing English is printed into a zh-CN report, nor Chinese
into an en one, except the data and the policy's own texts.
"""

from __future__ import annotations

from kpi_rules.results.reasons import say

EN: dict[str, str] = {
    "report_title": "Performance review report", "sheet_title": "Review sheet",
    "kind_period": "Appraisal of one period", "kind_rollup": "Overall review of the period's appraisals",
    "contents": "Contents", "generated": "Generated", "list_sep": ", ", "name_id": "{name} ({id})",
    "label_unit": "{label} ({unit})", "paren": "{label} ({detail})", "reason_sep": "; ",
    "period_rows": "{period}: {rows}",
    "peer_heading": "Peer review: {label}", "team_below": "Indicators most often below target: {items}.",
    "policy": "Policy", "policy_id": "Policy id", "version": "Version", "sha256": "SHA-256", "period": "Period",
    "kind": "Kind", "data_file": "Data file", "data_sha256": "Data SHA-256", "rows_in_period": "Rows in this report",
    "rated": "Rated", "not_rated": "Not rated", "errors": "Errors", "effective": "Effective",
    "effective_range": "{start} to {end}", "open_end": "open end",
    "other_periods": "Rows of other periods in the file (not in this report)",
    "sec_overview": "Team performance overview", "sec_collaboration": "Collaboration and communication",
    "sec_individual": "Individual results and growth", "sec_suggestions": "Improvement suggestions",
    "sec_problems": "Data problems",
    "department": "Whole department", "no_team": "(no team)", "team_named": "Team {team}",
    "headcount": "Rated people", "mean_final": "Mean final score", "median_final": "Median final score",
    "range_final": "Lowest – highest", "figure": "Figure", "value": "Value",
    "grade_distribution": "Grade distribution", "grade": "Grade", "grade_label": "Description", "people": "People",
    "share": "Share", "group_attainment": "Indicator groups: mean attainment against target",
    "indicator_group": "Indicator group", "group_indicators": "Indicators", "mean_achievement": "Mean achievement",
    "mean_score": "Mean score", "ungrouped": "Other", "top_indicators": "Strongest indicators",
    "bottom_indicators": "Weakest indicators", "indicator": "Indicator", "below_target": "Below target",
    "count_of": "{count} of {of}",
    "rollup_no_indicators": "Indicator details are in each period's report; this review combines the periods' "
                            "final scores.",
    "distribution": "Forced distribution", "no_distribution": "The policy has no forced distribution.",
    "scope_team": "Each team is ranked on its own", "scope_all": "The whole department is ranked together",
    "mode_enforce": "enforced: grades over their quota move down one grade",
    "mode_check": "checked only: nobody's grade is changed",
    "min_group": "groups with fewer than {n} rated people are exempt",
    "dist_summary": "{scope}; {mode}; {min_group}.",
    "dist_group": "Group {group}: {size} rated", "exempt": "Exempt: fewer than {n} rated people.",
    "rule": "Rule", "places": "Places", "holders": "Holders", "result": "Result",
    "rule_max": "at most {share}", "rule_min": "at least {share}", "moved_n": "{n} moved down",
    "would_move_n": "{n} over quota (not moved)", "within_quota": "within quota", "met": "met",
    "not_met": "not met", "moves": "Moved down", "would_moves": "Over quota (check mode: not moved)",
    "employee": "Employee", "name": "Name", "from_grade": "From", "to_grade": "To", "final": "Final score",
    "tie": "Tie", "tied": "tied at the cut", "ties_note": "{n} people tied at the cut moved down together.",
    "team_indicators": "Team indicators", "no_team_section": "The policy has no team indicators.",
    "apply_blend": "Each total = {individual} of the individual score + {team} of the team score.",
    "apply_coefficient": "Each final score = (individual score + bonuses − deductions) × the team coefficient:",
    "coef_step": "team score ≥ {min}: × {value}", "coef_else": "otherwise: × {value}",
    "team": "Team", "members": "Members", "team_score": "Team score", "coefficient": "Coefficient",
    "formula": "Formula", "target": "Target", "weight": "Weight",
    "actual": "Actual", "achievement": "Achievement", "score": "Score", "points": "Points", "flags": "Notes",
    "adjustments": "Bonuses, deductions and vetoes", "no_adjustments": "The policy has no bonus, deduction or veto.",
    "kind_bonus": "Bonus", "kind_deduction": "Deduction", "kind_veto": "Veto", "item": "Item", "type": "Type",
    "condition": "Condition", "effect": "Effect", "fired_for": "Fired for", "who": "Who",
    "effect_points_plus": "+{points}", "effect_points_minus": "−{points}",
    "effect_veto": "grade set to {grade}", "bonus_cap": "Bonus points count up to {cap} in total.",
    "deduction_cap": "Deduction points count up to {cap} in total.",
    "rollup_adjustments": "Bonuses and deductions are counted in each period's appraisal; a veto in any rated "
                          "period also applies to this review.",
    "peer_review": "Peer review", "ratings": "Ratings", "mean": "Mean", "median": "Median", "lowest": "Lowest",
    "highest": "Highest", "scale_range": "Scale {min} to {max}.",
    "role": "Role", "status": "Status", "data_line": "Data line", "indicators": "Indicators",
    "individual_score": "Individual score", "bonus": "Bonus", "deduction": "Deduction",
    "team_coefficient": "Team coefficient", "pay_coefficient": "Pay coefficient", "result_heading": "Result",
    "veto_note": "Veto {label}: the grade is {grade} whatever the score.",
    "move_note": "Forced distribution: {before} → {after}.",
    "move_tied": "Tied with others at the cut; all moved down together.",
    "sec_calibration": "Calibration",
    "calibration_intro": "Grades changed in the calibration meeting, after forced distribution. Scores are not "
                         "changed; each change names who proposed it, who approved it and why.",
    "cal_change": "Grade", "cal_by": "Proposed by", "cal_approved_by": "Approved by", "cal_date": "Date",
    "cal_from_to": "{before} → {after}", "cal_overrides_veto": "overrides the veto {label}",
    "cal_files": "Calibration files", "cal_file": "{file} ({period}, {count} adjustments, SHA-256 {sha256})",
    "cal_quotas": "Quotas after calibration",
    "cal_breach_max": "{group}: {holders} hold {grade}; the quota allows {places}. Not forced back: the "
                      "calibration meeting decided.",
    "cal_breach_min": "{group}: {holders} hold {grade}; the quota requires at least {places}.",
    "cal_no_breach": "Every quota still holds after calibration.",
    "calibrated_mark": "(calibrated from {before})",
    "calibration_note": "Calibrated: {before} → {after}, proposed by {by}, approved by {approved_by} ({date}). "
                        "Reason: {reason}",
    "cal_note_employee": "Note: {note}",
    "move_check": "Over the {before} quota (check mode: the grade is not changed).",
    "move_why": " Ranked {rank} of the {holders} who reached {grade} in {group} ({size} rated); {grade} allows "
                "{allowed}.",
    "in_team": "team {team}", "in_department": "the department",
    "provisional_period": "Provisional: {period} is not in this review ({status}: {why}).",
    "provisional_absent": "Provisional: the data has no {period} row for this person.",
    "changed_during": "{what} changed during the review ({steps}); the review uses {used}, the latest period's.",
    "period_value": "{period} {value}",
    "sec_about": "About this report", "input_errors": "Input rows with errors",
    "about_intro": "Which policy and which data this report was made from: the same files give the same report.",
    "notes": "Notes", "profile_chart": "Indicator scores (the line marks 100, on target)",
    "trend": "Final score by period", "none": "none", "not_rated_text": "No score: see the reasons below.",
    "rated_adjustments": "Bonuses: {bonuses}. Deductions: {deductions}.",
    "status_rated": "rated", "status_not_rated": "not rated", "status_error": "error", "trend_absent": "no row",
    "flag_missing_input": "input missing", "flag_div_zero": "division by zero", "flag_overflow": "number too large",
    "flag_type_error": "wrong type", "flag_domain_error": "outside the function's domain",
    "flag_no_achievement": "achievement cannot be computed",
    "flag_no_cap": "0 is the best result, but the scale has no cap to score it",
    "flag_achievement_capped": "0 is the best result: achievement at the cap",
    "flag_missing": "no value", "flag_zero": "scored 0",
    "flag_excluded": "left out; other weights rescaled", "flag_error": "the row is an error",
    "per_employee": "For each employee", "per_team": "For each team",
    "often_below": "Indicators most often below target", "suggestion": "Suggestion",
    "no_suggestions": "No suggestion applies.",
    "people_compact": "{count} people: too many for a block each. Below, one line per person, team by team; "
                      "each person's indicators, figures and notes are in their review sheet (evaluate with "
                      "--per-employee) and in the CSV or XLSX results.",
    "per_employee_compact": "{count} people have suggestions of their own: they are in each one's review sheet "
                            "(evaluate with --per-employee); the counts per team are above.",
    "and_more": "and {count} more",
    "teams_compact": "{count} teams: one line each. The department's figures above cover them all; each team's "
                     "indicator figures are in its members' review sheets.",
    "rollup_no_suggestions": "Suggestions are made in each period's report.",
    "problems_intro": "Every row that was not rated or is an error, with its reason.",
    "no_problems": "None: every row was rated.", "reason": "Reason", "data_notes": "Notes on the data file",
    "your_team": "Your team's figures", "department_figures": "Department figures",
    "chart_grades": "Grade distribution chart", "chart_team": "Mean indicator score: {team}",
    "chart_trend_team": "Mean final score by period and team", "target_line": "target",
    # the workbook (--format xlsx): sheet names (at most 31 characters) and its own headers
    "sheet_summary": "Summary", "sheet_employees": "Employees", "sheet_indicators": "Indicators",
    "sheet_teams": "Teams", "sheet_errors": "Errors", "sheet_periods": "Periods", "sheet_numbered": "{name} {n}",
    "employee_id": "Employee id", "calibration": "Calibration", "over_quota": "over quota", "moved": "Moved down",
    "period_final": "{period} final", "period_grade": "{period} grade", "annual_final": "Final score",
    "indicators_split": "Indicator details: {rows} rows over the sheets {sheets} (a sheet holds at most {limit} rows).",
    "calibrated": "{before} → {grade}: {reason} (by {by}, approved by {approved_by}, {date})",
    "title": "Title", "department_overview": "Department figures",
    # the engine's fixed sentences (reasons), in words for this locale
}

ZH: dict[str, str] = {
    "report_title": "绩效考核报告", "sheet_title": "绩效面谈表",
    "kind_period": "单期考核", "kind_rollup": "总评(由各期考核结果汇总)",
    "contents": "目录", "generated": "生成时间", "list_sep": "、", "name_id": "{name}({id})",
    "label_unit": "{label}({unit})", "paren": "{label}({detail})", "reason_sep": ";",
    "period_rows": "{period}:{rows}行",
    "peer_heading": "同事互评:{label}", "team_below": "最常未达标的指标:{items}。",
    "policy": "考核方案", "policy_id": "方案编号", "version": "版本", "sha256": "方案校验值(SHA-256)",
    "period": "考核期间", "kind": "类型", "data_file": "数据文件", "data_sha256": "数据校验值(SHA-256)",
    "rows_in_period": "本报告数据行数", "rated": "已评定", "not_rated": "未评定", "errors": "数据有误",
    "effective": "生效日期", "effective_range": "{start} 至 {end}", "open_end": "长期有效",
    "other_periods": "文件中其他期间的行数(不在本报告内)",
    "sec_overview": "团队绩效总览", "sec_collaboration": "协作与沟通", "sec_individual": "个人能力提升",
    "sec_suggestions": "改进与优化建议", "sec_problems": "数据问题",
    "department": "全部门", "no_team": "(未分组)", "team_named": "团队 {team}",
    "headcount": "已评定人数", "mean_final": "最终得分平均值", "median_final": "最终得分中位数",
    "range_final": "最低分 – 最高分", "figure": "项目", "value": "数值",
    "grade_distribution": "等级分布", "grade": "等级", "grade_label": "说明", "people": "人数", "share": "占比",
    "group_attainment": "各指标组平均目标达成情况", "indicator_group": "指标组", "group_indicators": "包含指标",
    "mean_achievement": "平均达成率", "mean_score": "平均得分", "ungrouped": "其他",
    "top_indicators": "表现最好的指标", "bottom_indicators": "表现最弱的指标", "indicator": "指标",
    "below_target": "未达标", "count_of": "{of}人中{count}人",
    "rollup_no_indicators": "指标明细见各期考核报告;总评由各期最终得分汇总而成。",
    "distribution": "强制分布", "no_distribution": "本方案未设置强制分布。",
    "scope_team": "各团队分别排名", "scope_all": "全部门统一排名",
    "mode_enforce": "强制执行:超出名额者降一档", "mode_check": "仅检查:不调整任何人的等级",
    "min_group": "已评定不足{n}人的组不适用",
    "dist_summary": "{scope};{mode};{min_group}。", "dist_group": "{group}组:已评定{size}人",
    "exempt": "不适用:已评定人数不足{n}人。", "rule": "规则", "places": "名额", "holders": "实际人数",
    "result": "结果", "rule_max": "不超过{share}", "rule_min": "不少于{share}", "moved_n": "{n}人降档",
    "would_move_n": "{n}人超出名额(未调整)", "within_quota": "未超出名额", "met": "已满足", "not_met": "未满足",
    "moves": "降档名单", "would_moves": "超出名额名单(仅检查,未调整)", "employee": "员工", "name": "姓名",
    "from_grade": "原等级", "to_grade": "调整后等级", "final": "最终得分", "tie": "同分",
    "tied": "与名额边界同分", "ties_note": "{n}人与名额边界同分,一并降档。",
    "team_indicators": "团队指标", "no_team_section": "本方案未设置团队指标。",
    "apply_blend": "个人合计 = 个人得分 × {individual} + 团队得分 × {team}。",
    "apply_coefficient": "最终得分 =(个人得分 + 加分 − 扣分)× 团队系数:",
    "coef_step": "团队得分 ≥ {min}:× {value}", "coef_else": "其余:× {value}",
    "team": "团队", "members": "人数", "team_score": "团队得分", "coefficient": "团队系数", "formula": "公式",
    "target": "目标值", "weight": "权重", "actual": "实际值", "achievement": "达成率", "score": "得分",
    "points": "折算分", "flags": "备注",
    "adjustments": "加分项、扣分项与一票否决", "no_adjustments": "本方案未设置加分项、扣分项或一票否决。",
    "kind_bonus": "加分项", "kind_deduction": "扣分项", "kind_veto": "一票否决", "item": "项目", "type": "类别",
    "condition": "条件", "effect": "效果", "fired_for": "触发人数", "who": "人员",
    "effect_points_plus": "加{points}分", "effect_points_minus": "扣{points}分", "effect_veto": "等级定为{grade}",
    "bonus_cap": "加分合计最多{cap}分。", "deduction_cap": "扣分合计最多{cap}分。",
    "rollup_adjustments": "加分、扣分在各期考核中计算;任一已评定期间的一票否决同样适用于总评。",
    "peer_review": "同事互评", "ratings": "评价数", "mean": "平均", "median": "中位数", "lowest": "最低",
    "highest": "最高", "scale_range": "评分范围 {min} 至 {max}。",
    "role": "岗位", "status": "状态", "data_line": "数据行", "indicators": "指标明细",
    "individual_score": "个人得分", "bonus": "加分", "deduction": "扣分", "team_coefficient": "团队系数",
    "pay_coefficient": "绩效系数", "result_heading": "考核结果",
    "veto_note": "一票否决({label}):无论得分多少,等级定为{grade}。",
    "move_note": "强制分布:{before} → {after}。", "move_tied": "与名额边界处的其他人同分,一并降档。",
    "sec_calibration": "绩效校准",
    "calibration_intro": "以下等级在强制分布之后由绩效校准会调整;得分不变,每项调整均记录提出人、批准人和原因。",
    "cal_change": "等级", "cal_by": "提出人", "cal_approved_by": "批准人", "cal_date": "日期",
    "cal_from_to": "{before} → {after}", "cal_overrides_veto": "推翻一票否决「{label}」",
    "cal_files": "校准文件", "cal_file": "{file}({period},{count}项调整,SHA-256 {sha256})",
    "cal_quotas": "校准后的名额检查",
    "cal_breach_max": "{group}:{holders}人为{grade},名额为{places}人。校准会已决定,不再强制调整。",
    "cal_breach_min": "{group}:{holders}人为{grade},至少应有{places}人。",
    "cal_no_breach": "校准后所有名额要求仍然满足。",
    "calibrated_mark": "(由{before}校准)",
    "calibration_note": "绩效校准:{before} → {after},由{by}提出、{approved_by}批准({date})。原因:{reason}",
    "cal_note_employee": "致员工:{note}",
    "move_check": "超出{before}等级名额(仅检查,等级未调整)。",
    "move_why": "{group}已评定{size}人,{holders}人达到{grade},本人在其中排名第{rank};{grade}名额为{allowed}人。",
    "in_team": "团队{team}", "in_department": "全部门",
    "provisional_period": "暂定:{period}未计入本次总评({status}:{why})。",
    "provisional_absent": "暂定:数据中没有此人{period}的记录。",
    "changed_during": "考核期内{what}有变化({steps});总评采用最近一期的{used}。",
    "period_value": "{period}:{value}",
    "sec_about": "关于本报告", "input_errors": "出错的输入行",
    "about_intro": "本报告所依据的考核方案与数据:相同的文件得出相同的报告。",
    "notes": "说明", "profile_chart": "各指标得分(竖线为100分,即达到目标)", "trend": "各期最终得分",
    "none": "无", "not_rated_text": "本期无得分,原因见下。", "rated_adjustments": "加分:{bonuses}。扣分:{deductions}。",
    "status_rated": "已评定", "status_not_rated": "未评定", "status_error": "数据有误", "trend_absent": "无数据",
    "flag_missing_input": "输入数据缺失", "flag_div_zero": "除数为0", "flag_overflow": "数值溢出",
    "flag_type_error": "类型错误", "flag_domain_error": "超出函数定义域", "flag_no_achievement": "无法计算达成率",
    "flag_no_cap": "0是最好的结果,但评分规则没有上限,无法计分", "flag_achievement_capped": "0是最好的结果:达成率取上限",
    "flag_missing": "无值", "flag_zero": "按0分计", "flag_excluded": "不计入,其余权重按比例放大",
    "flag_error": "本行记为数据有误",
    "per_employee": "个人建议", "per_team": "团队建议", "often_below": "最常未达标的指标", "suggestion": "建议",
    "no_suggestions": "没有适用的改进建议。", "rollup_no_suggestions": "改进建议见各期考核报告。",
    "people_compact": "共{count}人,人数较多,不逐人展开:以下按团队每人一行;每人的指标、分数与说明见个人考核单"
                      "(评估时加 --per-employee)及CSV或XLSX结果。",
    "per_employee_compact": "{count}人有个人建议:见各自的个人考核单(评估时加 --per-employee);各团队的人数统计见上文。",
    "and_more": "等,另有{count}人",
    "teams_compact": "共{count}个团队,每队一行。上文的全部门数据涵盖所有团队;各团队的指标数据见其成员的个人考核单。",
    "problems_intro": "以下列出所有未评定或数据有误的行及其原因,不隐瞒任何一行。",
    "no_problems": "无:所有数据行均已评定。", "reason": "原因", "data_notes": "数据文件提示",
    "your_team": "所在团队数据", "department_figures": "全部门数据",
    "chart_grades": "等级分布图", "chart_team": "{team}各指标平均得分",
    "chart_trend_team": "各团队各期平均最终得分", "target_line": "目标",
    # 工作簿(--format xlsx):工作表名称(不超过31个字符)与表头
    "sheet_summary": "汇总", "sheet_employees": "员工", "sheet_indicators": "指标明细",
    "sheet_teams": "团队", "sheet_errors": "数据问题", "sheet_periods": "各期", "sheet_numbered": "{name}{n}",
    "employee_id": "工号", "calibration": "校准", "over_quota": "超出名额", "moved": "降档人数",
    "period_final": "{period} 最终得分", "period_grade": "{period} 等级", "annual_final": "最终得分",
    "indicators_split": "指标明细共{rows}行,分在工作表 {sheets} 中(每个工作表最多{limit}行)。",
    "calibrated": "{before} → {grade}:{reason}(由{by}提出,{approved_by}批准,{date})",
    "title": "方案名称", "department_overview": "全部门数据",
}

CATALOGUE = {"en": EN, "zh-CN": ZH}


class Labels(dict[str, str]):
    """The catalogue of one locale, with helpers for status and flag words."""

    def __init__(self, locale: str) -> None:
        super().__init__(CATALOGUE.get(locale, EN))
        self.locale = locale if locale in CATALOGUE else "en"

    def status(self, status: str) -> str:
        return self.get(f"status_{status}", status)

    def flag(self, flag: str) -> str:
        return self.get(f"flag_{flag}", flag)

    def fill(self, key: str, **values: object) -> str:
        return self[key].format(**values)

    def who(self, name: object, employee_id: object) -> str:
        """`Name (E001)`, or the id alone when the data has no name."""
        shown_id = "—" if employee_id is None else str(employee_id)
        return self.fill("name_id", name=name, id=shown_id) if name else shown_id


# Reasons the report already shows in its own words (the grade's veto note, the distribution move).
_COVERED = {"distribution_move", "distribution_tie", "veto_sets_grade", "calibrated", "calibration_overrides_veto"}


def localize_reasons(reasons: list[str], t: Labels) -> list[str]:
    """A row's reasons in the report's words, leaving out those the report shows elsewhere."""
    return [localize_reason(r, t) for r in reasons if getattr(r, "code", None) not in _COVERED]


def localize_reason(reason: str, t: Labels) -> str:
    """An engine reason in the report's language; the policy's own text as it is."""
    return say(reason, t.locale)
