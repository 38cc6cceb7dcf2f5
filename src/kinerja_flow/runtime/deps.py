"""Dependencies every controller may ask for by name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol, TypeVar

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.lib.principal import Principal
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.service import Service

ServiceT = TypeVar("ServiceT", bound=Service)


def provide_ctx(state: State) -> AppContext:
    ctx: AppContext = state.ctx
    return ctx


async def provide_db_session(state: State) -> AsyncIterator[AsyncSession]:
    """One session per request; services commit explicitly, anything left is rolled back."""
    ctx: AppContext = state.ctx
    async with ctx.sessions() as session:
        yield session


def service_provider(service: type[ServiceT]) -> Provide:
    """Provide ``service`` built for this request: its session, the app context, the caller.

    The context and the caller come from the request itself, not as dependencies: with the
    session as its only dependency Litestar resolves it directly, where three at one level
    cost a task group and a task each on every request (6-8% of a list request's CPU).
    """

    def provide(
        db_session: NamedDependency[AsyncSession],
        state: State,
        request: Request[Principal, Any, State],
    ) -> Service:
        return service(db_session, state.ctx, request.user)

    return Provide(provide, sync_to_thread=False)


class PublicService(Protocol):
    def __init__(self, session: AsyncSession, ctx: AppContext) -> None: ...


PublicT = TypeVar("PublicT", bound=PublicService)


def public_service_provider(service: type[PublicT]) -> Provide:
    """Provide ``service`` for a public route: its session and the app context, no caller."""

    def provide(db_session: NamedDependency[AsyncSession], state: State) -> PublicService:
        return service(db_session, state.ctx)

    return Provide(provide, sync_to_thread=False)


def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    return request.user
