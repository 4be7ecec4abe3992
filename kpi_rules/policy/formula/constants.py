"""Numbers written in a formula, read at validation: a literal (`-2.5`), or an expression of
literals only (`9 ** 9`), so that limits and impossible arguments are found before any data."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

_CONSTANT_OPS: dict[type, Callable[[float, float], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Pow: lambda a, b: a ** b,
}


def constant_value(node: ast.expr) -> float | None:
    """The value of an expression of numbers only (`9 ** 9`, `-2 * 3`) in floats, inf when too
    large for them; None if it reads a name or calls something."""
    if isinstance(node, ast.BinOp) and type(node.op) in _CONSTANT_OPS:
        left, right = constant_value(node.left), constant_value(node.right)
        if left is None or right is None:
            return None
        try:
            value = _CONSTANT_OPS[type(node.op)](left, right)
        except OverflowError:
            return math.inf
        except (ZeroDivisionError, ValueError):
            return None
        return value if isinstance(value, float) else None  # a negative base to a fractional power: complex
    return number_of(node)


def number_of(node: ast.expr) -> float | None:
    """The value of a number written in the formula (`3`, `-2.5`), else None."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        try:
            return sign * float(node.value)
        except OverflowError:
            return None
    return None
