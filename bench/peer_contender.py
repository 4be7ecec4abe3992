"""kpi-rules as a contender of the peer benchmark (../shared/bench-peers).

    python bench/peer_contender.py --data employees_100000.csv --out results/kpi_rules_100000.csv

Runs bench/peer_workload.yaml through the kpi-rules API and writes the peer
workload's output CSV (WORKLOAD.md section 3), printing the JSON timing line
the peer contenders print: t_load (read + type), t_compute (engine), t_write.
"""

import time

T0 = time.perf_counter()
from kpi_rules.common import perf  # noqa: E402

perf.one_run()  # one run, then the process ends, as `kpi-rules evaluate` (before numpy is imported)
import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from kpi_rules.common.perf import settle_loaded_data  # noqa: E402
from kpi_rules.data.readers import read_table  # noqa: E402
from kpi_rules.data.table import type_table  # noqa: E402
from kpi_rules.engine import evaluate  # noqa: E402
from kpi_rules.policy.compiler import load_policy  # noqa: E402

POLICY = Path(__file__).with_name("peer_workload.yaml")
INDICATORS = ["visits", "paid_conversion", "arpu", "cac", "complaint_rate", "survey_score"]


def write_peer_csv(result, path: str) -> None:
    """id,s_*,total,bonus,final,grade,flags in input order."""
    cols = result.indicators
    scores = []
    for ind in INDICATORS:
        c = cols[ind]
        text = np.where(c.applies, np.nan_to_num(c.score, nan=0.0).astype(np.int64).astype(str), "")
        scores.append(text)
    total = np.char.mod("%.2f", np.round(result.individual, 2))
    final = np.char.mod("%.2f", result.final)
    bonus = result.bonus.astype(np.int64).astype(str)
    flagged = [np.where(cols[ind].applies & (cols[ind].fail != 0), ind, "") for ind in INDICATORS]
    flags = ["|".join(f for f in row if f) for row in zip(*flagged)]
    lines = ["id,s_visits,s_paid_conversion,s_arpu,s_cac,s_complaint_rate,s_survey_score,total,bonus,final,grade,flags"]
    for i, emp in enumerate(result.employee_id):
        lines.append(",".join([emp, *(s[i] for s in scores), total[i], bonus[i], final[i], result.grade[i], flags[i]]))
    Path(path).write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    t_import = time.perf_counter() - T0
    policy = load_policy(POLICY)
    t1 = time.perf_counter()
    raw = read_table(args.data)
    raw.rename({"employee_id": "id"})
    table = type_table(policy, raw)
    settle_loaded_data()  # as the CLI does: the collector never walks the loaded table again
    t2 = time.perf_counter()
    result = evaluate(policy, table, "2024-Q1").result
    t3 = time.perf_counter()
    write_peer_csv(result, args.out)
    t4 = time.perf_counter()
    print(json.dumps({"contender": "kpi_rules", "n": table.n, "t_import": round(t_import, 6),
                      "t_load": round(t2 - t1, 6), "t_compute": round(t3 - t2, 6), "t_write": round(t4 - t3, 6),
                      "t_total": round(t4 - T0, 6)}))


if __name__ == "__main__":
    main()
