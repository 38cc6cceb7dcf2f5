"""HTTP endpoints for the staff roster: employees and their import."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from kinerja_flow.i18n import _
from kinerja_flow.jobs import files
from kinerja_flow.jobs.access import accepted
from kinerja_flow.jobs.schemas import JobOut
from kinerja_flow.lib.errors import UnsupportedMediaType
from kinerja_flow.lib.tables import CSV_TYPE, XLSX_TYPE
from kinerja_flow.roster.schemas import EmployeePage
from kinerja_flow.roster.service import RosterService
from kinerja_flow.runtime.deps import service_provider

MAX_IMPORT_BYTES = 64 * 1024 * 1024
FORMATS = {CSV_TYPE: "csv", XLSX_TYPE: "xlsx"}


class RosterController(Controller):
    path = "/api/v1"
    tags = ["organisation"]
    dependencies = {"roster_service": service_provider(RosterService)}

    @get("/employees", summary="List employees (HR and auditors: all; others: self and reports)")
    async def list_employees(
        self,
        roster_service: NamedDependency[RosterService],
        unit_code: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> EmployeePage:
        return await roster_service.list_employees(unit_code, q, limit, offset)

    @post(
        "/employees/import",
        summary="Import employees from CSV or XLSX (HR): answers 202 with the job",
        description=(
            "The body is the file: Content-Type text/csv (UTF-8) or "
            f"{XLSX_TYPE} (the first sheet). The import runs in the background: the answer "
            "is the job (202, `Location: /api/v1/jobs/{id}`); follow it until it is `done` "
            "(its `result` has the counts) or `failed` (its `error` lists every bad line by "
            "its line or row number; nothing was written). `?dry_run=true` only checks the "
            "file and counts what would change (a preview); `?preview={job id}` with no body "
            "imports the file of a preview that found no problems."
        ),
        request_max_body_size=MAX_IMPORT_BYTES,
        status_code=202,
    )
    async def import_employees(
        self,
        roster_service: NamedDependency[RosterService],
        request: Request[Any, Any, Any],
        dry_run: FromQuery[bool] = False,
        preview: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
    ) -> Response[JobOut]:
        roster_service.may_import()
        if preview is not None:
            job = await roster_service.import_previewed(preview)
        else:
            file_format = FORMATS.get(request.content_type[0])
            if file_format is None:
                raise UnsupportedMediaType(
                    _("Content-Type must be {csv} or {xlsx}."), csv=CSV_TYPE, xlsx=XLSX_TYPE
                )
            path = await files.receive(
                request.stream(),
                roster_service.ctx.settings.evidence_path,
                MAX_IMPORT_BYTES,
                f".{file_format}",
            )
            job = await roster_service.start_import(path, file_format, dry_run=dry_run)
        return accepted(job, request)
