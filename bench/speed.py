"""Benchmark: reads and writes of the real service, each next to an anchor run in the same run.

    .venv/bin/python bench/speed.py [--database-url URL] [--employees 2000] [--seconds 10]

Anchors (this machine is shared and noisy, so absolute figures drift; the ratios are what to
compare between runs): a bare Litestar JSON endpoint under uvicorn with one worker, on the same
event loop and HTTP parser as ``serve`` (uvloop and httptools where installed), measured with
wrk and the same connections as our reads, again before each round of them (``--rounds``, the
median printed); beside it, for comparison with figures taken before ``serve`` ran on those,
the same endpoint on uvicorn's pure-Python defaults (asyncio and h11); and pgbench's TPC-B on
the same PostgreSQL server, for the writes, whose CPU on the whole machine is split into the
server's, the bench client's and the rest.

Needs wrk (Debian: ``apt-get install wrk``) and, for PostgreSQL, pgbench. The database is
created afresh (default: ``kinerja_bench_<pid>`` on the local server, so runs side by side do
not share one) and pgbench's beside it (``<database>_pgbench``); both are dropped at the end
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import median
from typing import NamedTuple

import httpx
from sqlalchemy import make_url, text

from kinerja_flow.lib.db import create_engine
from kinerja_flow.lib.migrate import upgrade
from kinerja_flow.lib.sockets import free_port
from open_cycle import CLI, Bench

HERE = Path(__file__).resolve().parent
DEFAULT_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/kinerja_bench_{os.getpid()}"
WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_P99 = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> tuple[float, float]:
    """Requests per second and the 99th percentile latency in ms, as wrk measured them."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rate, p99 = WRK_RATE.search(out), WRK_P99.search(out)
    assert rate, out
    assert p99, out
    return float(rate.group(1)), float(p99.group(1)) * UNIT_MS[p99.group(2)]


def wait_healthy(base: str, path: str = "/health") -> None:
    for _attempt in range(200):
        try:
            if httpx.get(f"{base}{path}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{base} never answered")


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


@contextlib.contextmanager
def bare_litestar(*stack: str) -> Iterator[str]:
    """The anchor's server (a bare Litestar JSON endpoint under uvicorn, one worker; ``stack``:
    uvicorn's options for its loop and parser, else what it picks, as ``serve`` does): its URL."""
    port = free_port()
    server = start(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), *stack],
        {**os.environ, "PYTHONPATH": str(HERE)},
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", "/")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(server)


async def admin_sql(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


def drop_database(url: str) -> None:
    """Drop the database ``url`` names, if it exists, on its server."""
    parsed = make_url(url)
    server = parsed.set(database="postgres").render_as_string(hide_password=False)
    asyncio.run(admin_sql(server, f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))


def recreate_database(url: str) -> None:
    """Drop and create the database ``url`` names, on its server."""
    drop_database(url)
    parsed = make_url(url)
    server = parsed.set(database="postgres").render_as_string(hide_password=False)
    asyncio.run(admin_sql(server, f'CREATE DATABASE "{parsed.database}"'))


def pgbench_url(url: str) -> str:
    """pgbench's database, beside ours and named after it."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_pgbench").render_as_string(hide_password=False)


def pgbench(url: str, seconds: int, clients: int) -> float:
    """TPC-B transactions per second on a database of its own beside ours."""
    parsed = make_url(pgbench_url(url))
    recreate_database(parsed.render_as_string(hide_password=False))
    program = shutil.which("pgbench") or "pgbench"
    where = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    where += ["-U", parsed.username or "postgres", str(parsed.database)]
    subprocess.run([program, "-i", "-q", "-s", "4", *where], check=True, capture_output=True)
    run = [program, "-c", str(clients), "-j", "2", "-T", str(seconds), *where]
    out = subprocess.run(run, check=True, capture_output=True, text=True).stdout
    found = re.search(r"tps = ([\d.]+)", out)
    assert found, out
    return float(found.group(1))


class Writes(NamedTuple):
    rate: float
    """Requests per second of the lifecycles' writes."""
    cpu_ms: tuple[float, float]
    """CPU time of the server's processes per write request: in all, and of it in the kernel."""
    client_ms: float
    """CPU time of this process (the bench's HTTP client) per write request."""
    machine_ms: float
    """CPU time of the whole machine (every core busy: server, client, database, the rest)
    per write request."""


def machine_busy_seconds() -> float:
    """The time all cores have spent busy since boot (Linux ``/proc/stat``)."""
    user, nice, system, _idle, _iowait, irq, softirq = map(
        int, Path("/proc/stat").read_text().split("\n")[0].split()[1:8]
    )
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """The CPU time process ``pid`` and its children (``serve --workers``) have used: in
    all, and of it in the kernel (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = kernel = 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
        kernel += int(fields[12])
    return total / tick, kernel / tick


async def write(
    bench: Bench, pairs: list[tuple[str, str]], ids: dict[str, int], server: int
) -> Writes:
    """Take each (employee, supervisor) pair's appraisal through its lifecycle, timed."""
    for nip, boss_nip in pairs:  # sign in before the clock starts
        await bench.token(nip)
        await bench.token(boss_nip)
    started, cpu = time.perf_counter(), cpu_seconds(server)
    client, machine = time.process_time(), machine_busy_seconds()
    await asyncio.gather(*(bench.lifecycle(ids[nip], nip, b) for nip, b in pairs))
    writes = len(pairs) * 11
    rate = writes / (time.perf_counter() - started)
    client_ms = (time.process_time() - client) * 1000 / writes
    machine_ms = (machine_busy_seconds() - machine) * 1000 / writes
    (total, kernel), (total_before, kernel_before) = cpu_seconds(server), cpu
    return Writes(
        rate,
        ((total - total_before) * 1000 / writes, (kernel - kernel_before) * 1000 / writes),
        client_ms,
        machine_ms,
    )


def print_writes(label: str, writes: Writes) -> None:
    server_ms = writes.cpu_ms[0]
    rest_ms = writes.machine_ms - server_ms - writes.client_ms
    cores = os.cpu_count() or 1
    print(
        f"{label:<38} {writes.rate:9.0f} req/s"
        f"  ({server_ms:.1f} ms server CPU each, {writes.cpu_ms[1]:.1f} in the kernel)\n"
        f"{'':<38} CPU per write on the whole machine: {writes.machine_ms:.1f} ms"
        f" (server {server_ms:.1f}, bench client {writes.client_ms:.1f},"
        f" database and the rest {rest_ms:.1f}):"
        f" at most {cores * 1000 / writes.machine_ms:.0f}/s on these {cores} cores"
    )


def reads(
    base: str,
    args: argparse.Namespace,
    one: int,
    employee: dict[str, str],
    hr: dict[str, str],
) -> tuple[float, float]:
    """The read routes with wrk, in ``--rounds`` rounds: each round measures the bare-Litestar
    anchor, then each route against it, so a machine that speeds up or slows down between
    rounds moves both. Prints the median of each route's ratios (and their range); answers
    the anchor's median rate and that of ``GET`` one appraisal."""
    seconds, connections = args.seconds, args.connections
    rows = [
        ("GET /health", f"{base}/health", {}, 0.40),
        ("GET /api/v1/appraisals/{id}", f"{base}/api/v1/appraisals/{one}", employee, 0.10),
        ("GET /api/v1/appraisals?limit=20", f"{base}/api/v1/appraisals?limit=20", hr, 0.15),
    ]
    anchors: list[float] = []
    pure_python: list[float] = []
    measured: dict[str, list[tuple[float, float, float, float]]] = {row[0]: [] for row in rows}
    with (
        bare_litestar() as anchor_url,
        bare_litestar("--loop", "asyncio", "--http", "h11") as pure_url,
    ):
        for _round in range(args.rounds):
            pure = wrk(pure_url, seconds, connections, {})[0]
            pure_python.append(pure)
            ceiling = wrk(anchor_url, seconds, connections, {})[0]
            anchors.append(ceiling)
            for label, target, headers, _goal in rows:
                rate, p99 = wrk(target, seconds, connections, headers)
                measured[label].append((rate, p99, rate / ceiling, rate / pure))
    print(
        f"\nanchor: bare Litestar JSON endpoint   {median(anchors):9.0f} req/s"
        f"  (wrk -c{connections}; median of {args.rounds} rounds,"
        f" {min(anchors):.0f}-{max(anchors):.0f})"
    )
    print(
        f"  the same on asyncio and h11            {median(pure_python):9.0f} req/s"
        f"  (uvicorn's pure-Python defaults; {min(pure_python):.0f}-{max(pure_python):.0f})"
    )
    print(
        f"{'route':<36} {'req/s':>9} {'p99 ms':>8} {'ratio':>7} {'goal':>6}  ratio's range"
        "   (ratio to the pure-Python anchor)"
    )
    for label, _target, _headers, goal in rows:
        rates, p99s, ratios, to_pure = zip(*measured[label], strict=True)
        print(
            f"{label:<36} {median(rates):9.0f} {median(p99s):8.1f} {median(ratios):7.1%}"
            f" {goal:6.0%}  {min(ratios):.1%}-{max(ratios):.1%}   ({median(to_pure):.1%})"
        )
    return median(anchors), median(rate for rate, _p99, _ratio, _to_pure in measured[rows[1][0]])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=150, help="appraisals written through")
    parser.add_argument("--seconds", type=int, default=10, help="per wrk or pgbench run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of anchor-then-routes for the reads"
    )
    parser.add_argument("--writers", type=int, default=8, help="concurrent lifecycle clients")
    parser.add_argument(
        "--writes-only", action="store_true", help="only the writes and their pgbench anchor"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases at the end")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/speed.py needs wrk: apt-get install wrk")
    url: str = args.database_url
    postgres = url.startswith("postgresql")
    if postgres:
        recreate_database(url)
        if not args.keep:
            atexit.register(drop_database, pgbench_url(url))
            atexit.register(drop_database, url)
    else:
        Path(make_url(url).database or "").unlink(missing_ok=True)
    upgrade(url)
    with asyncio.Runner() as loop:  # one loop for the bench's client and engine throughout
        measure(loop, args, url, postgres)


def measure(loop: asyncio.Runner, args: argparse.Namespace, url: str, postgres: bool) -> None:
    """Writes with one serve process, then reads beside their anchor (unless --writes-only),
    then writes (and reads) again with ``serve --workers 2``, each sample of appraisals its
    own."""
    seconds, connections = args.seconds, args.connections
    port = free_port()
    env = {
        **os.environ,
        "KINERJA_DATABASE_URL": url,
        "KINERJA_EMBEDDED_WORKER": "false",
        "KINERJA_EVIDENCE_DIR": tempfile.mkdtemp(),
    }
    base = f"http://127.0.0.1:{port}"
    bench = Bench(url, base, args.writers)
    server = start([CLI, "serve", "--port", str(port)], env)
    try:
        wait_healthy(base)
        cycle_id = loop.run(bench.setup(args.employees))
        pairs = loop.run(bench.lifecycle_pairs(2 * args.sample))
        ids = loop.run(bench.appraisal_ids(cycle_id, args.employees))
        one_process = loop.run(write(bench, pairs[: args.sample], ids, server.pid))
        nip = pairs[0][0]
        one, employee, hr = ids[nip], loop.run(bench.token(nip)), bench.tokens["hr"]
        measured = None if args.writes_only else reads(base, args, one, employee, hr)
        print()
        print_writes(f"workflow writes over HTTP ({args.writers} clients)", one_process)
        if postgres:
            tps = pgbench(url, seconds, args.writers)
            print(f"anchor: pgbench TPC-B ({args.writers} clients)       {tps:9.0f} tps")
            print(f"writes / pgbench                       {one_process.rate / tps:9.1%}")
    finally:
        stop(server)
    workers = start([CLI, "serve", "--port", str(port), "--workers", "2"], env)
    try:
        wait_healthy(base)
        # The first process answers while the second still builds its app: warm both up first.
        wrk(f"{base}/api/v1/appraisals/{one}", 5, connections, employee)
        two_processes = loop.run(write(bench, pairs[args.sample :], ids, workers.pid))
        print()
        print_writes("serve --workers 2: workflow writes", two_processes)
        print(f"{'':<38} {two_processes.rate / one_process.rate:9.2f}x one serve process")
        if measured is not None:
            ceiling, one_read = measured
            rate, p99 = wrk(f"{base}/api/v1/appraisals/{one}", seconds, connections, employee)
            print(
                f"serve --workers 2: GET one appraisal   {rate:9.0f} req/s  p99 {p99:.1f} ms"
                f"  ({rate / ceiling:.1%} of the one-worker anchor,"
                f" {rate / one_read:.2f}x one serve process)"
            )
    finally:
        stop(workers)
        loop.run(bench.client.aclose())
        loop.run(bench.ctx.engine.dispose())


if __name__ == "__main__":
    main()
