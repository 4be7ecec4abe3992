"""The user documentation stays in step with the code.

docs/checks.md is generated; docs/policy-reference.md is written by hand but
must mention every problem code, every top-level field and every formula
function, and its links and worked example must work.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kpi_rules.policy import formula
from kpi_rules.policy.codes import all_codes
from kpi_rules.policy.validate import validate_bytes
from tools.clihelp import BLOCK, regenerate
from tools.docgen import render_checks_md

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHECKS_MD = DOCS / "checks.md"
REFERENCE_MD = DOCS / "policy-reference.md"
CLI_MD = DOCS / "cli.md"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading anchor of a page, with GitHub's -1, -2 for repeats."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        match = re.match(r"^#{1,6} (.+)$", line)
        if match and not in_code:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            out.add(base if count == 0 else f"{base}-{count}")
    return out


def test_checks_md_is_up_to_date() -> None:
    assert read(CHECKS_MD) == render_checks_md(), (
        "docs/checks.md is out of date with the registered checks: run `python tools/docgen.py`"
    )


def test_checks_md_is_deterministic() -> None:
    assert render_checks_md() == render_checks_md()


def test_every_code_is_documented() -> None:
    text = read(REFERENCE_MD) + read(CHECKS_MD)
    missing = [c.code for c in all_codes() if c.code not in text]
    assert not missing, f"codes not mentioned in docs/policy-reference.md or docs/checks.md: {missing}"


def test_every_code_has_a_section_and_a_doc() -> None:
    text = read(CHECKS_MD)
    for code in all_codes():
        assert f"## {code.code} {code.name}\n" in text
        assert code.doc.strip(), f"{code.code} has no documentation (give the check a docstring)"


def test_every_top_level_field_is_in_the_reference() -> None:
    schema = json.loads(read(ROOT / "schemas" / "policy.schema.json"))
    text = read(REFERENCE_MD)
    headings = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    missing = [name for name in schema["properties"] if f"`{name}`" not in text and name not in headings]
    assert not missing, f"top-level fields not documented in docs/policy-reference.md: {missing}"


def test_every_formula_function_is_in_the_reference() -> None:
    text = read(REFERENCE_MD)
    functions = formula.BASE_FUNCTIONS | formula.AGGREGATE_FUNCTIONS | formula.SUGGESTION_FUNCTIONS
    missing = sorted(name for name in functions if f"`{name}(" not in text)
    assert not missing, f"formula functions without a `name(...)` entry in docs/policy-reference.md: {missing}"


@pytest.mark.parametrize("page", [REFERENCE_MD, CLI_MD, CHECKS_MD], ids=lambda p: p.name)
def test_links_to_anchors_resolve(page: Path) -> None:
    text = read(page)
    targets = {"": anchors(text), "checks.md": anchors(read(CHECKS_MD)),
               "policy-reference.md": anchors(read(REFERENCE_MD)), "cli.md": anchors(read(CLI_MD))}
    broken = []
    for target, anchor in re.findall(r"\]\(((?:[a-z-]+\.md)?)#([^)]+)\)", text):
        if anchor not in targets[target]:
            broken.append(f"{target}#{anchor}")
    assert not broken, f"links in docs/{page.name} to missing headings: {broken}"


def test_reference_links_every_code_to_checks_md() -> None:
    text = read(REFERENCE_MD)
    for code in all_codes():
        link = f"checks.md#{code.code.lower()}-{code.name}"
        assert link in text, f"docs/policy-reference.md does not link {code.code} to {link}"


def test_worked_example_policy_is_valid() -> None:
    match = re.search(r"<!-- worked-example-policy -->\n```yaml\n(.*?)```", read(REFERENCE_MD), re.S)
    assert match, "the worked example policy block is missing from docs/policy-reference.md"
    result = validate_bytes(match.group(1).encode("utf-8"), "worked-example.yaml")
    assert not result.problems, [f"{p.location} {p.code} {p.message}" for p in result.problems]


def test_cli_md_covers_every_command_and_option() -> None:
    from kpi_rules.cli import main

    text = read(CLI_MD)
    missing = []
    for name, command in sorted(main.commands.items()):
        if f"### kpi-rules {name}\n" not in text:
            missing.append(f"section `### kpi-rules {name}`")
        for param in command.params:
            missing += [f"{name} {opt}" for opt in param.opts if opt.startswith("--") and f"`{opt}" not in text]
    assert not missing, f"docs/cli.md does not document: {missing}"


def test_cli_md_help_blocks_are_the_real_help() -> None:
    """Each `$ kpi-rules ... --help` block of docs/cli.md is the command's help as printed with
    COLUMNS=80 (`python tools/clihelp.py` regenerates them)."""
    text = read(CLI_MD)
    assert len(BLOCK.findall(text)) == 8
    assert regenerate(text) == text, "docs/cli.md is out of step with --help: run python tools/clihelp.py"
