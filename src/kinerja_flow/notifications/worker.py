"""Deliver the outbox: claim due rows under a lease, send, retry with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
import zlib
from datetime import timedelta

import aiosmtplib
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kinerja_flow.clock import Clock
from kinerja_flow.config import Settings
from kinerja_flow.lib.db import begin_write, is_postgres
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.notifications.outbox import Outbox
from kinerja_flow.notifications.smtp import build_message, envelope_sender, smtp_client

log = logging.getLogger(__name__)

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min, ... capped at one hour."""
    delay: timedelta = BASE_DELAY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_DELAY)


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer about a message (or a server unable to carry it) will not change by
    retrying."""
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return True
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(refusal.code >= 500 for refusal in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException) and not isinstance(
        error, aiosmtplib.SMTPServerDisconnected
    ):
        return error.code >= 500
    return False


MESSAGE_ERRORS = (
    aiosmtplib.SMTPRecipientsRefused,
    aiosmtplib.SMTPSenderRefused,
    aiosmtplib.SMTPDataError,
    aiosmtplib.SMTPNotSupported,
)
"""Answers about one message; the connection stays usable for the next."""


class OutboxWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
        outbox: Outbox,
        batch_size: int = 200,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.outbox = outbox
        self.batch_size = batch_size
        self.lease = lease
        self.worker_id = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"
        self.sender = envelope_sender(settings.mail_from)

    async def claim(self) -> list[OutboxMessage]:
        """Lease a batch of due messages; rows leased by a live worker are skipped."""
        now = self.clock.now()
        async with self.sessions() as session:
            await begin_write(session)
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
                )
                .order_by(OutboxMessage.id)
                .limit(self.batch_size)
            )
            if is_postgres(session):
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.scalars(query)).all())
            for row in rows:
                row.lease_owner = self.worker_id
                row.lease_until = now + self.lease
            await session.commit()
            return rows

    async def _finish(self, row: OutboxMessage, values: dict[str, object]) -> None:
        async with self.sessions() as session:
            await begin_write(session)
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.lease_owner == self.worker_id)
                .values(lease_owner=None, lease_until=None, **values)
            )
            await session.commit()

    async def _failed(
        self, row: OutboxMessage, error: Exception, *, permanent: bool | None = None
    ) -> None:
        attempts = row.attempts + 1
        permanent = _is_permanent(error) if permanent is None else permanent
        await self._finish(
            row,
            {
                "attempts": attempts,
                "status": "failed" if permanent else "pending",
                "next_attempt_at": self.clock.now() + retry_delay(attempts),
                "last_error": f"{type(error).__name__}: {error}"[:2000],
            },
        )
        log.warning(
            "mail %s to %r not sent (attempt %s): %s", row.id, row.to_address, attempts, error
        )

    async def deliver_once(self) -> int:
        """Claim one batch and try to send each message; return how many were delivered.

        The batch is shared out over ``smtp_connections`` connections sending side by side,
        each recipient's messages on one of them, in order.
        Each message stands alone: one that cannot be built, or that the server refuses, is
        recorded (failed for good, or due again later) and the rest of the batch goes on. Only
        a broken connection leaves the rest of its share for a later attempt.
        """
        rows = await self.claim()
        if not rows:
            return 0
        sent: list[int] = []
        lanes: list[list[OutboxMessage]] = [[] for _ in range(self.settings.smtp_connections)]
        for row in rows:  # one lane per recipient, so each person's emails arrive in order
            lanes[zlib.crc32(row.to_address.lower().encode()) % len(lanes)].append(row)
        try:
            await asyncio.gather(*(self._deliver(lane, sent) for lane in lanes))
        finally:
            await self._mark_sent(sent)
        return len(sent)

    async def _deliver(self, rows: list[OutboxMessage], sent: list[int]) -> None:
        """Send ``rows`` over one SMTP connection."""
        if not rows:
            return
        handled = 0
        try:
            async with smtp_client(self.settings) as smtp:
                for row in rows:
                    await self._send(smtp, row, sent)
                    handled += 1
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            for row in rows[handled:]:
                await self._failed(row, error)

    async def _send(self, smtp: aiosmtplib.SMTP, row: OutboxMessage, sent: list[int]) -> None:
        try:
            message = build_message(row, self.outbox.content(row), self.settings.mail_from)
        except Exception as error:
            await self._failed(row, error, permanent=True)
            return
        try:
            await smtp.sendmail(self.sender, [row.to_address], message)
        except MESSAGE_ERRORS as error:
            await self._failed(row, error)
        else:
            sent.append(row.id)

    async def _mark_sent(self, ids: list[int]) -> None:
        """Record a batch as delivered in one statement; only rows this worker still leases."""
        if not ids:
            return
        async with self.sessions() as session:
            await begin_write(session)
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.lease_owner == self.worker_id)
                .values(
                    status="sent",
                    sent_at=self.clock.now(),
                    last_error=None,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            await session.commit()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, polling when the outbox is empty."""
        while not stop.is_set():
            try:
                delivered = await self.deliver_once()
            except Exception:
                log.exception("outbox delivery failed; retrying")
                delivered = 0
            if delivered == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.worker_poll_seconds)
