"""Test fixtures: real SQLite and PostgreSQL, a real SMTP server, the real app over HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvloop
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import make_url, text

from kinerja_flow.clock import ManualClock
from kinerja_flow.config import Settings, load_settings
from kinerja_flow.lib.db import create_engine
from kinerja_flow.lib.migrate import upgrade
from tests.support.api import Api
from tests.support.apps import app_for
from tests.support.mailserver import MailServer
from tests.support.seed import PostgresStore

POSTGRES_URL = os.environ.get(
    "KINERJA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = [b for b in os.environ.get("KINERJA_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
ONLY_POSTGRESQL = pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                "postgresql" not in BACKENDS,
                reason="PostgreSQL only (KINERJA_TEST_BACKENDS leaves it out)",
            ),
        )
    ],
    indirect=True,
)
"""For a test of what only PostgreSQL does (notices, VACUUM): it runs on PostgreSQL alone."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked ``slow`` first (else in collection order): xdist hands tests out in this
    order, so the ones of a minute start while every worker is busy, and no worker is left alone
    with one at the end of the run."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fail loudly if xdist's ``loadgroup`` lost the groups: pytest 9.2 ignores how xdist 3.8
    marks them (pytest-xdist issue #1386), and each worker then ran its own copy of a group's
    module fixtures (three demo services instead of one)."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [
        item.nodeid
        for item in session.items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if lost:
        raise pytest.UsageError(f"xdist_group ignored by this pytest and pytest-xdist: {lost}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for every test."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str]:
    """A database of our own on the PostgreSQL server, migrated once per run, dropped after."""
    import asyncio

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # each xdist worker has its own
    name = f"kinerja_test_{worker}_{os.getpid()}"
    url = make_url(POSTGRES_URL)

    async def admin(statement: str) -> None:
        engine = create_engine(
            url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    # Commits need not wait for the disk here: a crash of the server loses only test data.
    asyncio.run(admin(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    own = url.set(database=name).render_as_string(hide_password=False)
    upgrade(own)
    yield own
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "test.sqlite3"
        shutil.copy(template, target)
        yield f"sqlite+aiosqlite:///{target}"
    else:
        yield request.getfixturevalue("postgres_migrated")


@pytest.fixture
async def clean_database(database_url: str) -> str:
    """Empty every table (PostgreSQL is shared between tests; SQLite files are fresh)."""
    if database_url.startswith("postgresql"):
        await PostgresStore(database_url).clear()
    return database_url


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(clean_database: str, mail: MailServer, tmp_path: Path) -> Settings:
    return load_settings(
        {},
        database_url=clean_database,
        smtp_host="127.0.0.1",
        smtp_port=mail.port,
        base_url="https://kinerja.example.go.id",
        embedded_worker=False,
        database_pool="null",  # the app fixture pools per event loop instead
        account_changes_url=clean_database,  # heard as by serve with a pool of its own
        password_time_cost=1,  # still argon2id, at a cost that keeps the suite quick
        password_memory_kib=1024,  # the test client runs the app on its own event loop
        secret_key="test-secret-key-with-enough-length-0123456789",
        evidence_dir=str(tmp_path / "evidence"),
    )


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[Litestar]:
    """The app with this test's context; built once per worker and settings (apps.py)."""
    app = app_for(settings, clock)
    sessions = app.state.ctx.sessions
    yield app
    await sessions.dispose_here()  # what the test's own loop opened


@pytest.fixture
async def api(
    app: Litestar, settings: Settings, clock: ManualClock, mail: MailServer
) -> AsyncIterator[Api]:
    async with AsyncTestClient(app) as client:
        yield Api(client, app, settings, clock, mail)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """The tests run on uvloop's event loop, as ``serve`` does."""
    return {"uvloop": uvloop.new_event_loop}
