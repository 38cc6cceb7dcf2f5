"""HTTP endpoints for appraisals: read, targets, workflow actions and their audit trail."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from kinerja_flow.appraisals.schemas import (
    ActionRequest,
    AppraisalOut,
    AppraisalPage,
    ReassignRequest,
    TargetCreate,
    TargetUpdate,
)
from kinerja_flow.appraisals.service import AppraisalService
from kinerja_flow.audit.schemas import AuditEventOut
from kinerja_flow.lib.deps import service_provider


class AppraisalController(Controller):
    path = "/api/v1/appraisals"
    tags = ["appraisals"]
    dependencies = {"appraisal_service": service_provider(AppraisalService)}

    @get("/", summary="Appraisals the caller may see")
    async def list_appraisals(
        self,
        appraisal_service: NamedDependency[AppraisalService],
        cycle_id: FromQuery[int | None] = None,
        state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
        role: FromQuery[Literal["employee", "evaluator", "reviewer"] | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> AppraisalPage:
        return await appraisal_service.list(cycle_id, state_filter, role, limit, offset)

    @get("/{appraisal_id:int}", summary="One appraisal with the actions the caller may take now")
    async def get_appraisal(
        self, appraisal_service: NamedDependency[AppraisalService], appraisal_id: FromPath[int]
    ) -> AppraisalOut:
        return await appraisal_service.get(appraisal_id)

    @get("/{appraisal_id:int}/audit", summary="The audit trail of one appraisal")
    async def audit(
        self, appraisal_service: NamedDependency[AppraisalService], appraisal_id: FromPath[int]
    ) -> list[AuditEventOut]:
        return await appraisal_service.audit_trail(appraisal_id)

    @post(
        "/{appraisal_id:int}/targets", status_code=201, summary="Add a target (employee, planning)"
    )
    async def add_target(
        self,
        appraisal_service: NamedDependency[AppraisalService],
        appraisal_id: FromPath[int],
        data: JSONBody[TargetCreate],
    ) -> AppraisalOut:
        return await appraisal_service.add_target(appraisal_id, data)

    @patch(
        "/{appraisal_id:int}/targets/{target_id:int}",
        summary="Change a target or record its realisation",
    )
    async def update_target(
        self,
        appraisal_service: NamedDependency[AppraisalService],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        data: JSONBody[TargetUpdate],
    ) -> AppraisalOut:
        return await appraisal_service.update_target(appraisal_id, target_id, data)

    @delete(
        "/{appraisal_id:int}/targets/{target_id:int}",
        status_code=200,
        summary="Remove a target (planning)",
    )
    async def delete_target(
        self,
        appraisal_service: NamedDependency[AppraisalService],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        version: FromQuery[int | None] = None,
    ) -> AppraisalOut:
        return await appraisal_service.delete_target(appraisal_id, target_id, version)

    @post(
        "/{appraisal_id:int}/reassign",
        status_code=200,
        summary="Name a new evaluator and/or appeal reviewer, with a reason (HR)",
    )
    async def reassign(
        self,
        appraisal_service: NamedDependency[AppraisalService],
        appraisal_id: FromPath[int],
        data: JSONBody[ReassignRequest],
    ) -> AppraisalOut:
        return await appraisal_service.reassign(appraisal_id, data)

    @post(
        "/{appraisal_id:int}/actions/{trigger:str}",
        status_code=200,
        summary="Fire a workflow trigger",
    )
    async def fire(
        self,
        appraisal_service: NamedDependency[AppraisalService],
        appraisal_id: FromPath[int],
        trigger: FromPath[str],
        data: JSONBody[ActionRequest],
    ) -> AppraisalOut:
        return await appraisal_service.fire(appraisal_id, trigger, data)
