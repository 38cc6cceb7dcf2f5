"""The API's documentation page loads nothing from the internet, under a strict policy.

``kinerja-flow serve`` and headless Chromium; every request the page makes is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from kinerja_flow.lib.sockets import free_port
from tests.support.cli import Command
from tests.support.mailserver import MailServer
from tests.support.server import wait_until_serving
from tests.test_serve import environment

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def served(tmp_path: Path, mail: MailServer) -> Iterator[str]:
    env = environment(f"sqlite+aiosqlite:///{tmp_path / 'docs.sqlite3'}", mail)
    port = free_port()
    process = Command(
        ["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "serve.log"
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base
    finally:
        process.stop()


def test_the_docs_page_is_served_from_the_package_alone(served: str) -> None:
    requested: list[str] = []
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.on("console", lambda message: console.append(message.text))
        response = page.goto(f"{served}/schema/swagger")
        assert response is not None
        assert response.status == 200
        page.locator(".opblock-summary-path", has_text="/api/v1/outbox").first.wait_for()
        operations = page.locator(".opblock").count()
        browser.close()

    assert operations >= 40
    assert requested
    assert [url for url in requested if not url.startswith(served)] == []
    assert [text for text in console if "Content Security Policy" in text] == []
    headers = httpx.get(f"{served}/schema/swagger").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    page_html = httpx.get(f"{served}/schema/swagger").text
    assert "script-src 'self'" in page_html
    assert "https://" not in page_html
