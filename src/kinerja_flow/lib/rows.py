"""Reads that run a Core select straight on the database driver, skipping SQLAlchemy's
execution machinery.

SQLAlchemy spends about 200 µs of CPU on each statement it executes (an execution context, its
event hooks, a greenlet, a result object), three times what asyncpg itself spends on a small
query; a full appraisal is three or four such statements. Here a select built once (a module
constant) is compiled once per dialect, with its bind and result types' conversions looked up
once, and then each run is the driver's call and those conversions alone: the rows are the
driver's (asyncpg's records; sqlite3's tuples), indexed and sliced like SQLAlchemy's rows.

It reads where SQLAlchemy would: on the connection (or the session's connection) it is given,
inside that connection's transaction when one has been started on the driver, and otherwise
only on a connection in autocommit mode (PostgreSQL's ``AUTOCOMMIT``, SQLite's lone reads).
Anywhere else (a transaction SQLAlchemy has begun but not yet sent to PostgreSQL) the statement
goes through SQLAlchemy as usual, so no read ever lands outside the transaction it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from kinerja_flow.lib.sqlite_driver import OneTripConnection

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A select as one dialect's driver runs it."""

    sql: str
    names: tuple[str, ...]
    """The bound parameters, in the order the SQL takes them."""
    defaults: Mapping[str, Any]
    """The values of the parameters the select itself holds (literals it compared with)."""
    binds: tuple[Processor | None, ...]
    """Each parameter's conversion for the driver, in that order (None: as it is)."""
    results: tuple[tuple[int, Processor], ...]
    """The result columns that need converting, by position, and how."""


_compiled: dict[tuple[Select[Any], str], _Compiled] = {}
MAX_COMPILED = 512
"""Selects kept compiled; meant for selects built once, so the limit is never reached (if it
is, the cache starts over rather than grow)."""


async def fetch_all(
    reader: AsyncSession | AsyncConnection, statement: Select[Any], params: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """Every row of ``statement`` (a select built once) with ``params``, read by ``reader``."""
    connection = reader if isinstance(reader, AsyncConnection) else await reader.connection()
    raw = (await connection.get_raw_connection()).dbapi_connection
    driver = None if raw is None else raw.driver_connection
    if isinstance(driver, asyncpg.Connection):
        if driver.is_in_transaction() or _autocommit(connection):
            compiled = await _compile(statement, connection.dialect, driver)
            records = await driver.fetch(compiled.sql, *_arguments(compiled, params))
            return _converted(compiled, records)
    elif isinstance(raw, OneTripConnection):
        compiled = await _compile(statement, connection.dialect, None)
        return _converted(compiled, await raw.fetch(compiled.sql, _arguments(compiled, params)))
    result: Sequence[Sequence[Any]] = (await connection.execute(statement, params)).all()
    return result


async def fetch_one(
    reader: AsyncSession | AsyncConnection, statement: Select[Any], params: Mapping[str, Any]
) -> Sequence[Any]:
    """The one row of ``statement`` (an aggregate, say)."""
    rows = await fetch_all(reader, statement, params)
    if len(rows) != 1:
        raise ValueError(f"{len(rows)} rows where one was expected")
    return rows[0]


def _autocommit(connection: AsyncConnection) -> bool:
    options = connection.sync_engine.get_execution_options()
    if connection.sync_connection is not None:
        options = connection.sync_connection.get_execution_options()
    return bool(options.get("isolation_level") == "AUTOCOMMIT")


async def _compile(
    statement: Select[Any], dialect: Dialect, postgres: asyncpg.Connection | None
) -> _Compiled:
    """``statement`` as ``dialect``'s driver runs it, compiled on its first run in the process;
    ``postgres``: the connection that first run is on (for its column types)."""
    key = (statement, dialect.name)
    found = _compiled.get(key)
    if found is not None:
        return found
    compiled = statement.compile(dialect=dialect)
    column_types: list[Any] = [None] * len(statement.selected_columns)
    if postgres is not None:
        # The conversion of a result column may depend on the type the server sends
        # (asyncpg's numeric, say), as SQLAlchemy's adapter tells it from the statement.
        prepared = await postgres.prepare(compiled.string)
        column_types = [attribute.type.oid for attribute in prepared.get_attributes()]
    names = tuple(compiled.positiontup or ())
    if any(compiled.binds[name].expanding for name in names):
        raise ValueError("fetch_all() takes no expanding (IN list) parameters")
    binds = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    results = tuple(
        (index, processor)
        for index, (column, column_type) in enumerate(
            zip(statement.selected_columns, column_types, strict=True)
        )
        if (processor := column.type.dialect_impl(dialect).result_processor(dialect, column_type))
        is not None
    )
    defaults = {name: bind.value for name, bind in compiled.binds.items() if bind.value is not None}
    found = _Compiled(compiled.string, names, defaults, binds, results)
    if len(_compiled) >= MAX_COMPILED:
        _compiled.clear()
    _compiled[key] = found
    return found


def _arguments(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    defaults = compiled.defaults
    values = [params[name] if name in params else defaults[name] for name in compiled.names]
    for position, bind in enumerate(compiled.binds):
        if bind is not None:
            values[position] = bind(values[position])
    return values


def _converted(compiled: _Compiled, rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    if not compiled.results or not rows:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for index, processor in compiled.results:
            values[index] = processor(values[index])
        converted.append(values)
    return converted
