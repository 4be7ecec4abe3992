"""kpi-rules on data shaped like real data, against the peers' numpy contender in the same run (issue 13, part 2).

    .venv/bin/python bench/real_bench.py --quick      # smoke run: 20k rows, 5k-employee reports, 1 repetition
    .venv/bin/python bench/real_bench.py              # 100k rows, medians of 3
    .venv/bin/python bench/real_bench.py --rows 100000 --rows 1000000 --repeat 3
    .venv/bin/python bench/real_bench.py --only annual   # only the annual review against one quarter

The rows are the peer workload's (../shared/bench-peers/gen_data.py, its seed and
its policy), written as an HR system's export opened and saved in Excel:

    "employee_id","name","team","role","period","visits",...,"cross_dept_projects"\\r\\n
    "E0000001","王建国","华东运营-00017","ops_manager","2024-Q1","6825",...\\r\\n

every cell quoted (csv.QUOTE_ALL, an empty cell is ""), CRLF line ends, a
`period` column, teams of 5-15 people (about rows/10 teams), names with
non-ASCII letters (Chinese, Korean, accented Latin; a few "Last, First" with a
comma, a few with a quoted nickname). The policy is bench/peer_workload.yaml
with a yearly roll-up added (it does not change a quarter's scores).

Per --rows N, interleaved (rotating order), --repeat times, in separate processes:
  numpy          the peers' numpy_vectorized contender on the same file (polars reads it; its
                 loader adapted to these columns only), CSV -> peer CSV
  lib_quarter    the library: load_policy, load_data, evaluate(.., "2024-Q1"); N rows of one quarter
  cli_csv        kpi-rules evaluate --period 2024-Q1 --format csv   (CSV -> CSV)
  cli_json       kpi-rules evaluate --period 2024-Q1 --format json  (CSV -> JSON)
  lib_year4      the library on N/4 employees x 4 quarters (2024-Q1..Q4), evaluate(.., "2024")
  lib_q1of4      the library on the same N/4 employees, one quarter (its own file)
  cli_year4_*    the CLI on those two files, --format csv and json
  cli_md, cli_html  (only with --reports-at-rows) the reports for N employees
Then, once: the Markdown and HTML reports for --report-employees (50,000) employees of one quarter,
and the team-count case: a policy with a `team` section on --team-rows rows (100,000 at most by
default) in teams of 10 against the same rows in 4 teams, --format csv.

Wall time, CPU time (user + sys) and peak RSS (ru_maxrss of the child from wait4; this process stays
small, since a child's ru_maxrss counts from its parent's RSS at fork) are per process; the library's
load and compute times are printed by the child. Ratios against the contender are taken within
each repetition, then the median. Generated data and outputs stay in --work (default
/tmp/kpi-rules-bench/real). Only the public API and the `kpi-rules` command are used.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
KPI = Path(sys.executable).with_name("kpi-rules")
WORK = Path(os.environ.get("KPI_BENCH_DIR", "/tmp/kpi-rules-bench")) / "real"
GIB = 1024.0
DATA_VERSION = "1"  # bump when the generated files change shape

FIRST = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林",
         "罗", "欧阳"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "建国", "晓东", "雨萱", "子涵", "浩然", "思琪"]
LATIN_FIRST = ["José", "María", "Zoë", "Łukasz", "Søren", "Björn", "François", "Chloé", "Jürgen", "İlkay", "Şebnem",
               "Ana-Lucía", "Dvořák", "Renée", "Noël", "João", "Ærin", "Małgorzata", "Ольга", "Дмитрий"]
LATIN_LAST = ["Müller", "García", "Nowak", "Ødegaard", "Çelik", "Nguyễn", "Kowalczyk", "Pérez", "Brontë", "O'Brien",
              "Schröder", "Lefèvre", "Núñez", "Andrić", "Håkansson", "Smith", "Иванова", "Ξανθόπουλος"]
KOREAN = ["김민준", "이서연", "박지훈", "최수빈", "정예준", "강하은", "조현우", "윤지아"]
TEAM_PREFIX = ["华东运营", "Growth", "Support", "Données", "华南客服", "Analytics", "Vertrieb-Süd", "数据分析"]
PERIODS = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
GROUPS = {"quarter": ("numpy", "lib_quarter", "cli_csv", "cli_json", "cli_md", "cli_html"),
          "annual": ("lib_year4", "lib_q1of4", "cli_year4_csv", "cli_q1of4_csv", "cli_year4_json", "cli_q1of4_json")}
COLUMNS_FRONT = ["employee_id", "name", "team", "role", "period"]


# --------------------------------------------------------------------------- set-up

def peers_dir() -> Path:
    """The copy of ../shared/bench-peers with its numpy + polars venv (bench/peer_bench.py makes it)."""
    sys.path.insert(0, str(BENCH))
    from peer_bench import setup  # bench/peer_bench.py: imports nothing of kpi_rules

    return setup([])


def peers_generate(peers: Path, rows: int, seed: int) -> tuple[Any, Any, dict[str, Any]]:
    """The peers' own generator: roles (object array) and metric text (object arrays, None = missing)."""
    if str(peers) not in sys.path:
        sys.path.insert(0, str(peers))
    import gen_data  # type: ignore[import-not-found]

    _ids, roles, _quarters, text = gen_data.generate(rows, seed)
    return roles, text, gen_data.METRIC_COLUMNS


def names_for(rng: Any, n: int) -> list[str]:
    kind = rng.random(n)
    a, b, c = rng.integers(0, 1 << 30, (3, n)).tolist()
    out = []
    for i, k in enumerate(kind.tolist()):
        if k < 0.60:
            second = "" if c[i] % 3 else GIVEN[c[i] % len(GIVEN)]
            out.append(FIRST[a[i] % len(FIRST)] + GIVEN[b[i] % len(GIVEN)] + second)
        elif k < 0.65:
            out.append(KOREAN[a[i] % len(KOREAN)])
        elif k < 0.68:  # "Last, First": a comma inside the quoted cell
            out.append(f"{LATIN_LAST[a[i] % len(LATIN_LAST)]}, {LATIN_FIRST[b[i] % len(LATIN_FIRST)]}")
        elif k < 0.685:  # a quoted nickname: "" inside the quoted cell
            out.append(f'{LATIN_FIRST[a[i] % len(LATIN_FIRST)]} "{GIVEN[c[i] % len(GIVEN)]}" '
                       f"{LATIN_LAST[b[i] % len(LATIN_LAST)]}")
        else:
            out.append(f"{LATIN_FIRST[a[i] % len(LATIN_FIRST)]} {LATIN_LAST[b[i] % len(LATIN_LAST)]}")
    return out


def teams_for(rng: Any, employees: int, team_size: int, n_teams: int | None) -> list[str]:
    """Each employee's team: teams of team_size +- 50% (5-15 for 10), employees shuffled across them;
    or exactly n_teams teams of about equal size."""
    import numpy as np

    if n_teams is None:
        lo, hi = max(1, team_size // 2), team_size + team_size // 2
        sizes = rng.integers(lo, hi + 1, employees // lo + 1)
        sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), employees)) + 1]
        index = np.repeat(np.arange(len(sizes)), sizes)[:employees]
    else:
        index = np.arange(employees) % n_teams
    index = rng.permutation(index)
    labels = [f"{TEAM_PREFIX[k % len(TEAM_PREFIX)]}-{k + 1:05d}" for k in range(int(index.max()) + 1)]
    return [labels[k] for k in index.tolist()]


def write_real_csv(peers: Path, path: Path, employees: int, periods: list[str], *, team_size: int = 10,
                   n_teams: int | None = None, seed: int = 20240601, bom: bool = False) -> Path:
    """employees x periods rows, period-major (all of Q1, then Q2, ...), each employee keeping name, team, role.

    Written by a child process: a child's peak RSS (ru_maxrss) starts from its parent's at fork, so the
    process that starts the measured commands must stay small.
    """
    if not path.exists():
        spec = {"peers": str(peers), "path": str(path), "employees": employees, "periods": periods,
                "team_size": team_size, "n_teams": n_teams, "seed": seed, "bom": bom}
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker-gen", json.dumps(spec)], check=True)
    return path


def worker_gen(spec: dict[str, Any]) -> None:
    import numpy as np

    peers, path, employees, periods = Path(spec["peers"]), Path(spec["path"]), spec["employees"], spec["periods"]
    team_size, n_teams, seed, bom = spec["team_size"], spec["n_teams"], spec["seed"], spec["bom"]
    start = time.perf_counter()
    rows = employees * len(periods)
    roles, text, metrics = peers_generate(peers, rows, seed)
    rng = np.random.default_rng(seed + 1)
    ids = [f"E{e + 1:07d}" for e in range(employees)]
    names = names_for(rng, employees)
    teams = teams_for(rng, employees, team_size, n_teams)
    role_of = roles[:employees].tolist()
    metric_cols = [text[m].tolist() for m in metrics]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(COLUMNS_FRONT + list(metrics))
        for p, period in enumerate(periods):
            lo = p * employees
            writer.writerows(zip(ids, names, teams, role_of, [period] * employees,
                                 *(col[lo:lo + employees] for col in metric_cols)))
    tmp.replace(path)
    print(f"  generated {path.name}: {rows:,} rows, {path.stat().st_size / 1e6:.0f} MB, "
          f"{time.perf_counter() - start:.1f} s", flush=True)


def write_policies(work: Path) -> tuple[Path, Path]:
    """The peers' policy with a yearly roll-up; and the same with a `team` section (team indicators, blend,
    one team-scope suggestion) for the team-count case."""
    base = (BENCH / "peer_workload.yaml").read_text(encoding="utf-8")
    if "cycle: {period: quarter}" not in base:
        raise SystemExit("bench/peer_workload.yaml has no `cycle: {period: quarter}` line to extend")
    real = base.replace("cycle: {period: quarter}", "cycle: {period: quarter, rollup: {period: year, method: mean}}")
    real = real.replace("id: peer-workload", "id: peer-workload-real")
    team = real.replace("id: peer-workload-real", "id: peer-workload-team") + """
team:
  key: team
  indicators:
    team_revenue: {formula: sum(revenue), target: 7000000, scale: bands, weight: 60%}
    team_survey: {formula: mean(survey_score), target: 4.0, scale: bands, weight: 40%}
  apply:
    blend: 20%
suggestions:
  - id: conversion
    when: score('paid_conversion') < 80
    text: 付费转化率未达标:与产品部门梳理付费流程。
  - id: team_plan
    scope: team
    when: grade == 'C' or grade == 'D'
    text: 团队绩效待改进:制定下季度改进计划。
"""
    paths = (work / "real_policy.yaml", work / "real_policy_team.yaml")
    for path, text in zip(paths, (real, team)):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return paths


NUMPY_WRAPPER = '''"""The peers' numpy_vectorized contender, its loader adapted to the real-shaped file.

Written by kpi-rules' bench/real_bench.py.
"""
import time

T0 = time.perf_counter()
import os  # noqa: E402
import sys  # noqa: E402

PEERS = os.environ["PEERS_DIR"]
sys.path[:0] = [os.path.join(PEERS, "contenders"), PEERS]
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

import numpy_vectorized as nv  # noqa: E402
from policy import FLOAT_COLS, INT_COLS, ROLE_NAMES  # noqa: E402


def load(path):
    schema = {c: pl.Int64 for c in INT_COLS}
    schema.update({c: pl.Float64 for c in FLOAT_COLS})
    schema.update({"employee_id": pl.Utf8, "name": pl.Utf8, "team": pl.Utf8, "period": pl.Utf8,
                   "role": pl.Enum(ROLE_NAMES)})
    df = pl.read_csv(path, schema_overrides=schema)
    cols = {c: df[c].cast(pl.Float64).to_numpy() for c in INT_COLS + FLOAT_COLS}  # null -> NaN
    cols["id"] = df["employee_id"].to_numpy()
    cols["role"] = df["role"].to_physical().to_numpy().astype(np.intp)
    return cols


nv.load = load
nv.T0 = T0
nv.main()
'''


# --------------------------------------------------------------------------- children

def worker_lib(policy_path: str, data_path: str, period: str) -> None:
    """Child process: the library from a file to results in memory; prints one JSON line of phases."""
    t0 = time.perf_counter()
    from kpi_rules import evaluate, load_data, load_policy

    t1 = time.perf_counter()
    policy = load_policy(policy_path)
    t2 = time.perf_counter()
    table = load_data(policy, data_path)
    t3, c3 = time.perf_counter(), time.process_time()
    evaluate(policy, table, period)
    t4, c4 = time.perf_counter(), time.process_time()
    print(json.dumps({"t_import": t1 - t0, "t_policy": t2 - t1, "t_load": t3 - t2, "t_compute": t4 - t3,
                      "cpu_compute": c4 - c3}))


class Run:
    def __init__(self, wall: float, peak_mib: float, timing: dict[str, float], status: str, cpu: float = float("nan")
                 ) -> None:
        self.wall, self.peak, self.timing, self.status, self.cpu = wall, peak_mib, timing, status, cpu

    def t(self, key: str) -> float:
        return self.timing.get(key, float("nan")) if self.status == "ok" else float("nan")

    @property
    def w(self) -> float:
        return self.wall if self.status == "ok" else float("nan")

    @property
    def c(self) -> float:
        """CPU time (user + sys) of the process: steadier than wall time on a shared machine."""
        return self.cpu if self.status == "ok" else float("nan")

    @property
    def p(self) -> float:
        return self.peak if self.status == "ok" else float("nan")


def timed(cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak RSS of one child process; the JSON timing line it prints, if any."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, text=True, env=env)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            os.kill(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if killed.is_set():
            return Run(wall, usage.ru_maxrss / 1024, {}, "timeout")
        if proc.returncode not in (0, 1):  # 1: some rows are errors, still a full output
            print(f"  FAILED ({proc.returncode}): {' '.join(cmd)}\n{err.read()[-2000:]}", file=sys.stderr)
            return Run(wall, usage.ru_maxrss / 1024, {}, "failed")
        timing: dict[str, float] = {}
        for line in out.read().splitlines():
            if line.startswith("{") and '"t_compute"' in line:
                timing = json.loads(line)
    return Run(wall, usage.ru_maxrss / 1024, timing, "ok", usage.ru_utime + usage.ru_stime)


def run_interleaved(jobs: dict[str, tuple[list[str], dict[str, str] | None]], repeat: int, cwd: Path,
                    timeout: float) -> dict[str, list[Run]]:
    results: dict[str, list[Run]] = {k: [] for k in jobs}
    names = list(jobs)
    skip: set[str] = set()
    for rep in range(repeat):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            if name in skip:
                results[name].append(Run(float("nan"), float("nan"), {}, "timeout"))
                continue
            cmd, env = jobs[name]
            run = timed(cmd, cwd, timeout, env)
            results[name].append(run)
            print(f"  rep {rep + 1} {name:14} wall {run.wall:7.2f} s  cpu {run.cpu:6.2f} s  peak {run.peak:6.0f} MiB"
                  + (f"  compute {run.t('t_compute'):.3f} s" if "t_compute" in run.timing else "")
                  + ("" if run.status == "ok" else f"  {run.status.upper()}"), flush=True)
            if run.status == "timeout":
                skip.add(name)  # as the peers' bench.py: a job over the limit is skipped afterwards
    return results


# --------------------------------------------------------------------------- figures

def med(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def ratio(results: dict[str, list[Run]], a: str, b: str, get: Callable[[Run], float]) -> float:
    """median over repetitions of get(a) / get(b), taken within each repetition."""
    return med([get(x) / get(y) for x, y in zip(results[a], results[b])])


def fmt(v: float, spec: str = ".2f", unit: str = "") -> str:
    return "n/a" if v != v else f"{v:{spec}}{unit}"


def verdict(value: float, limit: float, below: bool = True) -> str:
    if value != value:
        return "n/a"
    return "ok" if (value <= limit if below else value >= limit) else "MISSED"


def print_jobs(results: dict[str, list[Run]]) -> None:
    print(f"  {'job':15} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'load s':>8} {'compute s':>10} "
          f"{'(cpu s)':>8}  runs")
    for name, runs in results.items():
        status = ",".join(sorted({r.status for r in runs}))
        load, compute = med([r.t("t_load") for r in runs]), med([r.t("t_compute") for r in runs])
        compute_cpu = med([r.t("cpu_compute") for r in runs])
        print(f"  {name:15} {fmt(med([r.w for r in runs])):>8} {fmt(med([r.c for r in runs])):>8} "
              f"{fmt(med([r.p for r in runs]), '.0f'):>9} {fmt(load, '.3f'):>8} {fmt(compute, '.3f'):>10} "
              f"{fmt(compute_cpu, '.3f'):>8}  {len(runs)} {status}")


def check_grades(numpy_csv: Path, kpi_csv: Path, data_csv: Path) -> str:
    """Grades of the numpy contender's output against kpi-rules' --format csv output, row by row; rows with
    ops_cost 0 are left out (kpi-rules follows the amended POLICY_FORMAT 2.3 there, README of bench-peers)."""
    try:
        with numpy_csv.open(encoding="utf-8", newline="") as a, kpi_csv.open(encoding="utf-8-sig", newline="") as b, \
                data_csv.open(encoding="utf-8-sig", newline="") as d:
            ra, rb, rd = csv.DictReader(a), csv.DictReader(b), csv.DictReader(d)
            if "grade" not in (rb.fieldnames or []) or "employee_id" not in (rb.fieldnames or []):
                return f"not compared (kpi-rules csv columns: {rb.fieldnames})"
            theirs = {r["id"]: r["grade"] for r in ra}
            skip = {r["employee_id"] for r in rd if r["ops_cost"] in ("0.00", "0")}
            compared = differ = 0
            for r in rb:
                emp = r["employee_id"]
                if emp in skip or emp not in theirs:
                    continue
                compared += 1
                differ += theirs[emp] != r["grade"]
        return f"grades: {compared:,} rows compared with the numpy contender, {differ:,} differ " \
               f"({len(skip):,} rows with ops_cost 0 left out)"
    except (OSError, KeyError) as exc:
        return f"not compared: {exc}"


def size_table(n: int, res: dict[str, list[Run]], annual_employees: int, with_reports: bool) -> list[list[str]]:
    """The figures of one size, of the jobs that ran (--only leaves some out)."""
    rows: list[list[str]] = []
    if "numpy" in res:
        rows += quarter_rows(n, res, with_reports)
    if "lib_year4" in res:
        rows += annual_rows(annual_employees, res)
    return rows


def quarter_rows(n: int, res: dict[str, list[Run]], with_reports: bool) -> list[list[str]]:
    json_target = 3.0 if n < 1_000_000 else 4.0
    at_1m = n >= 1_000_000
    rows: list[list[str]] = []
    k_c, n_c = med([r.t("t_compute") for r in res["lib_quarter"]]), med([r.t("t_compute") for r in res["numpy"]])
    thr = ratio(res, "numpy", "lib_quarter", lambda r: r.t("t_compute"))  # kpi throughput / numpy throughput
    rows.append([f"compute, {n:,} rows (library evaluate)",
                 f"{fmt(k_c, '.3f')} s ({fmt(n / k_c / 1e6, '.2f')}M rows/s)",
                 f"{fmt(n_c, '.3f')} s ({fmt(n / n_c / 1e6, '.2f')}M rows/s)", f"{fmt(thr)}x throughput", ">= 0.5x",
                 verdict(thr, 0.5, below=False)])
    for job, target in (("cli_csv", 2.0), ("cli_json", json_target)):
        r = ratio(res, job, "numpy", lambda x: x.w)
        rows.append([f"CLI CSV -> {job[4:].upper()} wall", f"{fmt(med([x.w for x in res[job]]))} s",
                     f"{fmt(med([x.w for x in res['numpy']]))} s", f"{fmt(r)}x", f"<= {target:g}x", verdict(r, target)])
        r = ratio(res, job, "numpy", lambda x: x.c)
        rows.append(["  same, CPU (user + sys)", f"{fmt(med([x.c for x in res[job]]))} s",
                     f"{fmt(med([x.c for x in res['numpy']]))} s", f"{fmt(r)}x", "(info)", ""])
    peak_jobs = ["cli_csv", "cli_json"] + (["cli_year4_csv", "cli_year4_json"] if "cli_year4_csv" in res else [])
    peak_jobs += ["cli_md", "cli_html"] if with_reports else []
    for job in peak_jobs:
        p = med([x.p for x in res[job]])
        rows.append([f"peak RSS {job}", f"{fmt(p, ',.0f')} MiB", f"{fmt(med([x.p for x in res['numpy']]), ',.0f')} MiB",
                     "", "< 1 GiB at 1M", verdict(p, 1024.0) if at_1m else ("(info)" if p < 1024 else "(info: over)")])
    if with_reports:
        for job in ("cli_md", "cli_html"):
            rows.append([f"{job[4:]} report for {n:,} employees wall", f"{fmt(med([x.w for x in res[job]]))} s", "", "",
                         "(info)", ""])
    return rows


def annual_rows(annual_employees: int, res: dict[str, list[Run]]) -> list[list[str]]:
    rows: list[list[str]] = []
    for key, what in (("t_compute", "library evaluate"), ("cpu_compute", "  same, CPU")):
        lib = ratio(res, "lib_year4", "lib_q1of4", lambda r, key=key: r.t(key))
        rows.append([f"annual 4x{annual_employees:,} vs 1 quarter, {what}",
                     f"{fmt(med([x.t(key) for x in res['lib_year4']]), '.3f')} s",
                     f"{fmt(med([x.t(key) for x in res['lib_q1of4']]), '.3f')} s (1 quarter)", f"{fmt(lib)}x",
                     "<= 5x", verdict(lib, 5.0)])
    lib_all = ratio(res, "lib_year4", "lib_q1of4", lambda r: r.t("t_load") + r.t("t_compute"))
    both = {job: med([x.t("t_load") + x.t("t_compute") for x in res[job]]) for job in ("lib_year4", "lib_q1of4")}
    rows.append(["  same, load_data + evaluate", f"{fmt(both['lib_year4'], '.3f')} s",
                 f"{fmt(both['lib_q1of4'], '.3f')} s", f"{fmt(lib_all)}x", "<= 5x", verdict(lib_all, 5.0)])
    for fmt_ in ("csv", "json"):
        r = ratio(res, f"cli_year4_{fmt_}", f"cli_q1of4_{fmt_}", lambda x: x.w)
        rows.append([f"annual 4x{annual_employees:,} vs 1 quarter, CLI --format {fmt_} wall",
                     f"{fmt(med([x.w for x in res[f'cli_year4_{fmt_}']]))} s",
                     f"{fmt(med([x.w for x in res[f'cli_q1of4_{fmt_}']]))} s (1 quarter)", f"{fmt(r)}x", "<= 5x",
                     verdict(r, 5.0)])
    return rows


def print_table(title: str, rows: list[list[str]]) -> None:
    head = ["measure", "kpi-rules", "reference", "ratio", "target", ""]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


# --------------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, action="append", help="rows of one quarter (repeatable; default 100000)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved repetitions; medians are printed (default 3)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 20k rows, 5k-employee reports, 1 repetition")
    ap.add_argument("--report-employees", type=int, default=50_000, help="employees in the md/html reports (50000)")
    ap.add_argument("--annual-employees", type=int, help="employees of the 4-quarter file (default rows/4)")
    ap.add_argument("--team-rows", type=int, help="rows of the team-count case (default min(rows, 100000); 0 skips)")
    ap.add_argument("--team-size", type=int, default=10, help="people per team, +-50%% (default 10)")
    ap.add_argument("--reports-at-rows", action="store_true", help="also time md/html reports for every --rows size")
    ap.add_argument("--skip-reports", action="store_true", help="leave out the 50k-employee reports")
    ap.add_argument("--only", choices=sorted(GROUPS), help="run only these jobs, per --rows size: `quarter` (the "
                    "contender, lib_quarter, cli_csv, cli_json) or `annual` (lib_year4, lib_q1of4, cli_year4_*, "
                    "cli_q1of4_*); no reports or team case")
    ap.add_argument("--bom", action="store_true", help="write the CSV with a UTF-8 BOM (Excel's 'CSV UTF-8')")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per process; over it = timeout (900)")
    ap.add_argument("--work", type=Path, default=WORK, help=f"data and outputs (default {WORK})")
    ap.add_argument("--worker-lib", nargs=3, metavar=("POLICY", "DATA", "PERIOD"), help=argparse.SUPPRESS)
    ap.add_argument("--worker-gen", help=argparse.SUPPRESS)
    ap.add_argument("--worker-check", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker_lib:
        worker_lib(*args.worker_lib)
        return
    if args.worker_check:
        print("  " + check_grades(*map(Path, args.worker_check)), flush=True)
        return
    if args.worker_gen:
        worker_gen(json.loads(args.worker_gen))
        return
    if args.quick:
        args.rows = args.rows or [20_000]
        args.repeat = 1
        args.report_employees = min(args.report_employees, 5_000)
    sizes = args.rows or [100_000]
    work: Path = args.work
    (work / "out").mkdir(parents=True, exist_ok=True)
    out = work / "out"
    print(f"kpi-rules real-shaped benchmark: rows {sizes}, {args.repeat} repetition(s), Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs; data in {work}", flush=True)
    peers = peers_dir()
    # kpi-rules as installed: pip compiles a package's bytecode when it installs it. A source tree (an editable
    # install) run with PYTHONDONTWRITEBYTECODE=1, as on the project's machines, would compile every module at
    # every start instead (0.15 s of CPU at each run).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "kpi_rules")], check=False)
    npy = str(peers / ".venv" / "bin" / "python")
    wrapper = work / "numpy_real.py"
    wrapper.write_text(NUMPY_WRAPPER, encoding="utf-8")
    policy, team_policy = write_policies(work)
    tag = f"v{DATA_VERSION}{'-bom' if args.bom else ''}"
    peers_env = dict(os.environ, PEERS_DIR=str(peers))
    me = [sys.executable, str(Path(__file__).resolve()), "--worker-lib"]

    def data(employees: int, periods: list[str], **kw: Any) -> Path:
        suffix = f"_teams{kw['n_teams']}" if kw.get("n_teams") else f"_ts{args.team_size}"
        name = f"real_{employees}x{len(periods)}{suffix}_{tag}.csv"
        return write_real_csv(peers, work / name, employees, periods, team_size=args.team_size, bom=args.bom, **kw)

    def cli(pol: Path, path: Path, period: str, form: str, dest: Path) -> tuple[list[str], None]:
        return [str(KPI), "evaluate", str(pol), "--data", str(path), "--period", period, "--format", form,
                "--out", str(dest)], None

    tables: list[tuple[str, list[list[str]]]] = []
    for n in sizes:
        annual = args.annual_employees or n // 4
        print(f"\nN = {n:,}: data", flush=True)
        quarter = data(n, PERIODS[:1]) if args.only != "annual" else work / "unused"
        year4 = data(annual, PERIODS) if args.only != "quarter" else work / "unused"
        q1of4 = data(annual, PERIODS[:1]) if args.only != "quarter" else work / "unused"
        jobs: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "numpy": ([npy, str(wrapper), "--data", str(quarter), "--out", str(out / f"numpy_{n}.csv")], peers_env),
            "lib_quarter": ([*me, str(policy), str(quarter), "2024-Q1"], None),
            "cli_csv": cli(policy, quarter, "2024-Q1", "csv", out / f"cli_{n}.csv"),
            "cli_json": cli(policy, quarter, "2024-Q1", "json", out / f"cli_{n}.json"),
            "lib_year4": ([*me, str(policy), str(year4), "2024"], None),
            "lib_q1of4": ([*me, str(policy), str(q1of4), "2024-Q1"], None),
            "cli_year4_csv": cli(policy, year4, "2024", "csv", out / f"year4_{annual}.csv"),
            "cli_q1of4_csv": cli(policy, q1of4, "2024-Q1", "csv", out / f"q1of4_{annual}.csv"),
            "cli_year4_json": cli(policy, year4, "2024", "json", out / f"year4_{annual}.json"),
            "cli_q1of4_json": cli(policy, q1of4, "2024-Q1", "json", out / f"q1of4_{annual}.json"),
        }
        if args.reports_at_rows:
            jobs["cli_md"] = cli(policy, quarter, "2024-Q1", "md", out / f"report_{n}.md")
            jobs["cli_html"] = cli(policy, quarter, "2024-Q1", "html", out / f"report_{n}.html")
        if args.only:
            jobs = {name: job for name, job in jobs.items() if name in GROUPS[args.only]}
        print(f"N = {n:,}: runs", flush=True)
        res = run_interleaved(jobs, args.repeat, work, args.timeout)
        print(f"\nN = {n:,}, medians of {args.repeat}:")
        print_jobs(res)
        if "numpy" in jobs:
            subprocess.run([*me[:2], "--worker-check", str(out / f"numpy_{n}.csv"), str(out / f"cli_{n}.csv"),
                            str(quarter)], check=False)
        for name in ("cli_csv", "cli_json"):
            path = out / f"{name[:3]}_{n}.{name[4:]}"
            if name in jobs and path.exists():
                print(f"  {name} output: {path.stat().st_size / 1e6:,.0f} MB")
        tables.append((f"N = {n:,} rows of one quarter ({n // args.team_size:,} teams of ~{args.team_size}); "
                       f"annual: {annual:,} employees x 4 quarters", size_table(n, res, annual, args.reports_at_rows)))

    once: dict[str, tuple[list[str], dict[str, str] | None]] = {}
    r_emp = args.report_employees
    if not args.skip_reports and not args.only and r_emp:
        print(f"\nreports for {r_emp:,} employees: data", flush=True)
        rep_data = data(r_emp, PERIODS[:1])
        once["report_md"] = cli(policy, rep_data, "2024-Q1", "md", out / f"report_{r_emp}.md")
        once["report_html"] = cli(policy, rep_data, "2024-Q1", "html", out / f"report_{r_emp}.html")
    t_rows = min(sizes[0], 100_000) if args.team_rows is None else args.team_rows
    t_rows = 0 if args.only else t_rows
    if t_rows:
        print(f"team-count case, {t_rows:,} rows: data", flush=True)
        many = data(t_rows, PERIODS[:1])
        four = data(t_rows, PERIODS[:1], n_teams=4)
        once["team_many_csv"] = cli(team_policy, many, "2024-Q1", "csv", out / f"team_many_{t_rows}.csv")
        once["team_4_csv"] = cli(team_policy, four, "2024-Q1", "csv", out / f"team_4_{t_rows}.csv")
    if once:
        print("runs", flush=True)
        res = run_interleaved(once, args.repeat, work, args.timeout)
        print(f"\nreports and teams, medians of {args.repeat}:")
        print_jobs(res)
        rows = []
        for job in ("report_md", "report_html"):
            if job in res:
                w, p = med([x.w for x in res[job]]), med([x.p for x in res[job]])
                size = (out / f"report_{r_emp}.{job[7:]}")
                mb = f", {size.stat().st_size / 1e6:,.1f} MB" if size.exists() else ""
                rows.append([f"{job[7:]} report, {r_emp:,} employees, wall", f"{fmt(w)} s{mb}", "", "", "< 10 s",
                             verdict(w, 10.0)])
                rows.append([f"{job[7:]} report, {r_emp:,} employees, peak", f"{fmt(p, ',.0f')} MiB", "", "", "< 1 GiB",
                             verdict(p, 1024.0)])
        if "team_many_csv" in res:
            r = ratio(res, "team_many_csv", "team_4_csv", lambda x: x.w)
            rows.append([f"team policy, {t_rows:,} rows in ~{t_rows // args.team_size:,} teams vs 4, CLI csv wall",
                         f"{fmt(med([x.w for x in res['team_many_csv']]))} s",
                         f"{fmt(med([x.w for x in res['team_4_csv']]))} s (4 teams)", f"{fmt(r)}x", "~1x (linear)",
                         "(info)"])
        tables.append(("Reports and the number of teams", rows))

    for title, rows in tables:
        print_table(title, rows)


if __name__ == "__main__":
    main()
