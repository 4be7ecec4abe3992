"""Jinja environments for the reports, and rendering with errors people can act on.

The default templates run in a plain Environment. With `--template-dir`,
HR's templates (looked up first, the defaults behind them) run in Jinja's
SandboxedEnvironment, so a template cannot reach Python internals, with
limits on size and time (`sandbox.py`). Both use StrictUndefined: a typo is
an error naming the template and the line; so is every other error a user
template runs into (recursion, overflow, a limit).

Markdown output escapes every value it prints (HTML characters as entities,
Markdown punctuation with a backslash), so data never turns into markup.
In both formats control characters in a printed value are shown as escapes
(ESC as `\\x1b`, see `messages.visible`).
"""

from __future__ import annotations

import re
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.common.resources import resource_dir
from kpi_rules.common.text import visible
from kpi_rules.report.limits import end_budget, start_budget
from kpi_rules.report.numbers import fmt_amount, fmt_num, fmt_pct, fmt_signed
from kpi_rules.report.sandbox import ReportSandbox


class ReportTemplateError(KpiRulesError):
    """A report template could not be loaded or rendered; the message names the template and line."""


# Inline Markdown punctuation; values never start a line in the templates, so `#`, `-`, `+`, `>`
# (block markers) need no escape there.
# `<` and `>` (HTML) are backslashed too; `&` only where it would start an entity (`&amp;`, `&#38;`),
# so the raw Markdown reads `Sales & Success`, not `Sales &amp; Success`.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$<>]|&(?=#?\w+;))")


def md_escape(value: object) -> Markup:
    """A value as literal Markdown text, one line: Markdown punctuation and HTML's `< >` backslashed,
    and `&` where it would start an entity; legible as raw text too."""
    if isinstance(value, Markup):
        return value
    return _md_text(str(value))


_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


@lru_cache(maxsize=65536)
def _md_text(text: str) -> Markup:
    """md_escape of a string, cached: a large report prints the same labels and numbers many times."""
    if "\n" in text or "\r" in text:
        text = _LINE_BREAKS.sub(" ", text)
    text = visible(text)
    if _MD_SPECIAL.search(text) is None:
        return Markup(text)
    return Markup(_MD_SPECIAL.sub(lambda m: "\\" + m[1], text))


def md_code(value: object) -> Markup:
    """A value as a Markdown code span (formulas): literal inside, `|` escaped for tables."""
    text = visible(" ".join(str(value).split())).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def _md_finalize(value: object) -> object:
    return value if isinstance(value, Markup) else md_escape(value)


def _html_finalize(value: object) -> object:
    """Strings get their control characters made visible; autoescape then does the rest."""
    return visible(value) if isinstance(value, str) and not isinstance(value, Markup) else value


_FIELD = re.compile(r"\{(\w+)\}")


def _fill(template: str, **values: object) -> str:
    """`t.key | fill(name=value)`: a catalogue sentence with its `{name}` fields filled in.

    Only plain `{name}` fields: str.format would let a template reach attributes (`{x.__class__}`).
    """
    def field(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise KeyError(f"fill: no value for {{{match[1]}}} in {template!r}")
        return str(values[match[1]])

    return _FIELD.sub(field, str(template))


def _default_dir() -> Path:
    return Path(str(resource_dir("templates")))


def _environment(fmt: str, user_dir: str | None) -> jinja2.Environment:
    defaults = jinja2.FileSystemLoader(str(_default_dir()))
    options: dict[str, Any] = {
        "autoescape": True, "undefined": jinja2.StrictUndefined, "keep_trailing_newline": True,
        "trim_blocks": True, "lstrip_blocks": True,
    }
    options["finalize"] = _md_finalize if fmt == "md" else _html_finalize
    env: jinja2.Environment
    if user_dir is None:
        env = jinja2.Environment(loader=defaults, **options)
    else:
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(user_dir), defaults])
        env = ReportSandbox(loader=loader, **options)
    env.filters.update(amount=fmt_amount, num=fmt_num, pct=fmt_pct, signed=fmt_signed, fill=_fill)
    if fmt == "md":
        env.filters.update(md=md_escape, code=md_code)
    if isinstance(env, ReportSandbox):
        env.guard_filters()
    return env


@lru_cache(maxsize=8)
def environment(fmt: str, user_dir: str | None = None) -> jinja2.Environment:
    """The environment for `md` or `html` output, cached (templates compile once per process)."""
    return _environment(fmt, user_dir)


def _where(exc: BaseException, search: list[str]) -> tuple[str | None, int | None]:
    """The template file and line an error happened at."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name, exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") or any(frame.filename.startswith(d) for d in search):
            return frame.filename, frame.lineno
    return None, None


def render(fmt: str, template: str, context: dict[str, Any], template_dir: str | Path | None = None) -> str:
    """Render `template` with `context`; a template problem becomes a ReportTemplateError."""
    user_dir = str(Path(template_dir).resolve()) if template_dir is not None else None
    search = [d for d in (user_dir, str(_default_dir())) if d]
    token = start_budget(len(context.get("people") or ())) if user_dir is not None else None
    try:
        return environment(fmt, user_dir).get_template(template).render(context)
    except jinja2.TemplateNotFound as exc:
        raise ReportTemplateError(f"template not found: {exc.name} (looked in {', '.join(search)})") from exc
    except Exception as exc:  # any error in a template (RecursionError, MemoryError, ...) is the template's
        raise _template_error(exc, template, search) from exc
    finally:
        if token is not None:
            end_budget(token)


# Python's own words for these vary with where the limit was hit, or are empty.
_PLAIN = {
    RecursionError: "nested too deeply (a macro that calls itself, or a template that extends or includes itself?)",
    MemoryError: "out of memory (the template builds values too large for this machine)",
}


def _template_error(exc: Exception, template: str, search: list[str]) -> ReportTemplateError:
    where, line = _where(exc, search)
    place = f"{where}:{line}: " if where and line else f"{where}: " if where else f"{template}: "
    message = _PLAIN.get(type(exc)) or getattr(exc, "message", None) or str(exc)
    return ReportTemplateError(f"{place}{type(exc).__name__}: {message}")
