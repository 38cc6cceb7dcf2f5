"""Emailed links (invitation, password reset) work once, even when used many times at once."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from kinerja_flow.accounts.models import Account
from tests.support.api import EMPLOYEE, PASSWORD, Api
from tests.support.concurrency import overlapping_client, served

BUDI = "budi@example.go.id"
ATTEMPTS = 20
RESET_LINK = re.compile(r"/reset-password\?token=([A-Za-z0-9_\-]+)")


def passwords() -> list[str]:
    """Twenty different strong passwords, one per racing request."""
    return [f"kopi-tubruk-sawah-hijau-{number:02d}" for number in range(ATTEMPTS)]


async def start_at_real_time(api: Api) -> None:
    """Share data with a served process, which runs on the real clock."""
    api.clock.advance(datetime.now(UTC) - api.clock.now())


async def password_of(api: Api, candidates: list[str]) -> list[str]:
    """Which of ``candidates`` is Budi's password now (checked against the stored hash, since
    signing in with each would soon be throttled); the one found also signs in."""
    async with api.ctx.sessions() as session:
        stored = await session.scalar(select(Account.password_hash).where(Account.email == BUDI))
    found = [password for password in candidates if api.ctx.passwords.verify(stored, password)]
    for password in found:
        assert (await api.login(EMPLOYEE, password)).status_code == 200
    return found


async def test_an_invitation_used_twenty_times_at_once_sets_one_password(api: Api) -> None:
    await api.setup_org()
    token = await api.invitation_token(BUDI)
    candidates = passwords()

    async with overlapping_client(api.app) as client:
        responses = await asyncio.gather(
            *(
                client.post("/api/v1/auth/set-password", json={"token": token, "password": p})
                for p in candidates
            )
        )

    codes = sorted(response.status_code for response in responses)
    assert codes == [204] + [422] * (ATTEMPTS - 1), [r.text for r in responses]
    winner = candidates[[r.status_code for r in responses].index(204)]
    assert await password_of(api, candidates) == [winner]


async def test_an_invitation_used_twenty_times_at_once_on_a_served_instance(api: Api) -> None:
    await start_at_real_time(api)
    await api.setup_org()
    token = await api.invitation_token(BUDI)
    candidates = passwords()

    with served(api.settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            responses = await asyncio.gather(
                *(
                    client.post("/api/v1/auth/set-password", json={"token": token, "password": p})
                    for p in candidates
                )
            )

    codes = sorted(response.status_code for response in responses)
    assert codes == [204] + [422] * (ATTEMPTS - 1), [r.text for r in responses]
    winner = candidates[[r.status_code for r in responses].index(204)]
    assert await password_of(api, [*candidates, PASSWORD]) == [winner]


async def test_a_reset_link_used_twenty_times_at_once_sets_one_password(api: Api) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)
    forgot = await api.client.post("/api/v1/auth/forgot-password", json={"username": BUDI})
    assert forgot.status_code == 202
    [email] = await api.outbox(to=BUDI, kind="password_reset")
    found = RESET_LINK.search(email.body_text)
    assert found, email.body_text
    candidates = passwords()

    async with overlapping_client(api.app) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/auth/reset-password", json={"token": found.group(1), "password": p}
                )
                for p in candidates
            )
        )

    codes = sorted(response.status_code for response in responses)
    assert codes == [204] + [422] * (ATTEMPTS - 1), [r.text for r in responses]
    winner = candidates[[r.status_code for r in responses].index(204)]
    assert await password_of(api, [*candidates, PASSWORD]) == [winner]
