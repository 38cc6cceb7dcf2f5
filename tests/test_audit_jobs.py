"""Verifications of the audit chain queued as jobs, with no runner taking them: a second
request of the same person answers the verification already waiting."""

from __future__ import annotations

import msgspec
import pytest

from kinerja_flow.accounts.service import AccountService
from kinerja_flow.config import Settings
from tests.support.api import PASSWORD, Api


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, jobs_in_serve=False)


async def test_a_second_request_answers_the_verification_still_waiting(api: Api) -> None:
    await api.create_admin()
    async with api.ctx.sessions() as session:
        await AccountService(session, api.ctx).create_admin("dua@example.go.id", PASSWORD)
    await api.sign_in("other", "dua@example.go.id")
    first = await api.post("/api/v1/audit/verify", "admin")
    assert first.status_code == 202, first.text
    job = first.json()
    assert (job["kind"], job["state"]) == ("audit_verify", "queued")
    assert first.headers["location"] == f"/api/v1/jobs/{job['id']}"
    again = await api.post("/api/v1/audit/verify", "admin")
    assert again.status_code == 202, again.text
    assert again.json()["id"] == job["id"]
    theirs = await api.post("/api/v1/audit/verify", "other")
    assert theirs.status_code == 202, theirs.text
    assert theirs.json()["id"] != job["id"]
    listed = await api.get("/api/v1/jobs?kind=audit_verify", "admin")
    assert listed.json()["total"] == 2
