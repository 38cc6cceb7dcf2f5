"""Engine, declarative base and transaction helpers shared by every domain package."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

import asyncpg
from advanced_alchemy.base import convention
from advanced_alchemy.types import BigIntIdentity, DateTimeUTC
from sqlalchemy import ARRAY, Boolean, ColumnElement, MetaData, any_, bindparam, event, exc, text
from sqlalchemy.engine import AdaptedConnection, Connection, Engine, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    QueryableAttribute,
    Session,
    SessionTransaction,
    mapped_column,
)
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.util import await_only

from kinerja_flow.lib.sqlite_driver import ONE_TRIP

logger = logging.getLogger(__name__)

WRITE_OPTION = "kinerja_write"
LONE_READS = "kinerja_lone_reads"
"""SQLite: no ``BEGIN`` (the statements of the connection run in autocommit mode)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=convention)
    type_annotation_map = {datetime: DateTimeUTC(timezone=True), int: BigIntIdentity}


class IdMixin:
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)


def column_values(row: Base) -> dict[str, Any]:
    """``row``'s columns as plain data, for a copy kept apart from it (an email's context)."""
    return {column.key: getattr(row, column.key) for column in row.__mapper__.column_attrs}


def create_engine(
    database_url: str, *, pooled: bool = True, foreign_keys: bool = True, **kwargs: Any
) -> AsyncEngine:
    """Create the async engine; on SQLite turn on WAL, foreign keys and queued writers.

    ``pooled=False`` opens a connection per session (for an external pooler such as PgBouncer,
    or for callers on several event loops). ``foreign_keys=False`` is for migrations: SQLite
    rebuilds a table to alter it, and dropping the old copy would cascade to the rows that
    reference it.
    """
    if not pooled:
        kwargs["poolclass"] = NullPool
    if not database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, **kwargs)
        event.listen(engine.sync_engine, "handle_error", _mark_lost_connections)
        if pooled:  # a connection of its own per session is fresh: nothing to check
            event.listen(engine.sync_engine.pool, "checkin", _note_checkin)
            event.listen(engine.sync_engine.pool, "checkout", _ping)
        return engine
    engine = create_async_engine(
        database_url, connect_args={"timeout": 30}, module=ONE_TRIP, **kwargs
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint the WAL every ~200 MB (the file may grow that large) instead of every 4 MB:
        # a page changed by several commits (an index that bulk writes touch all over) is
        # copied back once, not each time (a 100,000-employee import wrote 15% fewer bytes and
        # made 7% fewer write calls than with a checkpoint every 40 MB).
        cursor.execute("PRAGMA wal_autocheckpoint=50000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get(LONE_READS, False):
            return  # each statement on its own, as on PostgreSQL (see autocommit())
        # Writers take the lock up front so concurrent writers queue instead of failing.
        immediate = options.get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for lone reads, without ``BEGIN`` and ``ROLLBACK`` around each statement:
    each sees what was committed when it ran (PostgreSQL's READ COMMITTED, SQLite's
    autocommit mode). On PostgreSQL that is two round trips fewer; on SQLite two trips to
    aiosqlite's thread (the rollback of no transaction is not sent: ``lib/sqlite_driver.py``)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{LONE_READS: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


_LOST_CONNECTION = (
    asyncpg.PostgresConnectionError,  # closed in the middle of an operation, refused, ...
    asyncpg.AdminShutdownError,  # pg_terminate_backend, a server shutting down
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,  # a server starting up or shutting down
    asyncpg.exceptions.InternalClientError,  # the protocol state of a connection cut mid-way
    ConnectionError,
)


def _mark_lost_connections(context: ExceptionContext) -> None:
    """Tell SQLAlchemy a connection the server cut is gone, also where asyncpg's error does not
    say so in words SQLAlchemy knows: the connection is then invalidated instead of going back
    to the pool."""
    if isinstance(context.original_exception, _LOST_CONNECTION):
        context.is_disconnect = True


PING_AFTER_IDLE_SECONDS = 0.05
"""A pooled connection back in use sooner than this after its last use is not pinged."""
_CHECKED_IN = "kinerja_checked_in"


def _note_checkin(_dbapi_connection: AdaptedConnection, record: ConnectionPoolEntry) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping(
    dbapi_connection: AdaptedConnection, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """Replace a pooled connection the server has dropped before it is used (the pool then
    takes another, up to three times).

    Instead of SQLAlchemy's ``pool_pre_ping``, which costs three round trips on every checkout
    with asyncpg (``BEGIN``, ``;``, ``ROLLBACK``): none for a connection asyncpg already knows
    closed, else one ``SELECT 1``. The statement is needed: a backend terminated a moment
    ago may have sent its farewell without the socket being seen closed yet.

    A connection that worked less than :data:`PING_AFTER_IDLE_SECONDS` ago is not pinged: under
    load every connection comes back within milliseconds, and the round trip cost each request
    as much CPU as a small query. A backend that dies within that moment fails its request as
    one dying during the request would (503, retry later), and the pool replaces it.
    """
    driver = dbapi_connection.driver_connection
    if driver.is_closed():
        raise exc.DisconnectionError("the server closed the pooled connection")
    if time.monotonic() - record.info.get(_CHECKED_IN, 0.0) < PING_AFTER_IDLE_SECONDS:
        return
    try:
        await_only(driver.execute("SELECT 1"))
    except Exception as error:
        raise exc.DisconnectionError(f"the pooled connection failed: {error}") from error


async def round_trip(connection: AsyncConnection) -> None:
    """One statement straight through the driver on ``connection``: whether the database
    answers, for the cost of the round trip alone (SQLAlchemy's statement execution cost
    the health check a third more CPU than the round trip)."""
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if isinstance(driver, asyncpg.Connection):
        await driver.execute("SELECT 1")
        return
    cursor = await driver.execute("SELECT 1")  # aiosqlite
    await cursor.close()


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or dropped the connection
    (worth a retry later), as opposed to a mistake in the statement or the data."""
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, exc.OperationalError | exc.InterfaceError
        )
    return isinstance(error, (exc.TimeoutError, *_LOST_CONNECTION))


async def begin_write(session: AsyncSession) -> None:
    """Open the session's transaction as a writer (``BEGIN IMMEDIATE`` on SQLite).

    Must be the first database call of a unit of work, so the whole transaction holds the lock.
    On SQLite the writers of this process first queue for their turn (:func:`_writer_turn`).
    """
    if session.in_transaction():
        raise RuntimeError("begin_write() must start the unit of work")
    if is_postgres(session):
        await session.connection(execution_options={WRITE_OPTION: True})
        return
    turn = _writer_turn(session.get_bind())
    try:
        await asyncio.wait_for(turn.acquire(), WRITER_TURN_SECONDS)
    except TimeoutError:
        pass  # a turn held too long: BEGIN IMMEDIATE waits (or fails) as without the queue
    else:
        session.sync_session.info[WRITER_TURN] = turn
    try:
        await session.connection(execution_options={WRITE_OPTION: True})
    except BaseException:
        _end_turn(session.sync_session)
        raise


WRITER_TURN = "kinerja_writer_turn"
WRITER_TURN_SECONDS = 30
"""As long as SQLite's busy timeout: a writer waits no longer for its turn than for the lock."""
_turns: WeakKeyDictionary[
    Engine | Connection, WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
]
_turns = WeakKeyDictionary()


def _writer_turn(bind: Engine | Connection) -> asyncio.Lock:
    """The queue of this process's SQLite writers on ``bind``, in this event loop.

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps in
    growing steps (up to 100 ms) and so leaves the database idle between writers. Queued here
    first, each writer starts as soon as the one before it has ended; the busy handler is left
    to writers in other processes.
    """
    loops = _turns.setdefault(bind, WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    turn = loops.get(loop)
    if turn is None:
        turn = loops[loop] = asyncio.Lock()
    return turn


def _end_turn(session: Session) -> None:
    turn: asyncio.Lock | None = session.info.pop(WRITER_TURN, None)
    if turn is not None:
        turn.release()


@event.listens_for(Session, "after_transaction_end")
def _writer_done(session: Session, transaction: SessionTransaction) -> None:
    """The next writer's turn, once a writer's transaction has been committed or rolled back."""
    if transaction.parent is None:
        _end_turn(session)


@asynccontextmanager
async def reading(session: AsyncSession) -> AsyncIterator[None]:
    """Read only, in a unit of work of its own: on PostgreSQL without a transaction.

    Each statement then runs on its own, which under PostgreSQL's READ COMMITTED sees what a
    transaction would (every statement its own snapshot), without the ``BEGIN`` and ``ROLLBACK``
    round trips. SQLite keeps its transaction (a consistent snapshot, no network). Inside a
    transaction already open (a change about to be committed) the reads join it and see it.
    """
    if session.in_transaction() or not is_postgres(session):
        yield
        return
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield
    finally:
        await session.rollback()  # ends the unit of work and returns the connection


def is_postgres(session: AsyncSession) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


STATISTICS_WAIT = "5s"
"""How long :func:`refresh_statistics` waits for the tables it refreshes."""


async def refresh_statistics(engine: AsyncEngine, *tables: str, vacuum: bool = False) -> None:
    """Refresh PostgreSQL's statistics of ``tables`` after many rows were added to them: until
    then its plans are made for the small tables they were, and scan them whole (autovacuum
    would do it too, a minute or more later, where it runs at all). ``vacuum``: VACUUM them
    too, as PostgreSQL's manual advises after a bulk load, so that counting their rows reads
    only an index. Nothing on SQLite.

    A help, not a result: it waits at most a few seconds for the tables (another VACUUM may
    hold them), and a failure is logged, never raised to the work that asked for it. A role
    that does not own the tables gets PostgreSQL's warning and nothing done.
    """
    if engine.dialect.name != "postgresql":
        return
    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    try:
        async with autocommit(engine).connect() as connection:  # VACUUM runs outside a transaction
            await connection.execute(text(f"SET lock_timeout = '{STATISTICS_WAIT}'"))
            await connection.execute(text(f"{command} {', '.join(tables)}"))
    except Exception:
        logger.warning("refreshing the statistics of %s failed", ", ".join(tables), exc_info=True)


class Among(ColumnElement[bool]):
    """``column IN (...)`` over the list given at execution as the parameter ``name``; on
    PostgreSQL ``column = ANY(:name)``, one array parameter however many values (a thousand
    parameters cost more to render, send and plan than the query itself)."""

    inherit_cache = True
    _is_implicitly_boolean = True  # a condition itself: SQLite must not get "IN (...) = 1"
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any] | QueryableAttribute[Any], name: str) -> None:
        self.column = column.expression if isinstance(column, QueryableAttribute) else column
        self.name = name
        self.type = Boolean()


@compiles(Among)
def _in_list(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)


@compiles(Among, "postgresql")
def _any_array(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    array = bindparam(element.name, type_=ARRAY(element.column.type))
    return compiler.process(element.column == any_(array), **kw)
