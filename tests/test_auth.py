"""Invitations, passwords, sign-in, bearer tokens, throttling and the audit of account events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import jwt
import pytest
from httpx import Response
from sqlalchemy import select

from kinerja_flow.accounts.models import Account
from kinerja_flow.audit.models import AuditEvent
from tests.support.api import (
    ADMIN_EMAIL,
    AUDITOR,
    EMPLOYEE,
    EVALUATOR,
    HEAD,
    HR,
    PASSWORD,
    PEER,
    Api,
)

BASE_URL = "https://kinerja.example.go.id"
LINK = re.compile(re.escape(BASE_URL) + r"/set-password\?token=([A-Za-z0-9_\-]+)")
EMAILS = {
    HEAD: "hendra@example.go.id",
    EVALUATOR: "siti@example.go.id",
    EMPLOYEE: "budi@example.go.id",
    PEER: "dewi@example.go.id",
    HR: "rina@example.go.id",
    AUDITOR: "agus@example.go.id",
}
BUDI = EMAILS[EMPLOYEE]
OTHER_PASSWORD = "layang-layang-pantai-senja-77"
EN = {"Accept-Language": "en"}


async def set_password(api: Api, token: str, password: str) -> Response:
    return await api.client.post(
        "/api/v1/auth/set-password", json={"token": token, "password": password}, headers=EN
    )


async def login(api: Api, username: str, password: str) -> Response:
    return await api.client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}, headers=EN
    )


async def me(api: Api, token: str) -> Response:
    return await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def field_errors(response: Response) -> dict[str, str]:
    body: dict[str, Any] = response.json()
    return {error["field"]: error["message"] for error in body.get("errors", [])}


async def test_every_new_employee_gets_an_invitation_link_by_email(api: Api) -> None:
    await api.setup_org()

    sent = await api.deliver()

    assert sent == 6
    received = api.mail.messages
    assert sorted(parseaddr(str(message["To"]))[1] for message in received) == sorted(
        EMAILS.values()
    )
    assert api.mail.to(ADMIN_EMAIL) == []  # the admin already has a password
    tokens: set[str] = set()
    for message in received:
        assert message["Subject"]
        found = LINK.search(api.mail.text_of(message))
        assert found, api.mail.text_of(message)
        tokens.add(found.group(1))
    assert len(tokens) == 6  # one personal link each

    (budi_mail,) = api.mail.to(BUDI)
    found = LINK.search(api.mail.text_of(budi_mail))
    assert found
    assert (await set_password(api, found.group(1), PASSWORD)).status_code == 204
    signed_in = await login(api, EMPLOYEE, PASSWORD)
    assert signed_in.status_code == 200, signed_in.text
    assert (await api.deliver()) == 0  # nothing is sent twice


async def test_invitation_link_sets_the_password_only_once(api: Api) -> None:
    await api.setup_org()
    token = await api.invitation_token(BUDI)
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 401  # no password yet

    first = await set_password(api, token, PASSWORD)
    assert first.status_code == 204, first.text
    second = await set_password(api, token, OTHER_PASSWORD)

    assert second.status_code == 422, second.text
    assert "token" in field_errors(second)
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 200
    assert (await login(api, EMPLOYEE, OTHER_PASSWORD)).status_code == 401


async def test_unknown_token_is_refused(api: Api) -> None:
    await api.setup_org()
    token = await api.invitation_token(BUDI)
    response = await set_password(
        api, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), PASSWORD
    )
    assert response.status_code == 422, response.text
    assert "token" in field_errors(response)
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 401


async def test_invitation_link_expires_after_seven_days(api: Api) -> None:
    await api.setup_org()
    budi_token = await api.invitation_token(BUDI)
    dewi_token = await api.invitation_token(EMAILS[PEER])

    api.clock.advance(timedelta(days=6, hours=23))
    assert (await set_password(api, budi_token, PASSWORD)).status_code == 204
    api.clock.advance(timedelta(hours=2))
    expired = await set_password(api, dewi_token, PASSWORD)

    assert expired.status_code == 422, expired.text
    assert "token" in field_errors(expired)
    assert "expired" in expired.json()["detail"]
    assert (await login(api, PEER, PASSWORD)).status_code == 401
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    "weak",
    ["password123", "Kx9#vq2", f"Pagi{EMPLOYEE}"],
    ids=["common", "too_short", "contains_nip"],
)
async def test_weak_password_is_refused_and_the_link_stays_usable(api: Api, weak: str) -> None:
    await api.setup_org()
    token = await api.invitation_token(BUDI)

    refused = await set_password(api, token, weak)

    assert refused.status_code == 422, refused.text
    assert "password" in field_errors(refused)
    assert weak not in refused.text
    assert (await login(api, EMPLOYEE, weak)).status_code == 401
    accepted = await set_password(api, token, PASSWORD)
    assert accepted.status_code == 204, accepted.text
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 200


async def test_the_nip_alone_makes_a_password_weak(api: Api) -> None:
    """The same shape of password is fine for someone whose NIP it does not contain."""
    await api.setup_org()
    assert (
        await set_password(api, await api.invitation_token(BUDI), f"Pagi{PEER}")
    ).status_code == 204
    own = await set_password(api, await api.invitation_token(EMAILS[PEER]), f"Pagi{PEER}")
    assert own.status_code == 422, own.text
    assert "password" in field_errors(own)


async def test_sign_in_with_nip_or_email(api: Api) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)

    tokens: list[str] = []
    for username in (EMPLOYEE, BUDI, "Budi@Example.GO.ID", f"  {BUDI} "):
        response = await login(api, username, PASSWORD)
        assert response.status_code == 200, (username, response.text)
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["access_token"]
        tokens.append(body["access_token"])
    for token in tokens:
        who = await me(api, token)
        assert who.status_code == 200, who.text
        assert (who.json()["nip"], who.json()["email"]) == (EMPLOYEE, BUDI)


async def test_wrong_password_or_unknown_user_is_401(api: Api) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)
    for username, password in (
        (EMPLOYEE, OTHER_PASSWORD),
        (BUDI, PASSWORD.upper()),
        ("nobody@example.go.id", PASSWORD),
        ("196001011985031009", PASSWORD),
        (EVALUATOR, PASSWORD),  # invited but no password set yet
    ):
        response = await login(api, username, password)
        assert response.status_code == 401, (username, response.text)
        assert "access_token" not in response.json()
    wrong = await login(api, EMPLOYEE, OTHER_PASSWORD)
    assert "Wrong username or password" in wrong.json()["detail"]


ROUTES: list[tuple[str, str]] = [
    ("GET", "/api/v1/auth/me"),
    ("GET", "/api/v1/units"),
    ("POST", "/api/v1/units"),
    ("GET", "/api/v1/employees"),
    ("POST", "/api/v1/employees/import"),
    ("GET", "/api/v1/cycles"),
    ("POST", "/api/v1/cycles"),
    ("GET", "/api/v1/appraisals"),
    ("GET", "/api/v1/appraisals/1"),
    ("GET", "/api/v1/appraisals/1/audit"),
    ("POST", "/api/v1/appraisals/1/actions/cancel"),
    ("GET", "/api/v1/audit/verify"),
    ("POST", "/api/v1/audit/verify"),
]


async def test_api_routes_need_a_valid_bearer_token(api: Api) -> None:
    await api.setup_org()
    secret = api.settings.secret_key
    now = datetime.now(UTC)
    admin_id = (await api.get("/api/v1/auth/me", "admin")).json()["account_id"]
    bad_headers = {
        "missing": {},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "forged": {
            "Authorization": "Bearer "
            + jwt.encode(
                {"sub": str(admin_id), "exp": now + timedelta(hours=1), "iat": now},
                "someone-elses-secret-key-0123456789abcdef",
                algorithm="HS256",
            )
        },
        "expired": {
            "Authorization": "Bearer "
            + jwt.encode(
                {"sub": str(admin_id), "exp": now - timedelta(hours=1), "iat": now},
                secret,
                algorithm="HS256",
            )
        },
        "unknown account": {
            "Authorization": "Bearer "
            + jwt.encode(
                {"sub": "987654", "exp": now + timedelta(hours=1), "iat": now},
                secret,
                algorithm="HS256",
            )
        },
    }
    units_before = (await api.get("/api/v1/units", "admin")).json()
    body = {"code": "BID9", "name": "Bidang Sembilan", "parent_code": "DINAS"}
    for method, path in ROUTES:
        for name, headers in bad_headers.items():
            response = await api.client.request(method, path, headers=headers, json=body)
            assert response.status_code == 401, (method, path, name, response.text)
        allowed = await api.client.request(method, path, headers=api.auth("admin"), json={})
        assert allowed.status_code != 401, (method, path, allowed.text)
    assert (await api.get("/api/v1/units", "admin")).json() == units_before
    assert (await api.client.get("/health")).status_code == 200


async def test_me_shows_who_is_signed_in_and_their_roles(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, HR, AUDITOR)

    admin = (await api.get("/api/v1/auth/me", "admin")).json()
    assert (admin["email"], admin["roles"], admin["nip"]) == (ADMIN_EMAIL, ["hr"], None)
    rina = (await api.get("/api/v1/auth/me", HR)).json()
    assert (rina["nip"], rina["name"], rina["email"], rina["roles"]) == (
        HR,
        "Rina Hartati",
        EMAILS[HR],
        ["hr"],
    )
    assert (await api.get("/api/v1/auth/me", AUDITOR)).json()["roles"] == ["auditor"]
    budi = (await api.get("/api/v1/auth/me", EMPLOYEE)).json()
    assert (budi["nip"], budi["roles"]) == (EMPLOYEE, [])
    assert len({admin["account_id"], rina["account_id"], budi["account_id"]}) == 3


async def test_repeated_failed_sign_ins_are_throttled(api: Api) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)
    await api.accept_invitation(EMAILS[EVALUATOR])
    for attempt in range(5):
        failed = await login(api, EMPLOYEE, f"tebakan-salah-{attempt}")
        assert failed.status_code == 401, (attempt, failed.text)

    blocked = await login(api, EMPLOYEE, PASSWORD)  # the right password, too late

    assert blocked.status_code == 429, blocked.text
    assert "access_token" not in blocked.json()
    assert "Too many failed sign-ins" in blocked.json()["detail"]
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert (await login(api, EVALUATOR, PASSWORD)).status_code == 200  # others unaffected
    api.clock.advance(timedelta(minutes=14))
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 429

    api.clock.advance(timedelta(minutes=2))  # 16 minutes after the failures
    again = await login(api, EMPLOYEE, PASSWORD)
    assert again.status_code == 200, again.text


async def test_changing_the_case_of_the_email_does_not_escape_the_throttle(api: Api) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)
    for attempt, username in enumerate(
        (BUDI, BUDI.upper(), "Budi@Example.go.id", f" {BUDI}", "bUdI@eXaMpLe.Go.Id")
    ):
        assert (await login(api, username, f"tebakan-salah-{attempt}")).status_code == 401

    assert (await login(api, BUDI, PASSWORD)).status_code == 429
    api.clock.advance(timedelta(minutes=16))
    assert (await login(api, BUDI, PASSWORD)).status_code == 200


async def test_retry_after_is_truthful(api: Api) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)
    for attempt in range(5):
        assert (await login(api, EMPLOYEE, f"tebakan-salah-{attempt}")).status_code == 401
        api.clock.advance(timedelta(minutes=1))
    blocked = await login(api, EMPLOYEE, PASSWORD)
    assert blocked.status_code == 429
    retry_after = int(blocked.headers["Retry-After"])

    api.clock.advance(timedelta(seconds=retry_after - 5))
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 429
    api.clock.advance(timedelta(seconds=6))
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 200


async def test_a_successful_sign_in_clears_earlier_failures(api: Api) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)
    for attempt in range(4):
        assert (await login(api, EMPLOYEE, f"tebakan-salah-{attempt}")).status_code == 401
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 200
    for attempt in range(4):
        assert (await login(api, EMPLOYEE, f"tebakan-lagi-{attempt}")).status_code == 401
    assert (await login(api, EMPLOYEE, PASSWORD)).status_code == 200


async def test_passwords_are_stored_as_argon2_hashes(api: Api) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)

    async with api.ctx.sessions() as session:
        accounts = {
            account.email: account for account in (await session.scalars(select(Account))).all()
        }
    for email in (BUDI, ADMIN_EMAIL):
        stored = accounts[email].password_hash
        assert stored is not None
        assert stored.startswith("$argon2")
        assert PASSWORD not in stored
    assert accounts[BUDI].password_hash != accounts[ADMIN_EMAIL].password_hash  # salted
    assert accounts[EMAILS[PEER]].password_hash is None  # invited, not yet set


async def test_account_events_are_audited(api: Api) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)
    await api.sign_in(EMPLOYEE, EMPLOYEE)
    account_id = str((await api.get("/api/v1/auth/me", EMPLOYEE)).json()["account_id"])

    verified = await api.get("/api/v1/audit/verify", "admin")

    assert verified.status_code == 200, verified.text
    assert verified.json()["ok"] is True
    assert verified.json()["first_bad_event"] is None
    async with api.ctx.sessions() as session:
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.subject_type == "account", AuditEvent.subject_id == account_id)
                .order_by(AuditEvent.seq)
            )
        ).all()
        total = len((await session.scalars(select(AuditEvent.seq))).all())
    actions = [event.action for event in events]
    assert "account.password_set" in actions
    assert "account.login" in actions
    assert actions.index("account.password_set") < actions.index("account.login")
    assert all(event.actor == BUDI for event in events if event.action.startswith("account.login"))
    assert verified.json()["events"] == total
    assert (await api.get("/api/v1/audit/verify", EMPLOYEE)).status_code == 403
