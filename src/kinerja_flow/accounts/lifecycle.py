"""Deactivating and reactivating accounts, and new invitations: audited and emailed.

A deactivated person cannot sign in, every token and session of theirs is refused at once (the
credential epoch moves), their unused links stop working and their employee record is marked
inactive (no appraisal in new cycles, not chosen as evaluator or peer). Nothing is deleted: their
appraisals stay as they are, visible to HR and auditors.

Callers decide who may act: HR through the roster's account administration, an operator on the
command line, the employee import for leavers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.invitations import invite
from kinerja_flow.accounts.links import void_links
from kinerja_flow.accounts.models import Account
from kinerja_flow.audit.service import AuditEntry, append
from kinerja_flow.i18n import _
from kinerja_flow.lib.actor import Actor
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import Conflict, FieldError, Invalid, NotFound
from kinerja_flow.notifications.outbox import Email, Recipient
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.context import AppContext


@dataclass
class Change:
    """What a lifecycle step wrote besides the rows: its audit entries and emails."""

    entries: list[AuditEntry] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)

    def add(self, other: Change) -> None:
        self.entries += other.entries
        self.emails += other.emails


async def _employee_of(session: AsyncSession, account: Account) -> Employee | None:
    if account.employee_id is None:
        return None
    return await session.get(Employee, account.employee_id)


def _name(account: Account, employee: Employee | None) -> str:
    """How emails address the person: by name, or by email for an admin without a record."""
    return employee.name if employee else account.email


def _notice(message: str, account: Account, name: str, now: datetime, **context: object) -> Email:
    return Email(
        message=message,
        recipient=Recipient(account.email, name, account.locale),
        context={"name": name, "email": account.email, "at": now, **context},
        dedupe_key=f"{message}:{account.id}:{account.credential_epoch}",
    )


async def deactivate(session: AsyncSession, now: datetime, account: Account, reason: str) -> Change:
    """Deactivate ``account`` (locked by the caller) and its employee record."""
    if not account.active:
        raise Conflict(_("This account is already inactive."))
    employee = await _employee_of(session, account)
    account.active = False
    account.credential_epoch += 1
    account.updated_at = now
    if employee is not None:
        employee.active = False
        employee.updated_at = now
    await void_links(session, account.id, now)
    name = _name(account, employee)
    return Change(
        entries=[
            AuditEntry(
                "account.deactivated",
                "account",
                account.id,
                data={"email": account.email, "nip": employee.nip if employee else None},
                reason=reason,
            )
        ],
        emails=[_notice("account_deactivated", account, name, now)],
    )


async def reactivate(
    session: AsyncSession, ctx: AppContext, now: datetime, account: Account, reason: str
) -> Change:
    """Let ``account`` (locked by the caller) sign in again; without a password yet, the person
    gets a new invitation (deactivation voided the old one)."""
    if account.active:
        raise Conflict(_("This account is already active."))
    employee = await _employee_of(session, account)
    account.active = True
    account.updated_at = now
    if employee is not None:
        employee.active = True
        employee.updated_at = now
    name = _name(account, employee)
    change = Change(
        entries=[
            AuditEntry(
                "account.reactivated",
                "account",
                account.id,
                data={"email": account.email, "nip": employee.nip if employee else None},
                reason=reason,
            )
        ]
    )
    if account.password_hash is None:
        change.add(await _invitation(session, ctx, now, account, name))
    else:
        change.emails.append(_notice("account_reactivated", account, name, now, link=ctx.link("/")))
    return change


async def reinvite(
    session: AsyncSession, ctx: AppContext, now: datetime, account: Account
) -> Change:
    """A new invitation for ``account`` (locked by the caller); its earlier links stop working."""
    if not account.active:
        raise Conflict(_("This account is inactive; reactivate it first."))
    if account.password_hash is not None:
        raise Conflict(
            _(
                "This person has already set a password; if it is forgotten, they can ask for"
                " a new one with 'forgot password'."
            )
        )
    employee = await _employee_of(session, account)
    await void_links(session, account.id, now)
    return await _invitation(session, ctx, now, account, _name(account, employee))


async def _invitation(
    session: AsyncSession, ctx: AppContext, now: datetime, account: Account, name: str
) -> Change:
    return Change(
        entries=[
            AuditEntry("account.invited", "account", account.id, data={"email": account.email})
        ],
        emails=await invite(session, ctx, now, [(account, name)]),
    )


def _check_reason(reason: str) -> None:
    if not reason.strip() or "\x00" in reason:
        problem = _("Give the reason in words.")
        raise Invalid(problem, errors=[FieldError("reason", problem)])


class AccountLifecycle:
    """One lifecycle step per call, in its own unit of work, recorded as done by ``actor``."""

    def __init__(self, session: AsyncSession, ctx: AppContext, actor: Actor) -> None:
        self.session = session
        self.ctx = ctx
        self.actor = actor

    async def deactivate(self, account_id: int, reason: str) -> None:
        _check_reason(reason)
        account, now = await self._lock(account_id)
        await self._finish(now, await deactivate(self.session, now, account, reason))

    async def reactivate(self, account_id: int, reason: str) -> None:
        _check_reason(reason)
        account, now = await self._lock(account_id)
        await self._finish(now, await reactivate(self.session, self.ctx, now, account, reason))

    async def reinvite(self, account_id: int) -> None:
        account, now = await self._lock(account_id)
        await self._finish(now, await reinvite(self.session, self.ctx, now, account))

    async def _lock(self, account_id: int) -> tuple[Account, datetime]:
        await begin_write(self.session)
        account = await self.session.get(
            Account, account_id, with_for_update=True, populate_existing=True
        )
        if account is None:
            raise NotFound(_("No account with this id."))
        return account, self.ctx.clock.now()

    async def _finish(self, now: datetime, change: Change) -> None:
        await self.session.flush()
        await append(self.session, self.ctx.audit_key, self.actor, now, change.entries)
        await self.ctx.outbox.enqueue(self.session, now, change.emails)
        await self.session.commit()
