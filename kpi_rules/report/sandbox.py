"""The sandbox for HR's own report templates (`--template-dir`): limits on size and time.

Jinja's SandboxedEnvironment keeps a template away from Python internals,
but not from exhausting the machine: `{{ 'a' * 10**10 }}` allocates tens of
GB, two nested loops over `range(100000)` run for hours. ReportSandbox
applies the limits of `limits.py`: it intercepts the operators `* ** + %`,
every call (methods and macros), every filter, every `{{ ... }}` (through
finalize), every `~`, every for loop (the compiled template passes each
loop's iterable through a guard) and the joining of output (`concat`). The
clock is read on each of those and every few loop iterations: no signals,
so it also works off the main thread.

A limit that is hit raises TemplateLimitError; `environment.render` turns it,
like any other error in a user template, into a ReportTemplateError naming
the template and line. The built-in templates run outside this sandbox.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import jinja2
import jinja2.nodes as nodes
import jinja2.sandbox
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.visitor import NodeTransformer

from kpi_rules.report.limits import (
    FILTER_CHECKS,
    METHOD_CHECKS,
    TICK_EVERY,
    TemplateLimitError,
    check_binop,
    check_format,
    check_output,
    check_result,
    current_budget,
    refuse,
)


def _filter_signature(func: Callable[..., Any]) -> inspect.Signature:
    """The filter's parameters after the context, eval context or environment Jinja passes first."""
    inner = inspect.unwrap(func)  # Jinja's async variants wrap the sync filter
    params = list(inspect.signature(inner).parameters.values())
    if getattr(inner, "jinja_pass_arg", None) is not None:
        params = params[1:]
    return inspect.Signature(params)


def _guarded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` with its size check first (if it has one), the clock, and the result's size after."""
    check = FILTER_CHECKS.get(name)
    signature = _filter_signature(func) if check else None
    passes = getattr(func, "jinja_pass_arg", None) is not None

    @functools.wraps(func)  # keeps `jinja_pass_arg` (pass_context, pass_eval_context)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        current_budget().check_time()
        if check is not None and signature is not None:
            lead, rest = (args[:1], args[1:]) if passes else ((), args)
            try:
                bound = signature.bind(*rest, **kwargs)
            except TypeError:
                pass  # the call itself reports the wrong arguments
            else:
                bound.apply_defaults()
                if name == "join" and not isinstance(bound.arguments.get("value"), (list, tuple, str)):
                    bound.arguments["value"] = list(bound.arguments["value"])  # sized, so it can be measured
                check(dict(bound.arguments))
                args, kwargs = (*lead, *bound.args), bound.kwargs
        return check_result(func(*args, **kwargs))

    return guarded


@jinja2.pass_context
def _loop_guard(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    """Wraps the iterable of every `{% for %}`: looks at the clock every few iterations."""
    budget = current_budget()
    for n, item in enumerate(iterable):
        if not n % TICK_EVERY:
            budget.check_time()
        yield item


@jinja2.pass_context
def _sized(context: Context, value: Any) -> Any:
    """Wraps every `a ~ b`: the joined text may be at most as long as the output."""
    return check_result(value)


def _counting(finalize: Callable[..., Any] | None) -> Callable[[Any], Any]:
    """Finalize that counts what `{{ ... }}` prints against the budget, after `finalize` if there is one."""
    def counted(value: Any) -> Any:
        shown = finalize(value) if finalize is not None else value
        current_budget().count_printed(shown)
        return shown

    return counted


class _Guards(NodeTransformer):
    """Routes every for loop's iterable through `_loop_guard` and every `~` through `_sized`."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "kr_loop_guard", [], [], None, None, lineno=node.iter.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, "kr_sized", [], [], None, None, lineno=node.lineno)


class _GuardedCodeGenerator(CodeGenerator):
    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        _Guards().visit(node)
        super().visit_Template(node, frame)


class ReportSandbox(jinja2.sandbox.SandboxedEnvironment):
    """The sandbox with the limits of `limits.py`; call `guard_filters()` once its filters are all added."""

    code_generator_class = _GuardedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)  # lipsum(n) writes n paragraphs: nothing a report needs
        self.finalize = _counting(self.finalize)

    def guard_filters(self) -> None:
        self.filters.update(kr_loop_guard=_loop_guard, kr_sized=_sized)
        for name, func in list(self.filters.items()):
            if name not in ("kr_loop_guard", "kr_sized"):
                self.filters[name] = _guarded_filter(name, func)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        current_budget().check_time()
        check_binop(operator, left, right)
        return check_result(self.binop_table[operator](left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        current_budget().check_time()
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by the sandbox
        owner = getattr(target, "__self__", None)
        name = getattr(target, "__name__", "")
        if isinstance(owner, str):
            if name in ("format", "format_map"):
                check_format(owner, args[0] if name == "format_map" and args else (*args, *kwargs.values()))
            elif name in METHOD_CHECKS:
                if name == "join" and args and not isinstance(args[0], (list, tuple, str)):
                    args = (list(args[0]), *args[1:])
                with contextlib.suppress(TypeError):  # wrong arguments: the call itself says so
                    METHOD_CHECKS[name](owner, *args, **kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(owner, (list, dict, set)):
            check_result(owner)  # append / extend / update grew it
        return check_result(result)

    def concat(self, parts: Iterable[str]) -> str:
        """The output of the template, a macro, a block or `{% set %}...{% endset %}`, within the limit."""
        if isinstance(parts, list):
            check_output(sum(map(len, parts)))
            return "".join(parts)
        budget, kept, total = current_budget(), [], 0
        for n, part in enumerate(parts):
            total += len(part)
            try:
                if total > budget.output_chars:
                    refuse(f"the output is longer than {budget.output_chars:,} characters, the limit for this "
                           f"report")
                if not n % TICK_EVERY:
                    budget.check_time()
            except TemplateLimitError as exc:
                if isinstance(parts, Generator):
                    parts.throw(exc)  # raised where the template is, so the error names its line
                raise
            kept.append(part)
        return "".join(kept)
