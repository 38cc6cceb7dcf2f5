"""HTTP endpoints for continuous feedback and coaching sessions of an appraisal."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from kinerja_flow.coaching.schemas import (
    DialogueOut,
    FeedbackCreate,
    FeedbackOut,
    SessionCreate,
    SessionOut,
)
from kinerja_flow.coaching.service import CoachingService
from kinerja_flow.runtime.deps import service_provider


class CoachingController(Controller):
    path = "/api/v1/appraisals"
    tags = ["dialogue"]
    dependencies = {"coaching_service": service_provider(CoachingService)}

    @post(
        "/{appraisal_id:int}/targets/{target_id:int}/feedback",
        status_code=201,
        summary="Add a feedback note on a planned result (employee or evaluator, in progress)",
    )
    async def add_feedback(
        self,
        coaching_service: NamedDependency[CoachingService],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        data: JSONBody[FeedbackCreate],
    ) -> FeedbackOut:
        return await coaching_service.add_feedback(appraisal_id, target_id, data)

    @post(
        "/{appraisal_id:int}/coaching",
        status_code=201,
        summary="Record a coaching, mentoring or counselling session (employee or evaluator)",
    )
    async def record_session(
        self,
        coaching_service: NamedDependency[CoachingService],
        appraisal_id: FromPath[int],
        data: JSONBody[SessionCreate],
    ) -> SessionOut:
        return await coaching_service.record_session(appraisal_id, data)

    @get("/{appraisal_id:int}/dialogue", summary="Feedback notes and coaching sessions")
    async def dialogue(
        self, coaching_service: NamedDependency[CoachingService], appraisal_id: FromPath[int]
    ) -> DialogueOut:
        return await coaching_service.dialogue(appraisal_id)
