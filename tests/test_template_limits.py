"""User templates (`--template-dir`) cannot exhaust memory or time, and every error in
one is a ReportTemplateError naming the template and line (exit 1 from the CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from engine_helpers import run_files
from update_golden import CASES, SHEETS, evaluation

from kpi_rules.cli import main
from kpi_rules.report import ReportTemplateError, limits, render_employee_sheets, render_html, render_markdown

POLICY = """\
apiVersion: kpi-rules/v1
kind: AppraisalPolicy
metadata:
  id: mini
  title: Mini
  version: "1"
  effective: {from: 2024-01-01}
  locale: en
  owners: [hr@example.com]
cycle:
  period: quarter
inputs:
  sales: {type: number, min: 0}
  calls: {type: integer, min: 0, max: 1000}
indicators:
  sales: {label: Sales, formula: sales}
  calls: {label: Calls, formula: calls}
scales:
  lin:
    type: linear
    points: {floor: 60, target: 100, stretch: 120}
    below_floor: 0
roles:
  agent:
    label: Agent
    indicators:
      sales: {weight: 50%, floor: 80, target: 100, stretch: 120, scale: lin}
      calls: {weight: 50%, floor: 80, target: 100, stretch: 120, scale: lin}
grades:
  - {grade: A, min: 100, label: Good, coefficient: 1.2}
  - {grade: B, label: Meh, coefficient: 1}
"""
DATA = ("employee_id,name,role,team,period,sales,calls\n"
        "E1,Ann,agent,t1,2024-Q1,100,100\nE2,Bob,agent,t1,2024-Q1,90,110\n")


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "data.csv").write_text(DATA, encoding="utf-8")
    return tmp_path / "policy.yaml", tmp_path / "data.csv"


@pytest.fixture()
def mini(files: tuple[Path, Path]) -> Any:
    return run_files(*files)


def _template(tmp_path: Path, text: str, name: str = "report.md.j2") -> Path:
    folder = tmp_path / "tpl"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _error(mini: Any, tmp_path: Path, text: str) -> str:
    folder = _template(tmp_path, text)
    with pytest.raises(ReportTemplateError) as caught:
        render_markdown(mini, template_dir=folder)
    return str(caught.value).replace(f"{folder.resolve()}/", "")


W = "over the limit of 10,000,000"


@pytest.mark.parametrize(("text", "message"), [
    ("{{ 'a' * 10**10 }}", f"report.md.j2:1: TemplateLimitError: `*` would make a value of 10,000,000,000 "
                           f"characters or items, {W}"),
    ("x\n{{ ('a'*1000000) * 1000 }}", f"report.md.j2:2: TemplateLimitError: `*` would make a value of "
                                      f"1,000,000,000 characters or items, {W}"),
    ("{{ 10**8 * [0] }}", f"report.md.j2:1: TemplateLimitError: `*` would make a value of 100,000,000 characters "
                          f"or items, {W}"),
    ("{{ 7 ** 1000000 }}", "report.md.j2:1: TemplateLimitError: a power of more than 100,000 bits is over the limit"),
    ("{% set x = 2**90000 %}{{ x * x }}",
     "report.md.j2:1: TemplateLimitError: a product of more than 100,000 bits is over the limit"),
    ("{{ 'a' | center(10**10) }}", f"report.md.j2:1: TemplateLimitError: a width or count of 10,000,000,000 is {W}"),
    ("{{ 'a'.ljust(10**9) }}", f"report.md.j2:1: TemplateLimitError: a width or count of 1,000,000,000 is {W}"),
    ("{{ [1] | slice(10**9) | list }}", f"report.md.j2:1: TemplateLimitError: a width or count of 1,000,000,000 "
                                        f"is {W}"),
    ("{{ '%999999999d' % 1 }}", f"report.md.j2:1: TemplateLimitError: a format width or precision of 999999999 "
                                f"is {W}"),
    ("{{ '%*d' | format(999999999, 1) }}", f"report.md.j2:1: TemplateLimitError: a width or count of 999,999,999 "
                                           f"is {W}"),
    ("{{ '{:>{}}'.format(1, 999999999) }}", f"report.md.j2:1: TemplateLimitError: a width or count of 999,999,999 "
                                            f"is {W}"),
    ("{{ range(100000) | map('string') | join('a' * 5000000) }}",
     "report.md.j2:1: TemplateLimitError: a piece of the output would be 499,995,488,890 characters long; "
     "the limit for this report is 200,200,000"),
    ("{{ ('a' * 5000000) | replace('a', 'b' * 1000) }}",
     "report.md.j2:1: TemplateLimitError: a piece of the output would be 5,000,000,000 characters long; "
     "the limit for this report is 200,200,000"),
    ("{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "report.md.j2:1: TemplateLimitError: a value would be 268,435,456 characters long; "
     "the limit for this report is 200,200,000"),
    ("{% set l = [1] %}{% for i in range(40) %}{{ l.extend(l) or '' }}{% endfor %}",
     f"report.md.j2:1: TemplateLimitError: a list or mapping of 16,777,216 items is {W}"),
    ("{% for i in range(10**9) %}x{% endfor %}",
     "report.md.j2:1: OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
     "report.md.j2:1: RecursionError: nested too deeply (a macro that calls itself, or a template that extends "
     "or includes itself?)"),
    ("{% extends 'report.md.j2' %}",
     "report.md.j2:1: RecursionError: nested too deeply (a macro that calls itself, or a template that extends "
     "or includes itself?)"),
    ("ok\n{{ 1 / 0 }}", "report.md.j2:2: ZeroDivisionError: division by zero"),
    ("{{ (10 ** 5000) | string }}", "report.md.j2:1: ValueError: Exceeds the limit (4300 digits) for integer string "
                                    "conversion; use sys.set_int_max_str_digits() to increase the limit"),
    ("{{ lipsum(10**6) }}", "report.md.j2:1: UndefinedError: 'lipsum' is undefined"),
])
def test_a_template_over_a_limit_is_an_error_naming_template_and_line(mini: Any, tmp_path: Path, text: str,
                                                                      message: str) -> None:
    assert _error(mini, tmp_path, text) == message


def test_limits_leave_ordinary_templates_alone(mini: Any, tmp_path: Path) -> None:
    text = ("{% for x in [1, 2, 3] %}{{ x }}{% if not loop.last %},{% endif %}{% else %}none{% endfor %}"
            "|{% for x in [] %}x{% else %}empty{% endfor %}|{{ 'a' ~ 1 }}|{{ 'ab' * 3 }}|{{ 2 ** 10 }}"
            "|{{ '%5.2f' % 3.14159 }}|{{ '{:>4}'.format(7) }}|{{ [1, 2] | join('-') }}|{{ 'x' | center(5) }}"
            "|{{ '{}'.format(123456789012) }}|{{ 123456789012 | string }}|{{ people | length }}"
            "|{% for x in [[1, [2]], [3]] recursive %}[{% if x is iterable %}{{ loop(x) }}{% else %}{{ x }}"
            "{% endif %}]{% endfor %}|{{ 'a\nb' | indent(2, first=true) }}\n")
    assert render_markdown(mini, template_dir=_template(tmp_path, text)) == (
        "1,2,3|empty|a1|ababab|1024| 3.14|   7|1-2|  x  |123456789012|123456789012|2|[[1][[2]]][[3]]|  a\n  b\n")


def test_output_limit_names_the_line_that_went_over(mini: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "OUTPUT_CHARS", 1_000_000)
    literal = "a\nb\n{% for i in range(100000) %}{% for j in range(100) %}" + "x" * 1000 + "{% endfor %}{% endfor %}"
    assert _error(mini, tmp_path, literal) == ("report.md.j2:3: TemplateLimitError: the output is longer than "
                                               "1,200,000 characters, the limit for this report")
    printed = "{% for i in range(100000) %}\n{{ 'abcdefghij' * 100 }}{% endfor %}"
    assert _error(mini, tmp_path / "2", printed) == ("report.md.j2:2: TemplateLimitError: the template printed "
                                                     "more than 1,200,000 characters, the limit for this report")
    in_macro = "{% macro m() %}{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{% endmacro %}{{ m()[:1] }}"
    assert _error(mini, tmp_path / "3", in_macro) == ("report.md.j2:1: TemplateLimitError: the template printed "
                                                      "more than 1,200,000 characters, the limit for this report")


@pytest.mark.parametrize("text", [
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "{% set s = 'a' * 100000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(40) }}",
])
def test_a_template_running_too_long_is_stopped(mini: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                text: str) -> None:
    monkeypatch.setattr(limits, "TIME_SECONDS", 0.2)
    monkeypatch.setattr(limits, "TIME_PER_PERSON", 0.0)
    assert _error(mini, tmp_path, text) == ("report.md.j2:1: TemplateLimitError: the template ran longer than "
                                            "0.2 s, the limit for this report")


def test_limits_grow_with_the_number_of_people() -> None:
    budget = limits.Budget.for_people(1000)
    assert (budget.output_chars, budget.seconds) == (300_000_000, 110.0)


def test_default_templates_render_the_same_in_the_sandbox(tmp_path: Path) -> None:
    """With an empty --template-dir the defaults run sandboxed, guarded, and give the golden bytes."""
    for policy, data, period in CASES:
        ev = evaluation(policy, data, period)
        assert render_markdown(ev, template_dir=tmp_path) == render_markdown(ev)
        assert render_html(ev, template_dir=tmp_path) == render_html(ev)
    for policy, data, period, _ in SHEETS:
        ev = evaluation(policy, data, period)
        assert render_employee_sheets(ev, "html", template_dir=tmp_path) == render_employee_sheets(ev, "html")


@pytest.mark.parametrize(("text", "message"), [
    ("{{ 'a' * 10**10 }}", "TemplateLimitError: `*` would make a value of 10,000,000,000 characters or items, "
                           "over the limit of 10,000,000"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
     "RecursionError: nested too deeply (a macro that calls itself, or a template that extends or includes "
     "itself?)"),
])
def test_cli_prints_one_error_and_exits_1(files: tuple[Path, Path], tmp_path: Path, text: str,
                                         message: str) -> None:
    folder = _template(tmp_path, text)
    result = CliRunner().invoke(main, ["evaluate", str(files[0]), "--data", str(files[1]), "--format", "md",
                                       "--template-dir", str(folder)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {folder.resolve()}/report.md.j2:1: {message}\n"
    assert result.stdout == ""
