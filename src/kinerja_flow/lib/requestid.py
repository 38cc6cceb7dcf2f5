"""A request id for every HTTP request: in the logs, the ``X-Request-ID`` header and error bodies.

A caller (or the reverse proxy in front of us) may send its own ``X-Request-ID``; a sane one
(letters, digits, ``._-``, at most 64) is kept so one id follows the request across systems,
anything else is replaced by a fresh one.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def request_id_of(scope: Scope | Any) -> str | None:
    """The id given to the request whose scope this is (None outside a request)."""
    state = scope.get("state") if isinstance(scope, dict) else None
    value = state.get("request_id") if isinstance(state, dict) else None
    return value if isinstance(value, str) else None


class RequestIdMiddleware:
    """Plain ASGI middleware (cheap on the hot path): assign, remember, answer with the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        text = given.decode("latin-1")
        request_id = text if _SANE.fullmatch(text) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        header = (HEADER.encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Nothing else sets this header: added, without searching the others for it.
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
