"""Invitations: the first single-use link of a new account, and HR's new one on request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.links import INVITATION, new_link
from kinerja_flow.accounts.models import Account
from kinerja_flow.notifications.outbox import Email, Recipient
from kinerja_flow.runtime.context import AppContext


async def invite(
    session: AsyncSession, ctx: AppContext, now: datetime, invitees: Sequence[tuple[Account, str]]
) -> list[Email]:
    """Create one link per account (already flushed) and the invitation email for it."""
    expires_at = now + timedelta(days=ctx.settings.invitation_days)
    emails: list[Email] = []
    for account, name in invitees:
        token, digest = new_link(session, account.id, INVITATION, now, expires_at)
        emails.append(
            Email(
                message="invitation",
                recipient=Recipient(account.email, name, account.locale),
                context={
                    "name": name,
                    "link": ctx.link(f"/set-password?token={token}"),
                    "expires_at": expires_at,
                },
                dedupe_key=f"invitation:{digest}",
            )
        )
    return emails
