"""Count attempts (sign-ins, reset requests) atomically, before the slow or visible work.

Each attempt is written before the password is checked or the request acted on, in a
transaction that holds the key's lock, so many simultaneous attempts cannot all read a count
below the limit: on SQLite the writer lock (``BEGIN IMMEDIATE``), on PostgreSQL a transaction
advisory lock per key (keys need no row of their own, so unknown usernames are locked too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.models import LoginFailure
from kinerja_flow.lib.db import begin_write, is_postgres
from kinerja_flow.lib.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` counted under ``key`` within the window."""

    key: str
    attempts: int


def _lock_id(key: str) -> int:
    """A signed 64-bit number for ``pg_advisory_xact_lock``, stable across processes."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


async def count_attempt(
    session: AsyncSession,
    now: datetime,
    window: timedelta,
    limits: Sequence[Limit],
    refusal: str,
) -> list[int]:
    """Count one attempt under every limit, or raise ``TooManyRequests(refusal)`` if one is full.

    Starts and commits its own unit of work. Returns the ids of the rows written, so a caller
    can take the attempt back (a successful sign-in is no failure).
    """
    await begin_write(session)
    if is_postgres(session):
        for lock_id in sorted({_lock_id(limit.key) for limit in limits}):
            await session.execute(select(func.pg_advisory_xact_lock(lock_id)))
    since = now - window
    keys = [limit.key for limit in limits]
    await session.execute(
        delete(LoginFailure).where(LoginFailure.key.in_(keys), LoginFailure.at <= since)
    )
    for limit in limits:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(LoginFailure.at)).where(
                    LoginFailure.key == limit.key, LoginFailure.at > since
                )
            )
        ).one()
        if count >= limit.attempts:
            await session.rollback()
            retry_after = max(1, int((oldest + window - now).total_seconds()))
            raise TooManyRequests(
                refusal, retry_after=retry_after, minutes=str(-(-retry_after // 60))
            )
    rows = [LoginFailure(key=key, at=now) for key in keys]
    session.add_all(rows)
    await session.flush()
    ids = [row.id for row in rows]
    await session.commit()
    return ids
