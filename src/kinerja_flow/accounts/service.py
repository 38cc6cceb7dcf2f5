"""Sign-in, emailed links redeemed (invitation, password reset), the first admin, throttling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.security.jwt import Token
from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from kinerja_flow.accounts.links import (
    INVITATION,
    PASSWORD_RESET,
    claim_link,
    token_digest,
    void_links,
)
from kinerja_flow.accounts.models import Account, AccountToken, LoginFailure, role_set
from kinerja_flow.accounts.resets import reset_email
from kinerja_flow.accounts.schemas import ResetPassword, SetPassword, TokenRequest, TokenResponse
from kinerja_flow.accounts.throttle import Limit, count_attempt
from kinerja_flow.audit.service import AuditEntry, append
from kinerja_flow.config import Settings
from kinerja_flow.i18n import _
from kinerja_flow.lib.actor import SYSTEM, Actor
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import Conflict, FieldError, Invalid, NotAuthenticated
from kinerja_flow.lib.passwords import weakness
from kinerja_flow.lib.principal import KnownCaller, Principal
from kinerja_flow.lib.rows import fetch_all
from kinerja_flow.notifications.outbox import release_held
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.context import AppContext

JWT_ALGORITHM = "HS256"
EPOCH_CLAIM = "epoch"
IP_LIMIT_FACTOR = 4

_INVALID_LINK = {
    INVITATION: _("This link is invalid, already used or expired; ask HR for a new invitation."),
    PASSWORD_RESET: _(
        "This link is invalid, already used or expired; ask for a new one with 'forgot password'."
    ),
}
_LINK_ACTION = {INVITATION: "account.password_set", PASSWORD_RESET: "account.password_reset"}


def issue_token(settings: Settings, account_id: int, epoch: int) -> str:
    """A signed bearer token for the account's credential ``epoch``.

    Its expiry is checked against real time, not the app clock.
    """
    expires = datetime.now(UTC) + timedelta(minutes=settings.access_token_minutes)
    return Token(sub=str(account_id), exp=expires, extras={EPOCH_CLAIM: epoch}).encode(
        settings.secret_key, JWT_ALGORITHM
    )


def normalise(username: str) -> str:
    """NIP or email as stored: no surrounding spaces, email in lower case."""
    return username.strip().lower()


async def find_account(session: AsyncSession, username: str) -> Account | None:
    """The account a NIP or an email address (already normalised) names."""
    if "@" in username:
        return await session.scalar(select(Account).where(Account.email == username))
    return await session.scalar(
        select(Account)
        .join(Employee, Account.employee_id == Employee.id)
        .where(Employee.nip == username)
    )


def _name_key(username: str) -> str:
    """A throttle key's part for a name as typed: its hash, so a name of any length fits the
    key column (normalised first, so ``Budi@X`` and ``budi@x`` count together)."""
    return token_digest(normalise(username))


class AccountService:
    """What anyone may do about their own account, signed in or not (and the first admin)."""

    def __init__(self, session: AsyncSession, ctx: AppContext) -> None:
        self.session = session
        self.ctx = ctx

    async def create_admin(self, email: str, password: str) -> Account:
        email = normalise(email)
        if problem := weakness(password, [email]):
            raise Invalid(problem, errors=[FieldError("password", problem)])
        password_hash = await self.ctx.passwords.hash_async(password)
        await begin_write(self.session)
        if await self.session.scalar(select(Account.id).where(Account.email == email)):
            raise Conflict(_("An account with email {email} already exists."), email=email)
        now = self.ctx.clock.now()
        account = Account(
            email=email,
            roles="",
            granted_roles="hr",
            locale=self.ctx.settings.default_locale,
            active=True,
            password_hash=password_hash,
            password_set_at=now,
            created_at=now,
            updated_at=now,
        )
        self.session.add(account)
        await self.session.flush()
        await append(
            self.session,
            self.ctx.audit_key,
            SYSTEM,
            now,
            [
                AuditEntry(
                    "account.admin_created",
                    "account",
                    account.id,
                    data={"email": email, "roles": "hr"},
                )
            ],
        )
        await self.session.commit()
        return account

    async def set_password(self, data: SetPassword) -> None:
        """Redeem an invitation: once, before it expires, with a strong password."""
        await self._redeem(data.token, INVITATION, data.password)

    async def reset_password(self, data: ResetPassword) -> None:
        """Redeem a password-reset link: once, before it expires, with a strong password."""
        await self._redeem(data.token, PASSWORD_RESET, data.password)

    async def forgot_password(self, username: str, client: str) -> None:
        """Count a request for a reset link (throttled like sign-in); nothing is looked up.

        The answer must not tell whether ``username`` exists, so the link is made and emailed
        by :func:`send_reset_link`, after the answer has been sent.
        """
        settings = self.ctx.settings
        await count_attempt(
            self.session,
            self.ctx.clock.now(),
            timedelta(minutes=settings.login_window_minutes),
            [
                Limit(f"reset:{_name_key(username)}", settings.login_max_failures),
                Limit(f"reset-ip:{client}", settings.login_max_failures * IP_LIMIT_FACTOR),
            ],
            _("Too many password reset requests; try again in {minutes} minute(s)."),
        )

    async def send_reset_link(self, username: str) -> None:
        """Email a new reset link to the active account ``username`` names, if there is one.

        Earlier reset links of the account stop working.
        """
        await begin_write(self.session)
        account = await find_account(self.session, normalise(username))
        if account is None or not account.active:
            await self.session.rollback()
            return
        now = self.ctx.clock.now()
        name = account.email
        if account.employee_id is not None:
            name = (await self.session.get_one(Employee, account.employee_id)).name
        await void_links(self.session, account.id, now, PASSWORD_RESET)
        email = reset_email(self.session, self.ctx, now, account, name)
        await append(
            self.session,
            self.ctx.audit_key,
            SYSTEM,
            now,
            [AuditEntry("account.reset_link_sent", "account", account.id)],
        )
        await self.ctx.outbox.enqueue(self.session, now, [email])
        await self.session.commit()

    async def login(self, data: TokenRequest, client: str) -> TokenResponse:
        """A bearer token for the right password; every attempt is counted before the check."""
        account_id, epoch = await self.authenticate(data, client)
        return TokenResponse(access_token=issue_token(self.ctx.settings, account_id, epoch))

    async def authenticate(self, data: TokenRequest, client: str) -> tuple[int, int]:
        """The account id and credential epoch for the right password (401 otherwise, 429
        past the limit); every attempt is counted before the check. Used by the API's token
        and the web's sign-in alike."""
        username = normalise(data.username)
        now = self.ctx.clock.now()
        settings = self.ctx.settings
        account = await find_account(self.session, username)
        # Attempts count per account, so the NIP and the email of one person share a limit.
        key = f"account:{account.id}" if account else f"user:{_name_key(username)}"
        identity = (
            (account.id, account.email, account.password_hash, account.credential_epoch)
            if account and account.active
            else None
        )
        await self.session.rollback()
        attempt = await count_attempt(
            self.session,
            now,
            timedelta(minutes=settings.login_window_minutes),
            [
                Limit(key, settings.login_max_failures),
                Limit(f"ip:{client}", settings.login_max_failures * IP_LIMIT_FACTOR),
            ],
            _("Too many failed sign-ins; try again in {minutes} minute(s)."),
        )
        # The slow hash check runs outside any transaction; a failure is already counted.
        ok = await self.ctx.passwords.verify_async(identity[2] if identity else None, data.password)
        if not ok or identity is None:
            raise NotAuthenticated(_("Wrong username or password."))
        account_id, email, _hash, epoch = identity
        await begin_write(self.session)
        await self.session.execute(
            delete(LoginFailure).where(or_(LoginFailure.key == key, LoginFailure.id.in_(attempt)))
        )
        await append(
            self.session,
            self.ctx.audit_key,
            Actor(account_id, email),
            now,
            [AuditEntry("account.login", "account", account_id, data={"client": client})],
        )
        await self.session.commit()
        return account_id, epoch

    async def set_locale(self, account_id: int, locale: str) -> None:
        """The language the account reads pages, emails and messages in (audited)."""
        await self.set_preferences(account_id, locale=locale)

    async def set_preferences(
        self, account_id: int, *, locale: str | None = None, digest: bool | None = None
    ) -> None:
        """The account's own settings, each change audited: the language it reads pages,
        emails and messages in; the daily digest instead of an email per event (turned off,
        what it still held is sent at once)."""
        await begin_write(self.session)
        account = await self.session.get_one(Account, account_id)
        entries = []
        if locale is not None and account.locale != locale:
            entries.append(
                AuditEntry(
                    "account.locale_set",
                    "account",
                    account.id,
                    data={"before": account.locale, "after": locale},
                )
            )
            account.locale = locale
        if digest is not None and account.digest != digest:
            entries.append(
                AuditEntry(
                    "account.digest_set",
                    "account",
                    account.id,
                    data={"before": account.digest, "after": digest},
                )
            )
            account.digest = digest
            if not digest:
                await release_held(self.session, account.email, self.ctx.clock.now())
        if entries:
            now = self.ctx.clock.now()
            account.updated_at = now
            await append(
                self.session, self.ctx.audit_key, Actor(account.id, account.email), now, entries
            )
        await self.session.commit()

    async def _redeem(self, token: str, purpose: str, password: str) -> None:
        """Set the password of the link's account; the link, and every other, is used up.

        The password is judged and hashed before the write transaction; the link is then
        claimed with one conditional update, so of simultaneous uses exactly one succeeds.
        """
        now = self.ctx.clock.now()
        digest = token_digest(token)
        found = (
            await self.session.execute(
                select(AccountToken.account_id, Account.email, Account.employee_id)
                .join(Account, Account.id == AccountToken.account_id)
                .where(
                    AccountToken.token_hash == digest,
                    AccountToken.purpose == purpose,
                    AccountToken.used_at.is_(None),
                    AccountToken.expires_at >= now,
                    Account.active.is_(True),
                )
            )
        ).one_or_none()
        if found is None:
            raise self._invalid_link(purpose)
        account_id, email, employee_id = found
        personal = [email]
        if employee_id is not None:
            employee = await self.session.get_one(Employee, employee_id)
            personal += [employee.nip, *employee.name.split()]
        if problem := weakness(password, personal):
            raise Invalid(problem, errors=[FieldError("password", problem)])
        await self.session.rollback()
        password_hash = await self.ctx.passwords.hash_async(password)
        await begin_write(self.session)
        if await claim_link(self.session, digest, purpose, now) != account_id:
            await self.session.rollback()
            raise self._invalid_link(purpose)
        account = await self.session.get_one(
            Account, account_id, with_for_update=True, populate_existing=True
        )
        if not account.active:
            await self.session.rollback()
            raise self._invalid_link(purpose)
        account.password_hash = password_hash
        account.password_set_at = now
        account.credential_epoch += 1
        account.updated_at = now
        await void_links(self.session, account.id, now)
        await append(
            self.session,
            self.ctx.audit_key,
            Actor(account.id, account.email),
            now,
            [AuditEntry(_LINK_ACTION[purpose], "account", account.id)],
        )
        await self.session.commit()

    @staticmethod
    def _invalid_link(purpose: str) -> Invalid:
        return Invalid(
            _INVALID_LINK[purpose],
            errors=[FieldError("token", _("Invalid, used or expired token."))],
        )


async def send_reset_link(ctx: AppContext, username: str) -> None:
    """:meth:`AccountService.send_reset_link` in a session of its own: run it after answering
    a forgot-password request (e.g. as the response's background task)."""
    async with ctx.sessions() as session:
        await AccountService(session, ctx).send_reset_link(username)


_accounts = Account.__table__
PRINCIPAL_COLUMNS = tuple(
    _accounts.c[name]
    for name in ("employee_id", "email", "roles", "granted_roles", "locale", "credential_epoch")
)
"""What a principal is made of, read on every request (alone, or beside a web session)."""
PRINCIPAL = select(*PRINCIPAL_COLUMNS).where(
    _accounts.c.id == bindparam("account_id", type_=_accounts.c.id.type),
    _accounts.c.active,
)
"""The caller behind account ``:account_id``, if active: built once (it runs on every request)."""


async def load_principal(
    session: AsyncSession | AsyncConnection, account_id: int, epoch: int | None
) -> Principal | None:
    """The person behind a token or session of credential ``epoch``; None once revoked.
    ``epoch=None`` is for trusted callers (the command line, the demo seed) that hold no token.
    """
    return (await read_caller(session, account_id)).signed_in_with(epoch)


async def read_caller(session: AsyncSession | AsyncConnection, account_id: int) -> KnownCaller:
    """Account ``account_id`` as a caller: one indexed row of six columns, read without
    loading the account as an object (this runs for every request the cache cannot answer)."""
    rows = await fetch_all(session, PRINCIPAL, {"account_id": account_id})
    return known_caller(rows[0] if rows else None, account_id)


def principal_of(
    values: Sequence[Any] | None, account_id: int, epoch: int | None
) -> Principal | None:
    """The principal of the values of :data:`PRINCIPAL_COLUMNS` (None for a missing or
    inactive account: all None), if its credential epoch is still ``epoch``."""
    return known_caller(values, account_id).signed_in_with(epoch)


def known_caller(values: Sequence[Any] | None, account_id: int) -> KnownCaller:
    """The caller of the values of :data:`PRINCIPAL_COLUMNS`, in their order."""
    if values is None or values[5] is None:
        return KnownCaller(principal=None, epoch=None)
    employee_id, email, roles, granted_roles, locale, epoch = values
    principal = Principal(
        account_id=account_id,
        employee_id=employee_id,
        email=email,
        roles=role_set(roles, granted_roles),
        locale=locale,
    )
    return KnownCaller(principal=principal, epoch=epoch)
