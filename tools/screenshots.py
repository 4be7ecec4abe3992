"""Screenshots of the web app's main pages at 1280 and 375 px wide, in zh-CN and en, for docs/webapp.md.

    python tools/screenshots.py            # writes docs/images/webapp-*.png

It starts `kpi-rules serve` on the example policies (in a temporary git repository, with a temporary
database and tokens), uploads examples/ops-2024.csv for 2024-Q1 and 2024-Q2 through the API, and
drives Debian's Chromium with Playwright: no browser download, no network.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.webapp_helpers import CHROMIUM, start, stop  # noqa: E402

OUT = ROOT / "docs" / "images"
WIDTHS = (1280, 375)
LANGS = ("zh-CN", "en")


def pages(eid: str) -> dict[str, str]:
    return {"policies": "/policies", "policy": "/policies/ops-department", "run": "/run",
            "evaluation": f"/evaluations/{eid}", "employee": f"/evaluations/{eid}/employees/E001",
            "audit": "/audit"}


def main() -> None:
    if CHROMIUM is None:
        raise SystemExit("chromium is not installed (Debian: apt-get install chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = start(Path(tmp))
        try:
            hr = {"Authorization": f"Bearer {server.tokens['hr']}", "Content-Type": "text/csv",
                  "Content-Disposition": "attachment; filename=ops-2024.csv"}
            data = (ROOT / "examples" / "ops-2024.csv").read_bytes()
            eid = ""
            for period in ("2024-Q1", "2024-Q2"):
                answer = httpx.post(f"{server.url}/v1/policies/ops-department/evaluations",
                                    params={"period": period}, content=data, headers=hr, timeout=120)
                answer.raise_for_status()
                eid = answer.json()["evaluation_id"]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
                for width in WIDTHS:
                    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900})
                    page = context.new_page()
                    page.goto("/signin?lang=en")
                    page.screenshot(path=str(OUT / f"webapp-signin-en-{width}.png"))
                    page.get_by_label("Token").fill(server.tokens["hr"])
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_url("**/policies")
                    for lang in LANGS:
                        for name, path in pages(eid).items():
                            page.goto(f"{path}?lang={lang}")
                            page.screenshot(path=str(OUT / f"webapp-{name}-{lang}-{width}.png"), full_page=False)
                        page.goto(f"/whatif?policy=ops-department&evaluation={eid}&lang={lang}")
                        page.locator("input[name='set:grades.B.min']").fill("90")
                        page.locator("button[value=compare]").click()
                        page.wait_for_selector("#matrix")
                        page.locator("#diff").scroll_into_view_if_needed()
                        page.screenshot(path=str(OUT / f"webapp-whatif-{lang}-{width}.png"))
                    context.close()
                browser.close()
        finally:
            stop(server)
    print(f"screenshots written to {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
