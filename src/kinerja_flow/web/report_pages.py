"""A cycle's progress per unit (overdue work, follow-ups, training hours) and its exports, over
the same service as ``/api/v1/cycles/{id}/progress`` and ``/api/v1/cycles/{id}/exports/*``
(HR; auditors read)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from kinerja_flow.i18n import _
from kinerja_flow.jobs.models import Job
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.org.service import OrgService
from kinerja_flow.reports.schemas import ExportFormat
from kinerja_flow.reports.service import ReportService
from kinerja_flow.web.forms import Problem, convert, pick
from kinerja_flow.web.guards import hr_or_auditor
from kinerja_flow.web.services import Fields, Services, provide_services, start_job

EXPORTS = {
    "appraisals": ("appraisals", _("Appraisals with ratings and predikat")),
    "followups": ("followups", _("Follow-up items")),
    "training-hours": ("training_hours", _("Training hours (JP)")),
}
"""The cycle's tables as the page's links name them: the service's table, and its title."""
UnitCode = Annotated[str | None, QueryParameter(name="unit_code", max_length=50)]


class ExportChoice(msgspec.Struct, kw_only=True):
    """The export form: the file's format, and the unit (with its sub-units) if one."""

    format: ExportFormat = ExportFormat.CSV
    unit_code: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class ReportPages(Controller):
    path = "/hr/cycles/{cycle_id:int}"
    guards = [hr_or_auditor]
    dependencies = {"services": Provide(provide_services, sync_to_thread=False)}

    @get("/progress")
    async def progress(
        self,
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
        unit_code: UnitCode = None,
    ) -> Template:
        """The figures of the cycle (or of one unit with its sub-units), the units one level
        down to open in turn, and the exports of what is shown."""
        return await self._progress(services, cycle_id, unit_code or None)

    async def _progress(
        self, services: Services, cycle_id: int, unit_code: str | None, **extra: Any
    ) -> Template:
        report = await services(ReportService).progress(cycle_id, unit_code)
        shown = [u for u in report.units if u.parent_code == unit_code and u.unit_code != unit_code]
        return services.page(
            "hr/progress.html",
            report=report,
            unit=next((u for u in report.units if u.unit_code == unit_code), None),
            shown=shown,
            units=await services(OrgService).list_units(),
            exports=EXPORTS,
            unit_code=unit_code or "",
            **extra,
        )

    @post("/exports/{table:str}", status_code=303)
    async def export(
        self,
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
        table: FromPath[str],
    ) -> Response[Any]:
        """Start the export (the form's ``format`` and ``unit_code``) and follow it on its job
        page, which offers the file once it is written."""
        if table not in EXPORTS:
            raise NotFound(_("Not found."))
        name, _title = EXPORTS[table]

        async def start(fields: Fields) -> Job:
            chosen = convert(pick(fields, "format", "unit_code"), ExportChoice)
            reports: ReportService = services(ReportService)
            return await reports.start_export(
                cycle_id, name, chosen.unit_code or None, chosen.format
            )

        async def refused(failure: Problem) -> Response[Any]:
            return await self._progress(services, cycle_id, None, problem=failure)

        return await start_job(services, start, refused)
