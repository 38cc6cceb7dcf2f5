"""aiosqlite as SQLAlchemy drives it, with one trip to aiosqlite's thread per statement.

aiosqlite runs each call on a sqlite3 connection in a thread of its own, and SQLAlchemy's adapter
makes one call per step of a statement: open a cursor, execute, fetch the rows, close the
cursor. Each is a hand-over to that thread and back to the event loop (a queue, a future, a
wake-up of the loop), and those hand-overs, not SQLite, were most of a write's time in the
database layer. Here a statement is executed, its rows fetched and its cursor closed in one
function in aiosqlite's thread; what the cursor says after it (description, row count, last row
id) is kept for SQLAlchemy to read. Everything else (connecting, transactions, server-side
cursors, errors) is SQLAlchemy's adapter as it is, except that a commit or rollback with no
transaction open (after a lone read outside one) is not sent to the thread at all.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncIODBAPIConnection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT


class _Ran:
    """What a statement left on its (closed) sqlite3 cursor."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, description: Any, rowcount: int, lastrowid: int | None) -> None:
        self.description = description
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.arraysize = 1


_NOTHING_YET = _Ran(None, -1, None)


def _execute(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[_Ran, list[Any], bool]:
    """Run in aiosqlite's thread: execute, fetch every row, close the cursor; and whether a
    transaction is open after it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        ran = _Ran(cursor.description, cursor.rowcount, cursor.lastrowid)
        return ran, rows, connection.in_transaction
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement takes one trip to aiosqlite's thread."""

    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # The parent opens an aiosqlite cursor here (a trip); the statement opens its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _NOTHING_YET  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()

    async def _run(self, operation: str, parameters: Any, many: bool) -> None:
        adapted: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        self._cursor, rows = await adapted.run(operation, parameters, many)  # type: ignore[assignment]
        self._rows = deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(operation, seq_of_parameters, many=True)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the statement's cursor was closed in aiosqlite's thread."""

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_transaction",)
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # (a subclass of the parent's)

    def __init__(self, dbapi: Any, connection: AsyncIODBAPIConnection) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = False
        """Whether SQLite had a transaction open after the last statement (every statement,
        ``BEGIN`` included, goes through :class:`OneTripCursor`)."""

    async def run(self, operation: str, parameters: Any, many: bool) -> tuple[_Ran, list[Any]]:
        """Run one statement in aiosqlite's thread: what it left on its cursor, and its rows."""
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._execute_mutex:
            try:
                ran, rows, self.in_transaction = await connection._execute(  # type: ignore[no-untyped-call]
                    _execute, connection._conn, operation, parameters, many
                )
            except BaseException:
                self.in_transaction = True  # unknown: the next commit or rollback is sent
                raise
        return ran, rows

    async def fetch(self, operation: str, parameters: Sequence[Any]) -> list[Any]:
        """The rows of a select, run as a cursor of this connection runs it (``lib/rows.py``)."""
        return (await self.run(operation, parameters, many=False))[1]

    def commit(self) -> None:
        if self.in_transaction:
            super().commit()
            self.in_transaction = False

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API module SQLAlchemy's aiosqlite dialect uses, making :class:`OneTripConnection`
    connections (``create_async_engine(..., module=ONE_TRIP)``)."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


ONE_TRIP = OneTripDBAPI(aiosqlite, sqlite3)
