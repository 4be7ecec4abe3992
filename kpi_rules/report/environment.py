"""Jinja environments for the reports, and rendering with errors people can act on.

The default templates run in a plain Environment. With `--template-dir`,
HR's templates (looked up first, the defaults behind them) run in Jinja's
SandboxedEnvironment, so a template cannot reach Python internals. Both use
StrictUndefined: a typo is an error naming the template and the line.

Markdown output escapes every value it prints (HTML characters as entities,
Markdown punctuation with a backslash), so data never turns into markup.
"""

from __future__ import annotations

import re
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
from markupsafe import Markup

from ..problems import KpiRulesError
from ..resources import resource_dir
from .numbers import fmt_amount, fmt_num, fmt_pct, fmt_signed


class ReportTemplateError(KpiRulesError):
    """A report template could not be loaded or rendered; the message names the template and line."""


# Inline Markdown punctuation; values never start a line in the templates, so `#`, `-`, `+`, `>`
# (block markers) need no escape there.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")


def md_escape(value: object) -> Markup:
    """A value as literal Markdown text: `& < >` as entities, Markdown punctuation backslashed, one line."""
    if isinstance(value, Markup):
        return value
    text = re.sub(r"\s*[\r\n]+\s*", " ", str(value)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Markup(_MD_SPECIAL.sub(r"\\\1", text))


def md_code(value: object) -> Markup:
    """A value as a Markdown code span (formulas): literal inside, `|` escaped for tables."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def _md_finalize(value: object) -> object:
    return value if isinstance(value, Markup) else md_escape(value)


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
    if fmt == "md":
        options["finalize"] = _md_finalize
    env: jinja2.Environment
    if user_dir is None:
        env = jinja2.Environment(loader=defaults, **options)
    else:
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(user_dir), defaults])
        env = jinja2.sandbox.SandboxedEnvironment(loader=loader, **options)
    env.filters.update(amount=fmt_amount, num=fmt_num, pct=fmt_pct, signed=fmt_signed, fill=_fill)
    if fmt == "md":
        env.filters.update(md=md_escape, code=md_code)
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
    try:
        return environment(fmt, user_dir).get_template(template).render(context)
    except jinja2.TemplateNotFound as exc:
        raise ReportTemplateError(f"template not found: {exc.name} (looked in {', '.join(search)})") from exc
    except (jinja2.TemplateError, TypeError, ValueError, KeyError, AttributeError) as exc:
        where, line = _where(exc, search)
        place = f"{where}:{line}: " if where and line else f"{where}: " if where else f"{template}: "
        message = getattr(exc, "message", None) or str(exc)
        raise ReportTemplateError(f"{place}{type(exc).__name__}: {message}") from exc
