"""The rows of a large report's per-team tables (`partials/*/people_compact`), printed in Python.

A report of 50,000 people prints 50,000 table rows; a Jinja expression per cell made that most of the
report's time. Here each row is one f-string, numbers are formatted a column at a time, and every
cell is escaped exactly as the template's `{{ ... }}` would escape it (the Markdown escaping of
`md_escape`; in HTML, control characters made visible, then HTML-escaped), so the text is the same,
byte for byte, as the template's own loop, which stays for reports rendered with `--template-dir`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from kpi_rules.common.text import visible
from kpi_rules.report.environment import md_escape
from kpi_rules.report.numbers import fmt_num, fmt_num_column

Row = dict[str, Any]


def _html(value: object) -> str:
    """What `{{ value }}` prints in the HTML report: `_html_finalize`, then autoescape."""
    if isinstance(value, str) and not isinstance(value, Markup):
        value = visible(value)
    return str(escape(value))


def _md(value: object) -> str:
    """What `{{ value }}` prints in the Markdown report (`_md_finalize`; autoescape keeps Markup)."""
    return str(md_escape(value))


def _finals(people: list[Row]) -> list[str]:
    edges = people[0]["final_edges"] if people else []
    if all(p["final_edges"] == edges for p in people):
        return fmt_num_column([p["final"] for p in people], 2, edges)
    return [fmt_num(p["final"], 2, p["final_edges"]) for p in people]


def _change(p: Row, e: Callable[[object], str]) -> str:
    """` (B → A)` after the grade: the distribution's applied move, else the calibration."""
    move = p["move"]
    if move and move["applied"]:
        return f" ({e(move['from'])} → {e(move['to'])})"
    if p["calibration"]:
        return f" ({e(p['calibration']['before'])} → {e(p['grade'])})"
    return ""


def _below(p: Row, sep: str) -> object:
    """`{{ p["below"] | join(t.list_sep) if p["below"] else "—" }}` before printing (labels are plain text)."""
    return sep.join(str(label) for label in p["below"]) if p["below"] else "—"


def _memo(escape_one: Callable[[object], str]) -> Callable[[object], str]:
    """`escape_one` remembering its strings: most cells (roles, statuses, grades, figures) repeat."""
    seen: dict[str, str] = {}

    def cell(value: object) -> str:
        if type(value) is not str:
            return escape_one(value)
        text = seen.get(value)
        if text is None:
            text = seen[value] = escape_one(value)
        return text

    return cell


def _md_rows(people: list[Row], finals: list[str], pays: list[str], sep: str) -> list[str]:
    e = _memo(_md)
    return [f"| {e(p['who'])} | {e(p['role_label'])} | {e(p['status_label'])} | {e(final)} | "
            f"{e(p['grade'] or '—')}{_change(p, e)} | {e(pay)} | {e(_below(p, sep))} |"
            for p, final, pay in zip(people, finals, pays)]


def _html_rows(people: list[Row], finals: list[str], pays: list[str], sep: str) -> list[str]:
    e = _memo(_html)
    out = []
    for p, final, pay in zip(people, finals, pays):
        grade = (f'<span class="grade tone-{e(p["grade_tone"])}">{e(p["grade"])}</span>{_change(p, e)}'
                 if p["rated"] else "—")
        out.append(f'<tr id="{e(p["anchor"])}"><th scope="row">{e(p["who"])}</th><td>{e(p["role_label"])}</td>'
                   f'<td>{e(p["status_label"])}</td><td class="n">{e(final)}</td><td>{grade}</td>'
                   f'<td class="n">{e(pay)}</td><td>{e(_below(p, sep))}</td></tr>')
    return out


def add_table_rows(context: dict[str, Any], fmt: str) -> None:
    """Each group of `people_by_team` gets `rows`: its table's rows, printed (one line each, joined by
    newlines), for the default `people_compact` partial to print at once."""
    groups = context.get("people_by_team") or []
    people = [p for g in groups for p in g["people"]]
    if not people:
        return
    finals, pays = _finals(people), fmt_num_column([p["pay_coefficient"] for p in people])
    sep = context["t"]["list_sep"]
    lines = (_md_rows if fmt == "md" else _html_rows)(people, finals, pays, sep)
    start = 0
    for g in groups:
        end = start + len(g["people"])
        g["rows"] = Markup("\n".join(lines[start:end]))
        start = end
