"""HR's account administration: find accounts, deactivate, reactivate, invite again.

HR and auditors may read; only HR may act, never on their own account. Each step is audited
and emailed (see ``accounts.lifecycle``). Deactivating someone reassigns nothing: the answer
lists the open appraisals they take part in, for HR to reassign or cancel.
"""

from __future__ import annotations

import msgspec
from sqlalchemy import Select, func, or_, select

from kinerja_flow.accounts.lifecycle import AccountLifecycle
from kinerja_flow.accounts.models import Account
from kinerja_flow.appraisals.workload import open_appraisals
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import Forbidden, NotFound
from kinerja_flow.lib.principal import AUDITOR, HR, require
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.roster.schemas import AccountDetail, AccountOut, AccountPage
from kinerja_flow.runtime.service import Service


def _accounts() -> Select[Account, str, str, str]:
    """Accounts with their employee's NIP, name and unit code (None for a bare admin)."""
    return (
        select(Account, Employee.nip, Employee.name, Unit.code)
        .outerjoin(Employee, Account.employee_id == Employee.id)
        .outerjoin(Unit, Employee.unit_id == Unit.id)
    )


def _out(account: Account, nip: str | None, name: str | None, unit_code: str | None) -> AccountOut:
    return AccountOut(
        id=account.id,
        email=account.email,
        nip=nip,
        name=name,
        unit_code=unit_code,
        roles=sorted(account.role_set),
        active=account.active,
        activated=account.password_hash is not None,
    )


class AccountAdminService(Service):
    async def list_accounts(
        self, search: str | None, active: bool | None, limit: int, offset: int
    ) -> AccountPage:
        """Accounts whose NIP, email or name contains ``search`` (any case), by name."""
        require(self.principal, HR, AUDITOR)
        query = _accounts()
        if search and search.strip():
            needle = search.strip().lower()
            query = query.where(
                or_(
                    func.lower(Account.email).contains(needle, autoescape=True),
                    Employee.nip.contains(needle, autoescape=True),
                    func.lower(Employee.name).contains(needle, autoescape=True),
                )
            )
        if active is not None:
            query = query.where(Account.active.is_(active))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(
            query.order_by(func.coalesce(Employee.name, Account.email), Account.id)
            .limit(limit)
            .offset(offset)
        )
        return AccountPage(
            items=[_out(account, nip, name, code) for account, nip, name, code in rows.all()],
            total=total or 0,
            limit=limit,
            offset=offset,
        )

    async def get(self, account_id: int) -> AccountDetail:
        """One account, with the open appraisals its person takes part in."""
        require(self.principal, HR, AUDITOR)
        row = (await self.session.execute(_accounts().where(Account.id == account_id))).first()
        if row is None:
            raise NotFound(_("No account with this id."))
        account, nip, name, unit_code = row
        work = []
        if account.employee_id is not None:
            work = await open_appraisals(self.session, self.ctx.workflows, [account.employee_id])
        summary = msgspec.structs.asdict(_out(account, nip, name, unit_code))
        return AccountDetail(**summary, open_appraisals=work)

    async def deactivate(self, account_id: int, reason: str) -> AccountDetail:
        """No more sign-in for the account's person; their open appraisals are listed."""
        require(self.principal, HR)
        if account_id == self.principal.account_id:
            raise Forbidden(_("You cannot deactivate your own account."))
        await self._lifecycle().deactivate(account_id, reason)
        return await self.get(account_id)

    async def reactivate(self, account_id: int, reason: str) -> AccountDetail:
        require(self.principal, HR)
        await self._lifecycle().reactivate(account_id, reason)
        return await self.get(account_id)

    async def reinvite(self, account_id: int) -> AccountDetail:
        """A new invitation link by email; the earlier one stops working."""
        require(self.principal, HR)
        await self._lifecycle().reinvite(account_id)
        return await self.get(account_id)

    def _lifecycle(self) -> AccountLifecycle:
        return AccountLifecycle(self.session, self.ctx, self.principal.actor)
