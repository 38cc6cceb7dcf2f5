"""The app under test: one application object per worker and settings, a new context per test.

Building the Litestar application (every route handler's signature parsed, the workflows loaded
and checked) took longer than many tests. The application object holds nothing of a test's own:
requests and lifespan hooks read the context from ``app.state``. So the object is built once per
worker for each set of settings that shapes it, and every test gets a fresh :class:`AppContext`
(its database, mail server, clock, evidence folder, password hasher) in its state.

Database sessions are pooled where that is safe: Litestar's test client runs the app on an event
loop of its own (in a thread); the test body, and the tests that drive the same app over ASGI to
make requests overlap, run on the test's loop. A pooled connection must never move between loops
(an asyncpg connection used across loops once crashed the interpreter), so the app gets one
pooled engine per loop it is served on, closed on that loop when the app shuts down, while the
test's own loop keeps a connection per session as before (overlapping requests race on real,
separate connections).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Hashable
from typing import Any

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from kinerja_flow.accounts.callers import CALLERS, caller_cache
from kinerja_flow.app import create_app
from kinerja_flow.clock import Clock
from kinerja_flow.config import Settings
from kinerja_flow.lib.db import autocommit, create_engine
from kinerja_flow.lib.listened_cache import ListenedCache
from kinerja_flow.lib.passwords import Passwords
from kinerja_flow.lib.principal import KnownCaller
from kinerja_flow.runtime.context import AppContext
from tests.support.seed import shape_of


class LoopSessions(async_sessionmaker[AsyncSession]):
    """``ctx.sessions`` whose sessions bind to an engine of the loop they are opened on."""

    def __init__(
        self,
        database_url: str,
        test_loop: asyncio.AbstractEventLoop,
        callers: ListenedCache[int, KnownCaller],
    ) -> None:
        super().__init__(expire_on_commit=False, info={CALLERS: callers})
        self._url = database_url
        self._test_loop = test_loop
        self._engines: dict[asyncio.AbstractEventLoop, AsyncEngine] = {}
        self._autocommit: dict[asyncio.AbstractEventLoop, AsyncEngine] = {}

    def engine(self) -> AsyncEngine:
        loop = asyncio.get_running_loop()
        engine = self._engines.get(loop)
        if engine is None:
            engine = create_engine(self._url, pooled=loop is not self._test_loop)
            self._engines[loop] = engine
        return engine

    def autocommit(self) -> AsyncConnection:
        """``ctx.autocommit``: a connection of this loop's engine, for lone statements."""
        loop = asyncio.get_running_loop()
        engine = self._autocommit.get(loop)
        if engine is None:
            engine = self._autocommit[loop] = autocommit(self.engine())
        return engine.connect()

    def __call__(self, **local_kw: Any) -> AsyncSession:
        engine = self.engine()
        bind = local_kw.pop("bind", None)
        if bind is not None:  # e.g. ctx.engine with other options: the same, on this loop
            engine = engine.execution_options(**bind.get_execution_options())
        return super().__call__(bind=engine, **local_kw)

    async def dispose_here(self) -> None:
        """Close the connections of the running loop's engine (call it on that loop)."""
        self._autocommit.pop(asyncio.get_running_loop(), None)
        engine = self._engines.pop(asyncio.get_running_loop(), None)
        if engine is not None:
            await engine.dispose()


_apps: dict[Hashable, tuple[Litestar, AppContext]] = {}


async def _close_loop_pool(app: Litestar) -> None:
    sessions = app.state.ctx.sessions
    if isinstance(sessions, LoopSessions):
        await sessions.dispose_here()


def app_for(settings: Settings, clock: Clock) -> Litestar:
    """The application for ``settings``, holding a new context for this test (on its loop)."""
    shape = shape_of(settings)
    found = _apps.get(shape)
    if found is None:
        app = create_app(settings, clock)
        app.on_shutdown.append(_close_loop_pool)  # runs first, on the loop that served
        found = _apps[shape] = (app, app.state.ctx)
    app, built = found
    callers = caller_cache()
    sessions = LoopSessions(settings.database_url, asyncio.get_running_loop(), callers)
    app.state.ctx = dataclasses.replace(
        built,
        settings=settings,
        clock=clock,
        engine=create_engine(settings.database_url, pooled=False),
        sessions=sessions,
        autocommit=sessions.autocommit,
        callers=callers,
        passwords=Passwords(settings.password_time_cost, settings.password_memory_kib),
    )
    return app
