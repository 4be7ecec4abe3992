"""schemathesis against the app's own OpenAPI document, in process (ASGI), as hr: no 5xx, and every
response matches its documented status, media type and schema. Bounded: a few examples per operation."""

from __future__ import annotations

from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from serve_helpers import client, tokens_for  # noqa: E402
from serve_helpers import settings as service_settings  # noqa: E402

_tmp = Path(__import__("tempfile").mkdtemp(prefix="kpi-schemathesis-"))
_tokens = tokens_for(_tmp / "tokens.yaml")
APP = client(service_settings(_tmp, f"sqlite:///{_tmp / 'db'}", _tmp / "tokens.yaml")).app
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
RAW_TYPES = ("application/csv", "application/jsonl", "application/x-jsonlines", "application/x-ndjson",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@schemathesis.serializer(*RAW_TYPES)
def _raw(ctx: object, value: object) -> bytes:
    """Data bodies as bytes, whatever was generated: the server must refuse what it cannot read."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck), derandomize=True)
def test_api(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {_tokens['hr']}"}, checks=CHECKS)


def test_real_answers_match_their_schemas() -> None:
    """The 200 answers too: on a stored evaluation, every GET under it, in every format."""
    from fastapi.testclient import TestClient
    from serve_helpers import ROOT

    hr = {"Authorization": f"Bearer {_tokens['hr']}"}
    with TestClient(APP) as c:
        created = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                         content=(ROOT / "examples" / "ops-2024.csv").read_bytes(),
                         headers={**hr, "Content-Type": "text/csv"})
        assert created.status_code == 201
        eid = created.json()["evaluation_id"]
    calls = [("/v1/evaluations", {}, {}), ("/v1/evaluations/{eid}", {"eid": eid}, {}),
             ("/v1/evaluations/{eid}/employees/{employee_id}", {"eid": eid, "employee_id": "E002"}, {}),
             ("/v1/evaluations/{eid}/calibrations", {"eid": eid}, {}), ("/v1/status", {}, {}),
             ("/v1/policies/{policy_id}/history", {"policy_id": "ops-department"}, {}),
             ("/v1/audit", {}, {}), ("/v1/audit/verify", {}, {})]
    calls += [("/v1/evaluations/{eid}/employees/{employee_id}/explain", {"eid": eid, "employee_id": "E002"},
               {"format": f}) for f in ("text", "json")]
    calls += [("/v1/evaluations/{eid}/report", {"eid": eid}, {"format": f}) for f in ("html", "md", "csv", "xlsx")]
    for path, params, query in calls:
        case = schema[path]["GET"].Case(path_parameters=params, query=query)
        response = case.call(headers=hr)
        assert response.status_code == 200, (path, response.text[:200])
        case.validate_response(response, checks=CHECKS)
