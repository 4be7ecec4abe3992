"""Raw policy -> frozen `Policy`: names resolved, dependency order fixed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kpi_rules.policy import formula as fx
from kpi_rules.policy.checks.context import Context
from kpi_rules.policy.checks.formulas import find_cycles, indicator_graph
from kpi_rules.policy.model import (
    Adjustment,
    Band,
    CoefficientStep,
    Distribution,
    Grade,
    Indicator,
    Input,
    Plan,
    Policy,
    Quota,
    Role,
    Rollup,
    Scale,
    Suggestion,
    Team,
    TeamIndicator,
    Veto,
)
from kpi_rules.policy.percent import parse_percent
from kpi_rules.policy.problems import PolicyInvalid
from kpi_rules.policy.validate import Validation, validate_file


def load_policy(path: str | Path) -> Policy:
    """Validate and compile a policy file; raises PolicyInvalid with every error."""
    return compile_policy(validate_file(path))


def compile_policy(validation: Validation) -> Policy:
    if validation.errors or validation.context is None:
        raise PolicyInvalid(validation.errors)
    return _Compiler(validation.context, validation.sha256).policy()


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


class _Compiler:
    def __init__(self, ctx: Context, sha256: str) -> None:
        self.ctx = ctx
        self.data = ctx.data
        self.sha256 = sha256
        self.default_missing = str(self.data.get("missing", "zero"))
        self.scales = {sid: self._scale(sid, raw) for sid, raw in ctx.scales.items()}

    def formula(self, path: tuple[Any, ...]) -> fx.Formula:
        return self.ctx.parsed[path]

    def policy(self) -> Policy:
        meta = self.data["metadata"]
        cycle = self.data.get("cycle", {})
        eligibility = self.data.get("eligibility")
        rounding = self.data.get("rounding", {})
        bonuses = self.data.get("bonuses", {})
        deductions = self.data.get("deductions", {})
        return Policy(
            id=meta["id"], title=meta["title"], version=str(meta["version"]),
            locale=meta.get("locale", "en"),
            effective_from=meta["effective"]["from"], effective_to=meta["effective"].get("to"),
            sha256=self.sha256, period=cycle.get("period", "quarter"), rollup=self._rollup(cycle.get("rollup")),
            inputs={name: self._input(name, raw) for name, raw in self.ctx.inputs.items()},
            eligibility=self.formula(("eligibility", "when")) if eligibility else None,
            eligibility_reason=(eligibility or {}).get("reason", ""),
            groups={gid: g.get("label", gid) for gid, g in self.ctx.section("groups").items()},
            indicators=self._indicators(),
            roles={rid: self._role(rid, raw) for rid, raw in self.ctx.roles.items()},
            team=self._team(),
            bonuses=self._adjustments("bonuses"), bonus_cap=_num(bonuses.get("cap")),
            deductions=self._adjustments("deductions"), deduction_cap=_num(deductions.get("cap")),
            vetoes=tuple(Veto(v["id"], v.get("label", v["id"]), self.formula(p + ("when",)), str(v["grade"]))
                         for p, v in self.ctx.items("vetoes")),
            grades=tuple(Grade(str(g["grade"]), _num(g.get("min")), g.get("label", str(g["grade"])),
                               float(g.get("coefficient", 1))) for g in self.data["grades"]),
            distribution=self._distribution(),
            missing=self.default_missing,
            decimals=int(rounding.get("decimals", 2)), rounding_mode=rounding.get("mode", "half_up"),
            suggestions=tuple(
                Suggestion(self.formula(("suggestions", i, "when")), s["text"], s.get("id", f"s{i + 1}"),
                           s.get("scope", "employee"))
                for i, s in enumerate(self.data.get("suggestions", []))),
            file=self.ctx.file,
        )

    def _input(self, name: str, raw: dict[str, Any]) -> Input:
        required = raw.get("required", "default" not in raw)
        return Input(name, raw["type"], bool(required), raw.get("default"), _num(raw.get("min")),
                     _num(raw.get("max")), raw.get("label", name), raw.get("unit", ""))

    def _scale(self, sid: str, raw: dict[str, Any]) -> Scale:
        kind = raw["type"]
        return Scale(
            id=sid, type=kind, cap=_num(raw.get("cap")), basis=raw.get("basis", "achievement"),
            bands=tuple(Band(float(b["score"]), _num(b.get("min")), b.get("label", "")) for b in raw.get("bands", [])),
            points={k: float(v) for k, v in raw.get("points", {}).items()},
            below_floor=float(raw.get("below_floor", 0)),
            formula=self.formula(("scales", sid, "formula")) if kind == "formula" else None,
        )

    def _indicators(self) -> tuple[Indicator, ...]:
        graph = indicator_graph(self.ctx)
        if find_cycles(graph):
            raise PolicyInvalid([])  # validation reports the cycle; unreachable for a valid policy
        order: list[str] = []
        done: set[str] = set()

        def visit(ind_id: str) -> None:
            if ind_id in done:
                return
            done.add(ind_id)
            for dep in sorted(graph[ind_id]):
                visit(dep)
            order.append(ind_id)

        for ind_id in self.ctx.indicators:
            visit(ind_id)
        out = []
        for ind_id in order:
            raw = self.ctx.indicators[ind_id]
            out.append(Indicator(ind_id, self.formula(("indicators", ind_id, "formula")), raw.get("label", ind_id),
                                 raw.get("group"), raw.get("unit", ""), raw.get("direction", "higher"),
                                 raw.get("missing")))
        return tuple(out)

    def _plan(self, ind_id: str, raw: dict[str, Any], direction: str, missing: str | None, label: str) -> Plan:
        return Plan(
            indicator=ind_id, weight=parse_percent(raw["weight"]), scale=self.scales[raw["scale"]],
            direction=direction, missing=raw.get("missing") or missing or self.default_missing,
            target=_num(raw.get("target")), floor=_num(raw.get("floor")), stretch=_num(raw.get("stretch")),
            label=raw.get("label") or label,
        )

    def _role(self, rid: str, raw: dict[str, Any]) -> Role:
        plans = []
        for ind_id, entry in raw["indicators"].items():
            ind = self.ctx.indicators[ind_id]
            plans.append(self._plan(ind_id, entry, ind.get("direction", "higher"), ind.get("missing"),
                                    ind.get("label", ind_id)))
        return Role(rid, raw.get("label", rid), tuple(plans))

    def _team(self) -> Team | None:
        raw = self.data.get("team")
        if not raw:
            return None
        indicators = tuple(
            TeamIndicator(tid, self.formula(("team", "indicators", tid, "formula")),
                          self._plan(tid, t, t.get("direction", "higher"), t.get("missing"), t.get("label", tid)))
            for tid, t in raw["indicators"].items())
        apply = raw["apply"]
        blend = parse_percent(apply["blend"]) if "blend" in apply else None
        steps = tuple(CoefficientStep(float(s["value"]), _num(s.get("min"))) for s in apply.get("coefficient", []))
        return Team(raw.get("key", "team"), raw.get("label", ""), indicators, blend, steps)

    def _adjustments(self, section: str) -> tuple[Adjustment, ...]:
        out = []
        for path, item in self.ctx.items(section):
            points = item["points"]
            if isinstance(points, str):
                formula = self.formula(path + ("points",))
            else:
                parsed, _ = fx.parse(points)
                assert parsed is not None
                formula = parsed
            out.append(Adjustment(item["id"], item.get("label", item["id"]), self.formula(path + ("when",)), formula))
        return tuple(out)

    def _rollup(self, raw: dict[str, Any] | None) -> Rollup | None:
        if not raw:
            return None
        weights = {str(k): parse_percent(v) for k, v in raw.get("weights", {}).items()}
        return Rollup(raw["period"], raw.get("method", "mean"), weights, int(raw.get("min_periods", 1)))

    def _distribution(self) -> Distribution | None:
        raw = self.data.get("distribution")
        if not raw:
            return None
        quotas = {
            str(grade): Quota(parse_percent(q["max"]) if "max" in q else None,
                              parse_percent(q["min"]) if "min" in q else None)
            for grade, q in raw["quotas"].items()
        }
        return Distribution(raw.get("scope", "all"), raw.get("mode", "check"), int(raw.get("min_group_size", 1)),
                            quotas)
