"""Bearer tokens in the ``Authorization`` header, and nothing else (RFC 6750, section 2.1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuthenticationMiddleware, Token

_CREDENTIALS = re.compile(r"Bearer +([A-Za-z0-9._~+/-]+=*)", re.IGNORECASE)
"""The scheme (any case), one or more spaces, one token68; no other scheme, no extra parts."""

VERIFIED_TOKENS = 4096
"""How many verified tokens are kept, so a caller's next request skips the signature check."""


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else ``None``."""
    found = _CREDENTIALS.fullmatch(header or "")
    return found.group(1) if found else None


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(encoded_token: str, secret: str, algorithm: str) -> Token:
    """The token once its signature and claims are checked (raises 401 otherwise; refusals
    are not kept). Its expiry is checked again on every use."""
    return Token.decode(encoded_token=encoded_token, secret=secret, algorithm=algorithm)


class BearerAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware takes whatever follows the first space under any scheme
    (``Basic <jwt>`` passed); this one accepts the Bearer scheme only, and checks a token's
    signature once, not on each of a caller's requests. Our tokens name no audience, issuer
    or revocation handler, so none is checked here."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = bearer_token(connection.headers.get(self.auth_header))
        if token is None:
            raise NotAuthorizedException("Authorization must be 'Bearer <token>'")
        return await self.authenticate_token(encoded_token=token, connection=connection)

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = _verified(encoded_token, self.token_secret, self.algorithm)
        if token.exp <= datetime.now(UTC):
            raise NotAuthorizedException("Invalid token")
        user = await self.retrieve_user_handler(token, connection)
        if not user:
            raise NotAuthorizedException()
        return AuthenticationResult(user=user, auth=token)
