"""Forgot password: one answer for every name, the email only after it, throttled, short-lived."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

from httpx import Response
from litestar import Litestar

from tests.support.api import ADMIN_EMAIL, EMPLOYEE, EVALUATOR, PASSWORD, Api
from tests.support.concurrency import overlapping_client

BUDI = "budi@example.go.id"
NEW_PASSWORD = "layang-layang-pantai-senja-77"
RESET_LINK = re.compile(r"https://kinerja\.example\.go\.id/reset-password\?token=([A-Za-z0-9_\-]+)")
EN = {"Accept-Language": "en"}


async def forgot(api: Api, username: str, **headers: str) -> Response:
    return await api.client.post(
        "/api/v1/auth/forgot-password", json={"username": username}, headers=headers
    )


async def reset(api: Api, token: str, password: str = NEW_PASSWORD) -> Response:
    return await api.client.post(
        "/api/v1/auth/reset-password", json={"token": token, "password": password}, headers=EN
    )


async def reset_tokens(api: Api, to: str) -> list[str]:
    tokens = []
    for row in await api.outbox(to=to, kind="password_reset"):
        found = RESET_LINK.search(row.body_text)
        assert found, row.body_text
        tokens.append(found.group(1))
    return tokens


async def activated(api: Api) -> None:
    """The standard agency; Budi has set his password and signed in."""
    await api.setup_org()
    assert (await api.accept_invitation(BUDI)).status_code == 204
    await api.sign_in(EMPLOYEE, EMPLOYEE)


async def test_the_answer_is_the_same_whether_or_not_the_name_exists(api: Api) -> None:
    await activated(api)
    names = [
        EMPLOYEE,  # an active employee, by NIP
        BUDI.upper(),  # the same, by email in another case
        ADMIN_EMAIL,  # an admin without an employee record
        "siti@example.go.id",  # invited, no password yet
        "nobody@example.go.id",
        "196001011985031009",  # a well-formed NIP nobody has
        "not even a name",
        "0" * 320,  # the longest name the API takes (a longer throttle key once failed)
    ]
    for locale in ({}, EN):
        answers = [await forgot(api, name, **locale) for name in names]
        assert {a.status_code for a in answers} == {202}
        assert len({a.content for a in answers}) == 1, [a.text for a in answers]
        assert len({tuple(sorted(a.headers.keys())) for a in answers}) == 1
    assert "link" in answers[0].json()["detail"]


async def test_the_email_is_made_after_the_answer_is_sent(api: Api) -> None:
    """The request does the same work for every name: the lookup and the email come later."""
    await activated(api)

    known = await answer_then_outbox(api, EMPLOYEE)
    unknown = await answer_then_outbox(api, "nobody@example.go.id")

    assert known.status == unknown.status == 202
    assert known.body == unknown.body
    assert known.emails_when_answered == 0  # nothing had been looked up or written yet
    assert known.emails_after == 1
    assert unknown.emails_when_answered == unknown.emails_after == 0


class Observed:
    def __init__(self) -> None:
        self.status = 0
        self.body = b""
        self.emails_when_answered = -1
        self.emails_after = -1


async def answer_then_outbox(api: Api, username: str) -> Observed:
    """Call the app over ASGI and count reset emails at the moment the answer is sent."""
    seen = Observed()
    app: Litestar = api.app
    request_body = json.dumps({"username": username}).encode()
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": request_body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen.status = message["status"]
        elif message["type"] == "http.response.body":
            seen.body += message.get("body", b"")
            if not message.get("more_body", False):
                seen.emails_when_answered = len(await api.outbox(kind="password_reset"))

    before = len(await api.outbox(kind="password_reset"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/auth/forgot-password",
        "raw_path": b"/api/v1/auth/forgot-password",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("198.51.100.20", 40000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    seen.emails_when_answered -= before
    seen.emails_after = len(await api.outbox(kind="password_reset")) - before
    return seen


async def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(api: Api) -> None:
    await activated(api)
    old_token = api.tokens[EMPLOYEE]
    assert (await forgot(api, EMPLOYEE)).status_code == 202
    (token,) = await reset_tokens(api, BUDI)

    assert (await reset(api, token)).status_code == 204
    again = await reset(api, token, "kunci-rahasia-gunung-biru-31")

    assert again.status_code == 422, again.text
    assert "forgot password" in again.json()["detail"]
    assert again.json()["errors"][0]["field"] == "token"
    assert (await api.login(EMPLOYEE, PASSWORD)).status_code == 401
    assert (await api.login(EMPLOYEE, NEW_PASSWORD)).status_code == 200
    who = await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"})
    assert who.status_code == 401  # the token from before the change is refused


async def test_a_reset_link_lives_an_hour(api: Api) -> None:
    await activated(api)
    await forgot(api, EMPLOYEE)
    (token,) = await reset_tokens(api, BUDI)
    api.clock.advance(timedelta(minutes=60, seconds=1))

    late = await reset(api, token)

    assert late.status_code == 422, late.text
    assert (await api.login(EMPLOYEE, PASSWORD)).status_code == 200
    await forgot(api, EMPLOYEE)
    (_, fresh) = await reset_tokens(api, BUDI)
    api.clock.advance(timedelta(minutes=59))
    assert (await reset(api, fresh)).status_code == 204


async def test_a_newer_link_voids_the_older_one(api: Api) -> None:
    await activated(api)
    await forgot(api, EMPLOYEE)
    await forgot(api, BUDI)
    older, newer = await reset_tokens(api, BUDI)

    assert (await reset(api, older)).status_code == 422
    assert (await reset(api, newer)).status_code == 204


async def test_links_only_work_for_their_own_purpose(api: Api) -> None:
    await api.setup_org()
    invitation = await api.invitation_token(BUDI)
    await forgot(api, EMPLOYEE)  # invited, no password yet: a reset link also lets him in
    (reset_token,) = await reset_tokens(api, BUDI)

    as_reset = await reset(api, invitation)
    as_invitation = await api.client.post(
        "/api/v1/auth/set-password", json={"token": reset_token, "password": NEW_PASSWORD}
    )

    assert as_reset.status_code == 422, as_reset.text
    assert as_invitation.status_code == 422, as_invitation.text
    assert (await reset(api, reset_token)).status_code == 204
    assert (await api.login(EMPLOYEE, NEW_PASSWORD)).status_code == 200
    # Setting a password used up every other link of the account.
    assert (await api.accept_invitation(BUDI, PASSWORD)).status_code == 422


async def test_a_weak_password_is_refused_and_the_link_stays_usable(api: Api) -> None:
    await activated(api)
    await forgot(api, EMPLOYEE)
    (token,) = await reset_tokens(api, BUDI)

    for weak in ("password123", "pendek", f"Pagi{EMPLOYEE}"):
        refused = await reset(api, token, weak)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "password"
    assert (await reset(api, token)).status_code == 204


async def test_requests_are_throttled_alike_for_known_and_unknown_names(api: Api) -> None:
    await activated(api)
    for name in (EMPLOYEE, "nobody@example.go.id"):
        for _attempt in range(5):
            assert (await forgot(api, name)).status_code == 202
    refused = [await forgot(api, name, **EN) for name in (EMPLOYEE, "nobody@example.go.id")]

    assert [r.status_code for r in refused] == [429, 429]
    # the same answer either way, but for the id every answer carries
    bodies = [{k: v for k, v in r.json().items() if k != "request_id"} for r in refused]
    assert bodies[0] == bodies[1]
    assert all(r.json()["request_id"] for r in refused)
    assert "Too many password reset requests" in refused[0].json()["detail"]
    assert 0 < int(refused[0].headers["Retry-After"]) <= 15 * 60
    assert len(await reset_tokens(api, BUDI)) == 5
    # Sign-in is counted apart: asking for links does not lock the person out.
    assert (await api.login(EMPLOYEE, PASSWORD)).status_code == 200
    api.clock.advance(timedelta(minutes=16))
    assert (await forgot(api, EMPLOYEE)).status_code == 202


async def test_thirty_simultaneous_requests_send_at_most_five_links(api: Api) -> None:
    await activated(api)

    async with overlapping_client(api.app) as client:
        answers = await asyncio.gather(
            *(
                client.post("/api/v1/auth/forgot-password", json={"username": EMPLOYEE})
                for _ in range(30)
            )
        )

    codes = [answer.status_code for answer in answers]
    assert codes.count(202) == 5, codes
    assert codes.count(429) == 25, codes
    assert len(await reset_tokens(api, BUDI)) == 5


async def test_the_email_is_in_the_persons_language(api: Api) -> None:
    await activated(api)
    await forgot(api, EMPLOYEE)
    await forgot(api, EVALUATOR)
    delivered = await api.deliver()

    assert delivered >= 2
    (budi,) = [m for m in api.mail.to(BUDI) if "kata sandi baru" in str(m["Subject"]).lower()]
    text = api.mail.text_of(budi)
    assert "60 menit" in text
    assert RESET_LINK.search(text)
    assert "Budi Santoso" in text
