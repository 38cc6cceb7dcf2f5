"""Append events to the hash chain and verify it.

Each event's hash is an HMAC-SHA256, keyed with a server secret, over the event's content and
the previous event's hash. Editing, removing or inserting an event breaks the chain; and
because the key never sits in the database, someone who can write to the database cannot
recompute a consistent chain after tampering.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.audit.models import AuditEvent, AuditHead
from kinerja_flow.lib.actor import Actor

GENESIS_HASH = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class AuditEntry:
    action: str
    subject_type: str
    subject_id: str | int
    appraisal_id: int | None = None
    from_state: str | None = None
    to_state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


class VerifyResult(msgspec.Struct):
    ok: bool
    events: int
    first_bad_event: int | None


def _canonical(value: Any) -> str:
    return msgspec.json.encode(value, order="sorted").decode()


def event_hash(event: AuditEvent, key: bytes) -> str:
    """HMAC-SHA256 over every stored field of ``event`` and the previous event's hash."""
    at = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    content = _canonical(
        [
            event.seq,
            at,
            event.actor_id,
            event.actor,
            event.action,
            event.subject_type,
            event.subject_id,
            event.appraisal_id,
            event.from_state,
            event.to_state,
            event.data,
            event.reason,
            event.prev_hash,
        ]
    )
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()


def audit_key(secret: str) -> bytes:
    """The chain's key, derived from the service secret (KINERJA_SECRET_KEY)."""
    return hashlib.sha256(f"kinerja-flow audit chain:{secret}".encode()).digest()


async def append(
    session: AsyncSession, key: bytes, actor: Actor, now: datetime, entries: Sequence[AuditEntry]
) -> None:
    """Chain ``entries`` onto the trail inside the caller's transaction.

    The head row is locked (``FOR UPDATE``; SQLite writers already hold the database lock),
    so appends from several app instances form one chain.
    """
    if not entries:
        return
    head = await session.get(AuditHead, HEAD_ID, with_for_update=True)
    if head is None:
        head = AuditHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
    at = now.astimezone(UTC)
    for entry in entries:
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=at,
            actor_id=actor.account_id,
            actor=actor.label,
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=str(entry.subject_id),
            appraisal_id=entry.appraisal_id,
            from_state=entry.from_state,
            to_state=entry.to_state,
            data=_canonical(entry.data),
            reason=entry.reason,
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(event, key)
        session.add(event)
        head.last_seq = event.seq
        head.last_hash = event.hash


async def events_of_appraisal(session: AsyncSession, appraisal_id: int) -> Sequence[AuditEvent]:
    result = await session.scalars(
        select(AuditEvent).where(AuditEvent.appraisal_id == appraisal_id).order_by(AuditEvent.seq)
    )
    return result.all()


async def verify(session: AsyncSession, key: bytes, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain; report the first event that was changed, removed or inserted."""
    head = await session.get(AuditHead, HEAD_ID)
    expected_seq, previous = 1, GENESIS_HASH
    count = 0
    stream = await session.stream_scalars(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    )
    async for event in stream:
        count += 1
        if (
            event.seq != expected_seq
            or event.prev_hash != previous
            or not hmac.compare_digest(event_hash(event, key), event.hash)
        ):
            await stream.close()
            return VerifyResult(ok=False, events=count, first_bad_event=expected_seq)
        expected_seq, previous = event.seq + 1, event.hash
    last_seq = head.last_seq if head else 0
    last_hash = head.last_hash if head else GENESIS_HASH
    if last_seq != expected_seq - 1 or last_hash != previous:
        # Events past the head were added behind its back; events short of it were removed.
        first_bad = last_seq + 1 if expected_seq - 1 > last_seq else expected_seq
        return VerifyResult(ok=False, events=count, first_bad_event=first_bad)
    return VerifyResult(ok=True, events=count, first_bad_event=None)
