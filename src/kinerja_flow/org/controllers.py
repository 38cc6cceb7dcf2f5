"""HTTP endpoints for units and employees."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, JSONBody, QueryParameter

from kinerja_flow.lib.deps import service_provider
from kinerja_flow.org.schemas import EmployeePage, ImportResult, UnitCreate, UnitOut
from kinerja_flow.org.service import OrgService

MAX_IMPORT_BYTES = 64 * 1024 * 1024


class OrgController(Controller):
    path = "/api/v1"
    tags = ["organisation"]
    dependencies = {"org_service": service_provider(OrgService)}

    @post("/units", summary="Create a unit (HR)")
    async def create_unit(
        self, org_service: NamedDependency[OrgService], data: JSONBody[UnitCreate]
    ) -> UnitOut:
        return await org_service.create_unit(data)

    @get("/units", summary="List units")
    async def list_units(self, org_service: NamedDependency[OrgService]) -> list[UnitOut]:
        return await org_service.list_units()

    @get("/employees", summary="List employees (HR and auditors: all; others: self and reports)")
    async def list_employees(
        self,
        org_service: NamedDependency[OrgService],
        unit_code: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> EmployeePage:
        return await org_service.list_employees(unit_code, q, limit, offset)

    @post(
        "/employees/import",
        summary="Import employees from CSV (HR); all-or-nothing",
        request_max_body_size=MAX_IMPORT_BYTES,
        status_code=200,
    )
    async def import_employees(
        self, org_service: NamedDependency[OrgService], request: Request[Any, Any, Any]
    ) -> ImportResult:
        if request.content_type[0] != "text/csv":
            raise HTTPException(status_code=415, detail="Content-Type must be text/csv")
        body = await request.body()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(status_code=415, detail="The CSV must be UTF-8") from exc
        return await org_service.import_csv(text)
