"""HTTP endpoints: a cycle's progress report and its exports (HR, auditors)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from kinerja_flow.reports.schemas import CycleProgress, ExportFormat, ExportTable
from kinerja_flow.reports.service import Export, ReportService
from kinerja_flow.runtime.deps import service_provider

UnitCode = Annotated[
    str | None,
    QueryParameter(name="unit_code", description="Only this unit and its sub-units", max_length=50),
]
Output = Annotated[ExportFormat, QueryParameter(name="format", description="csv (UTF-8) or xlsx")]


def download(export: Export) -> Response[bytes]:
    """An export as a file to save (never kept by a shared cache)."""
    return Response(
        export.content,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "private, no-store",
        },
    )


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

    @get(
        "/{cycle_id:int}/exports/{table:str}",
        summary="One of the cycle's tables as CSV or XLSX (HR, auditors)",
        description=(
            "``appraisals``: the appraisals with their ratings and predikat; ``followups``: the"
            " follow-up items of the cycle's appraisals; ``training-hours``: the training hours"
            " (JP) of the cycle's employees in its year."
        ),
        media_type="text/csv",
    )
    async def export(
        self,
        report_service: NamedDependency[ReportService],
        cycle_id: FromPath[int],
        table: FromPath[ExportTable],
        output: Output = ExportFormat.CSV,
        unit_code: UnitCode = None,
    ) -> Response[bytes]:
        return download(await report_service.export(cycle_id, table.table, unit_code, output))
