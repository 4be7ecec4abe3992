"""The workbook writer (`--format xlsx`) against the CSV writer, in the same run.

    python bench/xlsx_bench.py                  # N=100000, 3 interleaved repetitions
    python bench/xlsx_bench.py --n 10000 --n 100000 --reps 5

Generates N rows of 2024-Q2 data for policies/ops-department.yaml from the example
data (examples/ops-2024.csv: each row copied with a new id, a name, numbers moved by up
to ±15%, teams of 10), then per repetition runs, in rotating order, one process each:
  csv    load, evaluate, write the results CSV
  xlsx   load, evaluate, write the workbook (Employees, Indicators long form, ...)
  cells  (with --per-cell) the same through XlsxWriter's per-cell API instead of
         writers/xlsx_fast.py's row stream: what the stream saves
and prints medians of the writer's own time, the whole process's wall time and peak
memory, with the xlsx/csv ratio taken within each repetition, and the workbook's cells
and size. The machine is shared and noisy: compare only within a run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("KPI_BENCH_DIR", "/tmp/kpi-rules-bench")) / "xlsx"
POLICY = ROOT / "policies" / "ops-department.yaml"
TEXT_COLUMNS = {"employee_id", "name", "role", "team", "period"}
WHOLE = {"visits", "active_users", "registrations", "paid_users", "new_customers", "complaints_handled",
         "complaints_total", "cross_dept_projects", "knowledge_shares", "days_worked", "late_reports",
         "compliance_incidents"}
KEPT = {"days_worked", "late_reports", "compliance_incidents", "cross_dept_projects", "knowledge_shares"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def generate(n: int) -> Path:
    path = WORK / f"ops-q2-{n}.csv"
    if path.exists():
        return path
    with (ROOT / "examples" / "ops-2024.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["period"] == "2024-Q2"]
    rng = random.Random(n)
    WORK.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for k in range(n):
            row = dict(rows[k % len(rows)])
            row.update(employee_id=f"E{k + 1:06d}", team=f"T{k // 10:05d}",
                       name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN))
            factor = rng.uniform(0.85, 1.15)  # one per row: complaints handled stay within the total
            for key, value in row.items():
                if key in TEXT_COLUMNS or key in KEPT or value in ("", None):
                    continue
                if key.endswith(("_rating", "_score")):
                    row[key] = f"{min(5.0, max(1.0, float(value) + rng.uniform(-0.3, 0.3))):.2f}"
                else:
                    moved = float(value) * factor
                    row[key] = str(round(moved)) if key in WHOLE else f"{moved:.3f}"
            writer.writerow(row)
    return path


def child(fmt: str, data: str, out: str) -> None:
    """One run in this process: load and evaluate, then time the writer alone."""
    from kpi_rules.api import evaluate, load_data, load_policy
    from kpi_rules.writers import WRITERS
    from kpi_rules.writers.xlsx_rows import indicator_row_count

    policy = load_policy(POLICY)
    ev = evaluate(policy, load_data(policy, data), "2024-Q2")
    if fmt == "cells":
        from kpi_rules.writers import xlsx_book

        xlsx_book.FAST_ROWS = False
        fmt = "xlsx"
    writer = WRITERS[fmt]
    start = time.perf_counter()
    with open(out, "wb" if writer.binary else "w", **({} if writer.binary else {"encoding": "utf-8"})) as handle:
        writer.write(ev, handle)
    elapsed = time.perf_counter() - start
    print(json.dumps({"write_s": elapsed, "rows": ev.result.n, "long_rows": indicator_row_count(ev)}))


def timed(cmd: list[str]) -> tuple[float, float, dict[str, float]]:
    """(wall seconds, peak RSS MiB of that process, the child's JSON line)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read()}")
        return wall, usage.ru_maxrss / 1024, json.loads(out.read().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="employees (repeatable; default 100000)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--per-cell", action="store_true", help="also time XlsxWriter's per-cell API (slow)")
    ap.add_argument("--child", nargs=3, metavar=("FORMAT", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    for n in args.n or [100_000]:
        data = generate(n)
        outs = {fmt: WORK / f"out-{n}.{fmt}" for fmt in ("csv", "xlsx", *(["cells"] if args.per_cell else []))}
        runs = {fmt: [sys.executable, __file__, "--child", fmt, str(data), str(out)] for fmt, out in outs.items()}
        results: dict[str, list[tuple[float, float, dict[str, float]]]] = {k: [] for k in runs}
        names = list(runs)
        for rep in range(args.reps):
            for name in names[rep % len(names):] + names[:rep % len(names)]:
                results[name].append(timed(runs[name]))
        info = results["xlsx"][0][2]
        cells = _cells(outs["xlsx"])
        print(f"\nN = {n:,} employees, {info['long_rows']:,} indicator rows, {cells:,} cells in the workbook "
              f"({outs['xlsx'].stat().st_size / 2**20:.1f} MiB; CSV {outs['csv'].stat().st_size / 2**20:.1f} MiB); "
              f"{args.reps} repetitions, medians")
        print(f"{'':6} {'write s':>8} {'cells/s':>10} {'wall s':>8} {'peak MiB':>9} {'write vs csv':>13}")
        for name in names:
            runs_ = results[name]
            write = statistics.median(r[2]["write_s"] for r in runs_)
            ratio = statistics.median(r[2]["write_s"] / c[2]["write_s"] for r, c in zip(runs_, results["csv"]))
            rate = f"{cells / write:,.0f}" if name != "csv" else ""
            print(f"{name:6} {write:8.2f} {rate:>10} {statistics.median(r[0] for r in runs_):8.2f} "
                  f"{statistics.median(r[1] for r in runs_):9.0f} {ratio:12.2f}x")


def _cells(path: Path) -> int:
    """Cells in a workbook, counted from its sheets' XML (`<c ` elements), without loading it."""
    import zipfile

    total = 0
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                with z.open(name) as sheet:
                    tail = b""
                    while chunk := sheet.read(1 << 20):
                        total += (tail + chunk).count(b"<c ")
                        tail = chunk[-2:]  # a `<c ` cut by the chunk's end is counted once, with the next chunk
    return total


if __name__ == "__main__":
    main()
