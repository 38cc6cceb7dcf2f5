"""The daily digest: one email a day listing what awaits a person, most urgent first.

A person who chooses it (``PATCH /api/v1/auth/me`` ``{"digest": true}``) gets no email per
event: reminders and escalations are not sent to them, and the emails of workflow steps wait in
the outbox (``held``). From ``KINERJA_DIGEST_HOUR`` (local time) each day the scheduler sends
them one summary: every open case waiting for them (as a party whose action is due, or one told
once it is overdue), most urgent first, each with its deadline and link; then what happened
since the last digest, each held email's subject and link (those are then ``digested``). An
account is claimed for the day in the same transaction that queues its email, so it gets one a
day whatever the number of workers; a day with nothing to say sends nothing. Turning the digest
off sends what is still held at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import msgspec
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.models import Account
from kinerja_flow.lib.db import begin_write, is_postgres
from kinerja_flow.lib.principal import HR
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.notifications.outbox import DIGESTED, IS_HELD, Email, Recipient
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.deadlines import Awaited, DeadlineAdapter

DIGEST_MESSAGE = "daily_digest"
BATCH = 200
LISTED = 50
"""The most items (and the most events) one digest lists; the rest is counted."""


class Event(msgspec.Struct, frozen=True):
    """Something that happened since the last digest: a held email's subject and link."""

    subject: str
    link: str | None
    at_text: str


class DigestRunner:
    def __init__(self, ctx: AppContext, adapters: Mapping[str, DeadlineAdapter]) -> None:
        self.ctx = ctx
        self.adapters = adapters

    def today(self, now: datetime) -> date | None:
        """The local day whose digests are due now (None before the digest hour)."""
        local = now.astimezone(self.ctx.deadline_clock.zone)
        return local.date() if local.hour >= self.ctx.settings.digest_hour else None

    async def run_pass(self) -> int:
        """Send every digest due today; answer how many emails were queued."""
        now = self.ctx.clock.now()
        today = self.today(now)
        if today is None:
            return 0
        queued = 0
        while True:
            async with self.ctx.sessions() as session:
                await begin_write(session)
                query = (
                    select(Account)
                    .where(
                        Account.digest.is_(True),
                        Account.active.is_(True),
                        or_(Account.digest_sent_on.is_(None), Account.digest_sent_on < today),
                    )
                    .order_by(Account.id)
                    .limit(BATCH)
                )
                if is_postgres(session):
                    query = query.with_for_update(skip_locked=True)
                accounts = list((await session.scalars(query)).all())
                if not accounts:
                    await session.rollback()
                    return queued
                emails = []
                for account in accounts:
                    account.digest_sent_on = today
                    email = await self.digest_of(session, account, now, today)
                    if email is not None:
                        emails.append(email)
                await self.ctx.outbox.enqueue(session, now, emails)
                await session.commit()
                queued += len(emails)

    async def awaiting(
        self, session: AsyncSession, account: Account, now: datetime
    ) -> list[Awaited]:
        """Everything waiting for ``account``'s person, most urgent first."""
        items: list[Awaited] = []
        for adapter in self.adapters.values():
            items += await adapter.awaiting(
                session,
                self.ctx,
                account.employee_id,
                HR in account.role_set,
                account.locale,
                now,
            )
        return sorted(items, key=lambda item: item.due_at)

    async def digest_of(
        self, session: AsyncSession, account: Account, now: datetime, today: date
    ) -> Email | None:
        items = await self.awaiting(session, account, now)
        events = await self.events_for(session, account.email, now)
        if not items and not events:
            return None
        name = account.email
        if account.employee_id is not None:
            name = (
                await session.scalar(
                    select(Employee.name).where(Employee.id == account.employee_id)
                )
                or name
            )
        return Email(
            DIGEST_MESSAGE,
            Recipient(account.email, name, account.locale),
            {
                "name": name,
                "items": items[:LISTED],
                "total": len(items),
                "overdue": sum(item.overdue for item in items),
                "more": max(len(items) - LISTED, 0),
                "events": events[:LISTED],
                "more_events": max(len(events) - LISTED, 0),
                "today": f"{today:%d-%m-%Y}",
                "link": self.ctx.link("/"),
            },
            f"digest:{account.id}:{today.isoformat()}",
        )

    async def events_for(self, session: AsyncSession, address: str, now: datetime) -> list[Event]:
        """The emails held for ``address`` since the last digest, oldest first; they are
        marked ``digested`` in the transaction that queues the digest."""
        rows = (
            await session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.subject,
                    OutboxMessage.link,
                    OutboxMessage.created_at,
                )
                .where(IS_HELD, OutboxMessage.to_address == address)
                .order_by(OutboxMessage.id)
            )
        ).all()
        if rows:
            await session.execute(
                update(OutboxMessage)
                .where(
                    IS_HELD,
                    OutboxMessage.to_address == address,
                    OutboxMessage.id <= rows[-1].id,
                )
                .values(status=DIGESTED, sent_at=now)
            )
        zone = self.ctx.deadline_clock.zone
        return [
            Event(row.subject, row.link, f"{row.created_at.astimezone(zone):%d-%m-%Y %H:%M}")
            for row in rows
        ]
