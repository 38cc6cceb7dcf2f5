"""Benchmark: import N employees, open a cycle for them, run a full lifecycle for a sample.

    .venv/bin/python bench/open_cycle.py [--employees 10000] [--sample 200] [--database-url URL]

Everything goes through the real HTTP app (in-process ASGI client). Prints the rates measured.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import aliased

from kinerja_flow.accounts.models import Account
from kinerja_flow.accounts.service import AccountService
from kinerja_flow.app import create_app
from kinerja_flow.clock import SystemClock
from kinerja_flow.config import load_settings
from kinerja_flow.context import AppContext
from kinerja_flow.demo.agency import UNITS, generate, to_csv
from kinerja_flow.lib.db import create_engine
from kinerja_flow.lib.migrate import upgrade
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.org.models import Employee

PASSWORD = "bench-kinerja-flow-password"


async def timed(label: str, count: int, unit: str, work: Callable[[], Awaitable[Any]]) -> Any:
    start = time.perf_counter()
    result = await work()
    elapsed = time.perf_counter() - start
    print(f"{label:<38} {count:>7} {unit:<12} {elapsed:8.2f} s  {count / elapsed:10.1f} {unit}/s")
    return result


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def bench(url: str, employees: int, sample: int) -> None:
    settings = load_settings({}, database_url=url, embedded_worker=False)
    app = create_app(settings, SystemClock())
    ctx: AppContext = app.state.ctx
    async with ctx.sessions() as session:
        await AccountService(session, ctx).create_admin("bench@example.go.id", PASSWORD)
    async with AsyncTestClient(app) as client:

        async def token(username: str) -> dict[str, str]:
            response = await client.post(
                "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        admin = await token("bench@example.go.id")
        for code, name, parent in UNITS:
            await client.post(
                "/api/v1/units",
                headers=admin,
                json={"code": code, "name": name, "parent_code": parent},
            )
        csv_body = to_csv(generate(employees)).encode()

        async def do_import() -> None:
            response = await client.post(
                "/api/v1/employees/import",
                content=csv_body,
                headers={**admin, "Content-Type": "text/csv"},
            )
            assert response.status_code == 200, response.text

        await timed("import employees (CSV, new)", employees, "employees", do_import)
        await timed("re-import same file (no change)", employees, "employees", do_import)
        cycle = (
            await client.post(
                "/api/v1/cycles",
                headers=admin,
                json={
                    "name": "Bench",
                    "period_start": "2026-01-01",
                    "period_end": "2026-12-31",
                    "kind": "annual",
                },
            )
        ).json()

        async def do_open() -> None:
            response = await client.post(f"/api/v1/cycles/{cycle['id']}/open", headers=admin)
            assert response.status_code == 200, response.text

        await timed("open cycle (appraisal+audit+email)", employees, "appraisals", do_open)

        async with ctx.sessions() as session:
            await session.execute(
                update(Account).values(password_hash=ctx.passwords.hash(PASSWORD))
            )
            await session.commit()
            boss = aliased(Employee)
            rows = (
                await session.execute(
                    select(Employee.nip, boss.nip)
                    .join(boss, Employee.supervisor_id == boss.id)
                    .order_by(Employee.id.desc())
                    .limit(sample)
                )
            ).all()
        people = {nip: await token(nip) for pair in rows for nip in pair}
        evaluator_of = {nip: people[boss_nip] for nip, boss_nip in rows}
        appraisal_of = {}
        page = (
            await client.get(
                "/api/v1/appraisals",
                headers=admin,
                params={"cycle_id": cycle["id"], "limit": 1000, "state": "planning"},
            )
        ).json()
        total = page["total"]
        for offset in range(0, total, 1000):
            page = (
                await client.get(
                    "/api/v1/appraisals",
                    headers=admin,
                    params={"cycle_id": cycle["id"], "limit": 1000, "offset": offset},
                )
            ).json()
            appraisal_of.update({item["employee"]["nip"]: item["id"] for item in page["items"]})

        async def lifecycle() -> None:
            for nip, _sup in rows:
                me, boss, aid = people[nip], evaluator_of[nip], appraisal_of[nip]
                out = (
                    await client.post(
                        f"/api/v1/appraisals/{aid}/targets",
                        headers=me,
                        json={"title": "Layanan", "indicator": "Jumlah", "target": "10"},
                    )
                ).json()
                steps: list[tuple[str, dict[str, str], dict[str, Any]]] = [
                    ("submit_targets", me, {}),
                    ("approve_targets", boss, {}),
                    ("start_self_assessment", admin, {}),
                ]
                for trigger, who, payload in steps:
                    out = (
                        await client.post(
                            f"/api/v1/appraisals/{aid}/actions/{trigger}",
                            headers=who,
                            json={"version": out["version"], **payload},
                        )
                    ).json()
                out = (
                    await client.patch(
                        f"/api/v1/appraisals/{aid}/targets/{out['targets'][0]['id']}",
                        headers=me,
                        json={"realization": "10"},
                    )
                ).json()
                steps = [
                    ("submit_self_assessment", me, {}),
                    (
                        "submit_review",
                        boss,
                        {
                            "results_rating": "sesuai_ekspektasi",
                            "behaviour_rating": "sesuai_ekspektasi",
                        },
                    ),
                    ("acknowledge", me, {}),
                    ("close", admin, {}),
                ]
                for trigger, who, payload in steps:
                    response = await client.post(
                        f"/api/v1/appraisals/{aid}/actions/{trigger}",
                        headers=who,
                        json={"version": out["version"], **payload},
                    )
                    assert response.status_code == 200, response.text
                    out = response.json()

        await timed("full lifecycle (9 writes each)", len(rows) * 9, "requests", lifecycle)
        await timed(
            "  = appraisals taken start to close", len(rows), "appraisals", lambda: asyncio.sleep(0)
        )

        async def read_detail() -> None:
            for nip, _sup in rows:
                response = await client.get(
                    f"/api/v1/appraisals/{appraisal_of[nip]}", headers=people[nip]
                )
                assert response.status_code == 200

        await timed("GET one appraisal", len(rows), "requests", read_detail)

        async def verify() -> Any:
            response = await client.get("/api/v1/audit/verify", headers=admin)
            assert response.json()["ok"], response.text
            return response.json()

        async with ctx.sessions() as session:
            events = await session.scalar(text("SELECT count(*) FROM audit_events"))
            emails = await session.scalar(
                select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)
            )
        await timed("audit verify (whole chain)", int(events or 0), "events", verify)
        print(f"outbox holds {emails} rendered emails")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument(
        "--database-url", help="default: a fresh SQLite file; a PostgreSQL URL is emptied first"
    )
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    if url.startswith("postgresql"):
        asyncio.run(reset_postgres(url))
    upgrade(url)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(f"database: {url.split('@')[-1]}  employees: {args.employees}  sample: {args.sample}")
    asyncio.run(bench(url, args.employees, args.sample))


if __name__ == "__main__":
    main()
