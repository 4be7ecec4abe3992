"""The audit page on the server: a page of 100 entries at a time, newest first, newer/older links by
sequence number, filters by actor, action, subject, status and date; the chain's verification (on
from the last entry verified, in full on asking); every view audited."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from serve_helpers import client, settings
from sqlalchemy import text

from kpi_rules.serve import audit
from kpi_rules.serve.storage.db import open_engine

SEQ = re.compile(r"<tr><td>(\d+)</td>")
LINK = re.compile(r'<a href="([^"]+)" rel="(?:prev|next)" id="(newer|older)">')


def _links(html: str) -> dict[str, str]:
    return {name: "/audit" + href.replace("&amp;", "&") for href, name in LINK.findall(html)}


def _fill(url: str) -> None:
    engine = open_engine(url)
    audit.append_many(engine, [audit.Event(f"user{k % 5}", "hr", ("results", "explain")[k % 2],
                                           f"/v1/evaluations/e{k}", 200 if k % 7 else 403) for k in range(250)])
    engine.dispose()


def test_pages_newest_first_with_newer_and_older_links(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db'}"
    with client(settings(tmp_path, url)) as c:
        c.get("/policies")
        _fill(url)
        first = c.get("/audit")
        assert first.status_code == 200
        seqs = [int(s) for s in SEQ.findall(first.text)]
        top = seqs[0]
        assert seqs == list(range(top, top - 100, -1)) and set(_links(first.text)) == {"older"}
        second = c.get(_links(first.text)["older"])
        assert [int(s) for s in SEQ.findall(second.text)] == list(range(top - 100, top - 200, -1))
        assert set(_links(second.text)) == {"older", "newer"}
        back = c.get(_links(second.text)["newer"])
        assert [int(s) for s in SEQ.findall(back.text)] == seqs  # the same 100 as the first page


def test_filters_are_applied_on_the_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db'}"
    with client(settings(tmp_path, url)) as c:
        c.get("/policies")
        _fill(url)
        engine = open_engine(url)
        entries = audit.entries(engine, 0, 1000)
        engine.dispose()
        wanted = [e["seq"] for e in entries if e["actor"] == "user3" and e["action"] == "explain"
                  and e["status"] == 403][::-1]
        found = c.get("/audit", params={"actor": "user3", "action": "explain", "status": "403"})
        assert [int(s) for s in SEQ.findall(found.text)] == wanted and wanted and not _links(found.text)
        one = c.get("/audit", params={"subject": "evaluations/e123"})
        assert [int(s) for s in SEQ.findall(one.text)] == [e["seq"] for e in entries if e["target"].endswith("/e123")]
        today = date.today()
        assert len(SEQ.findall(c.get("/audit", params={"since": today.isoformat()}).text)) == 100
        assert SEQ.findall(c.get("/audit", params={"until": (today - timedelta(days=2)).isoformat()}).text) == []
        for bad in ({"status": "ok"}, {"since": "06/12/2026"}, {"after": str(2**64)}, {"before": "-1"}):
            answer = c.get("/audit", params=bad)
            assert answer.status_code == 422 and "Traceback" not in answer.text


def test_verification_on_from_the_last_entry_verified_and_in_full_on_asking(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db'}"
    with client(settings(tmp_path, url)) as c:
        c.get("/policies")
        _fill(url)
        assert 'class="ok" id="chain"' in c.get("/audit").text
        engine = open_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit SET actor = 'someone else' WHERE seq = 5"))
        # An entry verified before is not read again on the next view; asking walks the whole chain.
        assert 'class="ok" id="chain"' in c.get("/audit").text
        full = c.get("/audit", params={"verify": "full"}).text
        assert 'class="problem" id="chain"' in full and "seq 5: its content does not match its hash" in full
        last = audit.last_seq(engine)
        with engine.begin() as conn:  # the last entry verified is checked again on every view
            conn.execute(text("UPDATE audit SET actor = 'x' WHERE seq = 5"))
            conn.execute(text("UPDATE audit SET status = 500 WHERE seq = :s"), {"s": last})
        assert 'class="problem" id="chain"' in c.get("/audit").text
        reads = [e["target"] for e in audit.entries(engine, last, 100) if e["action"] == "audit"]
        engine.dispose()
        assert reads == ["/v1/audit/verify", "/v1/audit"]


def test_only_hr_reads_the_audit_page(tmp_path: Path) -> None:
    from serve_helpers import tokens_for
    from test_webapp_sessions import sign_in

    tokens = tokens_for(tmp_path / "t.yaml")
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml")) as c:
        sign_in(c, tokens["svc"])
        assert c.get("/audit").status_code == 403
