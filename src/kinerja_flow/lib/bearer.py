"""Bearer tokens in the ``Authorization`` header, and nothing else (RFC 6750, section 2.1)."""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuthenticationMiddleware

_CREDENTIALS = re.compile(r"Bearer +([A-Za-z0-9._~+/-]+=*)", re.IGNORECASE)
"""The scheme (any case), one or more spaces, one token68; no other scheme, no extra parts."""


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else ``None``."""
    found = _CREDENTIALS.fullmatch(header or "")
    return found.group(1) if found else None


class BearerAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware takes whatever follows the first space under any scheme
    (``Basic <jwt>`` passed); this one accepts the Bearer scheme only."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = bearer_token(connection.headers.get(self.auth_header))
        if token is None:
            raise NotAuthorizedException("Authorization must be 'Bearer <token>'")
        return await self.authenticate_token(encoded_token=token, connection=connection)
