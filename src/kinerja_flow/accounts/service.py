"""Sign-in, invitations redeemed, the first admin, and throttling of failed logins."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from litestar.security.jwt import Token
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.invitations import INVITATION, token_digest
from kinerja_flow.accounts.models import Account, AccountToken, LoginFailure
from kinerja_flow.accounts.schemas import SetPassword, TokenRequest, TokenResponse
from kinerja_flow.audit.service import AuditEntry, append
from kinerja_flow.i18n import _
from kinerja_flow.lib.actor import SYSTEM, Actor
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import Conflict, FieldError, Invalid, NotAuthenticated, TooManyRequests
from kinerja_flow.lib.passwords import weakness
from kinerja_flow.lib.principal import Principal
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.context import AppContext

JWT_ALGORITHM = "HS256"
EPOCH_CLAIM = "epoch"
IP_LIMIT_FACTOR = 4


class AccountService:
    def __init__(self, session: AsyncSession, ctx: AppContext) -> None:
        self.session = session
        self.ctx = ctx

    async def create_admin(self, email: str, password: str) -> Account:
        email = email.strip().lower()
        if problem := weakness(password, [email]):
            raise Invalid(problem, errors=[FieldError("password", problem)])
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
            password_hash=self.ctx.passwords.hash(password),
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
        """Redeem an invitation: single use, before it expires, with a strong password."""
        await begin_write(self.session)
        now = self.ctx.clock.now()
        record = await self.session.scalar(
            select(AccountToken).where(
                AccountToken.token_hash == token_digest(data.token),
                AccountToken.purpose == INVITATION,
            )
        )
        if record is None or record.used_at is not None or record.expires_at < now:
            raise Invalid(
                _("This link is invalid, already used or expired; ask HR for a new invitation."),
                errors=[FieldError("token", _("Invalid, used or expired token."))],
            )
        account = await self.session.get_one(Account, record.account_id)
        personal = [account.email]
        if account.employee_id is not None:
            employee = await self.session.get_one(Employee, account.employee_id)
            personal += [employee.nip, *employee.name.split()]
        if problem := weakness(data.password, personal):
            raise Invalid(problem, errors=[FieldError("password", problem)])
        account.password_hash = self.ctx.passwords.hash(data.password)
        account.password_set_at = now
        account.credential_epoch += 1
        account.updated_at = now
        record.used_at = now
        await append(
            self.session,
            self.ctx.audit_key,
            Actor(account.id, account.email),
            now,
            [AuditEntry("account.password_set", "account", account.id)],
        )
        await self.session.commit()

    async def login(self, data: TokenRequest, client: str) -> TokenResponse:
        username = data.username.strip().lower()
        now = self.ctx.clock.now()
        account = await self._find(username)
        # Failures count per account, so the NIP and the email of one person share a limit.
        # An unknown name counts by its hash: any length fits the key column.
        unknown = hashlib.sha256(username.encode()).hexdigest()
        key = f"account:{account.id}" if account else f"user:{unknown}"
        await self._throttle(key, client, now)
        identity = (
            (account.id, account.email, account.password_hash, account.credential_epoch)
            if account and account.active
            else None
        )
        await self.session.rollback()  # the slow hash check runs outside any transaction
        ok = self.ctx.passwords.verify(identity[2] if identity else None, data.password)
        await begin_write(self.session)
        if not ok or identity is None:
            self.session.add_all(
                [
                    LoginFailure(key=key, at=now),
                    LoginFailure(key=f"ip:{client}", at=now),
                ]
            )
            await self.session.commit()
            raise NotAuthenticated(_("Wrong username or password."))
        account_id, email, _hash, epoch = identity
        await self.session.execute(delete(LoginFailure).where(LoginFailure.key == key))
        await append(
            self.session,
            self.ctx.audit_key,
            Actor(account_id, email),
            now,
            [AuditEntry("account.login", "account", account_id, data={"client": client})],
        )
        await self.session.commit()
        return TokenResponse(access_token=self.issue_token(account_id, epoch))

    def issue_token(self, account_id: int, epoch: int) -> str:
        """A signed bearer token for the account's current credential epoch.

        Its expiry is checked against real time, not the app clock.
        """
        expires = datetime.now(UTC) + timedelta(minutes=self.ctx.settings.access_token_minutes)
        return Token(sub=str(account_id), exp=expires, extras={EPOCH_CLAIM: epoch}).encode(
            self.ctx.settings.secret_key, JWT_ALGORITHM
        )

    async def _find(self, username: str) -> Account | None:
        if "@" in username:
            return await self.session.scalar(select(Account).where(Account.email == username))
        return await self.session.scalar(
            select(Account)
            .join(Employee, Account.employee_id == Employee.id)
            .where(Employee.nip == username)
        )

    async def _throttle(self, account_key: str, client: str, now: datetime) -> None:
        settings = self.ctx.settings
        window = timedelta(minutes=settings.login_window_minutes)
        since = now - window
        for key, limit in (
            (account_key, settings.login_max_failures),
            (f"ip:{client}", settings.login_max_failures * IP_LIMIT_FACTOR),
        ):
            count, oldest = (
                await self.session.execute(
                    select(func.count(), func.min(LoginFailure.at)).where(
                        LoginFailure.key == key, LoginFailure.at > since
                    )
                )
            ).one()
            if count >= limit:
                retry_after = max(1, int((oldest + window - now).total_seconds()))
                await self.session.rollback()
                raise TooManyRequests(
                    _("Too many failed sign-ins; try again in {minutes} minute(s)."),
                    retry_after=retry_after,
                    minutes=str(-(-retry_after // 60)),
                )


async def load_principal(
    session: AsyncSession, account_id: int, epoch: int | None
) -> Principal | None:
    """The person behind a token or session of credential ``epoch``; None once revoked.

    ``epoch=None`` is for trusted callers (the command line, the demo seed) that hold no token.
    """
    account = await session.get(Account, account_id)
    if account is None or not account.active:
        return None
    if epoch is not None and epoch != account.credential_epoch:
        return None
    return Principal(
        account_id=account.id,
        employee_id=account.employee_id,
        email=account.email,
        roles=account.role_set,
        locale=account.locale,
    )
