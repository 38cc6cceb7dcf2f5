"""``kinerja-flow serve`` (SQLite and PostgreSQL) and Debian's Chromium driving it."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from kinerja_flow.lib.sockets import free_port
from tests.conftest import BACKENDS
from tests.support.api import ORG_CSV, PASSWORD
from tests.support.cli import Command, create_admin
from tests.support.jobs import finished
from tests.support.mailserver import MailServer
from tests.support.server import wait_until_serving

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[1] / "support" / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
ADMIN = "hr@example.go.id"


@dataclass
class Served:
    """The running service: its address, its environment (for the CLI), its mail, and one HTTP
    client for the test's own requests to it (a new ``httpx`` client per request loaded the CA
    certificates each time: 55 ms of CPU, most of the test process's own time)."""

    base: str
    env: dict[str, str]
    mail: MailServer
    backend: str
    http: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)

    def api(
        self,
        method: str,
        path: str,
        who: str = ADMIN,
        headers: dict[str, str] | None = None,
        **kwargs: object,
    ) -> httpx.Response:
        if who not in self.tokens:
            answer = self.http.post(
                "/api/v1/auth/token", json={"username": who, "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            self.tokens[who] = answer.json()["access_token"]
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **(headers or {})}
        return self.http.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]

    def link_in_mail(self, to: str, pattern: str) -> str:
        """The last link matching ``pattern`` in the emails sent to ``to`` (waits for them)."""
        import time

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for message in reversed(self.mail.messages):
                if to in str(message["To"]):
                    body = message.get_body(preferencelist=("plain",))
                    text = body.get_content() if body is not None else ""
                    found = re.search(pattern, text)
                    if found:
                        return found.group(0)
            time.sleep(0.2)
        raise AssertionError(f"no email to {to} with {pattern}")


@pytest.fixture
def served(clean_database: str, mail: MailServer, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KINERJA_DATABASE_URL": clean_database,
        "KINERJA_SMTP_HOST": "127.0.0.1",
        "KINERJA_SMTP_PORT": str(mail.port),
        "KINERJA_BASE_URL": base,
        "KINERJA_EMBEDDED_WORKER": "true",
        "KINERJA_WORKER_POLL_SECONDS": "0.2",
        "KINERJA_PASSWORD_TIME_COST": "1",
        "KINERJA_PASSWORD_MEMORY_KIB": "1024",
        "KINERJA_EVIDENCE_DIR": str(tmp_path / "evidence"),
        "KINERJA_SECRET_KEY": "browser-test-secret-key-0123456789-abcdefghij",
    }
    process = Command(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "log")
    wait_until_serving(base, process)
    backend = "postgresql" if clean_database.startswith("postgresql") else "sqlite"
    with httpx.Client(base_url=base, timeout=30) as http:
        yield Served(base, env, mail, backend, http)
    process.stop(timeout=15)


def prepare_agency(served: Served) -> None:
    """An HR admin (made with the CLI), two units and the standard agency imported."""
    create_admin(ADMIN, PASSWORD, served.env)
    for code, name, parent in (
        ("DINAS", "Dinas Kominfo", None),
        ("BID1", "Bidang Aplikasi", "DINAS"),
    ):
        created = served.api(
            "POST", "/api/v1/units", json={"code": code, "name": name, "parent_code": parent}
        )
        assert created.status_code == 201, created.text
    imported = served.api(
        "POST",
        "/api/v1/employees/import",
        content=ORG_CSV.encode(),
        headers={"Content-Type": "text/csv"},
    )
    job = finished(imported, lambda url: served.api("GET", url))
    assert job["state"] == "done", job


@pytest.fixture
def chromium(served: Served) -> Iterator[Browser]:
    """Chromium for one test, started after the database fixtures: Playwright's synchronous
    API keeps an event loop running in this thread while it is open, where the fixtures'
    own ``asyncio.run`` could not start."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def new_page(chromium: Browser, served: Served, phone: bool = False) -> Page:
    """A fresh browser context (its own cookies) that fails the test on any request that
    leaves the service's origin."""
    context = chromium.new_context(
        viewport=PHONE if phone else DESKTOP,
        is_mobile=phone,
        has_touch=phone,
        base_url=served.base,
        locale="id-ID",
    )
    page = context.new_page()
    outside: list[str] = []

    def watch(request: object) -> None:
        url = getattr(request, "url", "")
        if not (url.startswith(served.base) or url.startswith("data:")):
            outside.append(url)

    page.on("request", watch)
    page.set_default_timeout(15000)
    page.outside_requests = outside  # type: ignore[attr-defined]
    return page


def check_accessibility(page: Page) -> list[dict[str, object]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.evaluate(AXE.read_text())  # not a script tag: the page's policy allows none inline
    result = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"
    )
    violations = json.loads(result)["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Page, served: Served, name: str) -> None:
    """Save the whole page under test-output/screenshots, for people to look at; from the run on
    the first backend only, since the pages are the same on both and a full-page PNG costs
    some 0.65 s of CPU (Chromium, the driver, this process)."""
    if served.backend != BACKENDS[0]:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("NIP atau email").fill(username)
    page.get_by_label("Kata sandi", exact=True).fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
