"""Requests that really overlap, against the real application.

Litestar's test client hands requests to the app one at a time, so it cannot show a race. Here
the same app is driven over plain ASGI on the test's event loop (every request in its own
database session and transaction), or a ``kinerja-flow serve`` process is started.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
from litestar import Litestar

from kinerja_flow.config import Settings
from kinerja_flow.lib.sockets import free_port
from tests.support.cli import Command
from tests.support.server import wait_until_serving


@asynccontextmanager
async def overlapping_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose requests run concurrently inside this process's ``app``."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # Litestar's ASGI types are narrower
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """``kinerja-flow serve`` on the test's database with the test's secrets; yields its URL.

    The process runs on the real clock: tests that share data with it start their own clock
    at the real time.
    """
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KINERJA_") or key.startswith("KINERJA_TEST_")
    }
    environ.update(
        {
            "KINERJA_DATABASE_URL": settings.database_url,
            "KINERJA_SECRET_KEY": settings.secret_key,
            "KINERJA_BASE_URL": settings.base_url,
            "KINERJA_SMTP_HOST": settings.smtp_host,
            "KINERJA_SMTP_PORT": str(settings.smtp_port),
            "KINERJA_EMBEDDED_WORKER": "false",
            "KINERJA_PASSWORD_TIME_COST": str(settings.password_time_cost),
            "KINERJA_PASSWORD_MEMORY_KIB": str(settings.password_memory_kib),
            "KINERJA_EVIDENCE_DIR": settings.evidence_dir,
        }
    )
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kinerja-serve-") as folder:
        args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        process = Command(args, environ, Path(folder) / "log")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base, process)
            yield base
        finally:
            process.stop(timeout=10)
