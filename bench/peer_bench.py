"""kpi-rules against the peer benchmark's numpy contender, in the same run.

    python bench/peer_bench.py                 # N=100000, 3 interleaved repetitions
    python bench/peer_bench.py --n 100000 --n 1000000 --reps 5

Sets up a copy of ../shared/bench-peers (its own venv with numpy and polars,
the generated data), then per N and repetition runs, in rotating order:
  numpy        the peer's numpy_vectorized contender (CSV -> peer CSV)
  kpi_rules    bench/peer_contender.py: kpi-rules' API on the same workload (CSV -> peer CSV)
  cli_json     `kpi-rules evaluate bench/peer_workload.yaml --data ... --format json` (CSV -> JSON file)
  cli_csv      the same with `--format csv` (one row per employee)
and prints medians of compute time, throughput, whole-process wall time and
peak memory, with ratios to numpy taken within each repetition. The
kpi_rules output is checked row for row against the reference with the
peers' check.py. The machine is shared and noisy: compare only within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT.parent / "shared" / "bench-peers"
WORK = Path(os.environ.get("KPI_BENCH_DIR", "/tmp/kpi-rules-bench"))


def setup(sizes: list[int]) -> Path:
    peers = WORK / "bench-peers"
    if not peers.exists():
        shutil.copytree(PEERS, peers)
        for path in peers.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
    venv = peers / ".venv"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "numpy==2.4.6", "polars==2.1.0"], check=True)
    for n in sizes:
        if not (peers / "data" / f"employees_{n}.csv").exists():
            subprocess.run([str(venv / "bin" / "python"), "gen_data.py", "--n", str(n)], cwd=peers, check=True)
        reference = peers / "results" / f"hand_python_{n}.csv"
        if not reference.exists():
            reference.parent.mkdir(exist_ok=True)
            subprocess.run([str(venv / "bin" / "python"), "contenders/hand_python.py", "--data",
                            f"data/employees_{n}.csv", "--out", str(reference)], cwd=peers, check=True,
                           stdout=subprocess.DEVNULL)
    return peers


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, dict[str, float]]:
    """(wall seconds, peak RSS MiB of that process, the contender's JSON timing line if any)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read()}")
        timing: dict[str, float] = {}
        for line in out.read().splitlines():
            if line.startswith("{") and '"t_compute"' in line:
                timing = json.loads(line)
    return wall, usage.ru_maxrss / 1024, timing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="rows (repeatable; default 100000)")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    sizes = args.n or [100_000]
    peers = setup(sizes)
    py = str(peers / ".venv" / "bin" / "python")
    kpi_py = sys.executable
    out = WORK / "out"
    out.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        data = peers / "data" / f"employees_{n}.csv"
        runs = {
            "numpy": [py, "contenders/numpy_vectorized.py", "--data", str(data), "--out", str(out / f"numpy_{n}.csv")],
            "kpi_rules": [kpi_py, str(ROOT / "bench" / "peer_contender.py"), "--data", str(data),
                          "--out", str(out / f"kpi_rules_{n}.csv")],
            "cli_json": [kpi_py, "-m", "kpi_rules", "evaluate", str(ROOT / "bench" / "peer_workload.yaml"),
                         "--data", str(data), "--column", "employee_id=id", "--period", "2024-Q1",
                         "--out", str(out / f"cli_{n}.json")],
            "cli_csv": [kpi_py, "-m", "kpi_rules", "evaluate", str(ROOT / "bench" / "peer_workload.yaml"),
                        "--data", str(data), "--column", "employee_id=id", "--period", "2024-Q1",
                        "--format", "csv", "--out", str(out / f"cli_{n}.csv")],
        }
        results: dict[str, list[tuple[float, float, dict[str, float]]]] = {k: [] for k in runs}
        names = list(runs)
        for rep in range(args.reps):
            for name in names[rep % len(names):] + names[:rep % len(names)]:
                results[name].append(timed(runs[name], peers))
        # The reference follows the workload's rule on cac = 0 rows; kpi-rules the amended POLICY_FORMAT 2.3.
        check = subprocess.run([py, "check.py", "--amended-lower-zero", str(data),
                                str(peers / "results" / f"hand_python_{n}.csv"),
                                str(out / f"kpi_rules_{n}.csv")], cwd=peers, capture_output=True, text=True)
        print(f"\nN = {n:,}, {args.reps} repetitions (medians; ratios taken within each repetition)")
        print(f"{'':10} {'compute s':>10} {'rows/s':>12} {'wall s':>8} {'peak MiB':>9} "
              f"{'compute vs numpy':>17} {'wall vs numpy':>14}")
        for name in names:
            computes = [t.get("t_compute", float("nan")) for _, _, t in results[name]]
            walls = [w for w, _, _ in results[name]]
            c_ratio = [c / t.get("t_compute", float("nan")) for (_, _, t), c in
                       zip(results["numpy"], computes)]
            w_ratio = [w / nw for (nw, _, _), w in zip(results["numpy"], walls)]
            compute = statistics.median(computes)
            print(f"{name:10} {compute:10.3f} {n / compute if compute == compute else float('nan'):12,.0f} "
                  f"{statistics.median(walls):8.2f} {statistics.median(p for _, p, _ in results[name]):9.0f} "
                  f"{statistics.median(c_ratio):16.2f}x {statistics.median(w_ratio):13.2f}x")
        print("output check:", check.stdout.strip().splitlines()[-1] if check.stdout else check.stderr.strip())


if __name__ == "__main__":
    main()
