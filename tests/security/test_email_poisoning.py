"""One bad email must not poison the outbox: it fails alone, visibly, and can be sent again.

Delivered through the real SMTP server (aiosmtpd on loopback), which can refuse recipients.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from kinerja_flow.audit.models import AuditEvent
from kinerja_flow.notifications.models import OutboxMessage
from tests.support.api import AUDITOR, EMPLOYEE, HR, ORG_CSV, Api
from tests.support.cli import run_cli

HEADER = ORG_CSV.splitlines()[0]
INJECTED = "budi@example.go.id\r\nBcc: eve@evil.example"


async def queue_legacy_row(api: Api, **values: Any) -> int:
    """A row written before names and addresses were checked (the API refuses these now)."""
    now = api.clock.now()
    row = {
        "kind": "invitation",
        "dedupe_key": f"legacy:{values.get('to_address')}:{values.get('to_name')}",
        "message_id": f"<legacy-{len(str(values))}-{now.timestamp()}@kinerja-flow.local>",
        "locale": "id",
        "subject": "Undangan",
        "body_text": "Halo",
        "body_html": "<p>Halo</p>",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        **values,
    }
    async with api.ctx.sessions() as session:
        result = await session.execute(insert(OutboxMessage).returning(OutboxMessage.id), [row])
        await session.commit()
        return int(result.scalar_one())


async def row(api: Api, message_id: int) -> OutboxMessage:
    async with api.ctx.sessions() as session:
        found = await session.get(OutboxMessage, message_id)
        assert found is not None
        return found


async def test_a_line_break_in_a_name_is_refused_at_import_with_its_line(api: Api) -> None:
    await api.setup_org()
    before = len(await api.outbox())
    line = '199505052020121007,"Rudi\nHartono",rudi@example.go.id,BID1,Analis,,'
    response = await api.import_csv(f"{HEADER}\n{line}\n")
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(error["line"], error["field"]) for error in errors] == [(2, "199505052020121007")]
    assert "name" in errors[0]["message"]
    assert len(await api.outbox()) == before


async def test_one_unsendable_message_does_not_hold_back_the_rest(api: Api) -> None:
    poisoned = await queue_legacy_row(api, to_address=INJECTED, to_name="Budi")
    odd_name = await queue_legacy_row(
        api, to_address="tamu@example.go.id", to_name="Tamu\nBcc: eve@evil.example"
    )
    await api.setup_org()  # six invitations queued after the poisoned row

    assert await api.deliver() == 7
    failed = await row(api, poisoned)
    assert failed.status == "failed"
    assert failed.last_error is not None
    assert "not an email address" in failed.last_error
    assert {m["To"].addresses[0].addr_spec for m in api.mail.messages} == {
        "tamu@example.go.id",
        *(f"{name}@example.go.id" for name in ("hendra", "siti", "budi", "dewi", "rina", "agus")),
    }
    guest = api.mail.to("tamu@example.go.id")[0]
    assert guest["Bcc"] is None
    assert guest["To"].addresses[0].display_name == "Tamu Bcc: eve@evil.example"
    assert (await row(api, odd_name)).status == "sent"
    assert all(message["Bcc"] is None for message in api.mail.messages)
    assert await api.deliver() == 0  # the failed row is not claimed again


async def test_a_5xx_refusal_fails_the_message_and_a_4xx_one_is_retried_later(api: Api) -> None:
    api.mail.refuse("siti@example.go.id", "550 5.1.1 Mailbox does not exist")
    api.mail.refuse("dewi@example.go.id", "451 4.2.0 Mailbox busy, try later")
    await api.setup_org()

    assert await api.deliver() == 4
    siti = (await api.outbox(to="siti@example.go.id"))[0]
    dewi = (await api.outbox(to="dewi@example.go.id"))[0]
    assert siti.status == "failed"
    assert siti.last_error is not None
    assert "550" in siti.last_error
    assert dewi.status == "pending"
    assert dewi.last_error is not None
    assert "451" in dewi.last_error
    assert dewi.next_attempt_at == api.clock.now() + timedelta(seconds=30)

    api.mail.refuse("dewi@example.go.id", None)
    api.clock.advance(timedelta(seconds=30))
    assert await api.deliver() == 1
    assert len(api.mail.to("dewi@example.go.id")) == 1
    assert (await row(api, siti.id)).status == "failed"


async def test_hr_sees_failed_messages_and_retries_one_after_the_fix(api: Api) -> None:
    api.mail.refuse("siti@example.go.id", "550 5.7.1 Relaying denied")
    await api.setup_org()
    await api.deliver()
    api.mail.refuse("siti@example.go.id", None)
    await api.sign_in_staff(HR, AUDITOR, EMPLOYEE)
    siti = (await api.outbox(to="siti@example.go.id"))[0]

    listed = await api.get("/api/v1/outbox", HR, params={"state": "failed"})
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 1
    [item] = page["items"]
    assert (item["id"], item["state"], item["to_address"]) == (siti.id, "failed", siti.to_address)
    assert "550" in item["last_error"]
    assert "body_text" not in item  # an invitation's body holds a sign-in link
    assert (await api.get("/api/v1/outbox", AUDITOR, params={"state": "failed"})).json() == page
    assert (await api.get("/api/v1/outbox", EMPLOYEE)).status_code == 403
    sent = await api.get("/api/v1/outbox", HR, params={"state": "sent", "limit": 2, "offset": 1})
    assert (sent.json()["total"], len(sent.json()["items"])) == (
        len(await api.outbox()) - 1,
        2,
    )
    assert (await api.get("/api/v1/outbox", HR, params={"state": "lost"})).status_code == 422

    assert (await api.post(f"/api/v1/outbox/{siti.id}/retry", AUDITOR)).status_code == 403
    retried = await api.post(f"/api/v1/outbox/{siti.id}/retry", HR)
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "pending"
    assert (await api.post(f"/api/v1/outbox/{siti.id}/retry", HR)).status_code == 409
    assert (await api.post("/api/v1/outbox/999999/retry", HR)).status_code == 404
    assert await api.deliver() == 1
    assert len(api.mail.to("siti@example.go.id")) == 1
    async with api.ctx.sessions() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "outbox.retried")
        )
    assert event is not None
    assert (event.subject_id, event.actor) == (str(siti.id), "rina@example.go.id")
    assert (await api.get("/api/v1/audit/verify", HR)).json()["ok"] is True


async def test_the_outbox_command_lists_failures_and_retries_them(api: Api, tmp_path: Path) -> None:
    poisoned = await queue_legacy_row(api, to_address="nobody", to_name="Nobody")
    await api.deliver()
    env = {"KINERJA_SECRET_KEY": api.settings.secret_key}
    url = api.settings.database_url

    listed = run_cli("outbox", "list", "--state", "failed", database_url=url, cwd=tmp_path, env=env)
    assert listed.code == 0, listed.err
    [line] = listed.out.splitlines()
    assert line.startswith(f"{poisoned}\tfailed\t1\t'nobody'\tinvitation")
    assert "not an email address" in line

    retried = run_cli("outbox", "retry", str(poisoned), database_url=url, cwd=tmp_path, env=env)
    assert retried.code == 0, retried.err
    assert (await row(api, poisoned)).status == "pending"
    again = run_cli("outbox", "retry", str(poisoned), database_url=url, cwd=tmp_path, env=env)
    assert again.code == 1
    assert "pending" in again.err
    verified = run_cli("audit", "verify", database_url=url, cwd=tmp_path, env=env)
    assert verified.code == 0, verified.err
