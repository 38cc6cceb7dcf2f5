"""Cycle work as background jobs: opening a cycle, and an action on all its appraisals."""

from __future__ import annotations

import msgspec

from kinerja_flow.appraisals.schemas import BulkActionRequest, BulkActionResult
from kinerja_flow.appraisals.service import BULK_KIND, AppraisalService
from kinerja_flow.cycles.schemas import OpenResult
from kinerja_flow.cycles.service import OPEN_KIND, CycleService
from kinerja_flow.jobs.queue import RunningJob
from kinerja_flow.runtime.context import AppContext


class CycleOpen:
    """``cycle_open``: params ``cycle_id``; the result is what opening answered before."""

    kind = OPEN_KIND

    async def run(self, ctx: AppContext, job: RunningJob) -> OpenResult:
        async with ctx.sessions() as session:
            service = CycleService(session, ctx, job.principal)
            return await service.open(int(job.params["cycle_id"]), job)


class CycleAction:
    """``cycle_action``: params ``cycle_id``, ``trigger``, ``reason``, ``comment``; fired
    wherever the starter may, the refusals listed."""

    kind = BULK_KIND

    async def run(self, ctx: AppContext, job: RunningJob) -> BulkActionResult:
        params = dict(job.params)
        cycle_id, trigger = int(params.pop("cycle_id")), str(params.pop("trigger"))
        data = msgspec.convert(params, BulkActionRequest)
        async with ctx.sessions() as session:
            service = AppraisalService(session, ctx, job.principal)
            return await service.fire_all(cycle_id, trigger, data, job)
