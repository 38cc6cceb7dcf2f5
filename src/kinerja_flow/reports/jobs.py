"""A cycle's table exported as a background job: the file is written on disk, row by row."""

from __future__ import annotations

from kinerja_flow.jobs.queue import RunningJob
from kinerja_flow.reports.schemas import ExportResult
from kinerja_flow.reports.service import EXPORT_KIND, ReportService
from kinerja_flow.runtime.context import AppContext


class CycleExport:
    """``cycle_export``: params ``cycle_id``, ``table``, ``unit_code``, ``format``; the result
    names the file to download (``GET /api/v1/jobs/{id}/file``)."""

    kind = EXPORT_KIND

    async def run(self, ctx: AppContext, job: RunningJob) -> ExportResult:
        async with ctx.sessions() as session:
            return await ReportService(session, ctx, job.principal).export(job)
