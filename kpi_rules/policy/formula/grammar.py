"""What a policy formula may contain: its functions, their arities, its syntax and its limits.

The allow-list `parse` checks every formula against; anything not named here
(attributes, subscripts, comprehensions, lambdas...) is refused with the
name HR reads in the message.
"""

from __future__ import annotations

import ast

MAX_LENGTH = 2000
MAX_DEPTH = 100  # a sum of 100 inputs is a chain of 100 additions
MAX_POWER_EXPONENT = 100
MAX_NUMBER = 1.7e308  # an integer literal beyond this cannot become a float

# (fewest, most) arguments; None: no upper limit.
ARITY: dict[str, tuple[int, int | None]] = {
    "min": (1, None), "max": (1, None), "abs": (1, 1), "round": (1, 2), "clamp": (3, 3),
    "safe_div": (2, 3), "coalesce": (1, None), "sum": (1, 1), "mean": (1, 1), "median": (1, 1),
    "count": (1, 1), "score": (1, 1), "actual": (1, 1), "achievement": (1, 1),
}

BASE_FUNCTIONS = frozenset({"min", "max", "abs", "round", "clamp", "safe_div", "coalesce"})
AGGREGATE_FUNCTIONS = frozenset({"sum", "mean", "min", "max", "count", "median"})
SUGGESTION_FUNCTIONS = frozenset({"score", "actual", "achievement"})
NUMERIC_FUNCTIONS = frozenset({"min", "max", "abs", "round", "clamp", "safe_div"}) | (AGGREGATE_FUNCTIONS - {"count"})

ALLOWED_NODES: dict[type, str] = {
    ast.Expression: "expression", ast.BinOp: "operator", ast.UnaryOp: "operator",
    ast.BoolOp: "and/or", ast.Compare: "comparison", ast.IfExp: "x if c else y",
    ast.Call: "function call", ast.Name: "name", ast.Constant: "constant",
    ast.Load: "", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
    ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**", ast.USub: "-", ast.UAdd: "+",
    ast.Not: "not", ast.And: "and", ast.Or: "or", ast.Eq: "==", ast.NotEq: "!=",
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
CONSTRUCT_NAMES: dict[type, str] = {
    ast.Attribute: "attribute access (`a.b`)", ast.Subscript: "subscripts (`a[0]`)",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Lambda: "lambdas", ast.NamedExpr: "assignments (`:=`)",
    ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dictionaries", ast.Set: "sets",
    ast.JoinedStr: "f-strings", ast.Starred: "`*` unpacking", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.BitAnd: "`&`", ast.BitOr: "`|`",
    ast.BitXor: "`^`", ast.LShift: "`<<`", ast.RShift: "`>>`", ast.Invert: "`~`",
    ast.MatMult: "`@`", ast.In: "`in`", ast.NotIn: "`not in`", ast.Is: "`is`", ast.IsNot: "`is not`",
}
