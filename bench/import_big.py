"""Benchmark: a 100,000-line employee import against a real ``serve``, and what other users
feel meanwhile.

    .venv/bin/python bench/import_big.py [--employees 100000] [--database-url URL]
                                         [--clients 2] [--xlsx]

It starts ``kinerja-flow serve`` (the import job runs inside it) on a fresh database (SQLite by
default; a PostgreSQL URL is emptied first), imports a small organisation and opens a cycle so
that an appraisal exists, then imports ``--employees`` new employees from one CSV file and the
same file again (nothing changes), previews it, and opens a cycle for everyone, following each
job to its end; then times what HR reads next (lists, the cycle's pages, accounts, the audit
trail) one request at a time. Meanwhile ``--clients``
clients ask ``/health`` and ``GET /api/v1/appraisals/{id}`` one request after the other, and
the server's resident memory is sampled from ``/proc``.

Anchors, measured in the same run (this machine is shared and noisy: compare the ratios): the
same clients against the idle server just before the import, and Python reading and checking
the same file alone (the csv module, no database).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from openpyxl import Workbook
from sqlalchemy import select

from kinerja_flow.accounts.models import Account
from kinerja_flow.accounts.service import AccountService
from kinerja_flow.demo.agency import UNITS, generate, to_csv
from kinerja_flow.lib.migrate import upgrade
from kinerja_flow.lib.sockets import free_port
from kinerja_flow.lib.tables import XLSX_TYPE
from kinerja_flow.web.sessions import SESSION_COOKIE, WebSessions
from open_cycle import PASSWORD, Bench, reset_postgres, start

HR_EMAIL = "bench@example.go.id"

SEED = 60
"""The organisation imported first (heads, HR, the first teams); the rest are all new."""


@dataclass
class Probe:
    """Latencies of the other users' requests and the server's memory, while something runs."""

    health: list[float] = field(default_factory=list)
    appraisal: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)


def rss_of(pid: int) -> int:
    """Resident memory of process ``pid`` in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else float("nan")


async def probing(
    bench: Bench, pid: int, appraisal: str, clients: int, stop: asyncio.Event
) -> Probe:
    probe = Probe()
    headers = await bench.token("hr")

    async def client() -> None:
        while not stop.is_set():
            for path, into in (("/health", probe.health), (appraisal, probe.appraisal)):
                began = time.perf_counter()
                response = await bench.client.get(path, headers=headers)
                into.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, response.text

    async def memory() -> None:
        while not stop.is_set():
            probe.rss.append(rss_of(pid))
            await asyncio.sleep(0.2)

    await asyncio.gather(*(client() for _ in range(clients)), memory())
    return probe


def report(label: str, probe: Probe, baseline_rss: int) -> None:
    growth = (max(probe.rss) - baseline_rss) / 2**20 if probe.rss else float("nan")
    peak = max(probe.rss) / 2**20 if probe.rss else float("nan")
    print(
        f"  {label:<26} /health p50 {statistics.median(probe.health):6.1f} ms "
        f"p99 {p99(probe.health):7.1f} ms ({len(probe.health)} requests) | "
        f"GET appraisal p50 {statistics.median(probe.appraisal):6.1f} ms "
        f"p99 {p99(probe.appraisal):7.1f} ms | RSS growth {growth:6.1f} MiB, peak {peak:6.1f} MiB"
    )


def read_alone(body: bytes) -> float:
    """The anchor: the csv module reading the file and touching every cell."""
    began = time.perf_counter()
    cells = 0
    for record in csv.reader(io.StringIO(body.decode())):
        cells += sum(len(cell.strip()) > 0 for cell in record)
    assert cells
    return time.perf_counter() - began


def workbook_of(body: bytes) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("pegawai")
    for record in csv.reader(io.StringIO(body.decode())):
        sheet.append(record)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def against_serve(url: str, measure: Callable[[Bench, int], Awaitable[None]]) -> None:
    """Start ``kinerja-flow serve`` on ``url`` (jobs inside it), wait until it answers, then
    ``measure(bench, pid)``; the server is stopped however that ends."""
    port = free_port()
    env = {
        **os.environ,
        "KINERJA_DATABASE_URL": url,
        "KINERJA_EMBEDDED_WORKER": "false",
        "KINERJA_EVIDENCE_DIR": tempfile.mkdtemp(),
        "KINERJA_JOBS_POLL_SECONDS": "0.5",
    }
    server = start(["serve", "--port", str(port)], env)
    try:
        async with httpx.AsyncClient() as health:
            for _attempt in range(200):
                try:
                    if (await health.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
        bench = Bench(url, f"http://127.0.0.1:{port}", 8)
        await measure(bench, server.pid)
        await bench.client.aclose()
        await bench.ctx.engine.dispose()
    finally:
        server.terminate()
        server.wait()


async def agency_with_open_cycle(bench: Bench, file: bytes) -> tuple[dict[str, Any], str]:
    """An HR account, the demo units, the employees of the CSV ``file`` and a cycle opened for
    them: the opening job, and the path of one appraisal for the probes."""
    async with bench.ctx.sessions() as session:
        await AccountService(session, bench.ctx).create_admin(HR_EMAIL, PASSWORD)
    bench.tokens["hr"] = await bench.token(HR_EMAIL)
    for code, name, parent in UNITS:
        await bench.call(
            "POST", "/api/v1/units", "hr", json={"code": code, "name": name, "parent_code": parent}
        )
    csv_headers = {**bench.tokens["hr"], "Content-Type": "text/csv"}
    imported = await bench.import_file(file, csv_headers)
    assert imported["state"] == "done", imported
    cycle = await bench.call(
        "POST",
        "/api/v1/cycles",
        "hr",
        json={
            "name": "Bench",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "kind": "annual",
        },
    )
    opened = await bench.run_job(f"/api/v1/cycles/{cycle['id']}/open", bench.tokens["hr"])
    assert opened["state"] == "done", opened
    page = await bench.call("GET", "/api/v1/appraisals", "hr", params={"limit": 1})
    return opened, f"/api/v1/appraisals/{page['items'][0]['id']}"


def fresh_database(given: str | None) -> str:
    """``given`` emptied and migrated (PostgreSQL), or a new SQLite file."""
    url = given or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    if url.startswith("postgresql"):
        asyncio.run(reset_postgres(url))
        upgrade(url)
    return url


async def measure(bench: Bench, pid: int, args: argparse.Namespace) -> None:
    people = generate(SEED + args.employees)
    big = to_csv(people[SEED:]).encode()
    _opened, appraisal = await agency_with_open_cycle(bench, to_csv(people[:SEED]).encode())
    csv_headers = {**bench.tokens["hr"], "Content-Type": "text/csv"}

    print(f"file: {args.employees} lines, {len(big) / 2**20:.1f} MiB of CSV")
    anchor = read_alone(big)
    print(f"anchor: the csv module reads the file alone in {anchor:.2f} s")

    async def during(label: str, work: asyncio.Future[dict[str, object]] | None) -> float:
        stop = asyncio.Event()
        baseline = rss_of(pid)
        probe_task = asyncio.create_task(probing(bench, pid, appraisal, args.clients, stop))
        began = time.perf_counter()
        if work is None:
            await asyncio.sleep(5)
            job: dict[str, object] = {"state": "done", "result": None}
        else:
            job = await work
        elapsed = time.perf_counter() - began
        stop.set()
        probe = await probe_task
        assert job["state"] == "done", job
        print(f"{label:<34} {elapsed:8.2f} s  {job['result'] or ''}")
        report(label, probe, baseline)
        return elapsed

    await during("idle server (anchor, 5 s)", None)
    first = await during(
        "import, all new", asyncio.ensure_future(bench.import_file(big, csv_headers))
    )
    again = await during(
        "re-import, unchanged", asyncio.ensure_future(bench.import_file(big, csv_headers))
    )
    preview = await during(
        "preview (dry run), unchanged",
        asyncio.ensure_future(bench.import_file(big, csv_headers, {"dry_run": "true"})),
    )
    print(
        f"ratios: import / csv read alone {first / anchor:.0f}x, "
        f"re-import / import {again / first:.2f}, preview / import {preview / first:.2f}; "
        f"{args.employees / first:.0f} new employees/s"
    )
    everyone = await bench.call(
        "POST",
        "/api/v1/cycles",
        "hr",
        json={
            "name": "Bench, everyone",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "kind": "annual",
        },
    )
    await during(
        "open a cycle for everyone",
        asyncio.ensure_future(
            bench.run_job(f"/api/v1/cycles/{everyone['id']}/open", bench.tokens["hr"])
        ),
    )
    await hr_reads(bench, int(everyone["id"]))
    if args.xlsx:
        workbook = workbook_of(big)
        xlsx_headers = {**bench.tokens["hr"], "Content-Type": XLSX_TYPE}
        await during(
            "re-import from XLSX, unchanged",
            asyncio.ensure_future(bench.import_file(workbook, xlsx_headers)),
        )


async def hr_reads(bench: Bench, cycle_id: int) -> None:
    """What HR reads of the agency right after: each page or list the median of 5 requests
    made one after another, beside the idle server's ``/health`` the same way (the anchor)."""
    async with bench.ctx.sessions() as session:
        account = await session.scalar(select(Account).where(Account.email == HR_EMAIL))
        assert account is not None
        cookie = await WebSessions(bench.ctx).start(account.id, account.credential_epoch)
    web = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    api = bench.tokens["hr"]
    reads = [
        ("/health", {}),
        (f"/api/v1/appraisals?limit=20&cycle_id={cycle_id}", api),
        (f"/api/v1/appraisals?limit=20&cycle_id={cycle_id}&state=planning", api),
        ("/api/v1/appraisals?limit=20", api),
        ("/api/v1/accounts?limit=50", api),
        (f"/hr/cycles/{cycle_id}", web),
        (f"/hr/cycles/{cycle_id}/appraisals", web),
        (f"/hr/cycles/{cycle_id}/progress", web),
        ("/hr/accounts", web),
        ("/hr/audit", web),
    ]
    print("what HR reads next (median of 5, one request at a time):")
    for path, headers in reads:
        times = []
        for _attempt in range(5):
            began = time.perf_counter()
            response = await bench.client.get(path, headers=headers)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        print(f"  {statistics.median(times):8.1f} ms  GET {path}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--xlsx", action="store_true", help="also re-import it as a workbook")
    args = parser.parse_args()
    url = fresh_database(args.database_url)
    asyncio.run(against_serve(url, lambda bench, pid: measure(bench, pid, args)))


if __name__ == "__main__":
    main()
