"""Server-side sessions: a random secret in an HttpOnly cookie, its hash in ``web_sessions``.

A session names the account and the account's credential epoch at sign-in; it is refused
(and removed) once the epoch moved (a new password, a deactivation), once it was idle too
long, or after signing out. The last-seen time is written at most every few minutes, so a
page view is normally a read only.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from litestar.datastructures import Cookie
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import and_, bindparam, delete, select, update

from kinerja_flow.accounts.models import Account
from kinerja_flow.accounts.service import PRINCIPAL_COLUMNS, principal_of
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.principal import Principal
from kinerja_flow.lib.rows import fetch_all
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.web.models import WebSession

SESSION_COOKIE = "kinerja_session"
TOUCH_EVERY = timedelta(minutes=5)
"""How stale ``last_seen_at`` may get before a request writes it again."""


_SESSION_PRINCIPAL = (
    select(
        WebSession.account_id,
        WebSession.credential_epoch.label("session_epoch"),
        WebSession.last_seen_at,
        *PRINCIPAL_COLUMNS,
    )
    .outerjoin(Account, and_(Account.id == WebSession.account_id, Account.active))
    .where(
        WebSession.token_hash == bindparam("digest"),
        WebSession.expires_at > bindparam("now", type_=WebSession.expires_at.type),
    )
)
"""A live session and its account's principal columns (all None: no longer active), in one
round trip: this runs for every page."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_cookie(ctx: AppContext, token: str | None) -> Cookie:
    """The cookie that carries ``token``; ``None`` makes one that removes it."""
    return Cookie(
        key=SESSION_COOKIE,
        value=token or "",
        path="/",
        httponly=True,
        samesite="lax",
        secure=ctx.settings.base_url.startswith("https://"),
        max_age=None if token else 0,
    )


class WebSessions:
    """Start, find and end sessions; each call is its own unit of work."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.ctx.settings.session_idle_minutes)

    async def start(self, account_id: int, epoch: int) -> str:
        """A new session for the account (never a reused one); returns the cookie's secret.

        Expired sessions of everyone are removed on the way (the index makes it cheap).
        """
        token = secrets.token_urlsafe(32)
        now = self.ctx.clock.now()
        async with self.ctx.sessions() as session:
            await begin_write(session)
            await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
            session.add(
                WebSession(
                    token_hash=_digest(token),
                    account_id=account_id,
                    credential_epoch=epoch,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.idle,
                )
            )
            await session.commit()
        return token

    async def principal(self, token: str) -> Principal | None:
        """Who holds the session ``token``; None when it is unknown, expired or revoked."""
        now = self.ctx.clock.now()
        digest = _digest(token)
        # A lone read on a connection (no ORM session, on PostgreSQL no transaction).
        async with self.ctx.autocommit() as connection:
            params = {"digest": digest, "now": now}
            rows = await fetch_all(connection, _SESSION_PRINCIPAL, params)
        if not rows:
            return None
        account_id, session_epoch, last_seen_at, *values = rows[0]
        principal = principal_of(values, account_id, session_epoch)
        if principal is None:
            await self.end(token)
            return None
        if now - last_seen_at >= TOUCH_EVERY:
            await self._touch(digest, now)
        return principal

    async def _touch(self, digest: str, now: datetime) -> None:
        async with self.ctx.sessions() as session:
            await begin_write(session)
            await session.execute(
                update(WebSession)
                .where(WebSession.token_hash == digest)
                .values(last_seen_at=now, expires_at=now + self.idle)
            )
            await session.commit()

    async def end(self, token: str) -> None:
        """Sign the session out: the same cookie is refused from now on."""
        async with self.ctx.sessions() as session:
            await begin_write(session)
            await session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
            await session.commit()


class SessionMiddleware(ASGIMiddleware):
    """Put the signed-in person (or None) in ``scope["user"]`` for the web pages.

    The services read the caller from there, as they read the bearer token's principal on
    the API.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        ctx: AppContext = scope["litestar_app"].state.ctx
        token = _cookie(scope, SESSION_COOKIE)
        principal = await WebSessions(ctx).principal(token) if token else None
        scope["user"] = principal
        await next_app(scope, receive, send)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                cookie_name, _sep, cookie_value = part.strip().partition("=")
                if cookie_name == name and cookie_value:
                    return cookie_value
    return None
