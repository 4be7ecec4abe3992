"""The web app's browser tests' set-up: the real server (`kpi-rules serve`) as a subprocess on a free
loopback port, with a temporary SQLite database, a tokens file, and example policies in a git repository;
and a guard that fails a page on a console error, a failed request, a request to any other host, or a
dialog (what an injected script would open)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.serve_helpers import ROOT, free_port, tokens_for

KPI = [sys.executable, "-m", "kpi_rules"]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
XSS_NAME = "<img src=x onerror=alert(1)>"
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"]


@dataclass
class Server:
    url: str
    tokens: dict[str, str]
    folder: Path
    proc: subprocess.Popen[bytes]

    def api(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[who]}"}, timeout=60)


def xss_data(folder: Path) -> Path:
    """The example data with E002's name replaced by markup that would run a script if not escaped."""
    text = (ROOT / "examples" / "ops-2024.csv").read_text(encoding="utf-8")
    path = folder / "ops-xss.csv"
    path.write_text(text.replace(",李娜,", f",{XSS_NAME},"), encoding="utf-8")
    return path


def start(folder: Path, *more: str, tokens: bool = True) -> Server:
    policies = folder / "policies"
    shutil.copytree(ROOT / "policies", policies)
    subprocess.run([*GIT, "init", "-q"], cwd=policies, check=True)
    subprocess.run([*GIT, "add", "."], cwd=policies, check=True)
    subprocess.run([*GIT, "commit", "-qm", "policies"], cwd=policies, check=True)
    port = free_port()
    args = [*KPI, "serve", str(policies), "--port", str(port), "--db", f"sqlite:///{folder / 'web.db'}", *more]
    made: dict[str, str] = {}
    if tokens:
        made = tokens_for(folder / "tokens.yaml")
        args += ["--tokens", str(folder / "tokens.yaml")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(args, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited: {proc.stderr.read() if proc.stderr else b''!r}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the server did not start")
        time.sleep(0.1)
    return Server(url, made, folder, proc)


def stop(server: Server) -> None:
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
    if server.proc.stderr:
        server.proc.stderr.close()


@dataclass
class Guard:
    """What went wrong on a page, recorded from the browser's events."""

    origin: str
    problems: list[str] = field(default_factory=list)
    downloads: set[str] = field(default_factory=set)

    def attach(self, page: object) -> None:
        on = page.on  # type: ignore[attr-defined]
        on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        on("dialog", self._dialog)
        on("request", self._request)
        on("requestfailed", self._failed)

    def _dialog(self, dialog: object) -> None:
        self.problems.append(f"dialog: {dialog.message}")  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    def _request(self, request: object) -> None:
        url = request.url  # type: ignore[attr-defined]
        if url.startswith("data:") or url == "about:blank":
            return
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.problems.append(f"request to another host: {url}")

    def _failed(self, request: object) -> None:
        url = request.url  # type: ignore[attr-defined]
        if "/download/" in url or url in self.downloads:  # a download leaves the page: Chromium aborts it
            return
        self.problems.append(f"failed request: {url} {request.failure}")  # type: ignore[attr-defined]


def running(folder: Path, *more: str, tokens: bool = True) -> Iterator[Server]:
    server = start(folder, *more, tokens=tokens)
    try:
        yield server
    finally:
        stop(server)
