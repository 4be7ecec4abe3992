"""Server time of the web app's pages (issue 15's speed figures):

    python bench/webapp_bench.py [--rows 100000] [--whatif-rows 10000] [--runs 20] [--audit 100000]

Starts `kpi-rules serve` (open loopback mode, temporary SQLite database) on the example policies,
uploads a data file of ROWS employees made from examples/ops-2024.csv (2024-Q2 rows repeated with
new ids, 40 teams) and 4 small ones, and times on loopback: first views of the evaluation page (before
each, the 4 small evaluations are viewed, untimed: a server process keeps the last 4, so every timed
view is a first one), later views, a page of the employee table filtered and sorted, an employee page
with its explanation (first view after the upload, then later views), the audit page on a log of
AUDIT more entries, and a what-if
(POST /whatif) on WHATIF_ROWS employees. Prints median and p95 of RUNS requests each (wall time on
loopback, milliseconds) and the server's CPU time per request (user + system, its worker processes
included).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.webapp_helpers import start, stop  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def data(rows: int) -> bytes:
    lines = (ROOT / "examples" / "ops-2024.csv").read_text(encoding="utf-8").splitlines()
    header, body = lines[0], [line for line in lines[1:] if ",2024-Q2," in line]
    out = [header]
    for k in range(rows):
        cells = body[k % len(body)].split(",")
        cells[0], cells[3] = f"E{k:07d}", f"team{k % 40:02d}"
        out.append(",".join(cells))
    return ("\n".join(out) + "\n").encode()


def upload(c: httpx.Client, rows: int) -> str:
    answer = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"}, content=data(rows),
                    headers={"Content-Type": "text/csv"}, timeout=900)
    answer.raise_for_status()
    return str(answer.json()["evaluation_id"])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        used[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += used.get(current, 0.0)
        todo += [p for p, parent in parents.items() if parent == current]
    return total


def timed(send: object, runs: int, pid: int, first: object = None) -> tuple[float, float, float]:
    """Median and p95 wall ms of `runs` requests (`send(k)` for the k-th, after `first()` untimed), and
    the server's mean CPU ms per request."""
    times, cpu = [], 0.0
    for k in range(runs):
        if first is not None:
            first()  # type: ignore[operator]
        cpu0 = cpu_seconds(pid)
        t0 = time.perf_counter()
        answer = send(k)  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
        cpu += (cpu_seconds(pid) - cpu0) * 1000 / runs
        assert answer.status_code == 200, answer.status_code
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], cpu


def more_audit(db: Path, entries: int) -> None:
    """Append entries to the server's audit log (one chain, as the service appends them)."""
    from kpi_rules.serve import audit
    from kpi_rules.serve.storage.db import open_engine

    engine = open_engine(f"sqlite:///{db}")
    actions = ("results", "explain", "report", "evaluate")
    for first in range(0, entries, 5000):
        audit.append_many(engine, [audit.Event(f"user{k % 50}", "hr", actions[k % 4], f"/v1/evaluations/x{k}", 200)
                                   for k in range(first, min(entries, first + 5000))])
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--whatif-rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--audit", type=int, default=100_000, help="audit entries added before the audit page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start(Path(tmp), tokens=False)
        pid = server.proc.pid
        try:
            with httpx.Client(base_url=server.url, timeout=900) as c:
                big, small = upload(c, args.rows), upload(c, args.whatif_rows)
                others = [small] + [upload(c, 100) for _ in range(3)]

                def evict() -> None:  # the 4 evaluations a process keeps are now others
                    for other in others:
                        assert c.get(f"/evaluations/{other}").status_code == 200

                csrf = CSRF.findall(c.get("/policies").text)[0]
                source = c.get("/v1/policies/ops-department").json()["source"]
                figures = {
                    "employee page with explanation, first view after upload":
                        timed(lambda _: c.get(f"/evaluations/{big}/employees/E0000002"), 1, pid),
                    f"evaluation page, {args.rows:,} rows, first views":
                        timed(lambda _: c.get(f"/evaluations/{big}"), args.runs, pid, evict),
                    "evaluation page, later views":
                        timed(lambda _: c.get(f"/evaluations/{big}"), args.runs, pid),
                    f"employee table, page 1000 of {args.rows // 50:,}, sorted by final, first views":
                        timed(lambda _: c.get(f"/evaluations/{big}", params={"sort": "final", "dir": "desc",
                                                                            "page": 1000}), args.runs, pid, evict),
                    "  same, later views":
                        timed(lambda _: c.get(f"/evaluations/{big}", params={"sort": "final", "dir": "desc",
                                                                            "page": 1000}), args.runs, pid),
                    "  same, filtered by team, sorted by final":
                        timed(lambda _: c.get(f"/evaluations/{big}", params={"team": "team07", "sort": "final",
                                                                            "page": 3}), args.runs, pid),
                    "employee page with explanation, later views":
                        timed(lambda _: c.get(f"/evaluations/{big}/employees/E0000001"), args.runs, pid),
                    f"what-if, {args.whatif_rows:,} rows (grade B threshold 85 -> 90)":
                        timed(lambda _: c.post("/whatif", data={
                            "csrf": csrf, "policy": "ops-department", "evaluation": small, "source": source,
                            "set:grades.B.min": "90", "do": "compare"}), max(3, args.runs // 4), pid),
                }
                if args.audit:
                    more_audit(Path(tmp) / "web.db", args.audit)
                    figures[f"audit page, {args.audit:,} more entries, newest"] = \
                        timed(lambda _: c.get("/audit"), args.runs, pid)
                    figures["  same, filtered by actor and action"] = \
                        timed(lambda _: c.get("/audit", params={"actor": "user7", "action": "explain"}), args.runs, pid)
        finally:
            stop(server)
    print(f"{'page':72} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8}")
    for name, (median, p95, cpu) in figures.items():
        print(f"{name:72} {median:10.0f} {p95:8.0f} {cpu:8.0f}")


if __name__ == "__main__":
    main()
