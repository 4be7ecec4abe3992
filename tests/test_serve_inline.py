"""Small text uploads are evaluated in a thread of the server, XLSX and large ones in a worker
process; both store the same results as `kpi-rules evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serve_helpers import ROOT, client, settings

from kpi_rules.serve.routes.evaluation_routes import INLINE_BYTES

EXAMPLES = ROOT / "examples"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_small_text_uploads_run_in_the_server_and_the_rest_in_workers(tmp_path: Path) -> None:
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 'service.db'}"))
    service = c.app.state.service  # type: ignore[attr-defined]
    where: list[str] = []
    inline, pooled = service.run_inline, service.run_cpu

    async def run_inline(fn: Any, *args: Any) -> Any:
        where.append("thread")
        return await inline(fn, *args)

    async def run_cpu(fn: Any, *args: Any) -> Any:
        where.append("worker")
        return await pooled(fn, *args)

    service.run_inline, service.run_cpu = run_inline, run_cpu
    csv = (EXAMPLES / "ops-2024.csv").read_bytes()
    header, _, rest = csv.partition(b"\n")
    big = header + b"\n" + rest * (INLINE_BYTES // len(rest) + 1)  # over the limit: the same rows again
    assert len(csv) <= INLINE_BYTES < len(big)
    with c:
        for body, kind in ((csv, "text/csv"), ((EXAMPLES / "ops-2024.json").read_bytes(), "application/json"),
                           ((EXAMPLES / "ops-2024.xlsx").read_bytes(), XLSX), (big, "text/csv")):
            response = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                              content=body, headers={"Content-Type": kind})
            assert response.status_code == 201, response.text
        assert where == ["thread", "thread", "worker", "worker"]
        assert c.get("/healthz").json() == {"status": "ok"}


def test_the_server_thread_is_there_again_after_a_restart_of_the_app(tmp_path: Path) -> None:
    c = client(settings(tmp_path, f"sqlite:///{tmp_path / 'service.db'}"))
    for _ in range(2):  # the second lifespan reuses the service the first one closed
        with c:
            response = c.post("/v1/policies/ops-department/evaluations", params={"period": "2024-Q2"},
                              content=(EXAMPLES / "ops-2024.csv").read_bytes(), headers={"Content-Type": "text/csv"})
            assert response.status_code == 201, response.text
