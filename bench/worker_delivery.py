"""Benchmark: how fast one worker empties the outbox into a local SMTP server.

    .venv/bin/python bench/worker_delivery.py [--emails 5000] [--database-url URL]

The SMTP server (aiosmtpd's Sink, which accepts and drops every message) runs in a process
of its own, so it does not share the worker's interpreter. The outbox is filled with
"SKP open" emails as a cycle opening queues them, then one worker (as ``kinerja-flow worker``
runs it) renders and delivers them all.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import make_url

from kinerja_flow.bootstrap import build_context
from kinerja_flow.clock import SystemClock
from kinerja_flow.config import load_settings
from kinerja_flow.lib.migrate import upgrade
from kinerja_flow.lib.sockets import free_port
from kinerja_flow.notifications.outbox import Email, Recipient
from kinerja_flow.notifications.worker import OutboxWorker
from speed import recreate_database

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/kinerja_bench_mail"


async def run(url: str, emails: int, port: int) -> None:
    settings = load_settings({}, database_url=url, smtp_host="127.0.0.1", smtp_port=port)
    ctx = build_context(settings, SystemClock())
    now = datetime.now(UTC)
    cycle = {
        "name": "SKP Tahunan 2026",
        "kind": "annual",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 12, 31),
        "targets_due": date(2026, 1, 31),
        "self_assessment_due": date(2026, 12, 15),
        "review_due": None,
    }
    queued = [
        Email(
            "skp_open",
            Recipient(f"pegawai{n}@example.go.id", f"Pegawai {n}", "id"),
            {"name": f"Pegawai {n}", "cycle": cycle, "link": f"https://kinerja.local/a/{n}"},
            f"bench:{n}",
        )
        for n in range(emails)
    ]
    async with ctx.sessions() as session:
        await ctx.outbox.enqueue(session, now, queued)
        await session.commit()
    worker = OutboxWorker(ctx.sessions, settings, ctx.clock, ctx.outbox)
    started = time.perf_counter()
    delivered = 0
    while sent := await worker.deliver_once():
        delivered += sent
    elapsed = time.perf_counter() - started
    assert delivered == emails, delivered
    print(f"worker delivered {delivered} emails in {elapsed:.2f} s: {delivered / elapsed:.0f}/s")
    await ctx.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    url: str = args.database_url
    if url.startswith("postgresql"):
        recreate_database(url)
    else:
        Path(make_url(url).database or "").unlink(missing_ok=True)
    upgrade(url)
    port = free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        cwd=tempfile.gettempdir(),
    )
    try:
        time.sleep(1.5)
        asyncio.run(run(url, args.emails, port))
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
