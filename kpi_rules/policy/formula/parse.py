"""Parse a policy formula once and allow-list its syntax.

A formula is checked against a small allow-list of Python expression nodes
before it is ever evaluated: anything that could reach Python internals
(attributes, subscripts, comprehensions, lambdas...) is refused here, with
the column where it starts.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kpi_rules.common.suggest import did_you_mean
from kpi_rules.policy.formula.constants import constant_value, number_of
from kpi_rules.policy.formula.grammar import (
    ALLOWED_NODES,
    ARITY,
    BASE_FUNCTIONS,
    CONSTRUCT_NAMES,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NUMBER,
    MAX_POWER_EXPONENT,
    NUMERIC_FUNCTIONS,
    SUGGESTION_FUNCTIONS,
)
from kpi_rules.policy.formula.habits import if_hint, odd_name_message, odd_names, syntax_hint


@dataclass(frozen=True)
class FormulaIssue:
    """A static problem inside a formula; `offset` is the 0-based character column."""

    code: str
    name: str
    message: str
    offset: int
    hint: str | None = None


@dataclass(frozen=True)
class Formula:
    """A parsed, allow-listed formula. Evaluate it with an `Evaluator`."""

    source: str
    node: ast.expr
    names: frozenset[str]
    calls: frozenset[str]
    string_args: Mapping[str, frozenset[str]] = field(default_factory=dict)
    name_offsets: Mapping[str, int] = field(default_factory=dict)

    @property
    def is_constant(self) -> bool:
        return isinstance(self.node, ast.Constant)

    def offset_of(self, node: ast.expr) -> int:
        """The character column of one of this formula's nodes in its source text."""
        flat = _flat(self.source)
        return len(flat) - len(flat.lstrip()) + _char_offset(flat.strip(), node.col_offset)


def _flat(text: str) -> str:
    """A YAML block scalar may span lines: keep offsets, drop the line breaks."""
    return text.replace("\r", " ").replace("\n", " ")


def _char_offset(source: str, byte_offset: int) -> int:
    """ast gives UTF-8 byte offsets; HR counts characters."""
    return len(source.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


class _Checker(ast.NodeVisitor):
    def __init__(self, source: str, functions: frozenset[str]) -> None:
        self.source = source
        self.functions = functions
        self.issues: list[FormulaIssue] = []
        self.names: set[str] = set()
        self.calls: set[str] = set()
        self.name_offsets: dict[str, int] = {}
        self.string_args: dict[str, set[str]] = {}
        self.depth = 0
        self.too_deep = False
        self.parents: list[ast.AST] = []

    def offset(self, node: ast.AST) -> int:
        return _char_offset(self.source, getattr(node, "col_offset", 0))

    def issue(self, node: ast.AST, code: str, name: str, message: str, hint: str | None = None) -> None:
        self.issues.append(FormulaIssue(code, name, message, self.offset(node), hint))

    def visit(self, node: ast.AST) -> None:
        # Operator nodes (`in`, `&`, ...) have no position: they are placed at their expression.
        positioned = hasattr(node, "col_offset")
        if positioned:
            self.parents.append(node)
        try:
            super().visit(node)
        finally:
            if positioned:
                self.parents.pop()

    def generic_visit(self, node: ast.AST) -> None:
        kind = type(node)
        if kind not in ALLOWED_NODES:
            what = CONSTRUCT_NAMES.get(kind, kind.__name__)
            where = node if hasattr(node, "col_offset") else self.parents[-1]
            self.issue(where, "KR103", "formula-construct", f"{what}: not allowed in a formula",
                       "formulas use numbers, names, + - * / // % **, comparisons, and/or/not, "
                       "`x if c else y` and the listed functions")
            return
        counted = hasattr(node, "col_offset") or isinstance(node, ast.Expression)
        if counted:
            self.depth += 1
        if not self._too_deep(node):
            super().generic_visit(node)
        if counted:
            self.depth -= 1

    def _too_deep(self, node: ast.AST) -> bool:
        """Past MAX_DEPTH levels: said once, at the first node that is."""
        if self.depth <= MAX_DEPTH:
            return False
        if not self.too_deep:
            self.too_deep = True
            self.issue(node, "KR119", "formula-limits", f"the formula is nested more than {MAX_DEPTH} levels deep")
        return True

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)
        self.name_offsets.setdefault(node.id, self.offset(node))

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, (int, float, str)) or node.value is None:
            self.issue(node, "KR103", "formula-construct", f"the constant `{node.value!r}` is not allowed")
        elif isinstance(node.value, (int, float)) and not isinstance(node.value, bool) and (
                abs(node.value) > MAX_NUMBER or (isinstance(node.value, float) and not math.isfinite(node.value))):
            self.issue(node, "KR119", "formula-limits", "this number is too large")

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Pow):
            exponent = node.right
            sign = ""
            if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.operand, ast.Constant):
                sign = "-" if isinstance(exponent.op, ast.USub) else ""
                exponent = exponent.operand
            if isinstance(exponent, ast.Constant) and isinstance(exponent.value, (int, float)) \
                    and abs(exponent.value) > MAX_POWER_EXPONENT:
                self.issue(node.right, "KR119", "formula-limits",
                           f"the exponent {sign}{exponent.value} is too large (at most {MAX_POWER_EXPONENT})")
            elif not isinstance(exponent, ast.Constant):
                value = constant_value(node.right)  # 9 ** 9 ** 9: the exponent is 9 ** 9
                if value is not None and not abs(value) <= MAX_POWER_EXPONENT:
                    self.issue(node.right, "KR119", "formula-limits",
                               f"the exponent is too large (at most {MAX_POWER_EXPONENT})")
        for operand in (node.left, node.right):
            self._number_needed(operand, "an arithmetic operator")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for k, op in enumerate(node.ops):
            if isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                for operand in operands[k:k + 2]:
                    self._number_needed(operand, "an ordering comparison (< <= > >=)")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, ast.Not):
            self._number_needed(node.operand, "a sign")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self.depth += 1  # a call nests like any operator: abs(abs(abs(...)))
        try:
            if not self._too_deep(node):
                self._call(node)
        finally:
            self.depth -= 1

    def _call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            self.generic_visit(node.func)
            return
        fname = node.func.id
        self.calls.add(fname)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self.issue(node, "KR103", "formula-construct",
                       f"`{fname}(...)` takes plain arguments, without `name=` or `*`")
        fewest, most = ARITY.get(fname, (0, None))
        if (fname in self.functions and fname not in SUGGESTION_FUNCTIONS
                and not fewest <= len(node.args) <= (most if most is not None else len(node.args))):
            count = f"{fewest}" if fewest == most else f"at least {fewest}" if most is None else f"{fewest} or {most}"
            self.issue(node, "KR118", "formula-type",
                       f"`{fname}` takes {count} value{'s' if count != '1' else ''}, not {len(node.args)}")
        if fname not in self.functions:
            self.issue(node.func, "KR105", "unknown-function", f"`{fname}` is not a function you can use here",
                       if_hint(node) or did_you_mean(fname, self.functions,
                                                     "available: " + ", ".join(sorted(self.functions))))
        self._constant_arguments(node, fname)
        if fname in SUGGESTION_FUNCTIONS:
            self._indicator_argument(node, fname)
        else:
            for arg in node.args:
                if fname in NUMERIC_FUNCTIONS:
                    self._number_needed(arg, f"`{fname}`")
                self.visit(arg)

    def _constant_arguments(self, node: ast.Call, fname: str) -> None:
        """Arguments written as plain numbers that can never work."""
        values = [number_of(a) for a in node.args]
        if fname == "clamp" and len(values) == 3 and values[1] is not None and values[2] is not None \
                and values[1] > values[2]:
            self.issue(node, "KR118", "formula-type",
                       f"clamp(x, lo, hi) needs lo <= hi, but {values[1]:g} > {values[2]:g}")
        if fname == "round" and len(values) == 2 and values[1] is not None and not (
                -15 <= values[1] <= 15 and values[1] == int(values[1])):
            self.issue(node, "KR118", "formula-type", "round(x, decimals) takes a whole number from -15 to 15")

    def _indicator_argument(self, node: ast.Call, fname: str) -> None:
        arg = node.args[0] if len(node.args) == 1 else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            self.issue(node, "KR118", "formula-type",
                       f"`{fname}` takes one indicator id in quotes, like {fname}('revenue')")
            return
        self.string_args.setdefault(fname, set()).add(arg.value)

    def _number_needed(self, node: ast.AST, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.issue(node, "KR118", "formula-type", f"the text {node.value!r} is used where {where} needs a number",
                       "only comparisons (==, !=) may use text")


def parse(source: str | int | float,
          functions: Iterable[str] = BASE_FUNCTIONS) -> tuple[Formula | None, list[FormulaIssue]]:
    """Parse and allow-list a formula. Returns the formula, or None and the issues."""
    if isinstance(source, bool):
        return None, [FormulaIssue("KR118", "formula-type", "a formula must be an expression, not true/false", 0)]
    text = repr(source) if isinstance(source, (int, float)) else str(source)
    if len(text) > MAX_LENGTH:
        return None, [FormulaIssue("KR119", "formula-limits",
                                   f"the formula is {len(text)} characters long (at most {MAX_LENGTH})", 0)]
    flat = _flat(text)
    lead = len(flat) - len(flat.lstrip())
    if not flat.strip():
        return None, [FormulaIssue("KR102", "formula-syntax", "the formula is empty", 0)]
    odd = odd_names(flat)
    if odd:  # Python would fold `𝐯𝐢𝐬𝐢𝐭𝐬` to `visits`: what runs must be what the policy shows
        return None, [FormulaIssue("KR104", "unknown-name", *odd_name_message(word, plain, offset))
                      for offset, word, plain in odd]
    try:
        tree = ast.parse(flat.strip(), mode="eval")
    except SyntaxError as exc:
        offset = max((exc.offset or 1) - 1, 0) + lead
        message, hint = exc.msg, "a formula is one expression, like `paid_users / registrations`"
        habit = syntax_hint(flat)
        if habit:  # `=bookings/quota`, `grade = 'D'`: say what an Excel user meant
            message, hint, offset = habit
        return None, [FormulaIssue("KR102", "formula-syntax", f"the formula cannot be read: {message}", offset, hint)]
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, [FormulaIssue("KR119", "formula-limits", f"the formula is too complex: {exc}", 0)]
    checker = _Checker(flat.strip(), frozenset(functions))
    checker.visit(tree)
    issues = [FormulaIssue(i.code, i.name, i.message, i.offset + lead, i.hint) for i in checker.issues]
    if issues:
        return None, issues
    return Formula(
        source=text,
        node=tree.body,
        names=frozenset(checker.names),
        calls=frozenset(checker.calls),
        string_args={k: frozenset(v) for k, v in checker.string_args.items()},
        name_offsets={k: v + lead for k, v in checker.name_offsets.items()},
    ), []
