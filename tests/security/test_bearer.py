"""Bearer tokens: only the Bearer scheme, and never after a password change or deactivation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from tests.support.api import Api

ME = "/api/v1/auth/me"
EN = {"Accept-Language": "en"}


def malformed(token: str) -> dict[str, str]:
    return {
        "basic scheme": f"Basic {token}",
        "token scheme": f"Token {token}",
        "no scheme": token,
        "scheme only": "Bearer",
        "scheme and a space": "Bearer ",
        "extra part": f"Bearer {token} {token}",
        "extra word": f"Bearer {token} please",
        "scheme glued on": f"Bearer{token}",
        "empty": "",
    }


async def test_only_the_bearer_scheme_is_accepted(api: Api) -> None:
    await api.create_admin()
    token = api.tokens["admin"]
    for scheme in ("Bearer", "bearer", "BEARER"):  # the scheme name is case-insensitive
        accepted = await api.client.get(ME, headers={"Authorization": f"{scheme} {token}"})
        assert accepted.status_code == 200, (scheme, accepted.text)

    for name, header in malformed(token).items():
        refused = await api.client.get(ME, headers={"Authorization": header, **EN})
        assert refused.status_code == 401, (name, refused.text)
        assert refused.headers["WWW-Authenticate"] == "Bearer", name
        body: dict[str, Any] = refused.json()
        assert body["status_code"] == 401, name
        assert "Bearer" in body["detail"], name
        assert "account_id" not in body


async def test_a_missing_header_is_told_to_use_bearer(api: Api) -> None:
    refused = await api.client.get(ME)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert refused.json()["status_code"] == 401


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"epoch": "0"},
        {"epoch": None},
        {"epoch": True},
        {"epoch": 0.0},
        {"epoch": 1},
        {"epoch": -1},
    ],
    ids=["no epoch", "string", "null", "boolean", "float", "next epoch", "negative"],
)
async def test_a_token_without_the_current_epoch_is_refused(
    api: Api, claims: dict[str, Any]
) -> None:
    """Signed with the real key (as a leaked old key or a bug might), yet not of this epoch."""
    await api.create_admin()
    me = (await api.get(ME, "admin")).json()
    now = datetime.now(UTC)
    token = jwt.encode(
        {"sub": str(me["account_id"]), "exp": now + timedelta(hours=1), "iat": now, **claims},
        api.settings.secret_key,
        algorithm="HS256",
    )
    refused = await api.client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401, refused.text
    assert refused.headers["WWW-Authenticate"] == "Bearer"


async def test_a_token_accepted_before_is_refused_once_it_has_expired(api: Api) -> None:
    """The signature is checked once per token; its expiry on every request."""
    await api.create_admin()
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=1.5)
    signed_in = jwt.decode(api.tokens["admin"], api.settings.secret_key, algorithms=["HS256"])
    claims = {**signed_in, "exp": expires, "iat": now}
    token = jwt.encode(claims, api.settings.secret_key, algorithm="HS256")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.client.get(ME, headers=headers)).status_code == 200
    assert (await api.client.get(ME, headers=headers)).status_code == 200
    await asyncio.sleep((expires - datetime.now(UTC)).total_seconds() + 0.1)
    refused = await api.client.get(ME, headers=headers)
    assert refused.status_code == 401, refused.text
    assert refused.headers["WWW-Authenticate"] == "Bearer"
