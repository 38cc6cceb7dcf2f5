"""HTTP endpoints for the staff roster: employees and their import."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, QueryParameter

from kinerja_flow.lib.tables import CSV_TYPE, XLSX_TYPE
from kinerja_flow.roster.schemas import EmployeePage, ImportResult
from kinerja_flow.roster.service import RosterService
from kinerja_flow.runtime.deps import service_provider

MAX_IMPORT_BYTES = 64 * 1024 * 1024


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
        summary="Import employees from CSV or XLSX (HR); all-or-nothing; ?dry_run=true only checks",
        description=(
            "The body is the file: Content-Type text/csv (UTF-8) or "
            f"{XLSX_TYPE} (the first sheet). Problems name their line (row) numbers."
        ),
        request_max_body_size=MAX_IMPORT_BYTES,
        status_code=200,
    )
    async def import_employees(
        self,
        roster_service: NamedDependency[RosterService],
        request: Request[Any, Any, Any],
        dry_run: FromQuery[bool] = False,
    ) -> ImportResult:
        kind = request.content_type[0]
        if kind not in (CSV_TYPE, XLSX_TYPE):
            raise HTTPException(
                status_code=415, detail=f"Content-Type must be {CSV_TYPE} or {XLSX_TYPE}"
            )
        body = await request.body()
        if kind == XLSX_TYPE:
            return await roster_service.import_xlsx(body, dry_run=dry_run)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(status_code=415, detail="The CSV must be UTF-8") from exc
        return await roster_service.import_csv(text, dry_run=dry_run)
