"""Verify the whole chain, in stretches checked side by side on every core."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence

import msgspec
from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from kinerja_flow.audit.chain import AT, GENESIS_HASH, HASHED
from kinerja_flow.audit.models import AuditEvent, AuditHead
from kinerja_flow.audit.service import HEAD_ID
from kinerja_flow.audit.stretch import Stretch, Task, batches, walk

PARALLEL_FROM = 200_000
"""From this many events verify spreads the chain over one process per core."""


class VerifyResult(msgspec.Struct):
    ok: bool
    events: int
    first_bad_event: int | None


async def verify(
    session: AsyncSession, key: bytes, *, workers: int | None = None, batch: int = 10_000
) -> VerifyResult:
    """Walk the whole chain; report the first event that was changed, removed or inserted.

    The head and the highest stored event are read in one statement (one snapshot), so
    events appended meanwhile are not mistaken for forgeries. Each event stores its
    predecessor's hash, so stretches of the chain can be checked apart and joined: from
    ``PARALLEL_FROM`` events (or when ``workers`` says so) a process per core checks a stretch
    while this one checks the first. Rows are read through the driver, ``at`` formatted by the
    database: a million events are read and hashed in seconds.
    """
    connection = await session.connection()
    events, head = AuditEvent.__table__, AuditHead.__table__
    last_seq, last_hash, highest = (
        await connection.execute(
            select(
                select(head.c.last_seq).where(head.c.id == HEAD_ID).scalar_subquery(),
                select(head.c.last_hash).where(head.c.id == HEAD_ID).scalar_subquery(),
                select(func.max(events.c.seq)).scalar_subquery(),
            )
        )
    ).one()
    last_seq, last_hash = last_seq or 0, last_hash or GENESIS_HASH
    if workers is None:
        workers = (os.cpu_count() or 1) if last_seq >= PARALLEL_FROM else 1
    size = max(last_seq // max(workers, 1), 1)
    starts = [1 + size * part for part in range(workers) if 1 + size * part <= max(last_seq, 1)]
    stops = [following - 1 for following in starts[1:]] + [last_seq]
    queries = [
        _query(connection.dialect, start, stop) for start, stop in zip(starts, stops, strict=True)
    ]
    elsewhere = [
        _walk_elsewhere(connection, key, start, sql, batch)
        for start, sql in zip(starts[1:], queries[1:], strict=True)
    ]
    driver = connection.dialect.driver
    raw = (await connection.get_raw_connection()).driver_connection
    here = walk(batches(driver, raw, queries[0], batch), key, 1)
    stretches = await asyncio.gather(here, *elsewhere)
    return _joined(stretches, last_seq, last_hash, highest or 0)


def _query(dialect: Dialect, start: int, stop: int) -> str:
    """The stretch's rows as the driver reads them: the hashed fields, ``at`` as the UTC ISO
    text that is hashed (formatted by the database), then the stored hash."""
    table = AuditEvent.__table__
    at: ColumnElement[str]
    if dialect.name == "postgresql":
        utc = func.timezone("UTC", table.c.at)
        at = func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
    else:  # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" in UTC
        at = func.replace(table.c.at, " ", "T").concat(literal("+00:00"))
    columns = [at if index == AT else table.c[name] for index, name in enumerate(HASHED)]
    query = (
        select(*columns, table.c.hash)
        .where(table.c.seq >= start, table.c.seq <= stop)
        .order_by(table.c.seq)
    )
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def _walk_elsewhere(
    connection: AsyncConnection, key: bytes, start: int, sql: str, batch: int
) -> Stretch:
    """``walk`` in a ``python -m kinerja_flow.audit.stretch`` process of its own."""
    dialect = connection.dialect
    args, kwargs = dialect.create_connect_args(connection.engine.url)
    task = Task(dialect.driver, list(args), dict(kwargs), key, sql, start, batch)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kinerja_flow.audit.stretch",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate(msgspec.json.encode(task))
    if process.returncode != 0:
        raise RuntimeError(f"verifying the audit events from {start} failed")
    return msgspec.json.decode(out, type=Stretch)


def _joined(
    stretches: Sequence[Stretch], last_seq: int, last_hash: str, highest: int
) -> VerifyResult:
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
    if expected - 1 != last_seq or previous != last_hash:  # events short of the head removed
        return VerifyResult(ok=False, events=count, first_bad_event=expected)
    if highest > last_seq:  # events added past the head behind its back
        return VerifyResult(ok=False, events=count + 1, first_bad_event=last_seq + 1)
    return VerifyResult(ok=True, events=count, first_bad_event=None)
