"""Why a row is not rated, is an error, or was changed: reasons that can be said
in the policy's language.

A `Reason` is a `str` whose value is the English sentence (what the JSON
results and the tests read), and which also keeps a stable code and its
parameters, so that reports say it in zh-CN or en without parsing English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# code -> (English, 简体中文). Parameters in braces; a parameter may itself be a
# Reason or a list of them, said in the same language.
CATALOGUE: dict[str, tuple[str, str]] = {
    # one cell of the data
    "cell": ("column `{column}`: {problem} (line {line})", "第{line}行「{column}」列:{problem}"),
    "not_number": ("{value} is not a number", "{value} 不是数字"),
    "not_number_separator": ("{value} is not a number (write numbers without thousands separators)",
                             "{value} 不是数字(数字请不要使用千位分隔符)"),
    "not_number_percent": ("{value} is not a number (write 2.5% as 0.025)", "{value} 不是数字(2.5% 请写成 0.025)"),
    "not_number_digits": ("{value} is not a number (write it with the digits 0-9)",
                          "{value} 不是数字(请使用半角数字 0-9)"),
    "bool_not_number": ("true/false is not a number", "true/false 不是数字"),
    "too_large": ("{value} is too large", "{value} 数值过大"),
    "number_too_large": ("the number is too large", "数值过大"),
    "not_finite": ("{value} is not a finite number", "{value} 不是有效的数字"),
    "not_boolean": ("{value} is not true/false", "{value} 不是 是/否(true/false)"),
    "not_whole": ("{value} is not a whole number", "{value} 不是整数"),
    "below_min": ("{value} is below the minimum {min}", "{value} 低于最小值 {min}"),
    "above_max": ("{value} is above the maximum {max}", "{value} 高于最大值 {max}"),
    "not_period": ("`{value}` is not a period; write it like 2024-Q2, 2024-06, 2024-H1 or 2024",
                   "「{value}」不是有效的期间,请写成 2024-Q2、2024-06、2024-H1 或 2024"),
    "wrong_period_kind": ("{period} is a {kind}, but this policy appraises each {cycle}",
                          "{period} 是{kind},但本方案按{cycle}考核"),
    # a whole row
    "empty_required": ("column `{column}` is empty but required (line {line})",
                       "第{line}行「{column}」列为空,但该列必填"),
    "empty_required_unscored": ("column `{column}` is empty but required (line {line}); the role `{role}` does not "
                                "score it: if its rows leave it empty, add `required: false` to `{column}` under "
                                "inputs",
                                "第{line}行「{column}」列为空,但该列必填;岗位「{role}」的指标不使用该列:"
                                "若该岗位不填此列,请在 inputs 中为「{column}」加上 `required: false`"),
    "column_absent": ("the required column `{column}` is not in the file (line {line})",
                      "文件中没有必填列「{column}」(第{line}行)"),
    "unknown_role": ("unknown role `{role}`; roles: {roles} (line {line})",
                     "第{line}行岗位「{role}」未在方案中定义;已定义的岗位:{roles}"),
    "unknown_role_close": ("unknown role `{role}`; did you mean `{closest}`? (line {line})",
                           "第{line}行岗位「{role}」未在方案中定义;是否应为「{closest}」?"),
    "ragged_row": ("the row has {cells} cells but the header has {width} (line {line})",
                   "第{line}行有{cells}个单元格,但表头有{width}列"),
    "nul_byte": ("the cell `{column}` holds a NUL byte (an invisible control character, shown as \\x00): "
                 "retype that cell in the data file (line {line})",
                 "第{line}行「{column}」单元格含有NUL字节(不可见的控制字符,显示为\\x00):请在数据文件中重新输入该单元格"),
    "not_a_record": ("record {record} is not an object with named fields", "第{record}条记录不是带字段名的对象"),
    "duplicate_key": ("record {record} gives the field `{key}` more than once",
                      "第{record}条记录中字段「{key}」出现了不止一次"),
    "duplicate_row": ("duplicate row for employee {employee} in {period} (lines {lines})",
                      "员工{employee}在{period}有重复的数据行(第{lines}行)"),
    # the engine
    "not_eligible": ("not eligible in this period", "本期不符合参与考核的条件"),
    "eligibility_unknown": ("{reason} (eligibility could not be decided: a value it reads is missing)",
                            "{reason}(无法判断参与资格:所需数据缺失)"),
    "indicator_error": ("indicator `{indicator}` has no value and the policy treats missing values as errors",
                        "指标「{indicator}」无值,按方案规定本行记为数据有误"),
    "team_indicator_error": ("team indicator `{indicator}` of team {team} has no value and the policy treats "
                             "missing values as errors",
                             "团队「{team}」的团队指标「{indicator}」无值,按方案规定本行记为数据有误"),
    "all_excluded": ("no indicator has a value (all were excluded as missing)", "所有指标均无值(均因缺失而不计入)"),
    "team_unavailable": ("the team score could not be computed; the team part is left out",
                         "团队得分无法计算,未计入团队部分"),
    "adjustment_unknown": ("{kind} `{id}` not applied: a value it reads is missing",
                           "{kind}「{id}」未计入:其条件读取的数据缺失"),
    "adjustment_failed": ("{kind} `{id}` not applied: it cannot be computed ({why})",
                          "{kind}「{id}」未计入:无法计算({why})"),
    "adjustment_too_large": ("{kind} `{id}` cannot be computed: a number is too large; check the data",
                             "{kind}「{id}」无法计算:数值过大,请检查数据"),
    "result_too_large": ("the final score is too large to compute; check the data",
                         "最终得分过大,无法计算,请检查数据"),
    "veto_also": ("veto `{id}` also applies", "一票否决「{id}」同样成立"),
    "veto_unknown": ("veto `{id}` could not be checked: a value it reads is missing",
                     "一票否决「{id}」无法判断:其条件读取的数据缺失"),
    "veto_too_large": ("veto `{id}` cannot be checked: a number is too large; check the data",
                       "一票否决「{id}」无法判断:数值过大,请检查数据"),
    "veto_failed": ("veto `{id}` could not be checked: it cannot be computed ({why})",
                    "一票否决「{id}」无法判断:无法计算({why})"),
    "veto_sets_grade": ("veto `{id}` sets the grade to {grade}, whatever the score",
                        "一票否决「{id}」:等级直接定为{grade}"),
    "distribution_no_group": ("forced distribution: no team, so in no group's quotas",
                              "强制分布:未填写团队,不参与任何分组的名额限制"),
    "distribution_move": ("forced distribution: at most {allowed} of {size} may hold {grade}",
                          "强制分布:{size}人中最多{allowed}人可获得{grade}"),
    "distribution_tie": ("forced distribution: at most {allowed} of {size} may hold {grade}; tied at {cut} with "
                         "others at the cut, all moved down together",
                         "强制分布:{size}人中最多{allowed}人可获得{grade};与名额线上同为{cut}分的人一起降档"),
    # calibration (after forced distribution)
    "calibrated": ("calibrated from {before} to {grade} by {by}, approved by {approved_by} on {date}, "
                   "because: {reason}",
                   "校准:由{by}提出、{approved_by}批准({date}),等级由{before}调整为{grade},原因:{reason}"),
    "calibration_overrides_veto": ("calibration overrides veto `{id}` (override_veto: true)",
                                   "校准推翻了一票否决「{id}」(override_veto: true)"),
    # the roll-up review
    "rollup_veto_overridden": ("veto `{id}` in {period} was overridden by calibration; it does not apply to "
                               "this review",
                               "{period}的一票否决「{id}」已在校准中被推翻,不适用于本次总评"),
    "rollup_veto": ("veto `{id}` in {period} sets the grade to {grade}",
                    "{period}触发一票否决「{id}」,等级定为{grade}"),
    "rollup_period": ("{period} (line {line}): {status}: {why}", "{period}(第{line}行):{status}:{why}"),
    "rollup_repeated": ("{period} holds {count} rows for this employee (lines {lines}), so the review leaves "
                        "{period} out", "{period}有该员工的{count}行数据(第{lines}行),总评不计入{period}"),
    "rollup_too_few": ("rated in {count} period(s); the review needs at least {needed}",
                       "已评定{count}期,总评至少需要{needed}期"),
    "rollup_zero_weight": ("rated only in periods whose roll-up weight is 0%", "仅在总评权重为0%的期间内有评定结果"),
}

WORDS: dict[str, tuple[str, str]] = {
    "month": ("month", "月度"), "quarter": ("quarter", "季度"), "half": ("half", "半年度"), "year": ("year", "年度"),
    "bonus": ("bonus", "加分项"), "deduction": ("deduction", "扣分项"),
    "rated": ("rated", "已评定"), "not_rated": ("not rated", "未评定"), "error": ("error", "数据有误"),
    # why a formula has no value (formula.Fail)
    "div_zero": ("a division by zero", "除数为零"), "overflow": ("a number too large", "数值过大"),
    "type_error": ("text where a number is needed", "需要数字处出现文字"),
    "domain_error": ("no real result", "无实数结果"),
}
_LOCALES = {"en": 0, "zh-CN": 1}
_SEPARATOR = ("; ", ";")


class Word(str):
    """A fixed word (a period kind, a status) that reports translate."""

    def say(self, locale: str) -> str:
        return WORDS[str(self)][_LOCALES.get(locale, 0)] if str(self) in WORDS else str(self)


class Reason(str):
    """A reason: its English text as the string value, plus `code` and `params`."""

    code: str
    params: Mapping[str, Any]

    def __new__(cls, code: str, **params: Any) -> Reason:
        text = _render(code, params, 0)
        reason = super().__new__(cls, text)
        reason.code = code
        reason.params = params
        return reason

    def say(self, locale: str) -> str:
        """The reason in `locale` (en or zh-CN; anything else: English)."""
        return _render(self.code, self.params, _LOCALES.get(locale, 0))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.code, dict(self.params)))


def _rebuild(code: str, params: dict[str, Any]) -> Reason:
    return Reason(code, **params)


def _value(value: Any, language: int) -> str:
    if isinstance(value, (Reason, Word)):
        return value.say(list(_LOCALES)[language])
    if isinstance(value, (list, tuple)):
        return _SEPARATOR[language].join(_value(v, language) for v in value)
    return str(value)


def _render(code: str, params: Mapping[str, Any], language: int) -> str:
    template = CATALOGUE[code][language]
    return template.format(**{k: _value(v, language) for k, v in params.items()})


def say(reason: str, locale: str) -> str:
    """Any reason in `locale`: a Reason is translated, other text (the policy's own words) kept."""
    return reason.say(locale) if isinstance(reason, Reason) else reason
