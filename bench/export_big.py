"""Benchmark: a cycle's exports (CSV and XLSX) for a large agency, written by background jobs
inside a real ``serve``, and what other users feel meanwhile.

    .venv/bin/python bench/export_big.py [--employees 100000] [--database-url URL]
                                         [--clients 2]

It starts ``kinerja-flow serve`` on a fresh database (SQLite by default; a PostgreSQL URL is
emptied first), imports ``--employees`` employees and opens a cycle for them all, then exports
the cycle's appraisals as CSV and as XLSX and its training hours as CSV, each as a job followed
to its end and downloaded. Meanwhile ``--clients`` clients ask ``/health`` and
``GET /api/v1/appraisals/{id}`` one request after the other, and the server's resident memory
is sampled from ``/proc``.

Anchors, measured in the same run (this machine is shared and noisy: compare the ratios): the
same clients against the idle server just before the exports, and this process writing a table
of the same size alone (``CsvTable``/``XlsxTable``, no database, no server).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import time

from import_big import (
    SEED,
    against_serve,
    agency_with_open_cycle,
    fresh_database,
    probing,
    report,
    rss_of,
)
from kinerja_flow.demo.agency import generate, to_csv
from kinerja_flow.lib.tables import Cell, CsvTable, XlsxTable
from kinerja_flow.reports.service import APPRAISAL_HEADER
from open_cycle import Bench


def write_alone(rows: int, xlsx: bool) -> float:
    """The anchor: the table's writer alone, ``rows`` rows like the export's, into memory."""
    row: list[Cell] = ["199001012020011001", "Pegawai", "UNIT", "Unit", "Staf"]
    row += ["198002022005012002", "Atasan", "planning", False, None, None, None]
    began = time.perf_counter()
    if xlsx:
        with XlsxTable("appraisals", APPRAISAL_HEADER) as sheet:
            for _ in range(rows):
                sheet.append(row)
            sheet.save(io.BytesIO())
    else:
        table = CsvTable(io.StringIO(), APPRAISAL_HEADER)
        for _ in range(rows):
            table.append(row)
    return time.perf_counter() - began


async def measure(bench: Bench, pid: int, args: argparse.Namespace) -> None:
    people = generate(SEED + args.employees)
    opened, appraisal = await agency_with_open_cycle(bench, to_csv(people).encode())
    rows = int(opened["result"]["created"])
    print(f"cycle: {rows} appraisals")
    anchors = {fmt: write_alone(rows, fmt == "xlsx") for fmt in ("csv", "xlsx")}
    print(
        f"anchor: the writers alone, {rows} rows: CSV {anchors['csv']:.2f} s, "
        f"XLSX {anchors['xlsx']:.2f} s"
    )

    async def during(label: str, table: str | None, fmt: str = "csv") -> float:
        stop = asyncio.Event()
        baseline = rss_of(pid)
        probe_task = asyncio.create_task(probing(bench, pid, appraisal, args.clients, stop))
        began = time.perf_counter()
        size = 0
        if table is None:
            await asyncio.sleep(5)
        else:
            job = await bench.run_job(
                f"/api/v1/cycles/{opened['result']['cycle']['id']}/exports/{table}",
                bench.tokens["hr"],
                params={"format": fmt},
            )
            assert job["state"] == "done", job
            size = job["result"]["size"]
        elapsed = time.perf_counter() - began
        stop.set()
        probe = await probe_task
        if table is not None:
            began = time.perf_counter()
            file = await bench.client.get(
                f"/api/v1/jobs/{job['id']}/file", headers=bench.tokens["hr"]
            )
            assert file.status_code == 200, file.text
            assert len(file.content) == size
            print(f"  downloaded {size / 2**20:.1f} MiB in {time.perf_counter() - began:.2f} s")
        print(f"{label:<34} {elapsed:8.2f} s")
        report(label, probe, baseline)
        return elapsed

    await during("idle server (anchor, 5 s)", None)
    as_csv = await during("export appraisals, CSV", "appraisals")
    as_xlsx = await during("export appraisals, XLSX", "appraisals", "xlsx")
    await during("export training hours, CSV", "training-hours")
    print(
        f"ratios: CSV export / CSV writer alone {as_csv / anchors['csv']:.1f}x, "
        f"XLSX export / XLSX writer alone {as_xlsx / anchors['xlsx']:.1f}x; "
        f"{rows / as_csv:.0f} rows/s as CSV"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    url = fresh_database(args.database_url)
    asyncio.run(against_serve(url, lambda bench, pid: measure(bench, pid, args)))


if __name__ == "__main__":
    main()
