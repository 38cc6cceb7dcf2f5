"""Benchmark: what each request of an appraisal's lifecycle asks of the database, counted.

    .venv/bin/python bench/write_statements.py [--database-url URL] [--employees 30]

Runs the service in this process on a fresh database (SQLite by default; a PostgreSQL URL is
emptied first), takes a few appraisals through ``Bench.lifecycle`` (the writes ``speed.py``
times) and prints, per request of the last one, the SQL statements executed, the transactions
begun (not counting an autocommit connection's lone statements) and the pooled connections
checked out (on PostgreSQL one idle a while is pinged first: a ``SELECT 1`` more). No timing:
the counts are what stays the same from run to run on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import event

from kinerja_flow.app import create_app
from kinerja_flow.config import load_settings
from kinerja_flow.lib.migrate import upgrade
from open_cycle import Bench
from speed import recreate_database

COUNTED = ("statements", "transactions", "checkouts")


class Counting(Bench):
    """The bench's lifecycle, each request's database work recorded as it ends."""

    def __init__(self, url: str, client: AsyncTestClient[Any], counts: Counter[str]) -> None:
        super().__init__(url, "http://testserver.local", 1)
        self.client = client
        self.counts = counts
        self.requests: list[tuple[str, Counter[str]]] = []

    async def call(self, method: str, path: str, who: str, **kwargs: Any) -> dict[str, Any]:
        await self.token(who)  # signing in is not a write of the lifecycle
        before = self.counts.copy()
        body = await super().call(method, path, who, **kwargs)
        route = re.sub(r"/\d+", "/{id}", path)
        self.requests.append((f"{method} {route}", self.counts - before))
        return body


def count_database_work(engine: Any, counts: Counter[str], show: bool) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _statement(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counts["statements"] += 1
        if show:
            print("   ", " ".join(statement.split())[:160])

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            counts["transactions"] += 1  # (an autocommit connection sends no BEGIN)

    @event.listens_for(engine.pool, "checkout")
    def _checkout(*_args: Any) -> None:
        counts["checkouts"] += 1


async def run(url: str, employees: int, show: bool) -> None:
    settings = load_settings(
        {}, database_url=url, embedded_worker=False, evidence_dir=tempfile.mkdtemp()
    )
    app = create_app(settings)
    counts: Counter[str] = Counter()
    count_database_work(app.state.ctx.engine.sync_engine, counts, show)
    async with AsyncTestClient(app, timeout=120) as client:
        bench = Counting(url, client, counts)
        cycle_id = await bench.setup(employees)
        pairs = await bench.lifecycle_pairs(3)
        ids = await bench.appraisal_ids(cycle_id, employees)
        for nip, supervisor in pairs:  # the first ones warm the caches
            bench.requests.clear()
            await bench.lifecycle(ids[nip], nip, supervisor)
        await bench.ctx.engine.dispose()
    print(f"{'request':<62} " + " ".join(f"{name:>12}" for name in COUNTED))
    total: Counter[str] = Counter()
    for label, used in bench.requests:
        total += used
        print(f"{label:<62} " + " ".join(f"{used[name]:12d}" for name in COUNTED))
    each = len(bench.requests)
    print(f"{'per write':<62} " + " ".join(f"{total[name] / each:12.1f}" for name in COUNTED))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--employees", type=int, default=30)
    parser.add_argument("--show", action="store_true", help="print each statement as it runs")
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    if url.startswith("postgresql"):
        recreate_database(url)
    upgrade(url)
    asyncio.run(run(url, args.employees, args.show))


if __name__ == "__main__":
    main()
