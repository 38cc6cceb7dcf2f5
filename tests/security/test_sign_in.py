"""Guessing passwords: the throttle is counted before the slow hash check and holds under load."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.api import EMPLOYEE, EVALUATOR, PASSWORD, Api
from tests.support.concurrency import overlapping_client, served

BUDI = "budi@example.go.id"
GUESSES = 30
LIMIT = 5  # KINERJA_LOGIN_MAX_FAILURES


def guesses() -> list[dict[str, str]]:
    return [
        {"username": EMPLOYEE, "password": f"tebakan-salah-{number}"} for number in range(GUESSES)
    ]


def observe_verify(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every password the app really checks (the real check still runs)."""
    checked: list[str] = []
    verify: Callable[[str | None, str], bool] = api.ctx.passwords.verify

    def observed(password_hash: str | None, password: str) -> bool:
        checked.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(api.ctx.passwords, "verify", observed)
    return checked


async def test_thirty_simultaneous_guesses_check_at_most_five_passwords(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await api.setup_org()
    await api.accept_invitation(BUDI)
    checked = observe_verify(api, monkeypatch)

    async with overlapping_client(api.app) as client:
        responses = await asyncio.gather(
            *(client.post("/api/v1/auth/token", json=body) for body in guesses())
        )

    codes = [response.status_code for response in responses]
    assert len(checked) <= LIMIT, (len(checked), codes)
    assert codes.count(401) == len(checked)
    assert codes.count(429) == GUESSES - len(checked)
    assert all(int(r.headers["Retry-After"]) > 0 for r in responses if r.status_code == 429)
    # The right password is refused too until the window has passed.
    assert (await api.login(EMPLOYEE, PASSWORD)).status_code == 429
    api.clock.advance(timedelta(minutes=16))
    assert (await api.login(EMPLOYEE, PASSWORD)).status_code == 200


async def test_thirty_simultaneous_guesses_on_a_served_instance(api: Api) -> None:
    api.clock.advance(datetime.now(UTC) - api.clock.now())
    await api.setup_org()
    await api.accept_invitation(BUDI)
    await api.accept_invitation("siti@example.go.id")

    with served(api.settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            responses = await asyncio.gather(
                *(client.post("/api/v1/auth/token", json=body) for body in guesses())
            )
            codes = [response.status_code for response in responses]
            assert codes.count(401) <= LIMIT, codes
            assert codes.count(401) + codes.count(429) == GUESSES, codes
            others = await client.post(
                "/api/v1/auth/token", json={"username": EVALUATOR, "password": PASSWORD}
            )
            assert others.status_code == 200, others.text  # the throttle is per account
