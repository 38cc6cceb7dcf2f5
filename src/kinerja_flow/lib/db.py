"""Engine, declarative base and transaction helpers shared by every domain package."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.base import convention
from advanced_alchemy.types import BigIntIdentity, DateTimeUTC
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool

WRITE_OPTION = "kinerja_write"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=convention)
    type_annotation_map = {datetime: DateTimeUTC(timezone=True), int: BigIntIdentity}


class IdMixin:
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)


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
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(database_url, **kwargs)
    engine = create_async_engine(database_url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the lock up front so concurrent writers queue instead of failing.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


async def begin_write(session: AsyncSession) -> None:
    """Open the session's transaction as a writer (``BEGIN IMMEDIATE`` on SQLite).

    Must be the first database call of a unit of work, so the whole transaction holds the lock.
    """
    if session.in_transaction():
        raise RuntimeError("begin_write() must start the unit of work")
    await session.connection(execution_options={WRITE_OPTION: True})


def is_postgres(session: AsyncSession) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"
