"""Signing in and out of the web pages, the emailed links, sessions and CSRF."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from kinerja_flow.web.models import WebSession
from tests.support.api import EMPLOYEE, PASSWORD, Api
from tests.support.web import Browser, csrf_of, open_browser

NEW_PASSWORD = "pohon-mangga-berbuah-lebat-77"


async def test_invitation_link_sets_the_password_and_the_first_sign_in_opens_my_tasks(
    api: Api, web: Browser
) -> None:
    await api.setup_org()
    token = await api.invitation_token("budi@example.go.id")
    page = await web.get(f"/set-password?token={token}")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Atur kata sandi" in page.text  # Indonesian by default
    answer = await web.submit(
        f"/set-password?token={token}",
        "/set-password",
        {"token": token, "password": PASSWORD, "password_again": PASSWORD},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?notice=password_set"
    assert "sudah diatur" in (await web.get(answer.headers["location"])).text
    signed = await web.sign_in(EMPLOYEE)
    assert signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" in cookie.lower()  # the base URL is https
    assert (await web.get("/")).headers["location"] == "/tasks"
    tasks = await web.get("/tasks")
    assert tasks.status_code == 200
    assert "Tugas saya" in tasks.text
    reused = await web.submit(
        f"/set-password?token={token}",
        "/set-password",
        {"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert reused.status_code == 422  # the link worked once
    assert "tidak valid" in reused.text


async def test_a_page_needs_sign_in_and_comes_back_after_it(api: Api, web: Browser) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    answer = await web.get("/tasks")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/tasks"
    signed = await web.submit(
        "/sign-in?next=/tasks",
        "/sign-in",
        {"username": "budi@example.go.id", "password": PASSWORD, "next": "/tasks"},
    )
    assert signed.headers["location"] == "/tasks"
    await web.submit("/tasks", "/sign-out", {})
    elsewhere = await web.submit(
        "/sign-in",
        "/sign-in",
        {"username": EMPLOYEE, "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert elsewhere.headers["location"] == "/"  # never to another site


async def test_wrong_password_is_refused_in_the_page_and_throttled_like_the_api(
    api: Api, web: Browser
) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    statuses = []
    for _ in range(api.settings.login_max_failures + 1):
        answer = await web.submit(
            "/sign-in", "/sign-in", {"username": EMPLOYEE, "password": "salah-sekali"}
        )
        statuses.append(answer.status_code)
    assert statuses[:-1] == [401] * api.settings.login_max_failures
    assert "salah" in answer.text or statuses[-1] == 429
    assert statuses[-1] == 429
    assert "Retry-After" in answer.headers


async def test_a_form_without_its_csrf_token_is_refused(api: Api, web: Browser) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    await web.get("/sign-in")
    answer = await web.post("/sign-in", {"username": EMPLOYEE, "password": PASSWORD})
    assert answer.status_code == 403
    assert "text/html" in answer.headers["content-type"]
    assert "muat ulang" in answer.text
    forged = await web.post(
        "/sign-in", {"username": EMPLOYEE, "password": PASSWORD, "_csrf_token": "0" * 128}
    )
    assert forged.status_code == 403
    assert "kinerja_session" not in forged.headers.get("set-cookie", "")
    # an htmx request carries the token in its header instead
    page = await web.get("/sign-in")
    by_header = await web.post(
        "/sign-in",
        {"username": EMPLOYEE, "password": PASSWORD},
        headers={"x-csrftoken": csrf_of(page.text), "hx-request": "true"},
    )
    assert by_header.status_code == 303


async def test_a_session_cookie_replayed_after_sign_out_is_refused(api: Api, web: Browser) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    await web.sign_in(EMPLOYEE)
    session = web.cookies["kinerja_session"]
    out = await web.submit("/tasks", "/sign-out", {})
    assert out.status_code == 303
    async with open_browser(api) as thief:
        thief.cookies.set("kinerja_session", session)
        replay = await thief.get("/tasks")
        assert replay.status_code == 303
        assert replay.headers["location"].startswith("/sign-in")
    async with api.ctx.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(WebSession)) == 0


async def test_sessions_end_when_the_password_changes_and_forgot_password_tells_nothing(
    api: Api, web: Browser
) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    await web.sign_in(EMPLOYEE)
    assert (await web.get("/tasks")).status_code == 200
    async with open_browser(api) as other:
        sent = await other.submit("/forgot-password", "/forgot-password", {"username": EMPLOYEE})
        assert sent.status_code == 200
        unknown = await other.submit(
            "/forgot-password", "/forgot-password", {"username": "nobody@example.go.id"}
        )
        assert unknown.status_code == 200
        strip = re.compile(r'value="[0-9a-f]+"')
        assert strip.sub("", unknown.text) == strip.sub("", sent.text)  # the same answer
        rows = await api.outbox(to="budi@example.go.id", kind="password_reset")
        found = re.search(r"/reset-password\?token=([A-Za-z0-9_\-]+)", rows[-1].body_text)
        assert found
        token = found.group(1)
        reset = await other.submit(
            f"/reset-password?token={token}",
            "/reset-password",
            {"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        )
        assert reset.status_code == 303
    after = await web.get("/tasks")
    assert after.status_code == 303  # the old session ended with the old password


async def test_a_deactivated_account_is_signed_out(api: Api, web: Browser) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    await web.sign_in(EMPLOYEE)
    me = (await api.get("/api/v1/auth/me", EMPLOYEE)).json()
    gone = await api.post(
        f"/api/v1/accounts/{me['account_id']}/deactivate", "admin", {"reason": "Pindah instansi"}
    )
    assert gone.status_code == 200, gone.text
    assert (await web.get("/tasks")).status_code == 303


async def test_language_switch_is_remembered_on_the_account(api: Api, web: Browser) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    await web.sign_in(EMPLOYEE)
    switched = await web.submit("/tasks", "/language", {"locale": "en", "next": "/tasks"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/tasks"
    assert "My tasks" in (await web.get("/tasks")).text
    me = await api.get("/api/v1/auth/me", EMPLOYEE)
    assert me.json()["locale"] == "en"
    async with open_browser(api) as fresh:  # another browser, signing in
        await fresh.sign_in(EMPLOYEE)
        assert "My tasks" in (await fresh.get("/tasks")).text
    back = await api.client.patch(
        "/api/v1/auth/me", headers=api.auth(EMPLOYEE), json={"locale": "id"}
    )
    assert back.status_code == 200
    assert back.json()["locale"] == "id"
    assert "Tugas saya" in (await web.get("/tasks")).text
    bad = await api.client.patch(
        "/api/v1/auth/me", headers=api.auth(EMPLOYEE), json={"locale": "fr"}
    )
    assert bad.status_code == 422


async def test_pages_answer_html_errors_while_the_api_keeps_json(api: Api, web: Browser) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    await web.sign_in(EMPLOYEE)
    missing = await web.get("/no-such-page")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    assert "Tidak ditemukan" in missing.text
    api_missing = await api.client.get("/api/v1/no-such-thing")
    assert api_missing.status_code == 404
    assert api_missing.headers["content-type"].startswith("application/json")
