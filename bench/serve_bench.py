"""`kpi-rules serve` under load: a real server subprocess on loopback, an httpx/asyncio load
generator that is bounded in requests and seconds and stops by itself (issue 14, Speed).

    .venv/bin/python bench/serve_bench.py --quick            # smoke: 20k stored rows, 10 s mixed, 1 repetition
    .venv/bin/python bench/serve_bench.py                    # 100k rows, 20 s mixed, medians of 3
    .venv/bin/python bench/serve_bench.py --mixed-seconds 60 --pg postgresql://postgres@127.0.0.1:55432/postgres

Per database (SQLite; PostgreSQL with --pg or KPI_RULES_TEST_PG: a fresh database, dropped after),
per repetition, against a new server:
  upload1k     upload + evaluate 1,000 rows at 8 clients (40 requests) vs the library call on the
               same bytes in this process (load_policy, load_data, evaluate, write_json): p50 ratio, p99/p50
  upload100k   one 100k-row CSV upload + evaluate vs `kpi-rules evaluate --format json` on the same file
  read, explain  one employee's result, one employee's explanation from that stored evaluation at 32
               clients (random employees; `explain_hot` one employee again and again): p50, p99
  mixed        --mixed-seconds of reads, explains and 1k uploads at 32 clients: errors, audit entries
               written vs requests made, /v1/audit/verify
and the server's peak RSS (VmHWM of the server and, separately, of its largest worker process).
Data: bench/xlsx_bench.py's generator (the example data, copied with new ids, teams of 10).
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from xlsx_bench import POLICY, ROOT, generate

PERIOD = "2024-Q2"
Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def hwm_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Server:
    """`kpi-rules serve` on a free loopback port, with one hr token; stopped with SIGTERM."""

    def __init__(self, db_url: str, work: Path) -> None:
        from kpi_rules.serve.identity import add_token

        policies = work / "policies"
        policies.mkdir(exist_ok=True)
        (policies / "ops-department.yaml").write_bytes(POLICY.read_bytes())
        tokens = work / "tokens.yaml"
        self.token = add_token(tokens, f"bench-{uuid.uuid4().hex[:6]}", "hr", (), None)
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log = (work / "server.log").open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "kpi_rules", "serve", str(policies), "--port",
                                      str(self.port), "--db", db_url, "--tokens", str(tokens)],
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=work)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not become ready in 60 s")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def rss(self) -> tuple[float, float]:
        return hwm_mib(self.proc.pid), max([hwm_mib(c) for c in children(self.proc.pid)] or [0.0])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


async def load(server: Server, clients: int, requests: int, seconds: float, call: Call) -> dict[str, Any]:
    """`clients` concurrent loops sharing `requests` calls, stopping after `seconds` whatever is left."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(requests))
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers, timeout=120, limits=limits) as c:
        async def loop() -> None:
            for k in counter:
                if time.monotonic() > deadline:
                    return
                start = time.perf_counter()
                try:
                    status = (await call(c, k)).status_code
                except httpx.HTTPError:
                    status = 0
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(loop() for _ in range(clients)))
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    return {"n": len(latencies), "errors": len(latencies) - ok, "statuses": statuses,
            "p50_ms": pct(latencies, 0.5) * 1000, "p99_ms": pct(latencies, 0.99) * 1000}


def upload(data: bytes) -> Call:
    async def call(c: httpx.AsyncClient, k: int) -> httpx.Response:
        return await c.post("/v1/policies/ops-department/evaluations", params={"period": PERIOD}, content=data,
                            headers={"Content-Type": "text/csv",
                                     "Content-Disposition": "attachment; filename=bench.csv"})
    return call


def library_ms(data: bytes, repeat: int = 5) -> float:
    from kpi_rules.api import evaluate, load_data, load_policy
    from kpi_rules.writers.results_json import write_json

    times = []
    with tempfile.NamedTemporaryFile(suffix=".csv") as f:
        f.write(data)
        f.flush()
        for _ in range(repeat):
            start = time.perf_counter()
            policy = load_policy(POLICY)
            write_json(evaluate(policy, load_data(policy, f.name), PERIOD), io.BytesIO())
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def cli_seconds(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kpi_rules", "evaluate", str(POLICY), "--data", str(path), "--period",
                    PERIOD, "--format", "json"], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def audit_count(server: Server) -> int:
    entries = httpx.get(f"{server.base}/v1/audit/verify", headers=server.headers, timeout=120).json()
    return int(entries["entries"])


def one_run(db_url: str, big: Path, small: bytes, ids: list[str], mixed_seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kpi-serve-bench-") as tmp:
        server = Server(db_url, Path(tmp))
        try:
            out["upload1k"] = asyncio.run(load(server, 8, 40, 300, upload(small)))
            out["library1k_ms"] = library_ms(small)
            out["cli100k_s"] = cli_seconds(big)
            start = time.perf_counter()
            response = httpx.post(f"{server.base}/v1/policies/ops-department/evaluations", params={"period": PERIOD},
                                  content=big.read_bytes(), timeout=600,
                                  headers={**server.headers, "Content-Type": "text/csv"})
            out["upload100k_s"] = time.perf_counter() - start
            assert response.status_code == 201, response.text
            eid = response.json()["evaluation_id"]
            rng = random.Random(7)
            picks = [rng.choice(ids) for _ in range(4000)]

            async def read(c: httpx.AsyncClient, k: int) -> httpx.Response:
                return await c.get(f"/v1/evaluations/{eid}/employees/{picks[k]}")

            async def explain(c: httpx.AsyncClient, k: int) -> httpx.Response:
                return await c.get(f"/v1/evaluations/{eid}/employees/{picks[k]}/explain")

            async def explain_hot(c: httpx.AsyncClient, k: int) -> httpx.Response:
                return await c.get(f"/v1/evaluations/{eid}/employees/{picks[0]}/explain")

            asyncio.run(load(server, 2, 4, 300, explain))  # the workers compute the evaluation once
            out["read"] = asyncio.run(load(server, 32, 2000, 120, read))
            out["explain"] = asyncio.run(load(server, 32, 1000, 120, explain))
            out["explain_hot"] = asyncio.run(load(server, 32, 1000, 120, explain_hot))
            before = audit_count(server)

            async def mixed(c: httpx.AsyncClient, k: int) -> httpx.Response:
                kind = k % 20
                if kind == 0:
                    return await upload(small)(c, k)
                return await (explain if kind < 5 else read)(c, k % len(picks))

            out["mixed"] = asyncio.run(load(server, 32, 10**7, mixed_seconds, mixed))
            verify = httpx.get(f"{server.base}/v1/audit/verify", headers=server.headers, timeout=120).json()
            # every mixed request is audited; the verify call itself appends one entry after counting
            out["audit_missing"] = out["mixed"]["n"] - (int(verify["entries"]) - before - 1)
            out["chain_ok"] = verify["ok"]
            out["rss_server_mib"], out["rss_worker_mib"] = server.rss()
        finally:
            server.stop()
    return out


@contextmanager
def pg_database(base: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"kpi_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name, drivername="postgresql").render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def med(runs: list[dict[str, Any]], *path: str) -> float:
    values = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value[key]
        values.append(float(value))
    return statistics.median(values)


def report(kind: str, runs: list[dict[str, Any]]) -> None:
    ratio = [r["upload1k"]["p50_ms"] / r["library1k_ms"] for r in runs]
    tail = [r["upload1k"]["p99_ms"] / r["upload1k"]["p50_ms"] for r in runs]
    big = [r["upload100k_s"] / r["cli100k_s"] for r in runs]
    print(f"\n## {kind} (medians of {len(runs)})")
    print("| measure | figure |\n|---|---|")
    print(f"| upload+evaluate 1k rows, 8 clients: p50 / library | {med(runs, 'upload1k', 'p50_ms'):.0f} ms / "
          f"{med(runs, 'library1k_ms'):.0f} ms = {statistics.median(ratio):.2f}x; "
          f"p99/p50 {statistics.median(tail):.2f} |")
    print(f"| upload+evaluate 100k rows / `kpi-rules evaluate` | {med(runs, 'upload100k_s'):.1f} s / "
          f"{med(runs, 'cli100k_s'):.1f} s = {statistics.median(big):.2f}x |")
    for name in ("read", "explain", "explain_hot"):
        print(f"| {name} one employee of 100k, 32 clients: p50 / p99 | {med(runs, name, 'p50_ms'):.1f} ms / "
              f"{med(runs, name, 'p99_ms'):.1f} ms ({sum(r[name]['errors'] for r in runs)} errors) |")
    print(f"| mixed load, 32 clients: requests, errors, audit entries missing, chain | "
          f"{med(runs, 'mixed', 'n'):.0f}, {sum(r['mixed']['errors'] for r in runs)}, "
          f"{sum(r['audit_missing'] for r in runs)}, {'verifies' if all(r['chain_ok'] for r in runs) else 'BROKEN'} |")
    print(f"| peak RSS: server / largest worker | {med(runs, 'rss_server_mib'):.0f} MiB / "
          f"{med(runs, 'rss_worker_mib'):.0f} MiB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20k rows, 10 s of mixed load, 1 repetition")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mixed-seconds", type=float, default=20.0)
    parser.add_argument("--pg", default=os.environ.get("KPI_RULES_TEST_PG"), help="a PostgreSQL server URL")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeat, args.mixed_seconds = 20_000, 1, 10.0
    big = generate(args.rows)
    small = generate(1000).read_bytes()
    import csv

    with big.open(encoding="utf-8") as handle:
        ids = [row["employee_id"] for row in csv.DictReader(handle)]
    kinds = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.pg else [])
    print(f"kpi-rules serve bench: {args.rows} stored rows, {args.repeat} repetition(s), "
          f"{args.mixed_seconds:.0f} s mixed; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
    for kind in kinds:
        runs = []
        for _ in range(args.repeat):
            if kind == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    runs.append(one_run(f"sqlite:///{tmp}/bench.db", big, small, ids, args.mixed_seconds))
            else:
                with pg_database(args.pg) as url:
                    runs.append(one_run(url, big, small, ids, args.mixed_seconds))
            print(f"{kind} run {len(runs)}: {json.dumps(runs[-1], default=str)}", flush=True)
        report(kind, runs)
    _ = ROOT


if __name__ == "__main__":
    main()
