"""The JSON Schema file itself: valid, accepts the contract's policy, and
rejects common mistakes with an error at the right place.

Only jsonschema is used here, so these tests say nothing about the loader or
the semantic checks: they pin down what editors and CI see from the schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "policy.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)


def full_policy() -> dict[str, Any]:
    """POLICY_FORMAT section 1, as the loader hands it over (dates as strings)."""
    return {
        "apiVersion": "kpi-rules/v1",
        "kind": "AppraisalPolicy",
        "metadata": {
            "id": "ops-department",
            "title": "运营部门KPI绩效考核方案",
            "version": "2024.1",
            "effective": {"from": "2024-01-01", "to": "2024-12-31"},
            "locale": "zh-CN",
            "owners": ["hr-ops@example.com"],
        },
        "cycle": {
            "period": "quarter",
            "rollup": {
                "period": "year",
                "method": "mean",
                "weights": {"Q1": "20%", "Q2": "20%", "Q3": 30, "Q4": "30%"},
                "min_periods": 2,
            },
        },
        "inputs": {
            "visits": {"type": "number", "min": 0, "label": "网站访问量", "unit": "count"},
            "survey_score": {"type": "number", "min": 1, "max": 5},
            "late_reports": {"type": "integer", "min": 0, "default": 0},
            "days_worked": {"type": "integer", "min": 0, "required": False},
        },
        "eligibility": {"when": "days_worked >= 45", "reason": "在岗不足45天,本期不参与考核"},
        "groups": {"traffic": {"label": "流量指标"}, "conversion": {"label": "转化指标"}},
        "indicators": {
            "visits": {"label": "网站访问量", "group": "traffic", "formula": "visits"},
            "paid_conversion": {
                "label": "付费转化率",
                "group": "conversion",
                "formula": "paid_users / registrations",
                "unit": "percent",
            },
            "cac": {
                "label": "获客成本",
                "group": "cost",
                "formula": "ops_cost / new_customers",
                "direction": "lower",
            },
            "teamwork_360": {
                "label": "360度协作评价",
                "formula": "(0.6 * manager_rating + 0.4 * peer_rating) * 20",
            },
        },
        "scales": {
            "banded": {
                "type": "bands",
                "basis": "achievement",
                "cap": 1.5,
                "bands": [
                    {"min": 1.2, "score": 120},
                    {"min": 1.0, "score": 100},
                    {"min": 0.8, "score": 80},
                    {"min": 0.6, "score": 60},
                    {"score": 0},
                ],
            },
            "graded": {
                "type": "linear",
                "points": {"floor": 60, "target": 100, "stretch": 120},
                "below_floor": 0,
            },
            "direct": {"type": "formula", "formula": "clamp(value, 0, 120)"},
        },
        "roles": {
            "ops_specialist": {
                "label": "运营专员",
                "indicators": {
                    "visits": {"weight": "15%", "floor": 80, "target": 100, "stretch": 120, "scale": "graded"},
                    "paid_conversion": {"weight": 20, "target": 0.025, "scale": "banded"},
                    "cac": {"weight": "15%", "floor": 60, "target": 50, "stretch": 45, "scale": "graded"},
                    "teamwork_360": {"weight": 15, "scale": "direct"},
                },
            }
        },
        "team": {
            "key": "team",
            "indicators": {
                "team_revenue": {
                    "formula": "sum(revenue)",
                    "target": 3000000,
                    "scale": "banded",
                    "weight": "100%",
                }
            },
            "apply": {"blend": "30%"},
        },
        "bonuses": {
            "cap": 5,
            "items": [
                {"id": "cross_dept", "label": "跨部门协作", "when": "cross_dept_projects >= 2", "points": 3},
                {"id": "peer_praise", "label": "同事互评优秀", "when": "peer_rating >= 4.5", "points": 2},
            ],
        },
        "deductions": {
            "items": [
                {
                    "id": "late_reports",
                    "label": "数据报告延迟",
                    "when": "late_reports > 0",
                    "points": "late_reports * 2",
                }
            ]
        },
        "vetoes": [{"id": "compliance", "label": "重大合规事故", "when": "compliance_incidents > 0", "grade": "D"}],
        "grades": [
            {"grade": "S", "min": 110, "label": "卓越", "coefficient": 1.5},
            {"grade": "A", "min": 100, "label": "优秀", "coefficient": 1.2},
            {"grade": "B", "min": 85, "label": "良好", "coefficient": 1.0},
            {"grade": "C", "min": 70, "label": "待改进", "coefficient": 0.8},
            {"grade": "D", "label": "不合格", "coefficient": 0},
        ],
        "distribution": {
            "scope": "team",
            "mode": "enforce",
            "min_group_size": 5,
            "quotas": {"S": {"max": "10%"}, "A": {"max": 20}, "D": {"min": "5%"}},
        },
        "missing": "zero",
        "rounding": {"decimals": 2, "mode": "half_up"},
        "suggestions": [
            {
                "when": "score('paid_conversion') < 80",
                "text": "付费转化率未达标:建议与产品部门协作优化付费流程。",
            }
        ],
    }


def errors_of(policy: Any) -> list[tuple[str, str]]:
    """Sorted (json path, failing keyword) of every top-level error."""
    return sorted((error.json_path, str(error.validator)) for error in VALIDATOR.iter_errors(policy))


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] == "https://kpi-rules.dev/schemas/policy.schema.json"


def test_full_policy_is_valid() -> None:
    assert errors_of(full_policy()) == []


def test_minimal_policy_is_valid() -> None:
    policy = full_policy()
    optional = [key for key in policy if key not in SCHEMA["required"]]
    for key in optional:
        del policy[key]
    assert errors_of(policy) == []


def test_team_coefficient_is_valid() -> None:
    policy = full_policy()
    policy["team"]["apply"] = {"coefficient": [{"min": 100, "value": 1.05}, {"min": 90, "value": 1.0}, {"value": 0.9}]}
    assert errors_of(policy) == []


Mutation = Callable[[dict[str, Any]], None]


def _rename(mapping: dict[str, Any], old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def _set(path: str, value: Any) -> Mutation:
    *parents, last = path.split(".")

    def mutate(policy: dict[str, Any]) -> None:
        node: Any = policy
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _misspell_top_level(policy: dict[str, Any]) -> None:
    _rename(policy, "indicators", "indicatorz")


def _misspell_weight(policy: dict[str, Any]) -> None:
    _rename(policy["roles"]["ops_specialist"]["indicators"]["visits"], "weight", "wieght")


def _bands_with_points(policy: dict[str, Any]) -> None:
    policy["scales"]["banded"]["points"] = {"floor": 60, "target": 100, "stretch": 120}


def _drop_grades(policy: dict[str, Any]) -> None:
    del policy["grades"]


VISITS = "$.roles.ops_specialist.indicators.visits"

NEGATIVE_CASES: list[tuple[str, Mutation, list[tuple[str, str]]]] = [
    # The typo is reported as an unknown key, and the real key as missing.
    ("misspelt top-level key", _misspell_top_level, [("$", "additionalProperties"), ("$", "required")]),
    ("misspelt role indicator key", _misspell_weight, [(VISITS, "additionalProperties"), (VISITS, "required")]),
    ("bands scale with points", _bands_with_points, [("$.scales.banded", "additionalProperties")]),
    (
        "team.apply with blend and coefficient",
        _set("team.apply.coefficient", [{"value": 1.0}]),
        [("$.team.apply", "maxProperties")],
    ),
    ("version as a number", _set("metadata.version", 2024.1), [("$.metadata.version", "type")]),
    ("unknown locale", _set("metadata.locale", "fr"), [("$.metadata.locale", "enum")]),
    (
        "weight in words",
        _set("roles.ops_specialist.indicators.visits.weight", "15 percent"),
        [(VISITS + ".weight", "pattern")],
    ),
    ("missing grades", _drop_grades, [("$", "required")]),
    ("unknown direction", _set("indicators.cac.direction", "lowest"), [("$.indicators.cac.direction", "enum")]),
    # A few more mistakes HR is likely to make.
    ("weight above 100", _set("roles.ops_specialist.indicators.visits.weight", 150), [(VISITS + ".weight", "maximum")]),
    (
        "weight as a boolean",
        _set("roles.ops_specialist.indicators.visits.weight", True),
        [(VISITS + ".weight", "type")],
    ),
    (
        "date in another format",
        _set("metadata.effective.from", "01/01/2024"),
        [("$.metadata.effective.from", "pattern")],
    ),
    # A bad map key is reported on the map, by the keyword inside `propertyNames`.
    ("rollup weight key", _set("cycle.rollup.weights", {"Q5": "100%"}), [("$.cycle.rollup.weights", "pattern")]),
    ("unknown scale type", _set("scales.banded.type", "steps"), [("$.scales.banded.type", "enum")]),
    ("linear scale with bands", _set("scales.graded.bands", []), [("$.scales.graded", "additionalProperties")]),
    ("formula scale without formula", _set("scales.direct", {"type": "formula"}), [("$.scales.direct", "required")]),
    ("band without score", _set("scales.banded.bands.4", {"label": "x"}), [("$.scales.banded.bands[4]", "required")]),
    ("team.apply empty", _set("team.apply", {}), [("$.team.apply", "minProperties")]),
    (
        "input default of the wrong type",
        _set("inputs.late_reports.default", "0"),
        [("$.inputs.late_reports.default", "type")],
    ),
    ("input name with a space", _set("inputs.late reports", {"type": "integer"}), [("$.inputs", "pattern")]),
    ("empty quota", _set("distribution.quotas.S", {}), [("$.distribution.quotas.S", "minProperties")]),
    ("rounding decimals too many", _set("rounding.decimals", 7), [("$.rounding.decimals", "maximum")]),
    ("empty formula", _set("eligibility.when", "  "), [("$.eligibility.when", "pattern")]),
    ("metadata id in capitals", _set("metadata.id", "Ops"), [("$.metadata.id", "pattern")]),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in NEGATIVE_CASES],
)
def test_invalid_policy_fails_at_the_right_place(mutate: Mutation, expected: list[tuple[str, str]]) -> None:
    policy = full_policy()
    mutate(policy)
    assert errors_of(policy) == sorted(expected)


def test_misspelt_key_is_named_in_the_message() -> None:
    policy = full_policy()
    _misspell_weight(policy)
    messages = [error.message for error in VALIDATOR.iter_errors(policy)]
    assert any("'wieght'" in message for message in messages)


_DATA_KEYWORDS = {"examples", "default", "const", "enum"}
_NAME_MAPS = {"properties", "$defs"}


def _subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema in the document (keywords holding data, not schemas, are skipped)."""
    if isinstance(node, list):
        for index, value in enumerate(node):
            yield from _subschemas(value, f"{where}/{index}")
        return
    if not isinstance(node, dict):
        return
    yield where, node
    for key, value in node.items():
        if key in _NAME_MAPS:
            for name, sub in value.items():
                yield from _subschemas(sub, f"{where}/{key}/{name}")
        elif key not in _DATA_KEYWORDS:
            yield from _subschemas(value, f"{where}/{key}")


def _is_dispatcher(node: dict[str, Any]) -> bool:
    """An object schema that hands each case to a closed variant (if/then on `type`)."""
    return bool(node.get("allOf")) and all("if" in case for case in node["allOf"]) and "then" in node["allOf"][0]


def test_every_object_is_closed() -> None:
    for where, node in _subschemas(SCHEMA):
        if node.get("type") == "object" and not _is_dispatcher(node):
            assert "additionalProperties" in node, where
    # Dispatchers are closed by the variants they point to.
    for case in SCHEMA["$defs"]["scale"]["allOf"]:
        variant = SCHEMA["$defs"][case["then"]["$ref"].rsplit("/", 1)[1]]
        assert variant["additionalProperties"] is False


def test_every_property_has_a_description() -> None:
    for where, node in _subschemas(SCHEMA):
        if "properties" in node and "/if" not in where and "/then" not in where:
            for name, sub in node["properties"].items():
                assert sub.get("description"), f"{where}/properties/{name}"


def _check_against(sub: dict[str, Any], value: Any) -> list[str]:
    schema = {key: item for key, item in sub.items() if key not in {"default", "examples"}}
    schema["$defs"] = SCHEMA["$defs"]
    return [error.message for error in Draft202012Validator(schema).iter_errors(value)]


def test_defaults_and_examples_are_valid() -> None:
    checked = 0
    for where, node in _subschemas(SCHEMA):
        if where == "#":
            continue
        values = ([node["default"]] if "default" in node else []) + list(node.get("examples", []))
        for value in values:
            assert _check_against(node, value) == [], f"{where}: {value!r}"
            checked += 1
    assert checked > 10
