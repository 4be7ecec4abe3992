"""The formula evaluator: simpleeval walking each parsed tree once per batch.

The only module that imports simpleeval. Node handlers work on whole
columns (numpy arrays), so the cost per row is arithmetic, not tree
walking; attribute access, subscripts and everything else outside the
allow-list have no handler at all (defence in depth behind `parse`).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import simpleeval

from kpi_rules.policy.formula import vector as v
from kpi_rules.policy.formula.aggregate import AGGREGATES, Groups, call_aggregate
from kpi_rules.policy.formula.parse import Formula

_BINARY: dict[type, Callable[[v.Batch, Any, Any], Any]] = {
    ast.Add: v.arith(operator.add), ast.Sub: v.arith(operator.sub), ast.Mult: v.arith(operator.mul),
    ast.Div: v._guarded(operator.truediv), ast.FloorDiv: v._guarded(np.floor_divide),
    ast.Mod: v._guarded(np.mod), ast.Pow: v.power,
}
_UNARY: dict[type, Callable[[v.Batch, Any], Any]] = {
    ast.USub: v.negate, ast.UAdd: v.identity, ast.Not: v.logical_not,
}
_COMPARE: dict[type, Callable[[v.Batch, Any, Any], Any]] = {
    ast.Eq: v.compare(operator.eq), ast.NotEq: v.compare(operator.ne), ast.Lt: v.compare(operator.lt),
    ast.LtE: v.compare(operator.le), ast.Gt: v.compare(operator.gt), ast.GtE: v.compare(operator.ge),
}

Lookup = Callable[[str], Any]  # score('id') and friends: indicator id -> column


@dataclass(frozen=True)
class Outcome:
    """A formula's value per row (NaN: no value) and, where NaN, why (`Fail` codes)."""

    values: npt.NDArray[np.float64]
    fail: npt.NDArray[np.int8]


class ColumnEvaluator(simpleeval.SimpleEval):  # type: ignore[misc]
    """Evaluates an allow-listed formula over columns of values."""

    def __init__(self) -> None:
        super().__init__(operators={}, functions={}, names={})
        self.nodes = {
            ast.Name: self._eval_name, ast.Constant: self._eval_constant,
            ast.BinOp: self._eval_binop, ast.UnaryOp: self._eval_unaryop,
            ast.BoolOp: self._eval_boolop, ast.Compare: self._eval_compare,
            ast.IfExp: self._eval_ifexp, ast.Call: self._eval_call,
        }
        self.batch = v.Batch(0)
        self.groups: Groups | None = None
        self.lookups: Mapping[str, Lookup] = {}

    def evaluate(self, formula: Formula, names: Mapping[str, Any], n: int, *,
                 groups: Groups | None = None, lookups: Mapping[str, Lookup] | None = None) -> Outcome:
        """Evaluate over n rows (or n teams, with `groups`). Never raises for data."""
        self.names, self.batch = names, v.Batch(n)
        self.groups, self.lookups = groups, lookups or {}
        try:
            raw = self.eval(formula.source, previously_parsed=formula.node)
            values = np.broadcast_to(v.num(raw), (n,)).astype(np.float64, copy=True)
        except (v.FormulaTypeError, TypeError, ValueError):
            values = np.full(n, np.nan)
            self.batch.fail[:] = v.Fail.TYPE
        except (v.FormulaOverflow, OverflowError):
            values = np.full(n, np.nan)
            self.batch.fail[:] = v.Fail.OVERFLOW
        fail = np.where(np.isnan(values), np.maximum(self.batch.fail, v.Fail.MISSING), v.Fail.OK)
        return Outcome(values, fail.astype(np.int8))

    def _eval_name(self, node: ast.Name) -> Any:
        value = self.names.get(node.id)
        return np.nan if value is None else value

    def _eval_binop(self, node: ast.BinOp) -> Any:
        return _BINARY[type(node.op)](self.batch, self._eval(node.left), self._eval(node.right))

    def _eval_unaryop(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.batch, self._eval(node.operand))

    def _eval_boolop(self, node: ast.BoolOp) -> Any:
        # Python semantics per row: `a and b` is a if a is false, else b.
        result = self._eval(node.values[-1])
        for operand in reversed(node.values[:-1]):
            value = self._eval(operand)
            if isinstance(node.op, ast.And):
                result = v.choose(value, result, value)
            else:
                result = v.choose(value, value, result)
        return result

    def _eval_compare(self, node: ast.Compare) -> Any:
        left, result = self._eval(node.left), None
        for op, comparator in zip(node.ops, node.comparators):
            right = self._eval(comparator)
            step = _COMPARE[type(op)](self.batch, left, right)
            result = step if result is None else v.choose(result, step, result)
            left = right
        return result

    def _eval_ifexp(self, node: ast.IfExp) -> Any:
        return v.choose(self._eval(node.test), self._eval(node.body), self._eval(node.orelse))

    def _eval_call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)  # parse() admits plain names only
        name = node.func.id
        if name in self.lookups:
            indicator = node.args[0]
            # a quoted indicator id, checked by parse()
            assert isinstance(indicator, ast.Constant) and isinstance(indicator.value, str)
            return self.lookups[name](indicator.value)
        if name == "coalesce":
            result = self._eval(node.args[0])
            for arg in node.args[1:]:
                result = v.fill_missing(result, self._eval(arg))
            return result
        args = [self._eval(a) for a in node.args]
        if name in AGGREGATES:
            return call_aggregate(name, self.groups, self.batch, args)
        if name in v.FUNCTIONS:
            return v.FUNCTIONS[name](self.batch, *args)
        raise simpleeval.FunctionNotDefined(name, self.expr)
