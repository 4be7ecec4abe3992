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
        "treat.zero": "scored 0 (missing: zero)",
        "treat.excluded": "left out; the other weights are rescaled to 100% (missing: exclude)",
        "treat.error": "the row is an error (missing: error)",
        "achievement.higher": "   achievement = actual / target = {actual} / {target} = {value}",
        "achievement.lower": "   achievement = target / actual = {target} / {actual} = {value} (lower is better)",
        "achievement.cap": " (kept within 0 and {cap})",
        "band": "   band: {basis} {x} >= {min} -> score {score}",
        "band.last": "   band: below every band edge -> score {score}",
        "linear.below": "   below the floor {floor} -> score {score}",
        "linear.rise": "   between floor {floor} and target {target}: {p_floor} + ({actual} - {floor}) / "
                       "({target} - {floor}) x ({p_target} - {p_floor}) = {score}",
        "linear.stretch": "   between target {target} and stretch {stretch}: {p_target} + ({actual} - {target}) / "
                          "({stretch} - {target}) x ({p_stretch} - {p_target}) = {score}",
        "linear.cap": "   at or beyond the stretch {stretch} -> score {score} (capped)",
        "linear.simple": "   score = {p_target} x achievement = {p_target} x {ach} = {score}",
        "formula.scale": "   score = {formula} = {score}",
        "points": "   points = {weight} x {score} = {weighted}",
        "individual": "Individual score = {terms} = {value}",
        "team.score": "Team {team}: team score {score}",
        "team.blend": "Total = (1 - {b}) x {individual} + {b} x {team} = {value}",
        "team.coefficient": "Team coefficient for a team score of {score}: {value}",
        "bonus": "Bonus {id} ({label}): {when} -> +{points}",
        "deduction": "Deduction {id} ({label}): {when} -> -{points}",
        "not.fired": "{kind} {id} ({label}): {when} -> not met",
        "cap": "{kind} points add up to {total}, capped at {cap}",
        "final.coefficient": "Final = ({total} + {bonus} - {deduction}) x {coefficient} = {raw}",
        "final.plain": "Final = {total} + {bonus} - {deduction} = {raw}",
        "rounding": "Rounded once, {mode} to {decimals} decimals: {value}",
        "grade": "Grade {grade} ({label}): final {final} >= {min}",
        "grade.last": "Grade {grade} ({label}): below every other grade",
        "veto": "Veto {id} ({label}) fired: the grade is {grade}, whatever the score",
        "distribution": "Forced distribution: {before} -> {after} ({why})",
        "pay": "Pay coefficient: {value}",
        "suggestions": "Suggestions",
        "rollup": "{period} review: {method} of the rated periods",
        "rollup.period": "  {period}: {status}{final}",
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
        "treat.zero": "按0分计(missing: zero)",
        "treat.excluded": "不计入,其余指标权重按比例放大到100%(missing: exclude)",
        "treat.error": "本行记为数据有误(missing: error)",
        "achievement.higher": "   达成率 = 实际值 ÷ 目标值 = {actual} ÷ {target} = {value}",
        "achievement.lower": "   达成率 = 目标值 ÷ 实际值 = {target} ÷ {actual} = {value}(越低越好)",
        "achievement.cap": "(限制在0到{cap}之间)",
        "band": "   分档:{basis} {x} ≥ {min} → 得分 {score}",
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
        "team.score": "团队 {team}:团队得分 {score}",
        "team.blend": "合计 = (1 − {b}) × {individual} + {b} × {team} = {value}",
        "team.coefficient": "团队得分 {score} 对应的团队系数:{value}",
        "bonus": "加分项 {id}({label}):{when} → +{points}",
        "deduction": "扣分项 {id}({label}):{when} → −{points}",
        "not.fired": "{kind} {id}({label}):{when} → 未满足",
        "cap": "{kind}合计 {total},超过上限,按 {cap} 计",
        "final.coefficient": "最终得分 = ({total} + {bonus} − {deduction}) × {coefficient} = {raw}",
        "final.plain": "最终得分 = {total} + {bonus} − {deduction} = {raw}",
        "rounding": "最后统一四舍五入({mode},保留{decimals}位小数):{value}",
        "grade": "等级 {grade}({label}):最终得分 {final} ≥ {min}",
        "grade.last": "等级 {grade}({label}):低于其他所有等级",
        "veto": "一票否决 {id}({label}):等级直接定为 {grade}",
        "distribution": "强制分布:{before} → {after}({why})",
        "pay": "绩效系数:{value}",
        "suggestions": "改进建议",
        "rollup": "{period} 总评:各已评定期间的{method}",
        "rollup.period": "  {period}:{status}{final}",
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
