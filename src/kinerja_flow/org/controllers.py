"""HTTP endpoints for units."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from kinerja_flow.org.schemas import UnitCreate, UnitOut
from kinerja_flow.org.service import OrgService
from kinerja_flow.runtime.deps import service_provider


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
