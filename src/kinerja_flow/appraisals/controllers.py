"""HTTP endpoints for appraisals: read, workflow actions, reassignment and the audit trail."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from kinerja_flow.appraisals.schemas import (
    ActionRequest,
    AppraisalOut,
    AppraisalPage,
    ReassignRequest,
    TaskOut,
)
from kinerja_flow.appraisals.service import AppraisalService
from kinerja_flow.audit.schemas import AuditEventOut
from kinerja_flow.runtime.deps import service_provider


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
        q: Annotated[
            str | None,
            QueryParameter(
                description="Only employees whose NIP starts with it or whose name contains it",
                max_length=100,
            ),
        ] = None,
    ) -> AppraisalPage:
        return await appraisal_service.list(
            cycle_id, state_filter, role, limit, offset, search=q or None
        )

    @get("/tasks", summary="What awaits the caller: appraisals they may act on now, soonest first")
    async def tasks(self, appraisal_service: NamedDependency[AppraisalService]) -> list[TaskOut]:
        return await appraisal_service.tasks()

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
