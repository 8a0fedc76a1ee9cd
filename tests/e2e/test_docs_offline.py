"""``/docs`` renders in real headless Chromium with every request off the machine blocked.

Specification: the API documentation page loads Swagger UI from the server
itself (the ``swagger-ui-bundle`` package), never from a CDN, so it works on
a network without internet: the operations are listed, and the page asks
for nothing but the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, sync_playwright

from assistant.server.app import create_app
from tests.assistant.server.live import Live, serve, server_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = server_settings(tmp_path_factory.mktemp("docs"))
    with serve(create_app(settings)) as running:
        yield running


def test_docs_render_with_the_network_blocked(live: Live) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian chromium")
    blocked: list[str] = []
    served: list[str] = []

    def only_the_server(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == urlsplit(live.url).netloc:
            served.append(urlsplit(url).path)
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context()
            context.route("**/*", only_the_server)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{live.url}/docs")
            page.wait_for_selector(".swagger-ui .opblock")
            paths = page.locator(".opblock-summary-path").all_text_contents()
            title = page.text_content(".swagger-ui .title") or ""
        finally:
            browser.close()
    assert blocked == []
    assert "/docs/assets/swagger-ui-bundle.js" in served
    assert "/openapi.json" in served
    assert any(p.replace("\u200b", "") == "/v1/sessions" for p in paths), paths
    assert "DriveTalk fleet server" in title
