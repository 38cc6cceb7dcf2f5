"""Benchmark: the web pages of each demo role, their time and size, next to an anchor.

    .venv/bin/python bench/pages.py [--database-url URL] [--employees 60] [--repeat 15]

The demo agency (``kinerja-flow demo``'s data) is seeded into a fresh database, then the real
service (``kinerja-flow serve``, one worker) answers. For every sign-in the demo prints, the
role's home page and the pages it links to (one of each kind: ``/appraisals/17`` and
``/appraisals/18`` are one page) are fetched ``--repeat`` times one after another, as one
person clicking would, and the median time and the size before compression are printed.
The anchor, run in the same process tree with the same client: the bare Litestar endpoint of
``bare_app.py`` under uvicorn. Goals (issue 9): the median page under 50 ms, no page over
150 KB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
from sqlalchemy import make_url, or_, select

from kinerja_flow.accounts.models import Account
from kinerja_flow.bootstrap import build_context
from kinerja_flow.clock import SystemClock
from kinerja_flow.config import load_settings
from kinerja_flow.demo.seed import cast, seed
from kinerja_flow.lib.migrate import upgrade
from kinerja_flow.lib.sockets import free_port
from kinerja_flow.org.models import Employee
from kinerja_flow.web.sessions import SESSION_COOKIE, WebSessions
from open_cycle import CLI
from speed import HERE, recreate_database, start, stop, wait_healthy

NOT_PAGES = re.compile(
    r"/(sign-out|static|schema|api|demo)/|\.(pdf|csv|xlsx|svg)$|/(file|certificate|pdf)$"
)
"""Links that are downloads, assets or actions, not pages."""
KIND = re.compile(r"/\d+")
GOAL_MS, GOAL_KB = 50.0, 150.0


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith("/") and not href.startswith("//"):
            self.found.append(href.split("#")[0])


def links_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return [link for link in parser.found if link and not NOT_PAGES.search(link.split("?")[0])]


async def sessions_for(url: str, employees: int) -> list[tuple[str, str]]:
    """Seed the demo agency; a web session cookie for each sign-in the demo offers."""
    ctx = build_context(load_settings({}, database_url=url), SystemClock())
    try:
        await seed(ctx, employees)
        people = await cast(ctx)
        cookies = []
        async with ctx.sessions() as session:
            for who, username in people:
                account = await session.scalar(
                    select(Account)
                    .outerjoin(Employee, Employee.id == Account.employee_id)
                    .where(or_(Account.email == username, Employee.nip == username))
                )
                assert account is not None, username
                token = await WebSessions(ctx).start(account.id, account.credential_epoch)
                cookies.append((who, token))
        return cookies
    finally:
        await ctx.engine.dispose()


def timed(client: httpx.Client, path: str, repeat: int) -> tuple[float, int, int]:
    """Median milliseconds, size in bytes and status of ``repeat`` GETs of ``path``."""
    times, size, status = [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        size, status = len(response.content), response.status_code
    return statistics.median(times), size, status


def anchor(repeat: int) -> float:
    port = free_port()
    server = start(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port)],
        {**os.environ, "PYTHONPATH": str(HERE)},
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", "/")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            return timed(client, "/", repeat * 10)[0]
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--employees", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    url: str = args.database_url or f"sqlite+aiosqlite:///{HERE / '.pages-bench.sqlite3'}"
    if url.startswith("postgresql"):
        recreate_database(url)
    else:
        Path(make_url(url).database or "").unlink(missing_ok=True)
    upgrade(url)
    people = asyncio.run(sessions_for(url, args.employees))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KINERJA_DATABASE_URL": url, "KINERJA_EMBEDDED_WORKER": "false"}
    server = start([CLI, "serve", "--port", str(port)], env)
    rows: list[tuple[str, str, float, int, int]] = []
    try:
        wait_healthy(base)
        for who, token in people:
            with httpx.Client(base_url=base, cookies={SESSION_COOKIE: token}) as client:
                home = client.get("/", follow_redirects=True)
                seen: dict[str, str] = {KIND.sub("/{id}", home.url.path): home.url.path}
                for link in links_of(home.text):
                    if link != "/":  # the home page's own redirect
                        seen.setdefault(KIND.sub("/{id}", link.split("?")[0]), link)
                for path in seen.values():
                    median, size, status = timed(client, path, args.repeat)
                    rows.append((who, path, median, size, status))
        bare = anchor(args.repeat)
    finally:
        stop(server)
    width = max(len(path) for _who, path, *_rest in rows)
    current = ""
    for who, path, median, size, status in rows:
        if who != current:
            print(f"\n{who}")
            current = who
        flag = "" if status == 200 else f"  (status {status})"
        print(f"  {path:<{width}} {median:7.1f} ms {size / 1024:7.1f} KB{flag}")
    times = [median for *_rest, median, _size, status in rows if status == 200]
    sizes = [size for *_rest, size, status in rows if status == 200]
    page_median = statistics.median(times)
    print(f"\n{len(times)} pages on {make_url(url).get_backend_name()}")
    print(f"median page            {page_median:7.1f} ms   (goal under {GOAL_MS:.0f} ms)")
    print(f"slowest page           {max(times):7.1f} ms")
    print(f"largest page           {max(sizes) / 1024:7.1f} KB   (goal under {GOAL_KB:.0f} KB)")
    print(f"anchor: bare Litestar  {bare:7.2f} ms   (the same client, one request at a time)")
    print(f"median page / anchor   {page_median / bare:7.1f} x")


if __name__ == "__main__":
    main()
