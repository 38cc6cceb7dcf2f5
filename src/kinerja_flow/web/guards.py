"""Who may open a page: signed in, or holding a global role (the services decide the rest).

Coroutines, though they await nothing: Litestar runs a guard that is a plain function in a
worker thread.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from kinerja_flow.lib.principal import AUDITOR, HR, Principal, require
from kinerja_flow.web.errors import SignInRequired


async def signed_in_only(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    if connection.scope.get("user") is None:
        raise SignInRequired()


async def hr_or_auditor(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """The HR pages: HR acts there, auditors read (each action is checked by its service)."""
    principal: Principal | None = connection.scope.get("user")
    if principal is None:
        raise SignInRequired()
    require(principal, HR, AUDITOR)
