"""Password-reset links: short-lived and single-use, asked for by the person themself."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.links import PASSWORD_RESET, new_link
from kinerja_flow.accounts.models import Account
from kinerja_flow.notifications.outbox import Email, Recipient
from kinerja_flow.runtime.context import AppContext


def reset_email(
    session: AsyncSession, ctx: AppContext, now: datetime, account: Account, name: str
) -> Email:
    """Add a reset link for ``account`` and the email that carries it."""
    expires_at = now + timedelta(minutes=ctx.settings.reset_link_minutes)
    token, digest = new_link(session, account.id, PASSWORD_RESET, now, expires_at)
    return Email(
        message="password_reset",
        recipient=Recipient(account.email, name, account.locale),
        context={
            "name": name,
            "link": ctx.link(f"/reset-password?token={token}"),
            "expires_at": expires_at,
            "minutes": ctx.settings.reset_link_minutes,
        },
        dedupe_key=f"password_reset:{digest}",
    )
