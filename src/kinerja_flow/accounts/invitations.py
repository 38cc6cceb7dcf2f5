"""Invitations: the first single-use link of a new account, and HR's new one on request."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.links import INVITATION, new_link, token_digest
from kinerja_flow.accounts.models import Account, AccountToken
from kinerja_flow.notifications.outbox import Email, Recipient
from kinerja_flow.runtime.context import AppContext


@dataclass(frozen=True)
class Invitee:
    account_id: int
    email: str
    locale: str
    name: str


def _email(ctx: AppContext, invitee: Invitee, token: str, digest: str, expires: datetime) -> Email:
    return Email(
        message="invitation",
        recipient=Recipient(invitee.email, invitee.name, invitee.locale),
        context={
            "name": invitee.name,
            "link": ctx.link(f"/set-password?token={token}"),
            "expires_at": expires,
        },
        dedupe_key=f"invitation:{digest}",
    )


async def invite(
    session: AsyncSession, ctx: AppContext, now: datetime, invitees: Sequence[tuple[Account, str]]
) -> list[Email]:
    """Create one link per account (already flushed) and the invitation email for it."""
    expires_at = now + timedelta(days=ctx.settings.invitation_days)
    emails: list[Email] = []
    for account, name in invitees:
        token, digest = new_link(session, account.id, INVITATION, now, expires_at)
        invitee = Invitee(account.id, account.email, account.locale, name)
        emails.append(_email(ctx, invitee, token, digest, expires_at))
    return emails


async def invite_many(
    session: AsyncSession, ctx: AppContext, now: datetime, invitees: Sequence[Invitee]
) -> list[Email]:
    """The same for many accounts at once (one statement for the links, no ORM objects)."""
    if not invitees:
        return []
    expires_at = now + timedelta(days=ctx.settings.invitation_days)
    links = [(invitee, secrets.token_urlsafe(32)) for invitee in invitees]
    rows = [
        {
            "account_id": invitee.account_id,
            "purpose": INVITATION,
            "token_hash": token_digest(token),
            "expires_at": expires_at,
            "created_at": now,
        }
        for invitee, token in links
    ]
    await session.execute(insert(cast("Table", AccountToken.__table__)), rows)
    return [
        _email(ctx, invitee, token, row["token_hash"], expires_at)  # type: ignore[arg-type]
        for (invitee, token), row in zip(links, rows, strict=True)
    ]
