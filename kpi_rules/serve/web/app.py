"""Mount the web app: its pages, its static files, its error pages."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from kpi_rules.serve.web import audit_page, eval_pages, pages, whatif
from kpi_rules.serve.web.common import install_errors


def install_web(app: FastAPI) -> None:
    app.mount("/static/web", StaticFiles(directory=str(files("kpi_rules.serve") / "static" / "web")),
              name="web-static")
    for module in (pages, eval_pages, whatif, audit_page):
        app.include_router(module.router)
    install_errors(app)
