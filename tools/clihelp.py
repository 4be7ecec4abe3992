"""Regenerate the `$ kpi-rules ... --help` blocks of docs/cli.md from the real help, 80 columns
wide (`python tools/clihelp.py`; `--check` exits 1 when a block is out of step)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from click.testing import CliRunner

from kpi_rules.cli import main

CLI_MD = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
BLOCK = re.compile(r"(```console\n\$ kpi-rules ((?:[a-z-]+ )?)--help\n)(.*?)(```)", re.S)


def help_text(command: str) -> str:
    args = [*command.split(), "--help"]
    result = CliRunner().invoke(main, args, prog_name="kpi-rules", terminal_width=78)  # as COLUMNS=80
    assert result.exit_code == 0, result.output
    return result.output


def regenerate(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + help_text(m.group(2).strip()) + m.group(4), text)


def main_() -> int:
    text = CLI_MD.read_text(encoding="utf-8")
    new = regenerate(text)
    if "--check" in sys.argv[1:]:
        return int(new != text)
    CLI_MD.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
