"""The example HTML report in a real browser (headless Chromium): it renders,
makes no network request, logs no console message, and shows the key texts.

Install the browser with `apt-get install chromium` (Debian); without it these
tests are skipped. The screenshot is kept at build/report-screenshot.png (and
build/report-screenshot-375.png, the phone width).
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from update_golden import ROOT, evaluation

from kpi_rules.report import render_html
from kpi_rules.results.report_words import ZH

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install "
                                                         "chromium); the browser test needs it")
ARTIFACTS = ROOT / "build"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0"]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "ops-department-2024-Q2.html"
    path.write_text(render_html(evaluation("ops-department", "ops-2024.csv", "2024-Q2")), encoding="utf-8")
    return path


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _page_requests(netlog: Path) -> list[str]:
    """URLs the page asked for (browser housekeeping, initiator `not an origin`, left out)."""
    log: dict[str, Any] = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    params = [e.get("params", {}) for e in log["events"] if e["type"] == start]
    return [p["url"] for p in params if "url" in p and p.get("initiator") != "not an origin"]


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.parametrize("width", [1280, 375])
def test_screenshot(report: Path, tmp_path: Path, width: int) -> None:
    shot = tmp_path / "shot.png"
    netlog = tmp_path / "net.json"
    done = chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},2000", f"--log-net-log={netlog}",
                    report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000, "the screenshot is (nearly) empty"
    assert _png_size(shot) == (width, 2000)
    assert _console(done.stderr) == [], "console messages"
    assert [u for u in _page_requests(netlog) if not u.startswith("file:")] == [], "network requests"
    ARTIFACTS.mkdir(exist_ok=True)
    keep = ARTIFACTS / ("report-screenshot.png" if width == 1280 else f"report-screenshot-{width}.png")
    shutil.copyfile(shot, keep)
    print(f"screenshot: {keep}")


def test_dom_shows_key_texts(report: Path, tmp_path: Path) -> None:
    done = chromium(tmp_path, "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    for text in ("运营部门KPI绩效考核方案", ZH["report_title"], ZH["sec_overview"], ZH["sec_collaboration"],
                 ZH["sec_individual"], ZH["sec_suggestions"], ZH["sec_problems"], "王建国(E001)", "<svg"):
        assert text in dom, text
    assert 'lang="zh-CN"' in dom and "<script" not in dom
    assert _console(done.stderr) == []


def test_network_check_would_catch_a_request(tmp_path: Path) -> None:
    """The request check itself works: a page with an external image is caught."""
    page = tmp_path / "leak.html"
    page.write_text('<!DOCTYPE html><html lang="en"><body><img src="https://example.invalid/x.png"></body></html>')
    netlog = tmp_path / "net.json"
    chromium(tmp_path, "--dump-dom", f"--log-net-log={netlog}", page.as_uri())
    assert "https://example.invalid/x.png" in _page_requests(netlog)
