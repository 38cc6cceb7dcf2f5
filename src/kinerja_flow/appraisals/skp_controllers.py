"""HTTP endpoints for the SKP (RHKs, indicators, cascading) and the evaluator's part of it."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from kinerja_flow.appraisals.evaluation import EvaluationService
from kinerja_flow.appraisals.schemas import (
    AppraisalOut,
    ApproachSet,
    EvaluationDraft,
    ExpectationsSet,
    IndicatorCreate,
    IndicatorUpdate,
    SupportedTarget,
    TargetCascade,
    TargetCreate,
    TargetUpdate,
)
from kinerja_flow.appraisals.skp import SkpService
from kinerja_flow.runtime.deps import service_provider

TARGET = "/{appraisal_id:int}/targets/{target_id:int}"
INDICATOR = f"{TARGET}/indicators/{{indicator_id:int}}"


class SkpController(Controller):
    path = "/api/v1/appraisals"
    tags = ["skp"]
    dependencies = {"skp_service": service_provider(SkpService)}

    @put("/{appraisal_id:int}/approach", summary="Choose the SKP's approach (employee, planning)")
    async def set_approach(
        self,
        skp_service: NamedDependency[SkpService],
        appraisal_id: FromPath[int],
        data: JSONBody[ApproachSet],
    ) -> AppraisalOut:
        return await skp_service.set_approach(appraisal_id, data)

    @post("/{appraisal_id:int}/targets", status_code=201, summary="Add an RHK with indicators")
    async def add_target(
        self,
        skp_service: NamedDependency[SkpService],
        appraisal_id: FromPath[int],
        data: JSONBody[TargetCreate],
    ) -> AppraisalOut:
        return await skp_service.add_target(appraisal_id, data)

    @patch(TARGET, summary="Change an RHK's title or the evaluator's RHK it supports")
    async def update_target(
        self,
        skp_service: NamedDependency[SkpService],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        data: JSONBody[TargetUpdate],
    ) -> AppraisalOut:
        return await skp_service.update_target(appraisal_id, target_id, data)

    @delete(TARGET, status_code=200, summary="Remove an RHK (planning)")
    async def delete_target(
        self,
        skp_service: NamedDependency[SkpService],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        version: FromQuery[int | None] = None,
    ) -> AppraisalOut:
        return await skp_service.delete_target(appraisal_id, target_id, version)

    @post(f"{TARGET}/indicators", status_code=201, summary="Add an indicator to an RHK")
    async def add_indicator(
        self,
        skp_service: NamedDependency[SkpService],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        data: JSONBody[IndicatorCreate],
    ) -> AppraisalOut:
        return await skp_service.add_indicator(appraisal_id, target_id, data)

    @patch(INDICATOR, summary="Change an indicator's target (planning) or its realisation")
    async def update_indicator(
        self,
        skp_service: NamedDependency[SkpService],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        indicator_id: FromPath[int],
        data: JSONBody[IndicatorUpdate],
    ) -> AppraisalOut:
        return await skp_service.update_indicator(appraisal_id, target_id, indicator_id, data)

    @delete(INDICATOR, status_code=200, summary="Remove an indicator (planning)")
    async def delete_indicator(
        self,
        skp_service: NamedDependency[SkpService],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        indicator_id: FromPath[int],
        version: FromQuery[int | None] = None,
    ) -> AppraisalOut:
        return await skp_service.delete_indicator(appraisal_id, target_id, indicator_id, version)

    @get(
        "/{appraisal_id:int}/superior-targets",
        summary="The evaluator's RHKs that this SKP's RHKs may support",
    )
    async def superior_targets(
        self, skp_service: NamedDependency[SkpService], appraisal_id: FromPath[int]
    ) -> list[SupportedTarget]:
        return await skp_service.superior_targets(appraisal_id)

    @get("/{appraisal_id:int}/cascade", summary="Which reports' RHKs support each RHK")
    async def cascade(
        self, skp_service: NamedDependency[SkpService], appraisal_id: FromPath[int]
    ) -> list[TargetCascade]:
        return await skp_service.cascade(appraisal_id)


class EvaluationController(Controller):
    path = "/api/v1/appraisals"
    tags = ["evaluation"]
    dependencies = {"evaluation_service": service_provider(EvaluationService)}

    @put(
        "/{appraisal_id:int}/expectations",
        summary="Set the leader's expectations per BerAKHLAK value (evaluator, planning)",
    )
    async def set_expectations(
        self,
        evaluation_service: NamedDependency[EvaluationService],
        appraisal_id: FromPath[int],
        data: JSONBody[ExpectationsSet],
    ) -> AppraisalOut:
        return await evaluation_service.set_expectations(appraisal_id, data)

    @put(
        "/{appraisal_id:int}/evaluation",
        summary="Save the evaluation before submitting it (evaluator, under review)",
    )
    async def save_evaluation(
        self,
        evaluation_service: NamedDependency[EvaluationService],
        appraisal_id: FromPath[int],
        data: JSONBody[EvaluationDraft],
    ) -> AppraisalOut:
        return await evaluation_service.save_draft(appraisal_id, data)
