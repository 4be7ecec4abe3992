"""Review reports (issue 4): golden files, Markdown structure, escaping, locale
purity, review sheets, sandboxed user templates and the CLI options."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from engine_helpers import run
from markdown_it import MarkdownIt
from update_golden import GOLDEN, ROOT, evaluation, golden_files

from kpi_rules.cli import main
from kpi_rules.report import (
    ReportTemplateError,
    employee_context,
    render_employee_sheets,
    render_html,
    render_markdown,
    report_context,
    sheet_filenames,
)
from kpi_rules.report.environment import md_code, md_escape
from kpi_rules.results.reasons import Reason, Word
from kpi_rules.results.report_words import EN, ZH, Labels, localize_reason

UPDATE = "run `.venv/bin/python tests/update_golden.py`, review `git diff tests/golden/`, and commit it"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return golden_files()


# ---------------------------------------------------------------------------
# Golden files: both formats, both locales, a period and a roll-up, review sheets
# ---------------------------------------------------------------------------

def test_golden_files_cover_both_locales_and_formats(rendered: dict[str, str]) -> None:
    assert {name.rsplit(".", 1)[1] for name in rendered} == {"md", "html"}
    assert any('lang="zh-CN"' in text for text in rendered.values())
    assert any('lang="en"' in text for text in rendered.values())


@pytest.mark.parametrize("name", sorted(golden_files()))
def test_report_matches_golden_file(rendered: dict[str, str], name: str) -> None:
    path = GOLDEN / name
    assert path.exists(), f"tests/golden/{name} is missing: {UPDATE}"
    expected = path.read_text(encoding="utf-8")
    if rendered[name] != expected:
        got, want = rendered[name].splitlines(), expected.splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        pytest.fail(f"tests/golden/{name} differs from the rendered report, first at line {first + 1}:\n"
                    f"  golden:   {want[first] if first < len(want) else '<end>'}\n"
                    f"  rendered: {got[first] if first < len(got) else '<end>'}\n"
                    f"If the change is intended, {UPDATE}.")


def test_rendering_is_deterministic() -> None:
    ev = evaluation("ops-department", "ops-2024.csv", "2024-Q2")
    assert render_html(ev) == render_html(ev)
    assert render_markdown(ev) == render_markdown(ev)


# ---------------------------------------------------------------------------
# Markdown: GFM tables that render, headings in order, no raw HTML
# ---------------------------------------------------------------------------

def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def _cells(line: str) -> int:
    """Cells in a GFM table line: unescaped pipes, outer ones not counted."""
    return len(re.split(r"(?<!\\)\|", line.strip().strip("|"))) if "|" in line else 0


def _check_markdown(text: str) -> dict[str, Any]:
    tokens = _parser().parse(text)
    lines = text.splitlines()
    html = [t for t in tokens if t.type == "html_block"]
    html += [c for t in tokens if t.children for c in t.children if c.type == "html_inline"]
    assert not html, f"raw HTML in Markdown: {html[0].content!r}"
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    assert levels[0] == 1 and levels.count(1) == 1, "one level-1 heading, first"
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"heading level jumps from {before} to {after}"
    tables = 0
    for i, tok in enumerate(tokens):
        if tok.type != "table_open":
            continue
        tables += 1
        assert tok.map is not None
        start, end = tok.map
        header = _cells(lines[start])
        assert header >= 2, lines[start]
        assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[start + 1].strip()), lines[start + 1]
        for line in lines[start:end]:
            assert _cells(line) == header, f"table row with {_cells(line)} cells, header has {header}: {line}"
        heads = 0
        for t in tokens[i:]:
            if t.type == "th_open":
                heads += 1
            if t.type == "thead_close":
                break
        assert heads == header
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    return {"tables": tables, "h2": headings}


@pytest.mark.parametrize("name", [n for n in sorted(golden_files()) if n.endswith(".md")])
def test_markdown_structure(rendered: dict[str, str], name: str) -> None:
    found = _check_markdown(rendered[name])
    t = ZH if name.startswith("ops-") else EN
    if name.count("-") <= 3:  # whole reports (the sheets have their own layout)
        sections = [t[k] for k in ("sec_overview", "sec_collaboration", "sec_individual", "sec_suggestions",
                                   "sec_problems", "sec_about")]
        assert found["h2"] == sections
        assert found["tables"] >= 20


def test_markdown_escapes_data() -> None:
    assert md_escape("a|b*c_d`e[f]") == r"a\|b\*c\_d\`e\[f\]"
    assert md_escape("<script>alert(1)</script> & co") == r"\<script\>alert(1)\</script\> & co"
    # Raw Markdown reads as the text: `&` is escaped only where it would start an entity.
    assert md_escape("Sales & Customer Success") == "Sales & Customer Success"
    assert md_escape("AT&T &amp; &#38;") == r"AT&T \&amp; \&#38;"
    for text in ("<script>alert(1)</script> & co", "AT&T &amp; &#38; &copy;", "<b>x</b> <!-- c --> a > b"):
        rendered = _parser().render(md_escape(text))
        assert rendered == "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>\n"
    assert md_escape("two\nlines") == "two lines" and md_escape(", ") == ", "
    assert md_code("a | b > c") == r"`a \| b > c`"
    assert md_code("x `y` z") == "``x `y` z``"


# ---------------------------------------------------------------------------
# A small policy of our own: escaping, ties, data problems, sandbox, CLI
# ---------------------------------------------------------------------------

POLICY = """\
inputs:
  x: {type: number, min: 0}
  peer_rating: {type: number, min: 1, max: 5, required: false}
indicators:
  x: {label: Output, formula: x}
scales:
  direct: {type: formula, formula: "clamp(value, 0, 120)"}
roles:
  r: {label: Analyst, indicators: {x: {weight: 100%, scale: direct}}}
distribution:
  scope: all
  mode: enforce
  min_group_size: 1
  quotas: {A: {max: 20%}}
suggestions:
  - {when: "final < 85", text: Agree on a plan.}
"""
EVIL = "<script>alert(1)</script>"


def _rows() -> list[Mapping[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"employee_id": "E1", "name": EVIL, "role": "r", "team": "t<b>", "x": 105, "peer_rating": 4},
        {"employee_id": "E2", "name": "Bea", "role": "r", "team": "t<b>", "x": 105, "peer_rating": 5},
        {"employee_id": "E3", "name": "Cy", "role": "r", "team": "u", "x": 90},
        {"employee_id": "E4", "name": "Di", "role": "r", "team": "u", "x": 80},
        {"employee_id": "E5", "name": "Ed", "role": "r", "team": "u", "x": 70},
        {"employee_id": "E6", "name": "Fay", "role": "r", "team": "u", "x": None},
    ]
    return [{**r, "period": "2024-Q1"} for r in rows]


@pytest.fixture()
def small(tmp_path: Path) -> Any:
    return run(tmp_path, POLICY, _rows())


def test_html_escapes_data(small: Any) -> None:
    html = render_html(small)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "t&lt;b&gt;" in html and "<b>" not in html
    md = render_markdown(small)
    assert r"\<script\>alert(1)\</script\>" in md and re.search(r"(?<!\\)<", md) is None
    shown = _parser().render(md)  # as GitHub shows it: the data as text, never as HTML
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script" not in shown
    _check_markdown(md)


@pytest.mark.parametrize("name", [n for n in sorted(golden_files()) if n.endswith(".html")])
def test_html_is_self_contained(rendered: dict[str, str], name: str) -> None:
    html = rendered[name]
    for forbidden in ("http://", "https://", "src=", "<script", "url(", "@import", "<link", "<iframe", "<img"):
        assert forbidden not in html, f"{name} contains {forbidden!r}"
    assert re.search(r'<html lang="(en|zh-CN)">', html)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media print" in html and "break-before:page" in html and "@media (max-width:600px)" in html
    assert "<svg" in html
    assert "<th>" not in html, "every header cell has a scope"


def test_ties_and_moves_are_called_out(small: Any) -> None:
    ctx = report_context(small)
    moves = ctx["distribution"]["groups"][0]["moves"]
    assert {m["employee_id"] for m in moves} == {"E1", "E2"} and all(m["tied"] for m in moves)
    md = render_markdown(small)
    assert EN["ties_note"].format(n=2) in md
    assert EN["move_tied"] in md


def test_data_problems_list_every_unrated_row(small: Any) -> None:
    ctx = report_context(small)
    assert [p["employee_id"] for p in ctx["problems"]] == ["E6"]
    assert "x" in ctx["problems"][0]["reasons"][0]
    assert "E6" in render_markdown(small).split(f"## {EN['sec_problems']}")[1]


def test_peer_review_figures_per_team(small: Any) -> None:
    peer = report_context(small)["collaboration"]["peer"]
    assert [p["input"] for p in peer] == ["peer_rating"]
    assert peer[0]["department"] == {"n": 2, "mean": 4.5, "median": 4.5, "min": 4, "max": 5}
    assert {t["team"]: t["n"] for t in peer[0]["teams"]} == {"t<b>": 2, "u": 0}


def test_timestamp_only_when_asked(small: Any) -> None:
    assert EN["generated"] not in render_markdown(small)
    stamp = "2024-07-01T09:30:00+08:00"
    assert stamp in render_markdown(small, timestamp=stamp) and stamp in render_html(small, timestamp=stamp)


# ---------------------------------------------------------------------------
# Locales: no English in a zh-CN report, no Chinese in an en one (data aside)
# ---------------------------------------------------------------------------

def test_catalogues_have_the_same_keys_and_fields() -> None:
    assert set(EN) == set(ZH)
    for key in EN:
        assert set(re.findall(r"\{(\w+)\}", EN[key])) == set(re.findall(r"\{(\w+)\}", ZH[key])), key
        assert not CJK.search(EN[key]), key


def _visible(text: str) -> str:
    """What a reader sees: text and labelling attributes, without CSS and markup."""
    text = re.sub(r"<style>.*?</style>", "", text, flags=re.S)
    labels = re.findall(r'aria-label="([^"]*)"', text)
    return re.sub(r"<[^>]+>", " ", text) + "\n".join(labels)


def _english_fragments() -> set[str]:
    """Literal English pieces of the en catalogue that the zh-CN one does not share (e.g. SHA-256)."""
    zh_text = "\n".join(ZH.values())
    out = set()
    for value in EN.values():
        for piece in re.split(r"\{\w+\}", value):
            piece = piece.strip(" .,;:()")
            if len(piece) >= 4 and re.search(r"[A-Za-z]{3}", piece) and piece not in zh_text:
                out.add(piece)
    return out


@pytest.mark.parametrize("name", [n for n in sorted(golden_files()) if n.startswith("ops-")])
def test_zh_report_has_no_english_labels(rendered: dict[str, str], name: str) -> None:
    text = _visible(rendered[name])
    leaks = sorted(f for f in _english_fragments() if re.search(rf"(?<![A-Za-z_]){re.escape(f)}(?![A-Za-z_])", text))
    assert not leaks, f"English template words in {name}: {leaks}"


@pytest.mark.parametrize("name", [n for n in sorted(golden_files()) if n.startswith("customer-")])
def test_en_report_has_no_chinese(rendered: dict[str, str], name: str) -> None:
    found = CJK.search(rendered[name])  # CSS font names are ASCII, so the whole file is checked
    assert not found, f"{name}: {rendered[name][max(0, found.start() - 40):found.end() + 40]!r}"


def test_engine_reasons_in_the_reports_words() -> None:
    zh, en = Labels("zh-CN"), Labels("en")
    bonus = Reason("adjustment_unknown", kind=Word("bonus"), id="x")
    assert localize_reason(bonus, zh) == "加分项「x」未计入:其条件读取的数据缺失"
    assert localize_reason(bonus, en) == "bonus `x` not applied: a value it reads is missing" == bonus
    period = Reason("rollup_period", period="2024-Q2", line=66, status=Word("not_rated"), why=[Reason("not_eligible")])
    assert localize_reason(period, zh) == "2024-Q2(第66行):未评定:本期不符合参与考核的条件"
    assert localize_reason(Reason("rollup_too_few", count=1, needed=2), zh) == "已评定1期,总评至少需要2期"
    cell = Reason("cell", column="x", line=7, problem=Reason("not_number", value="'abc'"))
    assert localize_reason(cell, zh) == "第7行「x」列:'abc' 不是数字"
    assert localize_reason(cell, en) == "column `x`: 'abc' is not a number (line 7)"
    assert localize_reason("本季度在岗不足45天", en) == "本季度在岗不足45天"  # the policy's own words stay


# ---------------------------------------------------------------------------
# Review sheets: one person's results, their team's figures, nobody else's
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["md", "html"])
def test_sheets_hold_only_their_employee(fmt: str) -> None:
    ev = evaluation("ops-department", "ops-2024.csv", "2024-Q2")
    rows = ev.result.employees()
    ids = {str(r["employee_id"]) for r in rows}
    names = {str(r["employee_id"]): str(r["name"]) for r in rows}
    sheets = render_employee_sheets(ev, fmt)
    assert set(sheets) == ids
    for emp, text in sheets.items():
        present = {other for other in ids if re.search(rf"(?<![A-Za-z0-9]){other}(?![0-9])", text)}
        assert present == {emp}, f"sheet {emp} names {sorted(present - {emp})}"
        assert names[emp] in text
        assert not [n for e, n in names.items() if e != emp and n in text], emp


def test_sheet_context_has_team_aggregates_only() -> None:
    ev = evaluation("ops-department", "ops-2024.csv", "2024-Q2")
    ctx = employee_context(report_context(ev), "E012")
    assert [p["employee_id"] for p in ctx["people"]] == ["E012"]
    assert ctx["team_overview"]["team"] == "content" and ctx["team_overview"]["headcount"] == 10
    assert "people" not in ctx["team_overview"] and "distribution" not in ctx
    assert "min_final" not in ctx["team_overview"] and "max_final" not in ctx["team_overview"]


def test_sheet_filenames_are_safe() -> None:
    names = sheet_filenames(["E001", "../../etc/passwd", "e001", "a/b", ".hidden", "a_b", "A_B"])
    assert names == {"E001": "E001", "../../etc/passwd": "_.._etc_passwd", "e001": "e001~2", "a/b": "a_b~2",
                     ".hidden": "hidden", "a_b": "a_b", "A_B": "A_B~3"}  # a_b.md is always a_b's sheet; a_b~2 is a/b's
    # At most 200 bytes, cut on a character boundary: 300 ASCII or 80 Chinese characters still make a file.
    long = sheet_filenames(["x" * 300, "王" * 80, "x" * 301])
    assert long == {"x" * 300: "x" * 200, "王" * 80: "王" * 66, "x" * 301: "x" * 200 + "~2"}
    assert len(long["王" * 80].encode()) == 198


# ---------------------------------------------------------------------------
# User templates: overrides, sandbox, errors naming the template and line
# ---------------------------------------------------------------------------

def test_user_template_overrides_one_partial(small: Any, tmp_path: Path) -> None:
    user = tmp_path / "tpl"
    (user / "partials" / "md").mkdir(parents=True)
    (user / "partials" / "md" / "problems.md.j2").write_text("Custom problems: {{ problems | length }}\n")
    md = render_markdown(small, template_dir=user)
    assert "Custom problems: 1\n" in md and f"## {EN['sec_overview']}" in md


def test_sandbox_blocks_python_internals(small: Any, tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text("# x\n{{ ''.__class__.__mro__ }}\n")
    with pytest.raises(ReportTemplateError, match=r"report\.md\.j2:2: SecurityError"):
        render_markdown(small, template_dir=tmp_path)


def test_fill_filter_reaches_no_attributes(small: Any, tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text('{{ "{x.__class__} {x}" | fill(x=1) }}\n')
    out = render_markdown(small, template_dir=tmp_path)
    assert "int" not in out and out.endswith(" 1\n")


def test_undefined_name_is_an_error_with_template_and_line(small: Any, tmp_path: Path) -> None:
    (tmp_path / "report.html.j2").write_text("<p>\n{{ header.title }}\n{{ header.titel }}\n</p>\n")
    with pytest.raises(ReportTemplateError, match=r"report\.html\.j2:3: UndefinedError: .*titel"):
        render_html(small, template_dir=tmp_path)


def test_error_in_an_included_partial_names_the_partial(small: Any, tmp_path: Path) -> None:
    (tmp_path / "partials" / "md").mkdir(parents=True)
    (tmp_path / "partials" / "md" / "header.md.j2").write_text("ok\n\n{{ t.no_such_label }}\n")
    with pytest.raises(ReportTemplateError, match=r"partials/md/header\.md\.j2:3: UndefinedError"):
        render_markdown(small, template_dir=tmp_path)


def test_syntax_error_names_template_and_line(small: Any, tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text("# x\n\n{% for p in people %}\n")
    with pytest.raises(ReportTemplateError, match=r"report\.md\.j2:3: TemplateSyntaxError"):
        render_markdown(small, template_dir=tmp_path)


def test_default_templates_are_strict(small: Any) -> None:
    ctx = report_context(small)
    del ctx["header"]["title"]
    from kpi_rules.report.environment import render

    with pytest.raises(ReportTemplateError, match=r"report\.md\.j2:\d+: UndefinedError"):
        render("md", "report.md.j2", ctx)


# ---------------------------------------------------------------------------
# CLI: --format md|html, --template-dir, --timestamp, --per-employee
# ---------------------------------------------------------------------------

OPS = [str(ROOT / "policies" / "ops-department.yaml"), "--data", str(ROOT / "examples" / "ops-2024.csv"),
       "--period", "2024-Q2"]


def test_cli_writes_reports_and_sheets(tmp_path: Path) -> None:
    for fmt in ("md", "html"):
        result = CliRunner().invoke(main, ["evaluate", *OPS, "--format", fmt, "--out", f"{tmp_path}/",
                                           "--per-employee"])
        assert result.exit_code == 0, result.output
        report = tmp_path / f"ops-department-2024-Q2.{fmt}"
        assert report.read_text(encoding="utf-8") == (GOLDEN / report.name).read_text(encoding="utf-8")
        sheets = sorted((tmp_path / "employees" / "2024-Q2").glob(f"*.{fmt}"))
        assert len(sheets) == 40 and (tmp_path / "employees" / "2024-Q2" / f"E012.{fmt}").exists()


def test_cli_markdown_to_stdout_with_timestamp() -> None:
    result = CliRunner().invoke(main, ["evaluate", *OPS, "--format", "md", "--timestamp"])
    assert result.exit_code == 0
    assert re.search(rf"\| {ZH['generated']} \| \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d", result.stdout)


@pytest.mark.parametrize("args", [["--format", "json", "--timestamp"], ["--format", "csv", "--template-dir", "."],
                                  ["--format", "md", "--per-employee"]])
def test_cli_report_options_misused(args: list[str]) -> None:
    result = CliRunner().invoke(main, ["evaluate", *OPS, *args])
    assert result.exit_code == 2, result.output


def test_cli_template_error_exits_1_naming_the_template(tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text("{{ nope }}\n")
    result = CliRunner().invoke(main, ["evaluate", *OPS, "--format", "md", "--template-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "report.md.j2:1" in result.stderr and "nope" in result.stderr


def test_worked_example_renders() -> None:
    """The worked example: no `name` column, one employee, a team coefficient, an input named `peer`."""
    from engine_helpers import run_files

    worked = ROOT / "tests" / "examples" / "worked"
    ev = run_files(worked / "policy.yaml", worked / "data.csv")
    md, html = render_markdown(ev), render_html(ev)
    _check_markdown(md)
    assert "106.85" in md and "106.85" in html
    peer = report_context(ev)["collaboration"]["peer"]
    assert [(p["input"], p["department"]["n"], p["department"]["mean"]) for p in peer] == [("peer", 1, 3.8)]


def test_a_grade_without_a_label_is_named_once(small: Any) -> None:
    # The test policy's grades have no labels: `| Grade | A |`, not `| Grade | A A |`.
    md = render_markdown(small)
    assert re.search(r"\| Grade \| [SABCD] \|", md) and not re.search(r"\| Grade \| ([SABCD]) \1 \|", md)
    assert not re.search(r'<td class="n">([SABCD]) \1</td>', render_html(small))
