"""HTTP endpoints: a unit's organisation predikat per cycle and the distribution report."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from kinerja_flow.distribution.schemas import DistributionReport, UnitResultOut, UnitResultSet
from kinerja_flow.distribution.service import DistributionService
from kinerja_flow.lib.http import request_locale
from kinerja_flow.runtime.deps import service_provider


class DistributionController(Controller):
    path = "/api/v1/cycles"
    tags = ["distribution"]
    dependencies = {"distribution_service": service_provider(DistributionService)}

    @put(
        "/{cycle_id:int}/units/{code:str}/result",
        summary="Set a unit's organisation predikat for the cycle (HR)",
    )
    async def set_result(
        self,
        distribution_service: NamedDependency[DistributionService],
        cycle_id: FromPath[int],
        code: FromPath[str],
        data: JSONBody[UnitResultSet],
    ) -> UnitResultOut:
        return await distribution_service.set_result(cycle_id, code, data)

    @get(
        "/{cycle_id:int}/distribution",
        summary="Employee predikat per unit against the unit's required pattern (HR, auditors)",
    )
    async def report(
        self,
        distribution_service: NamedDependency[DistributionService],
        cycle_id: FromPath[int],
        request: Request[Any, Any, Any],
    ) -> DistributionReport:
        return await distribution_service.report(cycle_id, request_locale(request))
