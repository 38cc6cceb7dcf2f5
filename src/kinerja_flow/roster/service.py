"""The staff roster: listing employees, and starting the employee import (``bulk_import``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from kinerja_flow.accounts.models import Account
from kinerja_flow.i18n import _
from kinerja_flow.jobs.access import visible_job
from kinerja_flow.jobs.files import discard
from kinerja_flow.jobs.models import DONE, Job
from kinerja_flow.jobs.queue import submit, wake
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import Conflict, NotFound
from kinerja_flow.lib.principal import HR, require
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.org.nip import check_nip
from kinerja_flow.roster import bulk_import
from kinerja_flow.roster.schemas import EmployeeOut, EmployeePage
from kinerja_flow.runtime.service import Service


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

    def may_import(self) -> None:
        """Refuse (403) before an upload is received from someone who may not import."""
        require(self.principal, HR)

    async def start_import(self, path: Path, file_format: str, *, dry_run: bool) -> Job:
        """Queue the import (or, ``dry_run``, the preview) of the file at ``path`` as a job
        that runs in the background (``bulk_import``); HR only."""
        require(self.principal, HR)
        try:
            await begin_write(self.session)
            job = await submit(
                self.session,
                self.ctx.clock.now(),
                bulk_import.KIND,
                self.principal,
                {"format": file_format, "dry_run": dry_run},
                input_path=path,
            )
            await self.session.commit()
        except BaseException:
            discard(path)
            raise
        wake()
        return job

    async def import_previewed(self, preview_id: int) -> Job:
        """Import the file of a preview that found no problem, without sending it again."""
        require(self.principal, HR)
        await begin_write(self.session)
        preview = await visible_job(self.session, self.principal, preview_id)
        if preview.kind != bulk_import.KIND or not preview.params.get("dry_run"):
            raise NotFound(_("Not found."))
        path = Path(preview.input_path) if preview.input_path else None
        if preview.state != DONE or path is None or not path.is_file():
            raise Conflict(_("Only a finished preview that found no problems can be imported."))
        preview.input_path = None  # the file now belongs to the import
        job = await submit(
            self.session,
            self.ctx.clock.now(),
            bulk_import.KIND,
            self.principal,
            {**preview.params, "dry_run": False, "preview": preview.id},
            input_path=path,
        )
        await self.session.commit()
        wake()
        return job
