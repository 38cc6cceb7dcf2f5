"""The outbox seen from outside the worker: list messages by state, put a failed one back.

The same functions serve the API (for HR and auditors) and the ``kinerja-flow outbox``
command, which acts as the system.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.audit.service import AuditEntry, append
from kinerja_flow.i18n import _
from kinerja_flow.lib.actor import Actor
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import Conflict, NotFound
from kinerja_flow.lib.principal import AUDITOR, HR, require
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.operations.schemas import OutboxMessageOut, OutboxPage, OutboxState
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.service import Service


def describe(row: OutboxMessage) -> OutboxMessageOut:
    return OutboxMessageOut(
        id=row.id,
        kind=row.kind,
        to_address=row.to_address,
        to_name=row.to_name,
        subject=row.subject,
        state=cast("OutboxState", row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


async def page(
    session: AsyncSession, state: OutboxState | None, limit: int, offset: int
) -> OutboxPage:
    """Messages newest first, optionally of one state."""
    query = select(OutboxMessage)
    if state is not None:
        query = query.where(OutboxMessage.status == state)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
    )
    return OutboxPage(
        items=[describe(row) for row in rows], total=total or 0, limit=limit, offset=offset
    )


async def retry(
    session: AsyncSession, ctx: AppContext, actor: Actor, message_id: int
) -> OutboxMessageOut:
    """Put a failed message back in the queue, due now (audited); 409 unless it failed."""
    await begin_write(session)
    row = await session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound(_("No message {id} in the outbox."), id=message_id)
    if row.status != "failed":
        raise Conflict(
            _("Only a failed message can be retried; this one is {state}."), state=row.status
        )
    now = ctx.clock.now()
    data: dict[str, Any] = {"kind": row.kind, "to": row.to_address, "last_error": row.last_error}
    row.status = "pending"
    row.next_attempt_at = now
    row.lease_owner = None
    row.lease_until = None
    await append(
        session,
        ctx.audit_key,
        actor,
        now,
        [AuditEntry("outbox.retried", "outbox", row.id, data=data)],
    )
    await session.commit()
    return describe(row)


class OutboxService(Service):
    async def page(self, state: OutboxState | None, limit: int, offset: int) -> OutboxPage:
        require(self.principal, HR, AUDITOR)
        return await page(self.session, state, limit, offset)

    async def retry(self, message_id: int) -> OutboxMessageOut:
        require(self.principal, HR)
        return await retry(self.session, self.ctx, self.principal.actor, message_id)
