"""Words for people, per locale: `en` and `zh-CN` (the policy's `metadata.locale`)."""

from __future__ import annotations

import re

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "heading": "{name} ({employee_id}) — {role}, team {team}, {period}",
        "status": "Status: {status}",
        "status.rated": "rated", "status.not_rated": "not rated", "status.error": "error",
        "reason": "  - {reason}",
        "indicators": "Indicators",
        "indicator": "{n}. {label} [{id}], weight {weight}",
        "formula": "   actual = {formula} = {actual}",
        "reads": "   with {values}",
        "missing": "   no value ({flags}): {treatment}",
        "flag.missing_input": "input missing", "flag.div_zero": "division by zero",
        "flag.overflow": "number too large", "flag.type_error": "wrong type",
        "flag.domain_error": "outside the function's domain", "flag.no_achievement": "achievement cannot be computed",
        "flag.missing": "no value",
        "treat.zero": "scored 0 (missing: zero)",
        "treat.excluded": "left out; the other weights are rescaled to 100% (missing: exclude)",
        "treat.error": "the row is an error (missing: error)",
        "achievement.higher": "   achievement = actual / target = {actual} / {target} = {value}",
        "achievement.lower": "   achievement = target / actual = {target} / {actual} = {value} (lower is better)",
        "achievement.cap": " (kept within 0 and {cap})",
        "band": "   band: {basis} {x} >= {min} -> score {score}",
        "basis.achievement": "achievement", "basis.value": "value",
        "band.last": "   band: below every band edge -> score {score}",
        "linear.below": "   below the floor {floor} -> score {score}",
        "linear.rise": "   between floor {floor} and target {target}: {p_floor} + ({actual} - {floor}) / "
                       "({target} - {floor}) × ({p_target} - {p_floor}) = {score}",
        "linear.stretch": "   between target {target} and stretch {stretch}: {p_target} + ({actual} - {target}) / "
                          "({stretch} - {target}) × ({p_stretch} - {p_target}) = {score}",
        "linear.cap": "   at or beyond the stretch {stretch} -> score {score} (capped)",
        "linear.simple": "   score = {p_target} × achievement = {p_target} × {ach} = {score}",
        "formula.scale": "   score = {formula} = {score}",
        "points": "   points = {weight} × {score} = {weighted}",
        "individual": "Individual score = {terms} = {value}",
        "team.indicators": "Team indicators (team {team})",
        "team.formula": "   actual = {formula} = {actual} (over the rows of team {team})",
        "team.total": "Team score = {terms} = {value}",
        "team.unavailable": "No team score: the team part is left out",
        "team.blend": "Total = (1 - {b}) × individual score + {b} × team score = "
                      "(1 - {b}) × {individual} + {b} × {team} = {value}",
        "team.coefficient": "Team coefficient: team score {score} >= {min} -> {value}",
        "team.coefficient.last": "Team coefficient: team score {score} is below every other step -> {value}",
        "bonus": "Bonus {id} ({label}): {when} -> +{points}",
        "deduction": "Deduction {id} ({label}): {when} -> -{points}",
        "not.fired": "{kind} {id} ({label}): {when} -> not met",
        "not.missing": "{kind} {id} ({label}): {when} -> not applied: a value it reads is missing",
        "not.failed": "{kind} {id} ({label}): {when} -> not applied: it cannot be computed ({why})",
        "cap": "{kind} points add up to {total}, capped at {cap}",
        "final.coefficient": "Final = ({total} + {bonus} - {deduction}) × {coefficient} = {raw}",
        "final.plain": "Final = {total} + {bonus} - {deduction} = {raw}",
        "rounding": "Rounded once, {mode} to {decimals} decimals: {value}",
        "grade": "Grade {grade} ({label}): final {final} >= {min}",
        "grade.last": "Grade {grade} ({label}): below every other grade",
        "veto": "Veto {id} ({label}) fired: the grade is {grade}, whatever the score",
        "distribution": "Forced distribution: {before} -> {after} ({why})",
        "distribution.move": "Forced distribution: {before} -> {after}: at most {allowed} of {size} may hold {grade}",
        "distribution.tie": "Forced distribution: {before} -> {after}: at most {allowed} of {size} may hold {grade}; "
                            "tied at {cut} with others at the cut, all moved down together",
        "pay": "Pay coefficient: {value}",
        "suggestions": "Suggestions",
        "rollup": "{period} review: {method} of the rated periods",
        "rollup.period": "  {period}: {status}{final}",
        "rollup.final": ", {final} ({grade})",
        "rollup.combined": "  combined = {formula} = {raw}",
        "method.mean": "mean", "method.weighted": "weighted mean (weights rescaled over the periods present)",
        "method.last": "last",
        "bonus.kind": "Bonus", "deduction.kind": "Deduction",
    },
    "zh-CN": {
        "heading": "{name}({employee_id})— {role},团队 {team},{period}",
        "status": "状态:{status}",
        "status.rated": "已评定", "status.not_rated": "未评定", "status.error": "数据有误",
        "reason": "  - {reason}",
        "indicators": "指标明细",
        "indicator": "{n}. {label} [{id}],权重 {weight}",
        "formula": "   实际值 = {formula} = {actual}",
        "reads": "   其中 {values}",
        "missing": "   无法取值({flags}):{treatment}",
        "flag.missing_input": "输入数据缺失", "flag.div_zero": "除数为0", "flag.overflow": "数值溢出",
        "flag.type_error": "类型错误", "flag.domain_error": "超出函数定义域", "flag.no_achievement": "无法计算达成率",
        "flag.missing": "无值",
        "treat.zero": "按0分计(missing: zero)",
        "treat.excluded": "不计入,其余指标权重按比例放大到100%(missing: exclude)",
        "treat.error": "本行记为数据有误(missing: error)",
        "achievement.higher": "   达成率 = 实际值 ÷ 目标值 = {actual} ÷ {target} = {value}",
        "achievement.lower": "   达成率 = 目标值 ÷ 实际值 = {target} ÷ {actual} = {value}(越低越好)",
        "achievement.cap": "(限制在0到{cap}之间)",
        "band": "   分档:{basis} {x} ≥ {min} → 得分 {score}",
        "basis.achievement": "达成率", "basis.value": "实际值",
        "band.last": "   分档:低于所有档位 → 得分 {score}",
        "linear.below": "   低于门槛值 {floor} → 得分 {score}",
        "linear.rise": "   介于门槛值 {floor} 与目标值 {target} 之间:{p_floor} + ({actual} − {floor}) ÷ "
                       "({target} − {floor}) × ({p_target} − {p_floor}) = {score}",
        "linear.stretch": "   介于目标值 {target} 与挑战值 {stretch} 之间:{p_target} + ({actual} − {target}) ÷ "
                          "({stretch} − {target}) × ({p_stretch} − {p_target}) = {score}",
        "linear.cap": "   达到或超过挑战值 {stretch} → 得分 {score}(封顶)",
        "linear.simple": "   得分 = {p_target} × 达成率 = {p_target} × {ach} = {score}",
        "formula.scale": "   得分 = {formula} = {score}",
        "points": "   折算 = {weight} × {score} = {weighted}",
        "individual": "个人得分 = {terms} = {value}",
        "team.indicators": "团队指标(团队 {team})",
        "team.formula": "   实际值 = {formula} = {actual}(按团队 {team} 的各行汇总)",
        "team.total": "团队得分 = {terms} = {value}",
        "team.unavailable": "无团队得分:不计入团队部分",
        "team.blend": "合计 = (1 − {b}) × 个人得分 + {b} × 团队得分 = "
                      "(1 − {b}) × {individual} + {b} × {team} = {value}",
        "team.coefficient": "团队系数:团队得分 {score} ≥ {min} → {value}",
        "team.coefficient.last": "团队系数:团队得分 {score} 低于其他所有档位 → {value}",
        "bonus": "加分项 {id}({label}):{when} → +{points}",
        "deduction": "扣分项 {id}({label}):{when} → −{points}",
        "not.fired": "{kind} {id}({label}):{when} → 未满足",
        "not.missing": "{kind} {id}({label}):{when} → 未计入:其读取的数据缺失",
        "not.failed": "{kind} {id}({label}):{when} → 未计入:无法计算({why})",
        "cap": "{kind}合计 {total},超过上限,按 {cap} 计",
        "final.coefficient": "最终得分 = ({total} + {bonus} − {deduction}) × {coefficient} = {raw}",
        "final.plain": "最终得分 = {total} + {bonus} − {deduction} = {raw}",
        "rounding": "最后统一四舍五入({mode},保留{decimals}位小数):{value}",
        "grade": "等级 {grade}({label}):最终得分 {final} ≥ {min}",
        "grade.last": "等级 {grade}({label}):低于其他所有等级",
        "veto": "一票否决 {id}({label}):等级直接定为 {grade}",
        "distribution": "强制分布:{before} → {after}({why})",
        "distribution.move": "强制分布:{before} → {after}:{size}人中最多{allowed}人可获得{grade}",
        "distribution.tie": "强制分布:{before} → {after}:{size}人中最多{allowed}人可获得{grade};"
                            "与名额线上同为{cut}分的人一起降档",
        "pay": "绩效系数:{value}",
        "suggestions": "改进建议",
        "rollup": "{period} 总评:各已评定期间的{method}",
        "rollup.period": "  {period}:{status}{final}",
        "rollup.final": ",{final}({grade})",
        "rollup.combined": "  合并 = {formula} = {raw}",
        "method.mean": "平均值", "method.weighted": "加权平均值(权重按实际参评的期间重新折算)",
        "method.last": "最后一期得分",
        "bonus.kind": "加分项", "deduction.kind": "扣分项",
    },
}


def messages(locale: str) -> dict[str, str]:
    return CATALOGUE.get(locale, CATALOGUE["en"])


# C0 controls but tab and newline, DEL, C1 controls; lone surrogates and U+FFFE/U+FFFF (not
# encodable as UTF-8, not allowed in XML).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with control characters shown as escapes (ESC as `\\x1b`), so that text from a
    policy or a data file cannot drive a terminal, and every output format stays well-formed.
    Tab and newline stay as they are."""
    return _INVISIBLE.sub(_escape, text) if _INVISIBLE.search(text) else text
