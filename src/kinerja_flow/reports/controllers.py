"""HTTP endpoints: a cycle's progress report and its exports, as jobs (HR, auditors)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from kinerja_flow.jobs.access import accepted
from kinerja_flow.jobs.schemas import JobOut
from kinerja_flow.reports.schemas import CycleProgress, ExportFormat, ExportTable
from kinerja_flow.reports.service import ReportService
from kinerja_flow.runtime.deps import service_provider

UnitCode = Annotated[
    str | None,
    QueryParameter(name="unit_code", description="Only this unit and its sub-units", max_length=50),
]
Output = Annotated[ExportFormat, QueryParameter(name="format", description="csv (UTF-8) or xlsx")]


class ReportController(Controller):
    path = "/api/v1/cycles"
    tags = ["reports"]
    dependencies = {"report_service": service_provider(ReportService)}

    @get(
        "/{cycle_id:int}/progress",
        summary="The cycle's progress per unit, sub-units included (HR, auditors)",
        description=(
            "Per unit: appraisals per state, those still in a state after its deadline, "
            "predikat, follow-up items per kind and state (and overdue), training hours of "
            "the year the period ends in against the minimum."
        ),
    )
    async def progress(
        self,
        report_service: NamedDependency[ReportService],
        cycle_id: FromPath[int],
        unit_code: UnitCode = None,
    ) -> CycleProgress:
        return await report_service.progress(cycle_id, unit_code)

    @post(
        "/{cycle_id:int}/exports/{table:str}",
        status_code=202,
        summary="Export one of the cycle's tables as CSV or XLSX (HR, auditors): 202 with the job",
        description=(
            "``appraisals``: the appraisals with their ratings and predikat; ``followups``: the"
            " follow-up items of the cycle's appraisals; ``training-hours``: the training hours"
            " (JP) of the cycle's employees in its year. The file is written in the background:"
            " follow the job until it is `done`, then download `result.file` "
            "(`GET /api/v1/jobs/{id}/file`)."
        ),
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        report_service: NamedDependency[ReportService],
        cycle_id: FromPath[int],
        table: FromPath[ExportTable],
        output: Output = ExportFormat.CSV,
        unit_code: UnitCode = None,
    ) -> Response[JobOut]:
        job = await report_service.start_export(cycle_id, table.table, unit_code, output)
        return accepted(job, request)
