"""The limits of a user report template (`--template-dir`), and the checks that apply them.

Per render (see `sandbox.py` for where they are checked):

- values: a string or list repeated by `*` may hold at most MAX_VALUE
  characters or items (a list, dict or set made any way, too); an integer
  built by `*` or `**` at most MAX_INT_BITS bits; a width (`center`,
  `indent`, `'%9999d'`, `'{:>9999}'`, ...) at most MAX_VALUE;
- output: the rendered text, any piece of it (a macro, a block, `~`, `+`, a
  filter's or method's result), and all that `{{ ... }}` prints (in macros
  and blocks too), at most OUTPUT_CHARS characters plus OUTPUT_PER_PERSON
  for each person in the report;
- time: TIME_SECONDS plus TIME_PER_PERSON for each person.

A result that can multiply its input (`join`, `replace`, `indent`, ...) is
estimated before it is built. docs/cli.md lists the limits for users.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn

import jinja2

MAX_VALUE = 10_000_000
MAX_INT_BITS = 100_000
OUTPUT_CHARS = 200_000_000
OUTPUT_PER_PERSON = 100_000
TIME_SECONDS = 60.0
TIME_PER_PERSON = 0.05
TICK_EVERY = 64  # loop iterations and output pieces between two looks at the clock


class TemplateLimitError(jinja2.TemplateRuntimeError):
    """A user template went over a size or time limit of the sandbox."""


@dataclass
class Budget:
    """The limits of one render: the output size and the moment it must be done by."""

    output_chars: int
    seconds: float
    deadline: float
    printed: int = 0

    @classmethod
    def for_people(cls, people: int) -> Budget:
        seconds = TIME_SECONDS + TIME_PER_PERSON * people
        return cls(OUTPUT_CHARS + OUTPUT_PER_PERSON * people, seconds, time.monotonic() + seconds)

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            refuse(f"the template ran longer than {self.seconds:g} s, the limit for this report")

    def count_printed(self, value: object) -> None:
        """`{{ ... }}` anywhere (macros and blocks too, which keep their text until they return)."""
        if isinstance(value, str):
            self.printed += len(value)
            if self.printed > self.output_chars:
                refuse(f"the template printed more than {self.output_chars:,} characters, the limit for this "
                       f"report")
        self.check_time()


_BUDGET: ContextVar[Budget | None] = ContextVar("kpi_rules_template_budget", default=None)


def start_budget(people: int) -> Any:
    """Start the budget of one render; returns the token for `end_budget`."""
    return _BUDGET.set(Budget.for_people(people))


def end_budget(token: Any) -> None:
    _BUDGET.reset(token)


def current_budget() -> Budget:
    return _BUDGET.get() or Budget.for_people(0)


def refuse(message: str) -> NoReturn:
    raise TemplateLimitError(message)


def _size(value: object) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) else None


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_output(size: int, what: str = "a piece of the output") -> None:
    limit = current_budget().output_chars
    if size > limit:
        refuse(f"{what} would be {size:,} characters long; the limit for this report is {limit:,}")


def check_width(value: object) -> None:
    if is_int(value) and abs(value) > MAX_VALUE:  # type: ignore[arg-type]
        refuse(f"a width or count of {value:,} is over the limit of {MAX_VALUE:,}")


_LONG_NUMBER = re.compile(r"\d{8,}")
_NESTED_FIELD = re.compile(r":[^{}]*\{")


def check_format(fmt: str, args: object) -> None:
    """`fmt % args` and `fmt.format(...)`: no width or precision beyond MAX_VALUE, written or passed."""
    for number in _LONG_NUMBER.findall(fmt):
        if len(number) > 9 or int(number) > MAX_VALUE:
            refuse(f"a format width or precision of {number} is over the limit of {MAX_VALUE:,}")
    if "*" in fmt or _NESTED_FIELD.search(fmt):
        values = args.values() if isinstance(args, dict) else args if isinstance(args, tuple) else (args,)
        for value in values:
            check_width(value)
            if isinstance(value, str) and len(value) < 40:
                check_format(value, ())


def check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        seq, times = (left, right) if is_int(right) else (right, left)
        size = _size(seq)
        if size is not None and is_int(times) and size * times > MAX_VALUE:
            refuse(f"`*` would make a value of {size * times:,} characters or items, "
                   f"over the limit of {MAX_VALUE:,}")
        if is_int(left) and is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            refuse(f"a product of more than {MAX_INT_BITS:,} bits is over the limit")
    elif operator == "**":
        if is_int(left) and is_int(right) and right > 0 and abs(left) > 1 \
                and right * math.log2(abs(left)) > MAX_INT_BITS:
            refuse(f"a power of more than {MAX_INT_BITS:,} bits is over the limit")
    elif operator == "+":
        a, b = _size(left), _size(right)
        if a is not None and b is not None:
            check_output(a + b)
    elif operator == "%" and isinstance(left, str):
        check_format(left, right)


# Estimates of a result's size before it is built, for the str methods and filters that can
# multiply their input: name -> check(bound arguments).

def _join_size(sep: object, items: object) -> None:
    if isinstance(sep, str) and isinstance(items, (list, tuple)):
        pieces = sum(len(x) for x in items if isinstance(x, str))
        check_output(pieces + len(sep) * max(len(items) - 1, 0))


def _replace_size(s: object, old: object, new: object) -> None:
    if isinstance(s, str) and isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
        hits = s.count(old) if old else len(s) + 1
        check_output(len(s) + hits * (len(new) - len(old)))


def _indent_size(s: object, width: object) -> None:
    check_width(width)
    per_line = len(width) if isinstance(width, str) else width if is_int(width) else 0
    if isinstance(s, str) and isinstance(per_line, int):
        check_output(len(s) + per_line * (s.count("\n") + 1))


def _tabs_size(s: object, tabsize: object) -> None:
    check_width(tabsize)
    if isinstance(s, str) and is_int(tabsize):
        check_output(len(s) + s.count("\t") * tabsize)  # type: ignore[operator]


METHOD_CHECKS: dict[str, Callable[..., None]] = {
    "center": lambda s, width, *rest: check_width(width),
    "ljust": lambda s, width, *rest: check_width(width),
    "rjust": lambda s, width, *rest: check_width(width),
    "zfill": lambda s, width: check_width(width),
    "expandtabs": lambda s, tabsize=8: _tabs_size(s, tabsize),
    "join": lambda sep, items: _join_size(sep, items),
    "replace": lambda s, old, new, count=-1: _replace_size(s, old, new),
}

FILTER_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "center": lambda a: check_width(a.get("width")),
    "indent": lambda a: _indent_size(a.get("s"), a.get("width", 4)),
    "format": lambda a: check_format(a["value"], a.get("kwargs") or a.get("args", ())),
    "replace": lambda a: _replace_size(a.get("s"), a.get("old"), a.get("new")),
    "join": lambda a: _join_size(a.get("d", ""), a.get("value")),
    "batch": lambda a: check_width(a.get("linecount")),
    "slice": lambda a: check_width(a.get("slices")),
    "wordwrap": lambda a: check_width(a.get("width")),
    "truncate": lambda a: check_width(a.get("length")),
    "tojson": lambda a: check_width(a.get("indent")),
}


def check_result(result: Any) -> Any:
    """A text may be as long as the output; a list, dict or set may hold MAX_VALUE items."""
    if isinstance(result, (str, bytes)):
        check_output(len(result), "a value")
    elif isinstance(result, (list, tuple, dict, set, frozenset)) and len(result) > MAX_VALUE:
        refuse(f"a list or mapping of {len(result):,} items is over the limit of {MAX_VALUE:,}")
    return result
