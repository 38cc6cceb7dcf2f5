"""Cycle work as background jobs: opening a cycle, and an action on all its appraisals."""

from __future__ import annotations

import msgspec
from sqlalchemy import select

from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.schemas import BulkActionRequest
from kinerja_flow.appraisals.service import BULK_KIND, AppraisalService
from kinerja_flow.cycles.schemas import CycleActionResult, OpenResult, RefusedAppraisal
from kinerja_flow.cycles.service import OPEN_KIND, CycleService
from kinerja_flow.jobs.queue import RunningJob
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.context import AppContext

PEOPLE_BATCH = 500
"""Refused appraisals whose employees are read in one query."""


class CycleOpen:
    """``cycle_open``: params ``cycle_id``; the result is what opening answered before."""

    kind = OPEN_KIND

    async def run(self, ctx: AppContext, job: RunningJob) -> OpenResult:
        async with ctx.sessions() as session:
            service = CycleService(session, ctx, job.principal)
            return await service.open(int(job.params["cycle_id"]), job)


class CycleAction:
    """``cycle_action``: params ``cycle_id``, ``trigger``, ``reason``, ``comment``; fired
    wherever the starter may, every refusal listed with the employee's NIP and name."""

    kind = BULK_KIND

    async def run(self, ctx: AppContext, job: RunningJob) -> CycleActionResult:
        params = dict(job.params)
        cycle_id, trigger = int(params.pop("cycle_id")), str(params.pop("trigger"))
        data = msgspec.convert(params, BulkActionRequest)
        async with ctx.sessions() as session:
            service = AppraisalService(session, ctx, job.principal)
            done = await service.fire_all(cycle_id, trigger, data, job)
            people: dict[int, tuple[str, str]] = {}
            ids = [refusal.appraisal_id for refusal in done.refused]
            for start in range(0, len(ids), PEOPLE_BATCH):
                rows = await session.execute(
                    select(Appraisal.id, Employee.nip, Employee.name)
                    .join(Employee, Appraisal.employee_id == Employee.id)
                    .where(Appraisal.id.in_(ids[start : start + PEOPLE_BATCH]))
                )
                people.update({row.id: (row.nip, row.name) for row in rows})
            await session.rollback()
        return CycleActionResult(
            fired=done.fired,
            refused=[
                RefusedAppraisal(
                    appraisal_id=refusal.appraisal_id,
                    nip=people[refusal.appraisal_id][0],
                    name=people[refusal.appraisal_id][1],
                    status_code=refusal.status_code,
                    reason=refusal.reason,
                )
                for refusal in done.refused
            ],
        )
