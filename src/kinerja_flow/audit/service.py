"""Append events to the hash chain (``audit.verify`` checks it).

Each event's hash is an HMAC-SHA256, keyed with a server secret, over the event's content and
the previous event's hash. Editing, removing or inserting an event breaks the chain; and
because the key never sits in the database, someone who can write to the database cannot
recompute a consistent chain after tampering.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from operator import itemgetter
from typing import Any, cast

import msgspec
from sqlalchemy import ARRAY, Table, Update, bindparam, event, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from kinerja_flow.audit.chain import AT, GENESIS_HASH, HASHED, Hasher, encode
from kinerja_flow.audit.models import AuditEvent, AuditHead
from kinerja_flow.lib.actor import Actor

HEAD_ID = 1
FEW_EVENTS = 20
"""Up to this many events a transaction's are inserted in CTEs of the head's update (one
round trip on PostgreSQL); the statement grows with every event, so a batch's hundreds go in
one statement of arrays instead (``_UNNESTED``; SQLite: one executemany)."""
EVENTS = cast("Table", AuditEvent.__table__)
COLUMNS = (*HASHED, "hash")
_UNNESTED = insert(EVENTS).from_select(
    COLUMNS,
    select(*(func.unnest(bindparam(name, type_=ARRAY(EVENTS.c[name].type))) for name in COLUMNS)),
)
"""PostgreSQL: a batch's events as one array per column, unnested into rows (an executemany
sends, binds and runs a statement per event)."""


class AuditEntry(msgspec.Struct, frozen=True):
    """One event to append (a Struct: a bulk operation makes hundreds of thousands)."""

    action: str
    subject_type: str
    subject_id: str | int
    appraisal_id: int | None = None
    from_state: str | None = None
    to_state: str | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    reason: str | None = None


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


HEAD = cast("Table", AuditHead.__table__)
_LOCK_HEAD = (
    select(HEAD.c.last_seq, HEAD.c.last_hash)
    .where(HEAD.c.id == bindparam("head"))
    .with_for_update()
)
_MOVE_HEAD = (
    update(HEAD)
    .where(HEAD.c.id == bindparam("head"))
    .values(last_seq=bindparam("last_seq"), last_hash=bindparam("last_hash"))
)


@cache
def _append_and_move(count: int) -> Update:
    """Insert ``count`` events (parameters ``<column>_<n>``) and move the head, in one
    statement: one single-row insert per event in a CTE of the head's update. Built once per
    count, with bound parameters only, so SQLAlchemy compiles it once (a multi-row VALUES
    is compiled again on every execution)."""
    statement = _MOVE_HEAD
    for n in range(count):
        event_row: dict[str, Any] = {name: bindparam(f"{name}_{n}") for name in COLUMNS}
        statement = statement.add_cte(insert(EVENTS).values(event_row).cte(f"event_{n}"))
    return statement


@cache
def _driver_insert(dialect: Dialect) -> tuple[str, Callable[[list[Any]], tuple[Any, ...]]]:
    """SQLite: the INSERT of one event as the driver takes it, and what takes an event's
    values (in ``COLUMNS``' order) to its parameters' order."""
    compiled = insert(EVENTS).compile(dialect=dialect, column_keys=list(COLUMNS))
    assert compiled.positiontup is not None
    return compiled.string, itemgetter(*(COLUMNS.index(name) for name in compiled.positiontup))


@cache
def _stored_at(dialect: Dialect) -> Callable[[datetime], Any]:
    """SQLite: ``at`` as its column stores it. The driver's executemany takes the events'
    values as they are: SQLAlchemy's would convert every event's time (and copy each event
    into a dict), a third of a long commit's CPU; a batch's events share one time."""
    convert = EVENTS.c.at.type.dialect_impl(dialect).bind_processor(dialect)
    assert convert is not None
    return convert


@event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    """Write the transaction's pending events (runs inside the async session's greenlet)."""
    pending: _Pending | None = session.info.pop(PENDING, None)
    if pending is None or not pending.batches:  # none, or all in rolled-back savepoints
        return
    head = session.execute(_LOCK_HEAD, {"head": HEAD_ID}).one_or_none()
    seq, previous = head if head else (0, GENESIS_HASH)
    hasher = Hasher(pending.key)
    dialect = session.get_bind().dialect
    postgres = dialect.name == "postgresql"
    events: list[list[Any]] = []
    for _within, actor, at, entries in pending.batches:
        at_text = at.isoformat(timespec="microseconds")  # UTC already (``append``)
        stored_at = at if postgres else _stored_at(dialect)(at)
        for entry in entries:
            seq += 1
            fields = [  # HASHED's fields, in its order
                seq,
                at_text,
                actor.account_id,
                actor.label,
                entry.action,
                entry.subject_type,
                str(entry.subject_id),
                entry.appraisal_id,
                entry.from_state,
                entry.to_state,
                encode(entry.data).decode(),
                entry.reason,
                previous,
            ]
            previous = hasher.of_fields(fields)
            fields[AT] = stored_at
            fields.append(previous)
            events.append(fields)
    moved = {"head": HEAD_ID, "last_seq": seq, "last_hash": previous}
    if postgres and head is not None and len(events) <= FEW_EVENTS:
        # One round trip for both while the head is locked: the events inserted in CTEs.
        numbered = {
            f"{name}_{n}": value
            for n, values in enumerate(events)
            for name, value in zip(COLUMNS, values, strict=True)
        }
        session.execute(_append_and_move(len(events)), {**moved, **numbered})
        return
    if postgres:  # one statement, a parameter per column (not per event)
        session.execute(
            _UNNESTED, dict(zip(COLUMNS, map(list, zip(*events, strict=True)), strict=True))
        )
    else:  # one executemany of the driver's own, the events' values as they are stored
        sql, parameters = _driver_insert(dialect)
        session.connection().exec_driver_sql(sql, list(map(parameters, events)))
    if head is None:
        session.execute(insert(HEAD), {"id": HEAD_ID, "last_seq": seq, "last_hash": previous})
    else:
        session.execute(_MOVE_HEAD, moved)


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


async def events_of_appraisal(session: AsyncSession, appraisal_id: int) -> Sequence[AuditEvent]:
    result = await session.scalars(
        select(AuditEvent).where(AuditEvent.appraisal_id == appraisal_id).order_by(AuditEvent.seq)
    )
    return result.all()
