"""In Chromium: the invitation link, the first sign-in, the language, CSRF and sessions."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import (
    Served,
    check_accessibility,
    new_page,
    prepare_agency,
    screenshot,
    sign_in,
)
from tests.support.api import EMPLOYEE, PASSWORD

pytestmark = pytest.mark.slow  # serve and Chromium per test


def test_invitation_link_leads_to_a_password_and_the_first_sign_in(
    served: Served, chromium: Browser
) -> None:
    prepare_agency(served)
    link = served.link_in_mail("budi@example.go.id", r"http\S+/set-password\?token=[\w\-]+")
    page = new_page(chromium, served)
    page.goto(link)
    expect(page.get_by_role("heading", name="Atur kata sandi Anda")).to_be_visible()
    assert check_accessibility(page) == []
    page.get_by_label("Kata sandi baru").fill(PASSWORD)
    page.get_by_label("Ulangi kata sandi yang sama").fill(PASSWORD)
    page.get_by_role("button", name="Simpan kata sandi").click()
    expect(page.get_by_text("Kata sandi Anda sudah diatur")).to_be_visible()
    screenshot(page, served, "sign-in-desktop")
    assert check_accessibility(page) == []
    page.get_by_label("NIP atau email").fill(EMPLOYEE)
    page.get_by_label("Kata sandi", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Tugas saya")).to_be_visible()
    assert page.url.endswith("/tasks")
    # English, remembered on the account
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    page.get_by_role("button", name="ID", exact=True).click()
    expect(page.get_by_role("heading", name="Tugas saya")).to_be_visible()
    assert page.outside_requests == []  # type: ignore[attr-defined]


def test_a_form_without_csrf_and_a_cookie_replayed_after_sign_out_are_refused(
    served: Served, chromium: Browser
) -> None:
    prepare_agency(served)
    link = served.link_in_mail("budi@example.go.id", r"http\S+/set-password\?token=[\w\-]+")
    token = link.rsplit("=", 1)[1]
    answer = served.api("GET", "/api/v1/auth/me")
    assert answer.status_code == 200
    page = new_page(chromium, served)
    page.goto(link)
    page.get_by_label("Kata sandi baru").fill(PASSWORD)
    page.get_by_label("Ulangi kata sandi yang sama").fill(PASSWORD)
    page.get_by_role("button", name="Simpan kata sandi").click()
    expect(page.get_by_text("Kata sandi Anda sudah diatur")).to_be_visible()
    # a form posted without its token, from this very browser (cookies and all)
    forged = page.request.post(
        "/set-password", form={"token": token, "password": PASSWORD, "password_again": PASSWORD}
    )
    assert forged.status == 403
    sign_in(page, EMPLOYEE)
    expect(page.get_by_role("heading", name="Tugas saya")).to_be_visible()
    session = next(c for c in page.context.cookies() if c["name"] == "kinerja_session")
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_text("Anda sudah keluar")).to_be_visible()
    thief = new_page(chromium, served)
    thief.context.add_cookies([session])  # type: ignore[list-item]
    thief.goto("/tasks")
    expect(thief.get_by_role("heading", name="Masuk")).to_be_visible()
    assert thief.url.endswith("/sign-in?next=/tasks")
