"""Check one stretch of the audit chain, reading rows straight from the database driver.

``verify`` runs one stretch in its own process and hands the others to
``python -m kinerja_flow.audit.stretch`` processes (one per core), each told on stdin what to
read and answering its ``Stretch`` on stdout. This module imports neither SQLAlchemy nor the
application, so such a process starts in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import Any

import msgspec

from kinerja_flow.audit.chain import GENESIS_HASH, Hasher, encode


class Stretch(msgspec.Struct, frozen=True):
    """What walking the events from ``start`` found: how many it read, the first bad one (a
    gap, a broken link or a wrong hash), the first event's ``prev_hash`` (checked against the
    stretch before it) and where the walk ended."""

    start: int
    count: int
    bad: int | None
    first_prev: str | None
    last_hash: str | None
    next_seq: int


class Task(msgspec.Struct, frozen=True):
    """What a stretch process reads: the driver and its connect arguments, the chain's key,
    the query (``HASHED`` fields in order, ``at`` already as text, then ``hash``) and where
    the stretch starts."""

    driver: str
    args: list[Any]
    kwargs: dict[str, Any]
    key: bytes
    sql: str
    start: int
    batch: int


async def batches(
    driver: str, connection: Any, sql: str, batch: int
) -> AsyncGenerator[Sequence[Sequence[Any]]]:
    """The rows of ``sql`` a batch at a time, through an asyncpg or aiosqlite connection."""
    if driver == "asyncpg":
        cursor = await connection.cursor(sql)  # inside the caller's transaction
        while rows := await cursor.fetch(batch):
            yield rows
    else:
        async with connection.execute(sql) as cursor:
            while rows := await cursor.fetchmany(batch):
                yield rows


async def walk(rows: AsyncGenerator[Sequence[Sequence[Any]]], key: bytes, start: int) -> Stretch:
    """Check each row's hash, its order and its link to the one before."""
    hasher = Hasher(key)
    previous = first_prev = GENESIS_HASH if start == 1 else None
    expected, count = start, 0
    async with aclosing(rows):
        async for chunk in rows:
            for row in chunk:
                fields = tuple(row)
                count += 1
                if previous is None:
                    first_prev = previous = fields[-2]
                if (
                    fields[0] != expected
                    or fields[-2] != previous
                    or hasher.of_content(encode(fields[:-1])) != fields[-1]
                ):
                    return Stretch(start, count, expected, first_prev, None, expected)
                expected, previous = expected + 1, fields[-1]
    return Stretch(start, count, None, first_prev, previous, expected)


async def _run(task: Task) -> Stretch:
    if task.driver == "asyncpg":
        import asyncpg

        connection = await asyncpg.connect(*task.args, **task.kwargs)
        try:
            async with connection.transaction(readonly=True):
                rows = batches(task.driver, connection, task.sql, task.batch)
                return await walk(rows, task.key, task.start)
        finally:
            await connection.close()
    import aiosqlite

    async with aiosqlite.connect(*task.args, **task.kwargs) as connection:
        rows = batches(task.driver, connection, task.sql, task.batch)
        return await walk(rows, task.key, task.start)


def main() -> None:
    task = msgspec.json.decode(sys.stdin.buffer.read(), type=Task)
    sys.stdout.buffer.write(msgspec.json.encode(asyncio.run(_run(task))))


if __name__ == "__main__":
    main()
