"""Write rendered emails to the outbox in the caller's transaction, once per dedupe key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.lib.db import is_postgres
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.notifications.render import EmailRenderer

HELD, DIGESTED = "held", "digested"
"""The states of an email kept for its recipient's daily digest, and listed in it."""


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    locale: str
    digest: bool = False
    """They chose the daily digest: the email waits for it instead of being sent."""


@dataclass(frozen=True)
class Email:
    """One email to queue: the template, who gets it, what it says, and its dedupe key."""

    message: str
    recipient: Recipient
    context: dict[str, Any]
    dedupe_key: str


class Outbox:
    def __init__(self, renderer: EmailRenderer, mail_from: str) -> None:
        self.renderer = renderer
        domain = parseaddr(mail_from)[1].rpartition("@")[2] or "kinerja-flow.local"
        self.message_id_domain = domain

    async def enqueue(self, session: AsyncSession, now: datetime, emails: Sequence[Email]) -> None:
        if not emails:
            return
        rows = []
        for email in emails:
            rendered = self.renderer.render(email.message, email.recipient.locale, email.context)
            rows.append(
                {
                    "kind": email.message,
                    "dedupe_key": email.dedupe_key,
                    "message_id": f"<{uuid.uuid4().hex}@{self.message_id_domain}>",
                    "to_address": email.recipient.email,
                    "to_name": email.recipient.name,
                    "locale": email.recipient.locale,
                    "subject": rendered.subject,
                    "body_text": rendered.text,
                    "body_html": rendered.html,
                    "link": email.context.get("link"),
                    "status": HELD if email.recipient.digest else "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
        dialect_insert = postgresql.insert if is_postgres(session) else sqlite.insert
        statement = dialect_insert(OutboxMessage).on_conflict_do_nothing(
            index_elements=["dedupe_key"]
        )
        await session.execute(statement, rows)


async def release_held(session: AsyncSession, address: str, now: datetime) -> None:
    """Send at once what waits for ``address``'s daily digest (they turned it off)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == HELD, OutboxMessage.to_address == address)
        .values(status="pending", next_attempt_at=now)
    )
