"""HTTP endpoints: the public survey of a unit (no account) and the signed-in IKM report."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from kinerja_flow.feedback.schemas import IkmReport, Questionnaire, SurveyReceipt, SurveySubmit
from kinerja_flow.feedback.service import IkmService, SurveyService
from kinerja_flow.lib.http import client_address, request_locale
from kinerja_flow.lib.openapi import error_responses
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.deps import public_service_provider, service_provider

MAX_BODY_BYTES = 16 * 1024  # nine answers and 2000 characters of comment fit many times over
FROM = "First day, YYYY-MM-DD (UTC), inclusive"
TO = "Last day, YYYY-MM-DD (UTC), inclusive"


class SurveyController(Controller):
    """Public: citizens read the questionnaire and send a response without an account."""

    path = "/public/units"
    tags = ["public satisfaction"]
    dependencies = {"survey_service": public_service_provider(SurveyService)}

    @get("/{code:str}/survey", summary="The IKM questionnaire of a unit (public)")
    async def questionnaire(
        self,
        survey_service: NamedDependency[SurveyService],
        code: FromPath[str],
        request: Request[Any, Any, Any],
    ) -> Questionnaire:
        return await survey_service.questionnaire(code, request_locale(request))

    @post(
        "/{code:str}/survey",
        summary="Send an anonymous IKM response (public, throttled)",
        request_max_body_size=MAX_BODY_BYTES,
        responses=error_responses(429),
    )
    async def submit(
        self,
        survey_service: NamedDependency[SurveyService],
        ctx: NamedDependency[AppContext],
        code: FromPath[str],
        data: JSONBody[SurveySubmit],
        request: Request[Any, Any, Any],
    ) -> SurveyReceipt:
        client = client_address(request, ctx.settings)
        return await survey_service.submit(code, data, client, request_locale(request))


class IkmController(Controller):
    path = "/api/v1/units"
    tags = ["public satisfaction"]
    dependencies = {"ikm_service": service_provider(IkmService)}

    @get("/{code:str}/ikm", summary="A unit's public satisfaction index (IKM) over a period")
    async def report(
        self,
        ikm_service: NamedDependency[IkmService],
        code: FromPath[str],
        request: Request[Any, Any, Any],
        start: Annotated[str | None, QueryParameter(name="from", description=FROM)] = None,
        end: Annotated[str | None, QueryParameter(name="to", description=TO)] = None,
    ) -> IkmReport:
        return await ikm_service.report(code, start, end, request_locale(request))
