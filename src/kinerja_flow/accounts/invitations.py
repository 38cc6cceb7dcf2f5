"""Single-use invitation tokens and the emails that carry them."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.models import Account, AccountToken
from kinerja_flow.notifications.outbox import Email, Recipient
from kinerja_flow.runtime.context import AppContext

INVITATION = "invitation"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(
    session: AsyncSession, ctx: AppContext, now: datetime, invitees: Sequence[tuple[Account, str]]
) -> list[Email]:
    """Create one token per account (already flushed) and the invitation email for it."""
    expires_at = now + timedelta(days=ctx.settings.invitation_days)
    emails: list[Email] = []
    for account, name in invitees:
        token = secrets.token_urlsafe(32)
        record = AccountToken(
            account_id=account.id,
            purpose=INVITATION,
            token_hash=token_digest(token),
            expires_at=expires_at,
            created_at=now,
        )
        session.add(record)
        emails.append(
            Email(
                message="invitation",
                recipient=Recipient(account.email, name, account.locale),
                context={
                    "name": name,
                    "link": ctx.link(f"/set-password?token={token}"),
                    "expires_at": expires_at,
                },
                dedupe_key=f"invitation:{record.token_hash}",
            )
        )
    return emails
