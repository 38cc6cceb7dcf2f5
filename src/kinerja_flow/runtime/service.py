"""The base of every domain service: one session, the app context, the caller."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.audit.service import AuditEntry, append
from kinerja_flow.lib.principal import Principal
from kinerja_flow.runtime.context import AppContext


class Service:
    """A unit of work on behalf of ``principal``; subclasses commit explicitly."""

    def __init__(self, session: AsyncSession, ctx: AppContext, principal: Principal) -> None:
        self.session = session
        self.ctx = ctx
        self.principal = principal

    async def audit(self, now: datetime, *entries: AuditEntry) -> None:
        """Append ``entries`` to the audit trail in this unit of work, as the caller."""
        await append(self.session, self.ctx.audit_key, self.principal.actor, now, entries)
