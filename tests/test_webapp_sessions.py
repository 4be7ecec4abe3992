"""The web app's sessions and forms through the real app in-process: sign-in, CSRF (403 without a valid
token), idle expiry, sign-out and a revoked token ending the session on the server, open (loopback,
no tokens) mode without sign-in, the session table in the migrations, what-if edits in place."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi.testclient import TestClient
from serve_helpers import POLICIES, client, settings, tokens_for

from kpi_rules.serve.identity import revoke_token
from kpi_rules.serve.settings import SettingsError, parse_duration
from kpi_rules.serve.storage.migrate import LATEST
from kpi_rules.serve.web.edits import apply, controls

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(c: TestClient, token: str) -> str:
    """Sign in through the form; the session's CSRF token (from a page's sign-out form)."""
    form = c.get("/signin")
    assert form.status_code == 200
    done = c.post("/signin", data={"token": token, "csrf": CSRF.findall(form.text)[0], "next": "/policies"},
                  follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/policies"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = c.get("/policies")
    assert page.status_code == 200
    return CSRF.findall(page.text)[0]


def test_sign_in_needs_the_form_csrf_and_a_known_token(tmp_path: Path) -> None:
    tokens = tokens_for(tmp_path / "t.yaml")
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml")) as c:
        assert c.get("/policies", follow_redirects=False).headers["location"] == "/signin?next=%2Fpolicies"
        assert c.post("/signin", data={"token": tokens["hr"], "csrf": "x"}).status_code == 403
        form = c.get("/signin")
        wrong = c.post("/signin", data={"token": "nope", "csrf": CSRF.findall(form.text)[0]})
        assert wrong.status_code == 401 and "kpi_session" not in c.cookies
        redirect = c.post("/signin", data={"token": tokens["hr"], "csrf": CSRF.findall(wrong.text)[0],
                                           "next": "//evil.example/"}, follow_redirects=False)
        assert redirect.headers["location"] == "/"  # only a path on this server is followed


def test_sign_out_and_a_revoked_token_end_the_session(tmp_path: Path) -> None:
    tokens = tokens_for(tmp_path / "t.yaml")
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml")) as c:
        csrf = sign_in(c, tokens["hr"])
        old = c.cookies["kpi_session"]
        assert c.post("/signout", data={}, follow_redirects=False).status_code == 403
        assert c.post("/signout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
        c.cookies.set("kpi_session", old)
        assert c.get("/policies", follow_redirects=False).status_code == 303
        sign_in(c, tokens["mgr"])
        assert c.get("/policies").status_code == 200
        revoke_token(tmp_path / "t.yaml", "mgr")
        assert c.get("/policies", follow_redirects=False).status_code == 303


def test_a_session_ends_after_the_idle_time(tmp_path: Path) -> None:
    tokens = tokens_for(tmp_path / "t.yaml")
    s = settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml", session_idle=1.0)
    with client(s) as c:
        sign_in(c, tokens["emp"])
        time.sleep(1.2)
        assert c.get("/evaluations", follow_redirects=False).headers["location"].startswith("/signin")
    assert parse_duration("8h") == 8 * 3600 and parse_duration("90s") == 90 and parse_duration("30m") == 1800
    for bad in ("", "0", "8 hours", "-1h"):
        try:
            parse_duration(bad)
        except SettingsError:
            continue
        raise AssertionError(bad)


def test_open_mode_needs_no_sign_in_and_still_checks_csrf(tmp_path: Path) -> None:
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}")) as c:
        page = c.get("/policies")
        assert page.status_code == 200 and "(hr)" in page.text
        assert c.get("/signin", follow_redirects=False).status_code == 303
        assert c.post("/whatif", data={"policy": "ops-department"}).status_code == 403
        assert c.get("/audit").status_code == 200
    assert LATEST >= 3


def test_roles_are_refused_pages_they_may_not_use(tmp_path: Path) -> None:
    tokens = tokens_for(tmp_path / "t.yaml")
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml")) as c:
        sign_in(c, tokens["emp"])
        for path in ("/run", "/audit", "/whatif"):
            answer = c.get(path)
            assert answer.status_code == 403 and "Traceback" not in answer.text
        assert c.get("/evaluations/nope").status_code == 404
        assert c.get("/policies/nope").status_code == 404


def test_what_if_controls_edit_the_yaml_in_place() -> None:
    source = "grades:\n  - {grade: A, min: 100}  # keep me\n  - {grade: B}\nroles:\n  r:\n    indicators:\n" \
             "      x: {weight: 60%, target: 5}\n"
    keys = {c.key: c.value for c in controls(source)}
    assert keys == {"grades.A.min": "100", "roles.r.indicators.x.weight": "60%", "roles.r.indicators.x.target": "5"}
    edited = apply(source, {"grades.A.min": "95", "roles.r.indicators.x.weight": "70%"})
    assert edited == source.replace("min: 100", "min: 95").replace("60%", "70%")
    assert controls("a: [") == []


def test_what_if_controls_are_named_in_the_policys_words(tmp_path: Path) -> None:
    found = {c.key: (c.names, c.field) for c in controls((POLICIES / "ops-department.yaml").read_text("utf-8"))}
    assert found["roles.ops_manager.indicators.visits.weight"] == (("运营经理", "网站访问量"), "Weight")
    assert found["grades.B.min"] == (("B 良好",), "Lowest final score")
    assert found["distribution.quotas.D.min"] == (("D 不合格",), "Smallest share")
    assert found["bonuses.cross_dept.points"] == (("跨部门协作",), "Points to add")
    assert all(field for _, field in found.values())
    tokens = tokens_for(tmp_path / "t.yaml")
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml")) as c:
        sign_in(c, tokens["hr"])
        for lang, words in (("zh-CN", "运营经理 · 网站访问量 · 权重"), ("en", "运营经理 · 网站访问量 · Weight")):
            page = c.get("/whatif", params={"policy": "ops-department", "lang": lang})
            assert page.status_code == 200 and words in page.text, lang


def test_every_page_view_is_audited_and_an_erased_evaluation_is_gone(tmp_path: Path) -> None:
    tokens = tokens_for(tmp_path / "t.yaml")
    data = (Path(__file__).resolve().parent.parent / "examples" / "ops-2024.csv").read_bytes()
    with client(settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", tmp_path / "t.yaml")) as c:
        hr = {"Authorization": f"Bearer {tokens['hr']}"}
        eid = c.post("/v1/policies/ops-department/evaluations?period=2024-Q2", content=data,
                     headers={**hr, "Content-Type": "text/csv"}).json()["evaluation_id"]
        sign_in(c, tokens["mgr"])
        for _ in range(2):
            page = c.get(f"/evaluations/{eid}")
            assert page.status_code == 200 and "E011" not in page.text and "E001" in page.text
        entries = c.get("/v1/audit?limit=1000", headers=hr).json()["items"]
        reads = [e for e in entries if e["actor"] == "mgr" and e["target"] == f"/v1/evaluations/{eid}"]
        assert [e["action"] for e in reads] == ["results", "results"]
        assert reads[0]["result_sha256"] == reads[1]["result_sha256"]
        assert c.delete(f"/v1/evaluations/{eid}", headers=hr).status_code == 204
        assert c.get(f"/evaluations/{eid}").status_code == 404
