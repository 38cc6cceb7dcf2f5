"""Benchmark: chain N audit events, then verify the whole chain; time and rate of each.

    .venv/bin/python bench/audit_chain.py [--events 1000000] [--batch 10000] [--database-url URL]
                                          [--verify-only]

The database (default: ``kinerja_bench_audit`` on the local PostgreSQL) is created afresh.
Events are appended through the service's own ``append`` in transactions of ``--batch``.
``--verify-only`` verifies the chain a previous run left in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kinerja_flow.audit.chain import audit_key
from kinerja_flow.audit.service import AuditEntry, append
from kinerja_flow.audit.verify import verify
from kinerja_flow.lib.actor import Actor
from kinerja_flow.lib.db import create_engine
from kinerja_flow.lib.migrate import upgrade
from speed import recreate_database

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/kinerja_bench_audit"


async def run(url: str, events: int, batch: int, append_events: bool) -> None:
    engine = create_engine(url)
    key = audit_key("bench-secret")
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    if append_events:
        await chain(sessions, key, events, batch)
    started, cpu = time.perf_counter(), time.process_time()
    async with sessions() as session:
        result = await verify(session, key)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.ok, result
    print(
        f"verify  {result.events:>9} events  {elapsed:7.2f} s"
        f"  {result.events / elapsed:9.0f} events/s  (this process's CPU: {cpu:.2f} s;"
        f" the machine is shared, so wall time above CPU time is waiting for a core)"
    )
    await engine.dispose()


async def chain(
    sessions: async_sessionmaker[AsyncSession], key: bytes, events: int, batch: int
) -> None:
    actor = Actor(account_id=1, label="bench@example.go.id")
    now = datetime(2026, 11, 30, tzinfo=UTC)
    started = time.perf_counter()
    for first in range(0, events, batch):
        entries = [
            AuditEntry(
                "appraisal.submit_targets",
                "appraisal",
                n,
                appraisal_id=n,
                from_state="planning",
                to_state="targets_submitted",
                data={"version": 2},
            )
            for n in range(first, min(first + batch, events))
        ]
        async with sessions() as session:
            await append(session, key, actor, now, entries)
            await session.commit()
    elapsed = time.perf_counter() - started
    print(f"append  {events:>9} events  {elapsed:7.2f} s  {events / elapsed:9.0f} events/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--verify-only", action="store_true")
    args = parser.parse_args()
    url: str = args.database_url
    if not args.verify_only:
        if url.startswith("postgresql"):
            recreate_database(url)
        else:
            Path(make_url(url).database or "").unlink(missing_ok=True)
        upgrade(url)
    asyncio.run(run(url, args.events, args.batch, not args.verify_only))


if __name__ == "__main__":
    main()
