"""Seeded states: a setup step runs over HTTP once per database and worker, then is replayed.

Building the standard agency over HTTP (units, the import, invitations redeemed with hashed
passwords, sign-ins, a cycle opened) takes seconds and was repeated by most tests. Here a step
is recorded the first time it runs: the database content before it (every table, and the
sequences), and after it. When the same step is asked for again from exactly the same content,
with the same settings, clock reading and signed-in callers, the content after is written back
instead of running it: the test sees the rows, ids, audit chain and outbox the HTTP run made,
and gets fresh bearer tokens for the same accounts, signed by the app's own token code. Any
difference (another setting, a moved clock, one more row) runs the step over HTTP as before.

SQLite: the recorded copy is an in-memory database written back with SQLite's backup API.
PostgreSQL: every row deleted, then binary ``COPY`` of the recorded rows and the sequences set
to their recorded values, in one transaction (about 0.1 s). ``CREATE DATABASE ... TEMPLATE`` was
measured too: 0.2 s to create, but the database must be unused, needs a new name per test and
took 3 s to drop.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.security.jwt import Token
from sqlalchemy import Table, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection

from kinerja_flow.accounts.service import EPOCH_CLAIM, JWT_ALGORITHM, issue_token
from kinerja_flow.clock import Clock
from kinerja_flow.config import Settings
from kinerja_flow.lib.db import create_engine
from kinerja_flow.models import metadata

Claims = tuple[tuple[str, int, int], ...]
"""(who, account id, credential epoch) of each bearer token a test holds, sorted."""


@dataclass(frozen=True)
class Recording:
    after: Any
    """What :meth:`Store.restore` writes back."""
    tokens: Claims


_recordings: dict[Hashable, Recording] = {}


async def seeded(
    step: str,
    settings: Settings,
    clock: Clock,
    tokens: dict[str, str],
    build: Callable[[], Awaitable[None]],
) -> None:
    """Run ``build`` (a setup ``step`` over HTTP) or replay its recording; see the module."""
    claims = _claims(settings, tokens)
    if claims is None:
        await build()
        return
    store = _store(settings.database_url)
    key = (step, shape_of(settings), clock.now(), claims, await store.content())
    found = _recordings.get(key)
    if found is not None:
        await store.restore(found.after)
        tokens.clear()
        tokens.update(
            {who: issue_token(settings, account, epoch) for who, account, epoch in found.tokens}
        )
        return
    await build()
    after_claims = _claims(settings, tokens)
    if after_claims is not None:
        _recordings[key] = Recording(await store.snapshot(), after_claims)


def shape_of(settings: Settings) -> Settings:
    """``settings`` less what differs between tests that may share an app or a recording:
    which database (a file per test on SQLite), under every setting that names it (such as
    ``account_changes_url``), the mail server's port and the evidence folder."""
    database = settings.database_url
    kind = database.split(":", 1)[0]
    same_database = {
        name: kind for name in settings.__struct_fields__ if getattr(settings, name) == database
    }
    return msgspec.structs.replace(settings, **same_database, smtp_port=0, evidence_dir="")


def _claims(settings: Settings, tokens: dict[str, str]) -> Claims | None:
    found = []
    for who, token in tokens.items():
        try:
            decoded = Token.decode(token, settings.secret_key, JWT_ALGORITHM)
            found.append((who, int(decoded.sub), int(decoded.extras[EPOCH_CLAIM])))
        except Exception:  # a test's deliberately broken token: nothing to replay
            return None
    return tuple(sorted(found))


def _store(database_url: str) -> Store:
    if database_url.startswith("sqlite"):
        return SqliteStore(database_url)
    return PostgresStore(database_url)


def _order(table: Table) -> str:
    return ", ".join(f'"{column.name}"' for column in table.primary_key.columns)


class Store:
    name: str

    async def content(self) -> Hashable:
        """Everything in the database, comparable."""
        raise NotImplementedError

    async def snapshot(self) -> Any:
        raise NotImplementedError

    async def restore(self, after: Any) -> None:
        raise NotImplementedError


class SqliteStore(Store):
    name = "sqlite"

    def __init__(self, database_url: str) -> None:
        path = make_url(database_url).database
        assert path, database_url
        self.path = path

    async def content(self) -> Hashable:
        with closing(sqlite3.connect(self.path)) as db:
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            tables = [
                tuple(db.execute(f'SELECT * FROM "{table.name}" ORDER BY {_order(table)}'))  # noqa: S608
                for table in metadata.sorted_tables
            ]
            if "sqlite_sequence" in names:
                tables.append(tuple(db.execute("SELECT * FROM sqlite_sequence ORDER BY name")))
        return tuple(tables)

    async def snapshot(self) -> sqlite3.Connection:
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        with closing(sqlite3.connect(self.path)) as db:
            db.backup(copy)
        return copy

    async def restore(self, after: sqlite3.Connection) -> None:
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            after.backup(db)


class PostgresStore(Store):
    name = "postgresql"

    def __init__(self, database_url: str) -> None:
        self.url = database_url

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        engine = create_engine(self.url, pooled=False)
        try:
            async with engine.begin() as connection:
                yield connection
        finally:
            await engine.dispose()

    @staticmethod
    async def _driver(connection: AsyncConnection) -> Any:
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    async def content(self) -> Hashable:
        async with self._connection() as connection:
            driver = await self._driver(connection)
            tables = []
            for table in metadata.sorted_tables:
                buffer = io.BytesIO()
                await driver.copy_from_query(
                    f'SELECT * FROM "{table.name}" ORDER BY {_order(table)}',  # noqa: S608
                    output=buffer,
                    format="binary",
                )
                tables.append(buffer.getvalue())
            sequences = (
                await connection.execute(
                    text(
                        "SELECT sequencename, last_value FROM pg_sequences"
                        " WHERE schemaname = current_schema() ORDER BY sequencename"
                    )
                )
            ).all()
        return (tuple(tables), tuple(tuple(row) for row in sequences))

    async def snapshot(self) -> Any:
        return await self.content()

    async def clear(self) -> None:
        """Every table empty but for the audit chain's genesis, the sequences restarted."""
        async with self._connection() as connection:
            await empty_postgres(connection)
            await connection.execute(
                text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, :genesis)"),
                {"genesis": "0" * 64},
            )

    async def restore(self, after: Any) -> None:
        tables, sequences = after
        async with self._connection() as connection:
            await empty_postgres(connection)
            driver = await self._driver(connection)
            for table, data in zip(metadata.sorted_tables, tables, strict=True):
                if len(data) > _EMPTY_COPY:
                    await driver.copy_to_table(table.name, source=io.BytesIO(data), format="binary")
            for name, value in sequences:
                if value is not None:
                    await connection.execute(
                        text("SELECT setval(CAST(:name AS regclass), :value, true)"),
                        {"name": name, "value": value},
                    )


async def empty_postgres(connection: AsyncConnection) -> None:
    """Delete every row and restart the sequences.

    ``DELETE`` rather than ``TRUNCATE``: for tables of a few rows it is some twenty times faster
    (``TRUNCATE`` makes new files for every table and index).
    """
    for table in reversed(metadata.sorted_tables):
        await connection.execute(table.delete())
    await connection.execute(
        text(
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
            " FROM pg_sequences WHERE schemaname = current_schema()"
        )
    )


_EMPTY_COPY = 21
"""Bytes of a binary COPY with no rows: signature (11), flags (4), extension (4), trailer (2)."""
