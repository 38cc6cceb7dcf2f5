"""The quick-start demo: it starts, seeds an agency, and shows its emails in a browser."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from kinerja_flow.lib.sockets import free_port
from tests.support.server import CLI, wait_until_healthy

CHROMIUM = "/usr/bin/chromium"
PRINTED: list[str] = []
"""What the demo printed before serving."""
pytestmark = [
    pytest.mark.xdist_group("demo"),  # one demo service and browser, on one worker
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kinerja-flow demo` in an empty folder, as a new user runs it."""
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")}
    process = subprocess.Popen(
        [CLI, "demo", "--port", str(port), "--employees", "30"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, process)
    assert process.stdout is not None
    while not (line := process.stdout.readline().decode()).lstrip().startswith("API sign-in"):
        PRINTED.append(line.rstrip())
    yield base
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def test_demo_signs_in_with_the_printed_credentials(demo: str) -> None:
    response = httpx.post(
        f"{demo}/api/v1/auth/token",
        json={"username": "admin@demo.go.id", "password": "demo-kinerja-flow-2026"},
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    cycles = httpx.get(f"{demo}/api/v1/cycles", headers={"Authorization": f"Bearer {token}"}).json()
    assert cycles[0]["total"] == 30
    assert len(cycles[0]["counts"]) > 1  # appraisals in several states to look at


def test_demo_mailbox_shows_the_emails_sent(demo: str, browser: Browser) -> None:
    page = browser.new_page()
    deadline = time.monotonic() + 30
    page.goto(f"{demo}/demo/mail/")
    while page.locator("tbody tr a").count() < 30 and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(page.get_by_role("heading", name="Kotak surat demo")).to_be_visible()
    links = page.locator("tbody tr a")
    assert links.count() >= 30  # an invitation and an "SKP open" email per employee, and more
    subjects = links.all_inner_texts()
    assert any("SKP Tahunan 2026" in subject for subject in subjects)
    page.get_by_role("link", name="SKP Tahunan 2026").first.click()
    expect(page.get_by_text("Message-ID:")).to_be_visible()
    frame = page.frame_locator("iframe")
    expect(frame.locator("body")).to_contain_text("SKP Tahunan 2026")
    page.close()


def test_demo_prints_the_web_address_first_and_a_sign_in_per_role(
    demo: str, browser: Browser
) -> None:
    lines = [line.strip() for line in PRINTED if line.strip()]
    assert lines[2].startswith(f"Open {demo}/ in a browser")
    sign_ins = dict(line.rsplit(None, 1)[::-1] for line in lines[3:] if "  " in line)
    roles = " | ".join(sign_ins.values())
    for who in ("HR administrator", "Auditor", "Supervisor and appeal reviewer", "appealed"):
        assert who in roles
    reviewer = next(u for u, who in sign_ins.items() if who.startswith("Supervisor"))
    page = browser.new_page(locale="id-ID")
    page.goto(f"{demo}/sign-in")
    page.get_by_label("NIP atau email").fill(reviewer)
    page.get_by_label("Kata sandi", exact=True).fill("demo-kinerja-flow-2026")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Tugas saya")).to_be_visible()
    expect(page.get_by_text("Putuskan keberatan").first).to_be_visible()
    expect(page.get_by_text("Setujui target").first).to_be_visible()
    page.close()
