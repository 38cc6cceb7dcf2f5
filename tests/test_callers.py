"""Callers kept in memory between requests (PostgreSQL): whatever changes an account, in this
process or another, reaches the caller's next requests; a process that cannot hear the changes
keeps nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Executable, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kinerja_flow.accounts.callers import CALLERS
from kinerja_flow.accounts.models import Account
from kinerja_flow.accounts.service import PRINCIPAL_COLUMNS
from kinerja_flow.app import create_app
from kinerja_flow.config import Settings
from kinerja_flow.lib.db import create_engine
from kinerja_flow.lib.listened_cache import ListenedCache
from kinerja_flow.lib.principal import KnownCaller
from kinerja_flow.runtime.context import AppContext
from tests.conftest import ONLY_POSTGRESQL
from tests.support.api import EMPLOYEE, HR, Api
from tests.test_observability import gauge

SILENT = "kinerja_test_silent"
SCRAPE_TOKEN = "scrape-token-for-the-tests-0123456789"
SCRAPE = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}
HEARD = "kinerja_account_changes_heard"
LISTENER = "kinerja-flow kinerja_accounts listener"


async def another_process(database_url: str, statement: str | Executable, **params: object) -> None:
    """``statement`` committed on a connection of another engine, as another process would."""
    engine = create_engine(database_url, pooled=False)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(statement) if isinstance(statement, str) else statement, params
            )
    finally:
        await engine.dispose()


DEACTIVATE = (
    "UPDATE accounts SET active = false FROM employees e WHERE e.id = employee_id AND e.nip = :nip"
)
REACTIVATE = (
    "UPDATE accounts SET active = true FROM employees e WHERE e.id = employee_id AND e.nip = :nip"
)
NO_ROLES = (
    "UPDATE accounts SET roles = '', granted_roles = '' FROM employees e "
    "WHERE e.id = employee_id AND e.nip = :nip"
)
"""Changes to the account of the employee with NIP ``:nip``."""


TERMINATE = "SELECT pg_terminate_backend(CAST(:pid AS integer))"


async def listeners(database_url: str) -> list[int]:
    """The backends listening for account changes on the database, by pid."""
    engine = create_engine(database_url, pooled=False)
    try:
        async with engine.connect() as connection:
            found = await connection.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": LISTENER},
            )
            return list(found)
    finally:
        await engine.dispose()


async def answer_within(
    client: AsyncTestClient[Litestar], headers: dict[str, str], status: int, seconds: float = 5.0
) -> float:
    """Seconds until ``GET /auth/me`` answers ``status`` (fails the test after ``seconds``)."""
    started = time.monotonic()
    while True:
        response = await client.get("/api/v1/auth/me", headers=headers)
        if response.status_code == status:
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, (response.status_code, response.text)
        await asyncio.sleep(0.02)


async def heard(client: AsyncTestClient[Litestar], seconds: float = 5.0) -> None:
    """Wait until ``/metrics`` says the process hears every change to accounts."""
    started = time.monotonic()
    while gauge((await client.get("/metrics", headers=SCRAPE)).text, HEARD) != 1:
        assert time.monotonic() - started < seconds, "the process never heard account changes"
        await asyncio.sleep(0.05)


@ONLY_POSTGRESQL
async def test_a_change_made_by_another_process_reaches_the_next_requests(
    api: Api, settings: Settings
) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, HR)
    app = create_app(msgspec.structs.replace(settings, metrics_token=SCRAPE_TOKEN), api.clock)
    ctx: AppContext = app.state.ctx
    employee, hr = api.auth(EMPLOYEE), api.auth(HR)
    async with AsyncTestClient(app) as client:
        await heard(client)
        for _ in range(3):  # the first read keeps them, the others are answered from memory
            assert "hr" in (await client.get("/api/v1/auth/me", headers=hr)).json()["roles"]
            assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 200

        # Another process takes the HR role away; then, apart, deactivates the employee (each
        # change's own notice must do it: any notice forgets every caller).
        url = ctx.settings.database_url
        await another_process(url, NO_ROLES, nip=HR)
        started = time.monotonic()
        while "hr" in (await client.get("/api/v1/auth/me", headers=hr)).json()["roles"]:
            assert time.monotonic() - started < 1.0, "the HR role outlived its removal"
            await asyncio.sleep(0.02)
        refused = await client.get("/api/v1/accounts", headers=hr)
        assert refused.status_code == 403, refused.text
        assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 200
        await another_process(url, DEACTIVATE, nip=EMPLOYEE)
        assert await answer_within(client, employee, 401) < 1.0


@ONLY_POSTGRESQL
async def test_another_process_changing_any_column_a_caller_is_made_of_is_heard(
    api: Api, settings: Settings
) -> None:
    """Each column the principal is read from (and ``active``, which the read filters on),
    set by another process, makes the process forget the caller it kept: a column added to the
    principal but not to the trigger would be served stale for up to a minute."""
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    app = create_app(msgspec.structs.replace(settings, metrics_token=SCRAPE_TOKEN), api.clock)
    ctx: AppContext = app.state.ctx
    url = ctx.settings.database_url
    employee = api.auth(EMPLOYEE)
    async with ctx.sessions() as session:
        account_id = await session.scalar(
            select(Account.id).where(Account.email == "budi@example.go.id")
        )
    assert account_id is not None
    columns = [column.name for column in PRINCIPAL_COLUMNS] + ["active"]
    async with AsyncTestClient(app) as client:
        await heard(client)
        for name in columns:
            assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 200
            assert ctx.callers.get(account_id) is not None, "the caller was not kept"
            same = update(Account).where(Account.id == account_id)
            column = Account.__table__.c[name]
            await another_process(url, same.values({column: column}))
            started = time.monotonic()
            while ctx.callers.get(account_id) is not None:
                assert time.monotonic() - started < 1.0, f"a change of {name} was not heard"
                await asyncio.sleep(0.02)


@ONLY_POSTGRESQL
async def test_a_change_while_the_process_cannot_hear_is_not_missed(
    api: Api, settings: Settings
) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    app = create_app(msgspec.structs.replace(settings, metrics_token=SCRAPE_TOKEN), api.clock)
    url: str = app.state.ctx.settings.database_url
    employee = api.auth(EMPLOYEE)
    async with AsyncTestClient(app) as client:
        await heard(client)
        for _ in range(2):
            assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 200

        # The listening connection is cut; the account changes before the process listens
        # again, so no notice of the change ever reaches it.
        cut = await listeners(url)  # this app's, and the test client's own app's
        for pid in cut:
            await another_process(url, TERMINATE, pid=pid)
        await another_process(url, DEACTIVATE, nip=EMPLOYEE)
        await answer_within(client, employee, 401)

        # It listens again by itself (on a new connection), and what it kept before the cut
        # does not come back.
        started = time.monotonic()
        while len(set(await listeners(url)) - set(cut)) < len(cut):
            assert time.monotonic() - started < 5, "the process never listened again"
            await asyncio.sleep(0.05)
        await heard(client)
        assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 401
        await another_process(url, REACTIVATE, nip=EMPLOYEE)
        assert await answer_within(client, employee, 200) < 1.0


async def test_a_process_that_cannot_hear_changes_reads_every_caller_afresh(
    api: Api, settings: Settings
) -> None:
    """SQLite has no notices; on PostgreSQL behind an external pooler (``database_pool``
    ``null``) nothing is heard unless ``account_changes_url`` names a direct connection. A
    change by another process then shows on the very next request."""
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    deaf = msgspec.structs.replace(
        settings, metrics_token=SCRAPE_TOKEN, database_pool="null", account_changes_url=None
    )
    app = create_app(deaf, api.clock)
    employee = api.auth(EMPLOYEE)
    async with AsyncTestClient(app) as client:
        for _ in range(3):
            assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 200
        assert gauge((await client.get("/metrics", headers=SCRAPE)).text, HEARD) == 0
        await another_process(settings.database_url, DEACTIVATE, nip=EMPLOYEE)
        assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 401


@ONLY_POSTGRESQL
async def test_a_change_this_process_commits_is_forgotten_before_the_commit_returns(
    api: Api, settings: Settings
) -> None:
    """Without waiting for the notice: a cache on a channel only its own heartbeat feeds, so
    only the process's own bookkeeping can make it forget."""
    await api.setup_org()
    callers: ListenedCache[int, KnownCaller] = ListenedCache(
        SILENT, f"SELECT pg_notify('{SILENT}', current_setting('kinerja.beat'))"
    )
    sessions = async_sessionmaker(api.ctx.engine, expire_on_commit=False, info={CALLERS: callers})
    stop = asyncio.Event()
    listening = asyncio.create_task(callers.listen(settings.database_url, stop))
    try:
        started = time.monotonic()
        while not callers.hearing:
            assert time.monotonic() - started < 5, "the silent channel was never heard"
            await asyncio.sleep(0.02)
        async with sessions() as session:
            account = await session.scalar(
                select(Account).where(Account.email == "budi@example.go.id")
            )
            assert account is not None
        kept = KnownCaller(principal=None, epoch=account.credential_epoch)

        async def changed(change: Callable[[AsyncSession], Awaitable[object]]) -> bool:
            callers.keep(callers.ticket(), account.id, kept)
            assert callers.get(account.id) is kept
            async with sessions() as session:
                await change(session)
                await session.commit()
                return callers.get(account.id) is None

        async def orm(session: AsyncSession) -> None:
            row = await session.get(Account, account.id)
            assert row is not None
            row.locale = "en" if row.locale == "id" else "id"

        async def core(session: AsyncSession) -> None:
            await session.execute(
                update(Account).where(Account.id == account.id).values(active=False)
            )

        async def unrelated(session: AsyncSession) -> None:
            await session.execute(select(Account.id))

        assert await changed(orm)
        assert await changed(core)
        assert not await changed(unrelated)
    finally:
        stop.set()
        await listening


@ONLY_POSTGRESQL
async def test_without_the_trigger_nothing_is_kept(api: Api, settings: Settings) -> None:
    """A database not yet migrated, or restored with its triggers off: the heartbeat goes
    through the trigger, so the process never hears and reads every caller afresh."""
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    app = create_app(msgspec.structs.replace(settings, metrics_token=SCRAPE_TOKEN), api.clock)
    employee = api.auth(EMPLOYEE)
    await another_process(
        settings.database_url, "ALTER TABLE accounts DISABLE TRIGGER accounts_changed"
    )
    try:
        async with AsyncTestClient(app) as client:
            for _ in range(10):
                assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 200
                await asyncio.sleep(0.05)
            assert gauge((await client.get("/metrics", headers=SCRAPE)).text, HEARD) == 0
            await another_process(settings.database_url, DEACTIVATE, nip=EMPLOYEE)
            assert (await client.get("/api/v1/auth/me", headers=employee)).status_code == 401
    finally:
        await another_process(
            settings.database_url, "ALTER TABLE accounts ENABLE TRIGGER accounts_changed"
        )
