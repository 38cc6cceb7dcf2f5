"""Single-use secrets sent by email (invitations, password resets); only their hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.models import AccountToken

INVITATION = "invitation"
PASSWORD_RESET = "password_reset"  # noqa: S105  (a link purpose, not a secret)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(
    session: AsyncSession, account_id: int, purpose: str, now: datetime, expires_at: datetime
) -> tuple[str, str]:
    """Add a link for ``account_id``; return the secret for the email and its stored hash."""
    token = secrets.token_urlsafe(32)
    digest = token_digest(token)
    session.add(
        AccountToken(
            account_id=account_id,
            purpose=purpose,
            token_hash=digest,
            expires_at=expires_at,
            created_at=now,
        )
    )
    return token, digest


async def void_links(
    session: AsyncSession, account_id: int, now: datetime, purpose: str | None = None
) -> None:
    """Make every unused link of ``account_id`` (of ``purpose``, or all) unusable from ``now``."""
    statement = update(AccountToken).where(
        AccountToken.account_id == account_id, AccountToken.used_at.is_(None)
    )
    if purpose is not None:
        statement = statement.where(AccountToken.purpose == purpose)
    await session.execute(
        statement.values(used_at=now).execution_options(synchronize_session=False)
    )


async def claim_link(session: AsyncSession, digest: str, purpose: str, now: datetime) -> int | None:
    """Use up the link with hash ``digest`` if it is still usable; the account's id, else None.

    One conditional UPDATE: of many simultaneous claims exactly one changes the row (on
    PostgreSQL the others wait for its row lock, then no longer match), so a link works once.
    """
    result = await session.execute(
        update(AccountToken)
        .where(
            AccountToken.token_hash == digest,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at >= now,
        )
        .values(used_at=now)
        .returning(AccountToken.account_id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()
