"""The staff roster: listing employees and the all-or-nothing employee import (with accounts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from kinerja_flow.accounts.invitations import invite
from kinerja_flow.accounts.lifecycle import Change, deactivate, reactivate
from kinerja_flow.accounts.models import Account, AccountToken
from kinerja_flow.appraisals import reassignment
from kinerja_flow.appraisals.workload import open_appraisals
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import FieldError, Invalid
from kinerja_flow.lib.principal import require
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.org.nip import check_nip
from kinerja_flow.roster import importer
from kinerja_flow.roster.schemas import (
    EmployeeOut,
    EmployeePage,
    ImportResult,
    ReassignedAppraisal,
)
from kinerja_flow.runtime.service import Service

_EMPLOYEE_FIELDS = ("name", "email", "position", "unit_id", "supervisor_id")
IMPORT_REASON = "marked by the employee import"
SUPERVISOR_REASON = "the supervisor changed in the employee import"


class RosterService(Service):
    async def list_employees(
        self, unit_code: str | None, search: str | None, limit: int, offset: int
    ) -> EmployeePage:
        supervisor = aliased(Employee)
        query = (
            select(Employee, Unit.code, supervisor.nip, Account)
            .join(Unit, Employee.unit_id == Unit.id)
            .outerjoin(supervisor, Employee.supervisor_id == supervisor.id)
            .outerjoin(Account, Account.employee_id == Employee.id)
        )
        if not self.principal.sees_everything:
            me = self.principal.employee_id
            query = query.where(or_(Employee.id == me, Employee.supervisor_id == me))
        if unit_code:
            query = query.where(Unit.code == unit_code)
        if search:
            pattern = f"%{search.lower()}%"
            query = query.where(
                or_(func.lower(Employee.name).like(pattern), Employee.nip.like(pattern))
            )
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(query.order_by(Employee.nip).limit(limit).offset(offset))
        items = [
            EmployeeOut(
                id=employee.id,
                nip=employee.nip,
                kind=check_nip(employee.nip).kind,
                name=employee.name,
                email=employee.email,
                unit_code=code,
                position=employee.position,
                supervisor_nip=supervisor_nip,
                roles=sorted(account.role_set) if account else [],
                active=employee.active,
            )
            for employee, code, supervisor_nip, account in rows.all()
        ]
        return EmployeePage(items=items, total=total or 0, limit=limit, offset=offset)

    async def import_csv(self, text: str, *, dry_run: bool = False) -> ImportResult:
        """Create or update employees from CSV; any bad row refuses the whole file (422).

        ``dry_run``: check everything and count what would change, then write nothing (the
        preview HR reads before importing).
        """
        require(self.principal, "hr")
        return await self._import(*importer.parse(text), dry_run=dry_run)

    async def import_xlsx(self, data: bytes, *, dry_run: bool = False) -> ImportResult:
        """The same from an XLSX workbook's first sheet (problems by row number)."""
        require(self.principal, "hr")
        return await self._import(*importer.parse_xlsx(data), dry_run=dry_run)

    async def _import(
        self, rows: list[importer.Row], problems: list[importer.Problem], *, dry_run: bool
    ) -> ImportResult:
        await begin_write(self.session)
        units = dict((await self.session.execute(select(Unit.code, Unit.id))).all())
        employees = {e.nip: e for e in (await self.session.scalars(select(Employee))).all()}
        by_id = {e.id: e for e in employees.values()}
        accounts = (await self.session.scalars(select(Account))).all()
        me = by_id.get(self.principal.employee_id) if self.principal.employee_id else None
        if not problems:
            existing = importer.Existing(
                unit_codes=frozenset(units),
                supervisor_of={
                    nip: by_id[e.supervisor_id].nip if e.supervisor_id else None
                    for nip, e in employees.items()
                },
                email_owner={e.email: nip for nip, e in employees.items()},
                importer_nip=me.nip if me else None,
                account_email_owner={
                    a.email: by_id[a.employee_id].nip if a.employee_id else None for a in accounts
                },
                with_account=frozenset(
                    by_id[a.employee_id].nip for a in accounts if a.employee_id is not None
                ),
            )
            problems = importer.check(rows, existing)
        if problems:
            await self.session.rollback()
            raise Invalid(
                _("The file was not imported: {count} line(s) have problems."),
                errors=[
                    FieldError(field=p.nip, message=p.reason, params=p.params, line=p.line)
                    for p in problems
                ],
                count=len({p.line for p in problems}),
            )
        return await self._apply(rows, units, employees, accounts, dry_run=dry_run)

    async def _reassigned(self, moves: list[reassignment.Move]) -> list[ReassignedAppraisal]:
        ids = {i for m in moves for i in (m.before, m.after, m.appraisal.employee_id) if i}
        nip = dict(
            (
                await self.session.execute(
                    select(Employee.id, Employee.nip).where(Employee.id.in_(ids))
                )
            ).all()
        )
        return [
            ReassignedAppraisal(
                appraisal_id=m.appraisal.id,
                employee_nip=nip[m.appraisal.employee_id],
                part=m.part,  # type: ignore[arg-type]
                before_nip=nip.get(m.before) if m.before else None,
                after_nip=nip.get(m.after) if m.after else None,
            )
            for m in moves
        ]

    async def _free_emails_in_use(
        self,
        rows: list[importer.Row],
        employees: dict[str, Employee],
        account_of: dict[int, Account],
    ) -> None:
        """Park every email that changes hands in this import on a unique placeholder first.

        Two employees may swap addresses in one file; setting either new address directly
        would briefly hold it twice and break the unique constraint.
        """
        parked = False
        for row in rows:
            employee = employees.get(row.nip)
            if employee is None or employee.email == row.email:
                continue
            employee.email = f"moving-{employee.id}@invalid"
            if (account := account_of.get(employee.id)) is not None:
                account.email = f"moving-account-{account.id}@invalid"
            parked = True
        if parked:
            await self.session.flush()

    async def _apply(
        self,
        rows: list[importer.Row],
        units: dict[str, int],
        employees: dict[str, Employee],
        accounts: Sequence[Account],
        *,
        dry_run: bool = False,
    ) -> ImportResult:
        now = self.ctx.clock.now()
        account_of = {a.employee_id: a for a in accounts if a.employee_id is not None}
        bare_account = {a.email: a for a in accounts if a.employee_id is None}
        # Leavers and returners: their accounts are locked (and read again) before they change.
        moving = {
            row.nip: row.active
            for row in rows
            if row.nip in employees
            and row.active is not None
            and row.active != employees[row.nip].active
            and employees[row.nip].id in account_of
        }
        if moving:
            await self.session.execute(
                select(Account)
                .where(Account.id.in_([account_of[employees[n].id].id for n in moving]))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        invited_before = set(
            (await self.session.scalars(select(AccountToken.account_id).distinct())).all()
        )
        snapshot = {
            nip: {name: getattr(employee, name) for name in _EMPLOYEE_FIELDS}
            for nip, employee in employees.items()
        }
        account_email = {account.id: account.email for account in accounts}
        await self._free_emails_in_use(rows, employees, account_of)
        created: list[Employee] = []
        for row in rows:
            if row.nip not in employees:
                employee = Employee(
                    nip=row.nip,
                    name=row.name,
                    email=row.email,
                    unit_id=units[row.unit_code],
                    position=row.position,
                    active=row.active is not False,
                    created_at=now,
                    updated_at=now,
                )
                employees[row.nip] = employee
                created.append(employee)
                self.session.add(employee)
        await self.session.flush()
        entries: list[AuditEntry] = []
        changed: list[Employee] = []
        new_supervisor: list[int] = []
        for row in rows:
            employee = employees[row.nip]
            wanted: dict[str, Any] = {
                "name": row.name,
                "email": row.email,
                "position": row.position,
                "unit_id": units[row.unit_code],
                "supervisor_id": employees[row.supervisor_nip].id if row.supervisor_nip else None,
            }
            is_new = employee in created
            before = wanted if is_new else snapshot[row.nip]
            diff = {name: value for name, value in wanted.items() if before[name] != value}
            for name, value in wanted.items():
                setattr(employee, name, value)
            if diff:
                employee.updated_at = now
            if not is_new and "supervisor_id" in diff:
                new_supervisor.append(employee.id)
            account = account_of.get(employee.id)
            roles = ";".join(row.roles)
            if account is None:
                account = bare_account.pop(row.email, None)
                if account is not None:  # an admin created on the command line keeps that grant
                    account.employee_id = employee.id
                else:
                    account = Account(
                        email=row.email,
                        employee_id=employee.id,
                        locale=self.ctx.settings.default_locale,
                        active=employee.active,
                        created_at=now,
                        updated_at=now,
                    )
                    self.session.add(account)
                account_of[employee.id] = account
            account_diff = {}
            if account.roles != roles:
                account_diff["roles"] = {"before": account.roles, "after": roles}
                account.roles = roles
            email_before = account_email.get(account.id, row.email)
            if email_before != row.email:
                account_diff["email"] = {"before": email_before, "after": row.email}
            account.email = row.email
            if is_new:
                entries.append(
                    AuditEntry(
                        "employee.created",
                        "employee",
                        row.nip,
                        data={**{k: str(v) for k, v in wanted.items()}, "roles": roles},
                    )
                )
            elif diff or account_diff:
                changed.append(employee)
                entries.append(
                    AuditEntry(
                        "employee.updated",
                        "employee",
                        row.nip,
                        data={
                            "before": {k: str(before[k]) for k in diff},
                            "after": {k: str(v) for k, v in diff.items()},
                            "account": account_diff,
                        },
                    )
                )
        await self.session.flush()
        moves = await reassignment.follow_supervisors(self.session, self.ctx, new_supervisor, now)
        await self.session.flush()
        entries += [
            reassignment.audit_entry(
                appraisal_moves[0].appraisal, appraisal_moves, SUPERVISOR_REASON
            )
            for appraisal_moves in reassignment.by_appraisal(moves).values()
        ]
        moved_emails = await reassignment.emails(
            self.session, self.ctx, moves, SUPERVISOR_REASON, self.principal.email
        )
        status = Change()
        for nip, active in moving.items():
            account = account_of[employees[nip].id]
            if active:
                status.add(await reactivate(self.session, self.ctx, now, account, IMPORT_REASON))
            else:
                status.add(await deactivate(self.session, now, account, IMPORT_REASON))
        leavers = [employees[nip] for nip, active in moving.items() if not active]
        invitees = [
            (account_of[e.id], e.name)
            for e in employees.values()
            if e.id in account_of
            and e.nip not in moving
            and account_of[e.id].active
            and account_of[e.id].password_hash is None
            and account_of[e.id].id not in invited_before
        ]
        emails = [
            *await invite(self.session, self.ctx, now, invitees),
            *status.emails,
            *moved_emails,
        ]
        entries.extend(
            AuditEntry("account.invited", "account", a.id, data={"email": a.email})
            for a, _n in invitees
        )
        entries.extend(status.entries)
        updated = len({e.nip for e in changed} | set(moving))
        result = ImportResult(
            created=len(created),
            updated=updated,
            unchanged=len(rows) - len(created) - updated,
            invited=len(invitees),
            deactivated=len(leavers),
            reactivated=len(moving) - len(leavers),
            open_appraisals=await open_appraisals(
                self.session, self.ctx.workflows, [e.id for e in leavers]
            ),
            reassigned=await self._reassigned(moves),
        )
        if created or updated or invitees:
            entries.append(
                AuditEntry(
                    "employees.imported",
                    "import",
                    now.isoformat(),
                    data={
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                        "invited": result.invited,
                        "deactivated": result.deactivated,
                        "reactivated": result.reactivated,
                    },
                )
            )
        if dry_run:
            await self.session.rollback()
            return result
        await self.audit(now, *entries)
        await self.ctx.outbox.enqueue(self.session, now, emails)
        await self.session.commit()
        return result
