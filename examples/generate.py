#!/usr/bin/env python3
"""Generate the example data sets in this folder. Deterministic: same files every run.

    python examples/generate.py          # from the repository root, any Python >= 3.10

Writes, next to this script:

  ops-2024.csv / ops-2024.json / ops-2024.xlsx   policies/ops-department.yaml, 2024-Q1..Q4
  support-2024.csv                               policies/customer-support.yaml, 2024-01..06

The numbers are made up around the targets written in the two policies (the
constants below mirror them), with a fixed seed, so that every grade occurs
and the forced distribution has something to do. A handful of rows are
edited on purpose to show the edge cases; examples/README.md lists them.

Only the standard library is needed; the .xlsx is written when openpyxl is
installed (pip install 'kpi-rules[xlsx]') and skipped with a message otherwise.
The .xlsx is made byte-for-byte reproducible too (fixed document and zip dates).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 2024

Row = dict[str, Any]

# ---------------------------------------------------------------------------
# Operations department (policies/ops-department.yaml): quarterly, 2024.
# ---------------------------------------------------------------------------

OPS_INPUTS = ["visits", "active_users", "registrations", "paid_users", "revenue", "ops_cost", "new_customers",
              "complaints_handled", "complaints_total", "survey_score", "manager_rating", "peer_rating",
              "cross_dept_projects", "knowledge_shares", "days_worked", "late_reports", "compliance_incidents"]
OPS_COLUMNS = ["employee_id", "name", "role", "team", "period", *OPS_INPUTS]
QUARTERS = {"2024-Q1": 91, "2024-Q2": 91, "2024-Q3": 92, "2024-Q4": 92}  # calendar days in the quarter

# (employee_id, name, role, team); E041 joins on 2024-09-01.
OPS_STAFF = [
    ("E001", "王建国", "ops_manager", "growth"),
    ("E002", "李娜", "ops_specialist", "growth"),
    ("E003", "张伟", "ops_specialist", "growth"),
    ("E004", "刘洋", "ops_specialist", "growth"),
    ("E005", "陈静", "ops_specialist", "growth"),
    ("E006", "杨帆", "ops_specialist", "growth"),
    ("E007", "赵敏", "ops_specialist", "growth"),
    ("E008", "黄志强", "ops_specialist", "growth"),
    ("E009", "周婷", "data_analyst", "growth"),
    ("E010", "吴昊", "data_analyst", "growth"),
    ("E011", "徐丽华", "ops_manager", "content"),
    ("E012", "孙浩然", "ops_specialist", "content"),
    ("E013", "胡佳怡", "ops_specialist", "content"),
    ("E014", "朱琳", "ops_specialist", "content"),
    ("E015", "高翔", "ops_specialist", "content"),
    ("E016", "林晓东", "ops_specialist", "content"),
    ("E017", "何欣", "ops_specialist", "content"),
    ("E018", "郭鹏", "ops_specialist", "content"),
    ("E019", "马超", "data_analyst", "content"),
    ("E020", "罗雪", "data_analyst", "content"),
    ("E021", "梁文博", "ops_manager", "channel"),
    ("E022", "宋涛", "ops_specialist", "channel"),
    ("E023", "郑宇", "ops_specialist", "channel"),
    ("E024", "谢晨", "ops_specialist", "channel"),
    ("E025", "韩梅", "ops_specialist", "channel"),
    ("E026", "唐俊", "ops_specialist", "channel"),
    ("E027", "冯雅琴", "ops_specialist", "channel"),
    ("E028", "于洋", "ops_specialist", "channel"),
    ("E029", "董洁", "data_analyst", "channel"),
    ("E030", "程亮", "data_analyst", "channel"),
    ("E031", "曹颖", "ops_manager", "insights"),
    ("E032", "袁博", "ops_specialist", "insights"),
    ("E033", "邓倩", "ops_specialist", "insights"),
    ("E034", "许诺", "ops_specialist", "insights"),
    ("E035", "傅晴", "data_analyst", "insights"),
    ("E036", "沈嘉欣", "data_analyst", "insights"),
    ("E037", "曾凡", "data_analyst", "insights"),
    ("E038", "彭磊", "data_analyst", "insights"),
    ("E039", "吕思远", "data_analyst", "insights"),
    ("E040", "蒋明", "data_analyst", "insights"),
    ("E041", "苏畅", "ops_specialist", "growth"),
]

# Mean user-survey score of each team per quarter (the team coefficient reads
# mean(survey_score): >= 3.8 -> 1.05, 3.5..3.8 -> 1.00, below 3.5 -> 0.90).
OPS_SURVEY = {
    "growth": (4.15, 4.20, 4.25, 4.30),
    "content": (4.10, 4.00, 3.30, 3.95),   # Q3: a content incident hits satisfaction -> coefficient 0.90
    "channel": (4.00, 3.65, 4.05, 4.10),   # Q2: a weak quarter -> coefficient 1.00
    "insights": (4.20, 4.25, 4.30, 4.35),
}

# A few people whose level is fixed rather than drawn, so the story holds.
OPS_ABILITY = {
    "E005": 1.8,    # the department's star: S in most quarters
    "E012": 1.3,    # strong, but the compliance incident in Q2 (veto -> D, and D for the year)
    "E029": -2.2,   # struggling analyst: C/D grades
    "E041": 0.0,    # the new hire
}


def _clip(value: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, value))


def _pick(rng: random.Random, values: list[int], weights: list[int]) -> int:
    return rng.choices(values, weights=weights)[0]


def ops_row(rng: random.Random, staff: tuple[str, str, str, str], quarter: str, form: float, survey: float) -> Row:
    """One employee in one quarter; `form` > 0 is above target, < 0 below."""
    emp, name, role, team = staff

    def f(spread: float = 0.05) -> float:  # a performance factor around 1.0
        return 1 + 0.07 * form + rng.gauss(0, spread)

    cac = 50 / f()  # lower is better: good form, cheaper customers
    if role == "ops_manager":
        visits, active = 1_000_000 * f(), 150_000 * f()
        registrations = 40_000 * f(0.03)
        conversion = 0.03 * f()
        revenue = 5_000_000 * f()
        ops_cost = 1_500_000 / f()
        complaints = rng.randint(80, 160)
    elif role == "ops_specialist":
        visits, active = 300_000 * f(), 45_000 * f(0.08)
        registrations = 12_000 * f()
        conversion = 0.025 * f()
        revenue = 1_500_000 * f()
        ops_cost = None  # from new customers x CAC below
        complaints = rng.randint(15, 60)
    else:  # data_analyst
        visits, active = 250_000 * f(0.08), 150_000 * f()
        registrations = 40_000 * f(0.03)
        conversion = 0.025 * f()
        revenue = active * 33 * f()  # ARPU around 33
        ops_cost = 1_500_000 / f(0.08)
        complaints = rng.randint(30, 90)
    paid_users = round(registrations * conversion)
    if ops_cost is None:
        new_customers = round(paid_users * rng.uniform(2.6, 3.4))  # new sign-ups plus free users who start paying
        ops_cost = new_customers * cac
    else:
        new_customers = round(ops_cost / cac)
    handled_share = _clip(0.95 + 0.02 * form + rng.gauss(0, 0.012), 0.80, 1.0)
    manager = _clip(round(3.9 + 0.35 * form + rng.gauss(0, 0.25), 1), 2.5, 5.0)
    peer = _clip(round(3.9 + 0.30 * form + rng.gauss(0, 0.3), 1), 2.5, 5.0)
    return {
        "employee_id": emp, "name": name, "role": role, "team": team, "period": quarter,
        "visits": round(visits), "active_users": round(active), "registrations": round(registrations),
        "paid_users": paid_users, "revenue": round(revenue), "ops_cost": round(ops_cost),
        "new_customers": new_customers,
        "complaints_handled": round(complaints * handled_share), "complaints_total": complaints,
        "survey_score": round(_clip(survey + rng.gauss(0, 0.2), 1, 5), 2),
        "manager_rating": manager, "peer_rating": peer,
        "cross_dept_projects": _pick(rng, [0, 1, 2, 3], [40, 30, 20, 10]),
        "knowledge_shares": _pick(rng, [0, 1, 2, 3, 4], [35, 25, 20, 12, 8]),
        "days_worked": QUARTERS[quarter] - _pick(rng, [0, 1, 2, 3, 5, 8], [40, 15, 15, 12, 10, 8]),
        "late_reports": _pick(rng, [0, 1, 2, 3], [72, 18, 7, 3]),
        "compliance_incidents": 0,
    }


def ops_rows() -> list[Row]:
    rng = random.Random(SEED)
    # Everyone else is drawn, within +-1.6 so that only E029 is far below target all year.
    ability = {s[0]: OPS_ABILITY.get(s[0], _clip(rng.gauss(0, 1.0), -1.6, 1.6)) for s in OPS_STAFF}
    rows: list[Row] = []
    for q, quarter in enumerate(QUARTERS):
        for staff in OPS_STAFF:
            emp, team = staff[0], staff[3]
            if emp == "E041" and quarter < "2024-Q3":
                continue  # not hired yet
            form = ability[emp] + rng.gauss(0, 0.6)
            rows.append(ops_row(rng, staff, quarter, form, OPS_SURVEY[team][q]))
    _ops_edge_cases(rows)
    return rows


def _find(rows: list[Row], emp: str, period: str) -> Row:
    return next(r for r in rows if r["employee_id"] == emp and r["period"] == period)


def _ops_edge_cases(rows: list[Row]) -> None:
    """The deliberate cases documented in examples/README.md."""
    # E041 joins on 2024-09-01: 30 days in Q3 (< 45, not rated), a full Q4 -> 1 rated quarter,
    # fewer than min_periods 2, so the annual review is "not rated". Q3 numbers are a ramp-up.
    q3 = _find(rows, "E041", "2024-Q3")
    for key in ("visits", "active_users", "registrations", "paid_users", "revenue", "ops_cost", "new_customers",
                "complaints_handled", "complaints_total"):
        q3[key] = round(q3[key] * 0.3)
    q3.update(days_worked=30, cross_dept_projects=0, knowledge_shares=0, late_reports=0)
    _find(rows, "E041", "2024-Q4")["days_worked"] = 92
    # E012, 2024-Q2: a compliance incident (veto): grade D whatever the score, and D for the year.
    _find(rows, "E012", "2024-Q2")["compliance_incidents"] = 1
    # E025, 2024-Q2: days_worked left blank (an optional input): the eligibility rule cannot be
    # decided, so the row is not rated and says why.
    _find(rows, "E025", "2024-Q2")["days_worked"] = None
    # E018, 2024-Q1: no complaints at all (0 / 0): complaint_rate is excluded (missing: exclude)
    # and the other indicators' weights are rescaled to 100%.
    _find(rows, "E018", "2024-Q1").update(complaints_handled=0, complaints_total=0)
    # E033, 2024-Q4: survey_score typed as 7 (meant 4.7), above the maximum 5: an error row.
    _find(rows, "E033", "2024-Q4")["survey_score"] = 7


# ---------------------------------------------------------------------------
# Customer support (policies/customer-support.yaml): monthly, 2024-01..06.
# ---------------------------------------------------------------------------

SUPPORT_INPUTS = ["tickets_assigned", "tickets_resolved", "first_response_hours", "csat", "escalations",
                  "kb_articles", "qa_reviews", "peer_rating", "mentoring_sessions", "days_worked", "sla_breaches",
                  "privacy_incidents"]
SUPPORT_COLUMNS = ["employee_id", "name", "role", "team", "period", *SUPPORT_INPUTS]
MONTHS = {"2024-01": 23, "2024-02": 21, "2024-03": 21, "2024-04": 22, "2024-05": 23, "2024-06": 20}  # workdays

SUPPORT_STAFF = [
    ("S001", "Olivia Bennett", "support_lead", "emea"),
    ("S002", "Liam Carter", "support_agent", "emea"),
    ("S003", "Sophie Müller", "support_agent", "emea"),
    ("S004", "Noah Fischer", "support_agent", "emea"),
    ("S005", "Emma Rossi", "support_agent", "emea"),
    ("S006", "Lucas Dubois", "support_agent", "emea"),
    ("S007", "Mia Johansson", "support_agent", "emea"),
    ("S008", "Hannah O'Brien", "quality_analyst", "emea"),
    ("S009", "Ethan Brooks", "support_lead", "americas"),
    ("S010", "Ava Martinez", "support_agent", "americas"),
    ("S011", "James Walker", "support_agent", "americas"),
    ("S012", "Isabella Nguyen", "support_agent", "americas"),
    ("S013", "Benjamin Clarke", "support_agent", "americas"),
    ("S014", "Chloe Ramirez", "support_agent", "americas"),
    ("S015", "Daniel Kim", "quality_analyst", "americas"),
]
SUPPORT_ABILITY = {"S003": 1.6, "S013": -1.8}


def support_row(rng: random.Random, staff: tuple[str, str, str, str], month: str, form: float) -> Row:
    emp, name, role, team = staff

    def f(spread: float = 0.05) -> float:
        return 1 + 0.07 * form + rng.gauss(0, spread)

    if role == "support_agent":
        assigned = 330 * f()
        resolved_share = _clip(0.91 * f(0.03), 0.6, 1.0)
        response = 2.0 / f(0.08)
        escalation = 0.10 / f(0.08)
        kb = _pick(rng, [0, 1, 2, 3, 5], [20, 35, 25, 12, 8])
        qa = 0
    elif role == "support_lead":
        assigned = 110 * f()
        resolved_share = _clip(0.93 * f(0.03), 0.6, 1.0)
        response = 2.0 / f(0.08)
        escalation = 0.08 / f(0.08)
        kb = _pick(rng, [0, 1, 2, 3], [30, 40, 20, 10])
        qa = rng.randint(10, 40)
    else:  # quality_analyst
        assigned = rng.randint(15, 40)
        resolved_share = _clip(0.92 * f(0.03), 0.6, 1.0)
        response = 3.0 / f(0.08)
        escalation = 0.10 / f(0.1)
        kb = max(0, round(4 * f(0.2)))
        qa = 200 * f()
    assigned = round(assigned)
    return {
        "employee_id": emp, "name": name, "role": role, "team": team, "period": month,
        "tickets_assigned": assigned, "tickets_resolved": round(assigned * resolved_share),
        "first_response_hours": round(response, 2),
        "csat": round(_clip(91 + 3 * form + rng.gauss(0, 2), 50, 100), 1),
        "escalations": round(assigned * escalation), "kb_articles": kb, "qa_reviews": round(qa),
        "peer_rating": _clip(round(3.9 + 0.3 * form + rng.gauss(0, 0.3), 1), 1, 5),
        "mentoring_sessions": _pick(rng, [0, 1, 2, 3], [45, 25, 20, 10]) if role != "support_agent" or form > 0.5
        else _pick(rng, [0, 1, 2], [70, 20, 10]),
        "days_worked": MONTHS[month] - _pick(rng, [0, 1, 2, 3], [55, 20, 15, 10]),
        "sla_breaches": _pick(rng, [0, 1, 2, 3], [60, 25, 10, 5]),
        "privacy_incidents": 0,
    }


def support_rows() -> list[Row]:
    rng = random.Random(SEED + 1)
    ability = {s[0]: SUPPORT_ABILITY.get(s[0], _clip(rng.gauss(0, 1.0), -1.4, 1.4)) for s in SUPPORT_STAFF}
    rows = [support_row(rng, staff, month, ability[staff[0]] + rng.gauss(0, 0.6))
            for month in MONTHS for staff in SUPPORT_STAFF]
    # S007, 2024-05: parental leave, 6 days worked (< 10): not rated that month; Q2 still has 2 rated months.
    _find(rows, "S007", "2024-05").update(days_worked=6, tickets_assigned=80, tickets_resolved=71, escalations=8,
                                          kb_articles=0, mentoring_sessions=0, sla_breaches=0)
    # S010, 2024-02: a customer-data privacy incident (veto): D for February and for the Q1 review.
    _find(rows, "S010", "2024-02")["privacy_incidents"] = 1
    # S015, 2024-04: a month of audits only, no tickets of his own: escalation_rate is 0 / 0 and excluded.
    _find(rows, "S015", "2024-04").update(tickets_assigned=0, tickets_resolved=0, escalations=0)
    return rows


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------

def csv_text(columns: list[str], rows: list[Row]) -> str:
    """UTF-8 CSV with a header row; an absent value is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return buffer.getvalue()


def json_text(columns: list[str], rows: list[Row]) -> str:
    """A JSON array of row objects, one row per line; an absent value is null."""
    lines = [json.dumps({c: row[c] for c in columns}, ensure_ascii=False) for row in rows]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")


FIXED_TIME = datetime(2024, 1, 1)


def write_xlsx(path: Path, columns: list[str], rows: list[Row], sheet: str) -> bool:
    try:
        import openpyxl
    except ImportError:
        print(f"skipped {path.name}: openpyxl is not installed (pip install 'kpi-rules[xlsx]')")
        return False
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(columns)
    for row in rows:
        ws.append([row[c] for c in columns])
    ws.freeze_panes = "A2"
    book.properties.creator = "examples/generate.py"
    book.properties.created = book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl stamps the zip entries with the current time: rewrite them with a fixed one.
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl sets `modified` to now on save
                data = _fix_modified(data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            out.writestr(fixed, data)
    return True


def _fix_modified(xml: bytes) -> bytes:
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", xml)


def main() -> None:
    ops = ops_rows()
    write_text(HERE / "ops-2024.csv", csv_text(OPS_COLUMNS, ops))
    write_text(HERE / "ops-2024.json", json_text(OPS_COLUMNS, ops))
    written = ["ops-2024.csv", "ops-2024.json"]
    if write_xlsx(HERE / "ops-2024.xlsx", OPS_COLUMNS, ops, "ops-2024"):
        written.append("ops-2024.xlsx")
    support = support_rows()
    write_text(HERE / "support-2024.csv", csv_text(SUPPORT_COLUMNS, support))
    written.append("support-2024.csv")
    print(f"wrote {', '.join(written)} in {HERE} ({len(ops)} ops rows, {len(support)} support rows)")


if __name__ == "__main__":
    main()
