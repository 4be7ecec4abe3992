"""Checks on formulas: syntax, allowed constructs, names, cycles."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from kpi_rules.common.suggest import did_you_mean
from kpi_rules.policy import formula as fx
from kpi_rules.policy.checks.context import SUGGESTION_NAMES as SUGGESTION_ONLY
from kpi_rules.policy.checks.context import Context
from kpi_rules.policy.checks.registry import Finding, check
from kpi_rules.policy.problems import JsonPath


def _issues(ctx: Context, code: str) -> Iterator[Finding]:
    for path, issues in ctx.issues.items():
        for issue in issues:
            if issue.code == code:
                yield Finding(path, issue.message, issue.hint, offset=issue.offset)


@check("KR102", "formula-syntax")
def formula_syntax(ctx: Context) -> Iterator[Finding]:
    """A formula must be one readable expression.

    ```yaml
    formula: paid_users / / registrations   # KR102: cannot be read
    ```
    """
    yield from _issues(ctx, "KR102")


@check("KR103", "formula-construct")
def formula_construct(ctx: Context) -> Iterator[Finding]:
    """Formulas may only use numbers, text in quotes, names, `+ - * / // % **`,
    comparisons, `and`/`or`/`not`, `x if c else y` and the listed functions.
    Attribute access (`a.b`), subscripts (`a[0]`), comprehensions, lambdas,
    assignments (`:=`), lists, keyword arguments and the like are refused, with
    the column where they start.

    ```yaml
    formula: revenue.__class__        # KR103: attribute access
    ```
    """
    yield from _issues(ctx, "KR103")


@check("KR105", "unknown-function")
def unknown_function(ctx: Context) -> Iterator[Finding]:
    """A formula calls a function that is not available where it stands.

    Everywhere: `min max abs round clamp safe_div coalesce`. Team indicators
    add `sum mean min max count median`; suggestions add
    `score('id') actual('id') achievement('id')`.

    ```yaml
    formula: avg(revenue)     # KR105: did you mean `mean`? (team indicators)
    ```
    """
    yield from _issues(ctx, "KR105")


@check("KR118", "formula-type")
def formula_type(ctx: Context) -> Iterator[Finding]:
    """Text is used where a number is needed (`'abc' * 2`, `max('a', 1)`), or a
    score function is not given one indicator id in quotes.

    ```yaml
    when: "'high' * 2 > 1"     # KR118
    ```
    Text columns (`role`, `team`, string inputs, and `grade` in suggestions)
    follow the same rule: they may be compared with `==` and `!=` only.

    ```yaml
    when: role > 'b'           # KR118: text cannot be ordered
    ```
    """
    yield from _issues(ctx, "KR118")
    for site in ctx.sites:
        parsed = ctx.parsed.get(site.path)
        if parsed is not None and site.kind != "scale":
            texts = ctx.text_names | ({"grade"} if site.kind == "suggestion" else set())
            if site.kind in ("indicator", "points", "team"):
                for node in _text_results(parsed.node, texts):
                    what = f"`{node.id}`" if isinstance(node, ast.Name) else f"the text {node.value!r}"
                    yield Finding(site.path, f"this formula can give {what}, but it must give a number",
                                  "give a number on every branch, e.g. `x if x > 0 else 0`",
                                  offset=parsed.offset_of(node))
            for node, where in _text_misuses(parsed.node, texts):
                yield Finding(site.path, f"`{node.id}` is text, and {where} needs a number",
                              "text may only be compared with == or !=, e.g. role == 'ops_manager'",
                              offset=parsed.offset_of(node))


def _text_results(node: ast.expr, texts: set[str] | frozenset[str]) -> Iterator[ast.Name | ast.Constant]:
    """The text values a formula can give as its result (through `x if c else y`, `and`, `or`)."""
    if (isinstance(node, ast.Constant) and isinstance(node.value, str)) or (
            isinstance(node, ast.Name) and node.id in texts):
        yield node
    elif isinstance(node, ast.IfExp):
        yield from _text_results(node.body, texts)
        yield from _text_results(node.orelse, texts)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _text_results(value, texts)


def _text_misuses(tree: ast.expr, texts: set[str] | frozenset[str]) -> Iterator[tuple[ast.Name, str]]:
    """Names of text columns used with <, >, arithmetic, a sign or a numeric function."""
    def text_name(node: ast.AST) -> ast.Name | None:
        return node if isinstance(node, ast.Name) and node.id in texts else None

    for node in ast.walk(tree):
        found: list[tuple[ast.AST, str]] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for k, op in enumerate(node.ops):
                if isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                    found += [(side, f"`{_SYMBOLS[type(op)]}`") for side in operands[k:k + 2]]
        elif isinstance(node, ast.BinOp):
            found += [(node.left, "arithmetic"), (node.right, "arithmetic")]
        elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
            found.append((node.operand, "a sign"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in fx.NUMERIC_FUNCTIONS:
            found += [(arg, f"`{node.func.id}`") for arg in node.args]
        seen: set[int] = set()
        for operand, where in found:
            name = text_name(operand)
            if name is not None and id(name) not in seen:
                seen.add(id(name))
                yield name, where


_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


@check("KR119", "formula-limits")
def formula_limits(ctx: Context) -> Iterator[Finding]:
    """A formula is too long (over 2000 characters), too deeply nested, or raises
    a number to a huge constant power (`2 ** 1000`): such formulas would
    exhaust memory or time, and no appraisal needs them.
    """
    yield from _issues(ctx, "KR119")


@check("KR104", "unknown-name")
def unknown_name(ctx: Context) -> Iterator[Finding]:
    """A formula reads a name that is neither an input, an indicator, nor a
    reserved column (`employee_id role name team period`). Scale formulas read
    `value target floor stretch achievement`; suggestions may also read `final`
    and `grade`. The hint names the closest known name.

    A name must be written exactly as declared, in plain letters: one typed
    with look-alike letters (mathematical bold `𝐯𝐢𝐬𝐢𝐭𝐬`, full-width
    `ｖｉｓｉｔｓ`) or holding an invisible character (a zero-width space) is
    refused too, and the hint shows the plain name.

    ```yaml
    formula: paid_user / registrations   # KR104: did you mean `paid_users`?
    ```
    """
    yield from _issues(ctx, "KR104")  # names written with look-alike letters or invisible characters
    for site in ctx.sites:
        parsed = ctx.parsed.get(site.path)
        if parsed is None:
            continue
        allowed = ctx.allowed_names(site)
        for name in sorted(parsed.names - allowed):
            if site.kind == "scale":
                message = f"`{name}` is not one of the names a scale formula reads"
                fallback = "a scale formula reads only value, target, floor, stretch and achievement"
            elif name in SUGGESTION_ONLY:
                message = f"`{name}` is only known in suggestions"
                fallback = "final, grade, individual, team_score, bonus and deduction are read by suggestions only"
            else:
                message = f"`{name}` is not defined as an input or indicator"
                fallback = "declare it under `inputs:` or `indicators:`"
            yield Finding(site.path, message, did_you_mean(name, allowed, fallback),
                          offset=parsed.name_offsets.get(name, 0))
        for fname, ids in parsed.string_args.items():
            known = set(ctx.indicators) | set(ctx.team.get("indicators", {}))
            for ind_id in sorted(ids - known):
                offset = parsed.source.find(ind_id)
                yield Finding(site.path, f"`{fname}('{ind_id}')` names an unknown indicator",
                              did_you_mean(ind_id, known), offset=max(offset, 0))


def indicator_graph(ctx: Context) -> dict[str, set[str]]:
    """Indicator -> the indicators its formula reads. A name that is also an
    input means the input (so `visits: {formula: visits}` reads the data)."""
    graph: dict[str, set[str]] = {}
    for ind_id in ctx.indicators:
        parsed = ctx.parsed.get(("indicators", ind_id, "formula"))
        names = parsed.names if parsed else frozenset()
        graph[ind_id] = {n for n in names if n in ctx.indicators and n not in ctx.inputs}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle once, as a path that returns to its start."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


@check("KR106", "indicator-cycle")
def indicator_cycle(ctx: Context) -> Iterator[Finding]:
    """Indicators that depend on each other in a circle can never be computed.
    The message names the whole cycle.

    ```yaml
    a: {formula: b * 2}
    b: {formula: a + 1}     # KR106: a -> b -> a
    ```
    """
    for cycle in find_cycles(indicator_graph(ctx)):
        yield Finding(("indicators", cycle[0], "formula"),
                      "indicators depend on each other in a cycle: " + " -> ".join(cycle),
                      "one of these formulas must read inputs instead")


@check("KR125", "team-aggregate")
def team_aggregate(ctx: Context) -> Iterator[Finding]:
    """A team indicator aggregates the team's rows: every input or indicator it
    names must sit inside `sum mean min max count median`, and an aggregate
    is not nested in another. An aggregate takes one value per row: a column
    (`sum(revenue)`) or a row-level expression of columns (`sum(revenue * 2)`,
    `mean(paid_users / registrations)`). (Two or more arguments to `sum`,
    `mean`, `count` or `median` are KR118: they take one.)

    ```yaml
    team_revenue: {formula: revenue * 2}       # KR125: use sum(revenue) * 2
    ```
    """
    for site in ctx.sites:
        parsed = ctx.parsed.get(site.path)
        if site.kind != "team" or parsed is None:
            continue
        yield from _bare_names(site.path, parsed.node, parsed, inside=False)


def _bare_names(path: JsonPath, node: ast.AST, parsed: fx.Formula, inside: bool) -> Iterator[Finding]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        aggregate = node.func.id in fx.AGGREGATE_FUNCTIONS - {"min", "max"} or (
            node.func.id in ("min", "max") and len(node.args) == 1)
        if aggregate and (len(node.args) != 1 or inside):
            yield Finding(path, f"`{node.func.id}` takes one column of the team's rows, like {node.func.id}(revenue)",
                          offset=_offset(parsed, node))
            return
        for arg in node.args:
            yield from _bare_names(path, arg, parsed, inside or aggregate)
        return
    if isinstance(node, ast.Name) and not inside:
        yield Finding(path, f"`{node.id}` must be aggregated over the team, like sum({node.id}) or mean({node.id})",
                      offset=_offset(parsed, node))
        return
    for child in ast.iter_child_nodes(node):
        yield from _bare_names(path, child, parsed, inside)


def _offset(parsed: fx.Formula, node: ast.AST) -> int:
    lead = len(parsed.source) - len(parsed.source.lstrip())
    raw = getattr(node, "col_offset", 0)
    return lead + len(parsed.source.strip().encode("utf-8")[:raw].decode("utf-8", errors="ignore"))
