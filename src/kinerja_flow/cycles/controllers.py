"""HTTP endpoints for appraisal cycles."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from kinerja_flow.appraisals.calibration import CalibrationQueue, CalibrationService
from kinerja_flow.appraisals.schemas import BulkActionRequest
from kinerja_flow.appraisals.service import AppraisalService
from kinerja_flow.cycles.schemas import CycleCreate, CycleOut
from kinerja_flow.cycles.service import CycleService
from kinerja_flow.jobs.access import accepted
from kinerja_flow.jobs.schemas import JobOut
from kinerja_flow.runtime.deps import service_provider


class CycleController(Controller):
    path = "/api/v1/cycles"
    tags = ["cycles"]
    dependencies = {
        "appraisal_service": service_provider(AppraisalService),
        "cycle_service": service_provider(CycleService),
        "calibration_service": service_provider(CalibrationService),
    }

    @post("/", summary="Create a cycle (HR)")
    async def create(
        self, cycle_service: NamedDependency[CycleService], data: JSONBody[CycleCreate]
    ) -> CycleOut:
        return await cycle_service.create(data)

    @get("/", summary="List cycles")
    async def list_cycles(self, cycle_service: NamedDependency[CycleService]) -> list[CycleOut]:
        return await cycle_service.list_all()

    @get("/{cycle_id:int}", summary="A cycle with the count of appraisals per state")
    async def get_cycle(
        self, cycle_service: NamedDependency[CycleService], cycle_id: FromPath[int]
    ) -> CycleOut:
        return await cycle_service.get(cycle_id)

    @post(
        "/{cycle_id:int}/open",
        status_code=202,
        summary="Open the cycle: one appraisal per employee (HR); answers 202 with the job",
        description=(
            "Runs in the background: follow the job (`Location: /api/v1/jobs/{id}`) until it is "
            "`done`; its `result` has `created`, `already_open`, `without_evaluator`, "
            "`without_reviewer` and the `cycle`. Opening again only adds employees new in scope."
        ),
    )
    async def open_cycle(
        self,
        request: Request[Any, Any, Any],
        cycle_service: NamedDependency[CycleService],
        cycle_id: FromPath[int],
    ) -> Response[JobOut]:
        return accepted(await cycle_service.start_open(cycle_id), request)

    @post(
        "/{cycle_id:int}/actions/{trigger:str}",
        status_code=202,
        summary="Fire a trigger on every appraisal of the cycle where the caller may (e.g. HR)",
        description=(
            "Runs in the background: follow the job until it is `done`; its `result` is "
            '`{"fired", "refused": [{"appraisal_id", "nip", "name", "status_code", "reason"}]}`.'
        ),
    )
    async def fire_all(
        self,
        request: Request[Any, Any, Any],
        appraisal_service: NamedDependency[AppraisalService],
        cycle_id: FromPath[int],
        trigger: FromPath[str],
        data: JSONBody[BulkActionRequest],
    ) -> Response[JobOut]:
        return accepted(await appraisal_service.start_fire_all(cycle_id, trigger, data), request)

    @get(
        "/{cycle_id:int}/calibration",
        summary="The ratings waiting for HR's calibration, by unit (HR, auditors)",
        description=(
            "Where the cycle's workflow calibrates (a state that hides the result and that HR "
            "moves a case out of): each appraisal there with its ratings, and per state the "
            "triggers HR fires (`needs_reason`: send a `reason`). Empty `states`: no calibration."
        ),
    )
    async def calibration(
        self,
        calibration_service: NamedDependency[CalibrationService],
        cycle_id: FromPath[int],
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> CalibrationQueue:
        return await calibration_service.queue(cycle_id, limit, offset)
