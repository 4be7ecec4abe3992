"""Size and render time of a large review report (not a test: prints figures).

    .venv/bin/python bench/report_size.py              # 1,000 employees, median of 3
    .venv/bin/python bench/report_size.py --n 5000 --reps 5

Builds N synthetic employees for policies/ops-department.yaml (2024-Q2) from
the example rows (examples/ops-2024.csv), each number jittered by ±15% with a
fixed seed, in teams of about 50, then times, separately and end to end:
  context   report_context(evaluation): every figure of the report
  html      render_html (context + templates), bytes of the file
  md        render_markdown, bytes of the file
  sheets    render_employee_sheets(html): one review sheet per employee
The engine's own time (evaluate) is printed for comparison.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi_rules.data.readers import read_table  # noqa: E402
from kpi_rules.data.table import type_table  # noqa: E402
from kpi_rules.engine import Evaluation, evaluate  # noqa: E402
from kpi_rules.policy.compiler import compile_policy  # noqa: E402
from kpi_rules.policy.validate import validate_file  # noqa: E402
from kpi_rules.report import render_employee_sheets, render_html, render_markdown, report_context  # noqa: E402

POLICY = ROOT / "policies" / "ops-department.yaml"
EXAMPLE = ROOT / "examples" / "ops-2024.csv"
PERIOD = "2024-Q2"
KEEP_AS_IS = {"employee_id", "name", "role", "team", "period", "days_worked", "compliance_incidents", "late_reports",
              "cross_dept_projects", "knowledge_shares", "survey_score", "manager_rating", "peer_rating"}


def synthetic_rows(n: int, seed: int = 4) -> tuple[list[str], list[dict[str, Any]]]:
    with EXAMPLE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        templates = [r for r in reader if r["period"] == PERIOD and r.get("days_worked")]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = dict(templates[i % len(templates)])
        row.update(employee_id=f"B{i + 1:05d}", name=f"员工{i + 1:05d}", team=f"team{i // 50 + 1:02d}", period=PERIOD)
        for key, value in row.items():
            if key not in KEEP_AS_IS and value not in ("", None):
                number = float(value) * rng.uniform(0.85, 1.15)
                row[key] = str(round(number)) if "." not in value else f"{number:.2f}"
        rows.append(row)
    return header, rows


def build(n: int) -> tuple[Evaluation, float]:
    header, rows = synthetic_rows(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"ops-{n}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        policy = compile_policy(validate_file(POLICY))
        table = type_table(policy, read_table(path))
        start = time.perf_counter()
        ev = evaluate(policy, table, PERIOD)
        return ev, time.perf_counter() - start


def timed(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(reps):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="employees (default 1000)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions; the median is printed (default 3)")
    parser.add_argument("--keep", type=Path, help="also write the HTML report here")
    args = parser.parse_args()
    ev, engine_s = build(args.n)
    summary = ev.result.summary()
    render_html(ev)  # warm up: templates compile once per process
    context_s, _ = timed(lambda: report_context(ev), args.reps)
    html_s, html = timed(lambda: render_html(ev), args.reps)
    md_s, md = timed(lambda: render_markdown(ev), args.reps)
    sheets_s, sheets = timed(lambda: render_employee_sheets(ev, "html"), args.reps)
    if args.keep:
        args.keep.write_text(html, encoding="utf-8")
    mb = 1024 * 1024
    print(f"{args.n} employees ({summary['rated']} rated, {len(ev.result.teams)} teams), "
          f"median of {args.reps}, Python {sys.version.split()[0]}")
    print(f"  engine (evaluate)     {engine_s * 1000:8.0f} ms")
    print(f"  report_context        {context_s * 1000:8.0f} ms")
    for label, seconds, text in (("HTML report", html_s, html), ("Markdown report", md_s, md)):
        size = len(text.encode())
        print(f"  {label:<20}  {seconds * 1000:8.0f} ms   {size:>11,} bytes ({size / mb:.2f} MiB)")
    sheet_bytes = sum(len(s.encode()) for s in sheets.values())
    print(f"  {len(sheets)} HTML review sheets {sheets_s * 1000:6.0f} ms   {sheet_bytes:>11,} bytes in all "
          f"({sheet_bytes / len(sheets) / 1024:.1f} KiB each)")


if __name__ == "__main__":
    main()
