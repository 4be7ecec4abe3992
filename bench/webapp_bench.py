"""Server time of the web app's pages (issue 15's speed figures):

    python bench/webapp_bench.py [--rows 100000] [--whatif-rows 10000] [--runs 20]

Starts `kpi-rules serve` (open loopback mode, temporary SQLite database) on the example policies,
uploads a data file of ROWS employees made from examples/ops-2024.csv (2024-Q2 rows repeated with new
ids, 40 teams), and times on loopback: the evaluation page (first view, which reads the evaluation
through GET /v1/evaluations, and later views), a page of the employee table filtered and sorted, an
employee page with its explanation, and a what-if (POST /whatif) on WHATIF_ROWS employees. Prints
median and p95 of RUNS requests each, in milliseconds.
"""

from __future__ import annotations

import argparse
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


def timed(send: object, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        answer = send()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
        assert answer.status_code == 200, answer.status_code
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--whatif-rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start(Path(tmp), tokens=False)
        try:
            with httpx.Client(base_url=server.url, timeout=600) as c:
                big, small = upload(c, args.rows), upload(c, args.whatif_rows)
                csrf = CSRF.findall(c.get("/policies").text)[0]
                source = c.get("/v1/policies/ops-department").json()["source"]
                t0 = time.perf_counter()
                assert c.get(f"/evaluations/{big}").status_code == 200
                first = (time.perf_counter() - t0) * 1000
                figures = {
                    f"evaluation page, {args.rows:,} rows (first view: {first:.0f} ms)":
                        timed(lambda: c.get(f"/evaluations/{big}"), args.runs),
                    f"employee table, page 1000 of {args.rows // 50:,}, sorted by final":
                        timed(lambda: c.get(f"/evaluations/{big}", params={"sort": "final", "dir": "desc",
                                                                            "page": 1000}), args.runs),
                    "  same, filtered by team, sorted by final":
                        timed(lambda: c.get(f"/evaluations/{big}", params={"team": "team07", "sort": "final",
                                                                            "page": 3}), args.runs),
                    "employee page with explanation":
                        timed(lambda: c.get(f"/evaluations/{big}/employees/E0000001"), args.runs),
                    f"what-if, {args.whatif_rows:,} rows (grade B threshold 85 -> 90)":
                        timed(lambda: c.post("/whatif", data={
                            "csrf": csrf, "policy": "ops-department", "evaluation": small, "source": source,
                            "set:grades.B.min": "90", "do": "compare"}), max(3, args.runs // 4)),
                }
        finally:
            stop(server)
    print(f"{'page':64} {'median ms':>10} {'p95 ms':>8}")
    for name, (median, p95) in figures.items():
        print(f"{name:64} {median:10.0f} {p95:8.0f}")


if __name__ == "__main__":
    main()
