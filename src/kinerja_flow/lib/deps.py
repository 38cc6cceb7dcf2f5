"""Dependencies every controller may ask for by name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.authz import Principal
from kinerja_flow.context import AppContext


def provide_ctx(state: State) -> AppContext:
    ctx: AppContext = state.ctx
    return ctx


async def provide_db_session(state: State) -> AsyncIterator[AsyncSession]:
    """One session per request; services commit explicitly, anything left is rolled back."""
    ctx: AppContext = state.ctx
    async with ctx.sessions() as session:
        yield session


def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    return request.user
