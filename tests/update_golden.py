#!/usr/bin/env python3
"""Write the golden report files in tests/golden/ from the example data.

    .venv/bin/python tests/update_golden.py        # from the repository root

Run it after an intended change to the templates, the report context or the
example data, review `git diff tests/golden/`, and commit the result with the
change. tests/test_reports.py compares the reports byte for byte with these.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(ROOT))

from kpi_rules.data.readers import read_table  # noqa: E402
from kpi_rules.data.table import type_table  # noqa: E402
from kpi_rules.engine import Evaluation, evaluate  # noqa: E402
from kpi_rules.policy.calibration import load_calibration  # noqa: E402
from kpi_rules.policy.compiler import compile_policy  # noqa: E402
from kpi_rules.policy.validate import validate_file  # noqa: E402
from kpi_rules.report import render_employee_sheets, render_html, render_markdown  # noqa: E402

# (policy, data, period): both locales, a cycle period and its roll-up review each.
CASES = [
    ("ops-department", "ops-2024.csv", "2024-Q2"),
    ("ops-department", "ops-2024.csv", "2024"),
    ("customer-support", "support-2024.csv", "2024-03"),
    ("customer-support", "support-2024.csv", "2024-Q1"),
]
# (policy, data, period, employee id): review sheets.
SHEETS = [
    ("ops-department", "ops-2024.csv", "2024-Q2", "E012"),
    ("customer-support", "support-2024.csv", "2024-03", "S001"),
]

# (policy, data, period, calibration file): reports with the calibration section, both locales.
CALIBRATED = [
    ("ops-department", "ops-2024.csv", "2024-Q2", ROOT / "examples" / "ops-2024-Q2.calibration.yaml"),
    ("customer-support", "support-2024.csv", "2024-03",
     ROOT / "tests" / "calibration" / "customer-support-2024-03.calibration.yaml"),
]


def evaluation(policy: str, data: str, period: str, calibration: Path | None = None) -> Evaluation:
    compiled = compile_policy(validate_file(ROOT / "policies" / f"{policy}.yaml"))
    table = type_table(compiled, read_table(ROOT / "examples" / data))
    return evaluate(compiled, table, period, [load_calibration(calibration)] if calibration else [])


def golden_files() -> dict[str, str]:
    """Golden file name -> the report text the current code renders."""
    out: dict[str, str] = {}
    for policy, data, period in CASES:
        ev = evaluation(policy, data, period)
        out[f"{policy}-{period}.md"] = render_markdown(ev)
        out[f"{policy}-{period}.html"] = render_html(ev)
    for policy, data, period, calibration in CALIBRATED:
        ev = evaluation(policy, data, period, calibration)
        out[f"{policy}-{period}-calibrated.md"] = render_markdown(ev)
        out[f"{policy}-{period}-calibrated.html"] = render_html(ev)
    for policy, data, period, employee in SHEETS:
        for fmt in ("md", "html"):
            sheets = render_employee_sheets(evaluation(policy, data, period), fmt)
            out[f"{policy}-{period}-{employee}.{fmt}"] = sheets[employee]
    return out


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    files = golden_files()
    for name, text in files.items():
        path = GOLDEN / name
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            path.write_text(text, encoding="utf-8", newline="")
            print(f"{'updated' if old is not None else 'created'} {path.relative_to(ROOT)}")
    for stale in sorted(set(p.name for p in GOLDEN.iterdir()) - set(files)):
        print(f"not produced any more (delete it if intended): tests/golden/{stale}")
    print(f"{len(files)} golden files checked")


if __name__ == "__main__":
    main()
