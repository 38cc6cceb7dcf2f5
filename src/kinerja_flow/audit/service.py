"""Append events to the hash chain and verify it.

Each event's hash is an HMAC-SHA256, keyed with a server secret, over the event's content and
the previous event's hash. Editing, removing or inserting an event breaks the chain; and
because the key never sits in the database, someone who can write to the database cannot
recompute a consistent chain after tampering.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Any

import msgspec
from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from kinerja_flow.audit.models import AuditEvent, AuditHead
from kinerja_flow.lib.actor import Actor
from kinerja_flow.lib.db import create_engine

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


_encode = msgspec.json.Encoder(order="sorted").encode


def _canonical(value: Any) -> str:
    return _encode(value).decode()


HASHED = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "appraisal_id",
    "from_state",
    "to_state",
    "data",
    "reason",
    "prev_hash",
)
"""The stored fields an event's hash covers, in the order they are hashed (``at`` as UTC ISO
text with microseconds)."""
AT = HASHED.index("at")


class Hasher:
    """HMAC-SHA256 (RFC 2104) with the key's inner and outer SHA-256 states computed once;
    each event's hash copies them instead of keying a new HMAC (equal to ``hmac.new``'s, as
    ``test_audit`` checks; about twice as fast, which a million-event verify notices)."""

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))

    def of_fields(self, fields: list[Any]) -> str:
        """The hash of an event given its ``HASHED`` fields in order, ``at`` a datetime."""
        fields[AT] = fields[AT].astimezone(UTC).isoformat(timespec="microseconds")
        inner = self._inner.copy()
        inner.update(_encode(fields))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def of(self, event: Any) -> str:
        """The hash of ``event`` (a row or an object with the columns of ``audit_events``)."""
        return self.of_fields([getattr(event, name) for name in HASHED])


def event_hash(event: Any, key: bytes) -> str:
    """HMAC-SHA256 over every stored field of ``event`` and the previous event's hash."""
    return Hasher(key).of(event)


def audit_key(secret: str) -> bytes:
    """The chain's key, derived from the service secret (KINERJA_SECRET_KEY)."""
    return hashlib.sha256(f"kinerja-flow audit chain:{secret}".encode()).digest()


@dataclass
class _Pending:
    """Entries waiting for their transaction's commit: who wrote them, when, and in which
    (possibly nested) transaction, so a rolled-back savepoint takes its entries with it."""

    key: bytes
    batches: list[tuple[SessionTransaction | None, Actor, datetime, Sequence[AuditEntry]]] = field(
        default_factory=list
    )


async def append(
    session: AsyncSession, key: bytes, actor: Actor, now: datetime, entries: Sequence[AuditEntry]
) -> None:
    """Chain ``entries`` onto the trail in the caller's transaction, when it commits.

    The events are written just before the COMMIT (a ``before_commit`` hook), so the chain's
    head row, locked ``FOR UPDATE`` to keep one chain across app instances, is held for the
    append and the commit only, never while the rest of the unit of work runs (SQLite writers
    hold the database lock anyway). A rollback drops them with everything else.
    """
    if not entries:
        return
    sync = session.sync_session
    pending: _Pending = sync.info.setdefault(PENDING, _Pending(key))
    within = sync.get_nested_transaction() or sync.get_transaction()
    pending.batches.append((within, actor, now.astimezone(UTC), entries))


PENDING = "kinerja_audit_pending"


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    """Write the transaction's pending events (runs inside the async session's greenlet)."""
    pending: _Pending | None = session.info.pop(PENDING, None)
    if pending is None:
        return
    head = session.execute(
        select(AuditHead.last_seq, AuditHead.last_hash)
        .where(AuditHead.id == HEAD_ID)
        .with_for_update()
    ).one_or_none()
    seq, previous = head if head else (0, GENESIS_HASH)
    hasher = Hasher(pending.key)
    rows: list[dict[str, Any]] = []
    for _within, actor, at, entries in pending.batches:
        for entry in entries:
            seq += 1
            row = _Row(
                seq=seq,
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
                prev_hash=previous,
            )
            previous = hasher.of(row)
            rows.append({**row.__dict__, "hash": previous})
    if head is None:
        session.execute(insert(AuditEvent), rows)
        session.execute(insert(AuditHead).values(id=HEAD_ID, last_seq=seq, last_hash=previous))
        return
    move = update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_seq=seq, last_hash=previous)
    if session.get_bind().dialect.name == "postgresql":
        # One round trip for both while the head is locked: the events inserted in a CTE.
        appended = insert(AuditEvent).values(rows).returning(AuditEvent.seq).cte("appended")
        session.execute(move.add_cte(appended))
    else:
        session.execute(insert(AuditEvent), rows)
        session.execute(move)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    """Forget the entries of a rolled-back transaction or savepoint (and of any inside it)."""
    pending: _Pending | None = session.info.get(PENDING)
    if pending is None:
        return
    if not rolled_back.nested:
        del session.info[PENDING]
        return

    def inside(transaction: SessionTransaction | None) -> bool:
        while transaction is not None:
            if transaction is rolled_back:
                return True
            transaction = transaction.parent
        return False

    pending.batches = [batch for batch in pending.batches if not inside(batch[0])]


@dataclass
class _Row:
    seq: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    subject_type: str
    subject_id: str
    appraisal_id: int | None
    from_state: str | None
    to_state: str | None
    data: str
    reason: str | None
    prev_hash: str


async def events_of_appraisal(session: AsyncSession, appraisal_id: int) -> Sequence[AuditEvent]:
    result = await session.scalars(
        select(AuditEvent).where(AuditEvent.appraisal_id == appraisal_id).order_by(AuditEvent.seq)
    )
    return result.all()


PARALLEL_FROM = 200_000
"""From this many events verify spreads the chain over one process per core."""


@dataclass(frozen=True)
class _Stretch:
    """What walking the events from ``start`` found: how many it read, the first bad one (a
    gap, a broken link or a wrong hash), the first event's ``prev_hash`` (checked against the
    stretch before it) and where the walk ended."""

    start: int
    count: int
    bad: int | None
    first_prev: str | None
    last_hash: str | None
    next_seq: int


async def _walk(
    connection: AsyncConnection, key: bytes, start: int, stop: int | None, batch: int
) -> _Stretch:
    """Check the events from ``start`` up to ``stop`` (or the end) against their hashes, their
    order and each other; rows stream as plain tuples, not ORM objects."""
    hasher = Hasher(key)
    table = AuditEvent.__table__
    query = select(*[table.c[name] for name in HASHED], table.c.hash).where(table.c.seq >= start)
    if stop is not None:
        query = query.where(table.c.seq <= stop)
    stream = await connection.stream(query.order_by(table.c.seq).execution_options(yield_per=batch))
    previous = first_prev = GENESIS_HASH if start == 1 else None
    expected, count = start, 0
    compare = hmac.compare_digest
    async for rows in stream.partitions(batch):  # a batch at a time: no await per event
        for row in rows:
            fields = list(row)
            stored = fields.pop()
            count += 1
            if previous is None:
                first_prev = previous = fields[-1]
            if (
                fields[0] != expected
                or fields[-1] != previous
                or not compare(hasher.of_fields(fields), stored)
            ):
                await stream.close()
                return _Stretch(start, count, expected, first_prev, None, expected)
            expected, previous = expected + 1, stored
    return _Stretch(start, count, None, first_prev, previous, expected)


def _walk_elsewhere(url: str, key: bytes, start: int, stop: int | None, batch: int) -> _Stretch:
    """``_walk`` in a process of its own (a ``ProcessPoolExecutor`` task)."""

    async def walk() -> _Stretch:
        engine = create_engine(url, pooled=False)
        try:
            async with engine.connect() as connection:
                return await _walk(connection, key, start, stop, batch)
        finally:
            await engine.dispose()

    return asyncio.run(walk())


async def verify(
    session: AsyncSession, key: bytes, *, workers: int | None = None, batch: int = 10_000
) -> VerifyResult:
    """Walk the whole chain; report the first event that was changed, removed or inserted.

    Each event stores its predecessor's hash, so stretches of the chain can be checked apart
    and joined: from ``PARALLEL_FROM`` events (or when ``workers`` says so) one process per
    core checks a stretch while this one checks the first."""
    head = await session.get(AuditHead, HEAD_ID)
    last_seq = head.last_seq if head else 0
    last_hash = head.last_hash if head else GENESIS_HASH
    if workers is None:
        workers = (os.cpu_count() or 1) if last_seq >= PARALLEL_FROM else 1
    size = max(last_seq // max(workers, 1), 1)
    starts = [1 + size * part for part in range(workers) if 1 + size * part <= max(last_seq, 1)]
    bounds: list[tuple[int, int | None]] = [
        (start, following - 1) for start, following in itertools.pairwise(starts)
    ]
    bounds.append((starts[-1], None))  # the last stretch runs on past the head, if rows do
    connection = await session.connection()
    if len(bounds) == 1:
        stretches = [await _walk(connection, key, 1, None, batch)]
    else:
        url = connection.engine.url.render_as_string(hide_password=False)
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(len(bounds) - 1, mp_context=get_context("spawn")) as pool:
            others = [
                loop.run_in_executor(pool, _walk_elsewhere, url, key, start, stop, batch)
                for start, stop in bounds[1:]
            ]
            stretches = [
                await _walk(connection, key, *bounds[0], batch),
                *await asyncio.gather(*others),
            ]
    return _joined(stretches, last_seq, last_hash)


def _joined(stretches: Sequence[_Stretch], last_seq: int, last_hash: str) -> VerifyResult:
    """The verdict on the stretches in order, as one walk from the first event would give."""
    count, expected, previous = 0, 1, GENESIS_HASH
    for stretch in stretches:
        if stretch.next_seq == stretch.start and stretch.bad is None:
            continue  # nothing stored in it: the next stretch finds the gap
        if stretch.start != expected:  # the events before this stretch ended early
            return VerifyResult(ok=False, events=count + 1, first_bad_event=expected)
        if stretch.first_prev != previous and stretch.bad != stretch.start:
            return VerifyResult(ok=False, events=count + 1, first_bad_event=stretch.start)
        count += stretch.count
        if stretch.bad is not None:
            return VerifyResult(ok=False, events=count, first_bad_event=stretch.bad)
        expected, previous = stretch.next_seq, stretch.last_hash or previous
    if last_seq != expected - 1 or last_hash != previous:
        # Events past the head were added behind its back; events short of it were removed.
        first_bad = last_seq + 1 if expected - 1 > last_seq else expected
        return VerifyResult(ok=False, events=count, first_bad_event=first_bad)
    return VerifyResult(ok=True, events=count, first_bad_event=None)
