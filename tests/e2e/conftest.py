"""Shared fixture of the end-to-end tests: a real headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright)."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("HELPDESK_E2E_REQUIRED") == "1"


@pytest.fixture
def browser_page(request):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if REQUIRED:
            pytest.fail(f"Chromium not found at {CHROMIUM} but HELPDESK_E2E_REQUIRED=1")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself (not by the server) are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                ],
            )
            context = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai")
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            artifacts = os.environ.get("HELPDESK_E2E_ARTIFACTS")
            if artifacts:
                os.makedirs(artifacts, exist_ok=True)
                page.screenshot(path=os.path.join(artifacts, f"{request.node.name}.png"), full_page=True)
            context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
