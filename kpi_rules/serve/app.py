"""`create_app(settings)`: the FastAPI application of `kpi-rules serve`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from kpi_rules.common.version import __version__
from kpi_rules.serve.access_log import AccessLogMiddleware
from kpi_rules.serve.metrics import install_metrics
from kpi_rules.serve.problems import PROBLEM_RESPONSES, install_handlers, problem_response
from kpi_rules.serve.service import Service
from kpi_rules.serve.settings import Settings

DOCS_ASSETS = "/docs/assets"


def create_app(settings: Settings, service: Service | None = None) -> FastAPI:
    """The service's application; `service` (its storage, identities, policies) is opened here
    unless given, so that a test or a second app can share one."""
    service = service or Service.open(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start_background()
        try:
            yield
        finally:
            service.close()

    app = FastAPI(title="kpi-rules", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Employee appraisal policy as code: policies, evaluations, explanations, audit.")
    app.state.service = service
    install_handlers(app)
    _operations(app, service)
    _docs(app)
    from kpi_rules.serve.routes import install_routes

    install_routes(app, service)
    from kpi_rules.serve.web.app import install_web

    install_web(app)
    install_metrics(app, service.metrics)  # it times and counts every request
    app.add_middleware(AccessLogMiddleware)  # outermost: one line per request, whatever happened inside
    return app


def _operations(app: FastAPI, service: Service) -> None:
    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """200 while the process runs."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: PROBLEM_RESPONSES[503]})
    def readyz() -> Any:
        """200 when policies are loaded and the database answers, else 503."""
        reasons = service.not_ready()
        if reasons:
            return problem_response(503, "; ".join(reasons), kind="not-ready")
        return JSONResponse({"status": "ready"})


def _docs(app: FastAPI) -> None:
    assets = files("kpi_rules.serve") / "static" / "swagger"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="kpi-rules API",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png")
