"""Pages anyone may open by link: a unit's satisfaction survey (``/s/{unit}``, printed as a QR
code) and a peer's answer page (``/peer-feedback/{token}``, emailed); and the same answer page
for a signed-in peer (``/peer-requests/{id}``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.feedback.schemas import SurveySubmit
from kinerja_flow.feedback.service import SurveyService
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.lib.http import client_address
from kinerja_flow.peers.link import PeerLinkService
from kinerja_flow.peers.schemas import PeerAnswers, PeerReceipt, PeerRequestOut
from kinerja_flow.peers.service import PeerService
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.deps import public_service_provider, service_provider
from kinerja_flow.web.forms import Problem, attempt, convert, form_data
from kinerja_flow.web.guards import signed_in_only
from kinerja_flow.web.render import page, page_locale


def peer_answers(fields: dict[str, Any], asked: PeerRequestOut) -> PeerAnswers:
    """The answer form as the body of ``POST /peer-requests/{id}/answer``."""
    answers = []
    for value in asked.values:
        answer: dict[str, Any] = {"value": value.value}
        if score := fields.get(f"score-{value.value}"):
            answer["score"] = score
        if comment := fields.get(f"comment-{value.value}"):
            answer["comment"] = comment
        answers.append(answer)
    return convert({"answers": answers}, PeerAnswers)


async def answer_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    asked: PeerRequestOut,
    action: str,
    answer: Callable[[PeerAnswers, str], Awaitable[PeerReceipt]],
) -> Template:
    """The peer's answer form posted to ``action``: thanks, or the form again with the
    refusal (``asked`` was read first; the answer is a unit of work of its own)."""
    locale = page_locale(request)
    await db_session.rollback()
    fields = await form_data(request)
    outcome = await attempt(db_session, locale, lambda: answer(peer_answers(fields, asked), locale))
    if isinstance(outcome, Problem):
        return page(
            request, "peer_answer.html", asked=asked, action=action, chosen=fields, problem=outcome
        )
    return page(request, "peer_answer.html", asked=asked, action=action, thanks=outcome.message)


class PublicPages(Controller):
    dependencies = {
        "surveys": public_service_provider(SurveyService),
        "peer_links": public_service_provider(PeerLinkService),
    }

    @get("/s/{unit:str}")
    async def survey(
        self,
        request: Request[Any, Any, Any],
        surveys: NamedDependency[SurveyService],
        unit: FromPath[str],
    ) -> Template:
        questionnaire = await surveys.questionnaire(unit, page_locale(request))
        return page(request, "survey.html", q=questionnaire)

    @post("/s/{unit:str}", status_code=200)
    async def answer_survey(
        self,
        request: Request[Any, Any, Any],
        surveys: NamedDependency[SurveyService],
        ctx: NamedDependency[AppContext],
        db_session: NamedDependency[AsyncSession],
        unit: FromPath[str],
    ) -> Template:
        locale = page_locale(request)
        questionnaire = await surveys.questionnaire(unit, locale)
        await db_session.rollback()  # the answer is a unit of work of its own
        fields = await form_data(request)

        async def work() -> str:
            answers = [fields.get(element.code) for element in questionnaire.elements]
            data = convert({"answers": answers, "comment": fields.get("comment")}, SurveySubmit)
            address = client_address(request, ctx.settings)
            return (await surveys.submit(unit, data, address, locale)).message

        outcome = await attempt(db_session, locale, work)
        if isinstance(outcome, Problem):
            return page(request, "survey.html", q=questionnaire, chosen=fields, problem=outcome)
        return page(request, "survey.html", q=questionnaire, thanks=outcome)

    @get("/peer-feedback/{token:str}")
    async def peer_link(
        self,
        request: Request[Any, Any, Any],
        peer_links: NamedDependency[PeerLinkService],
        token: FromPath[str],
    ) -> Template:
        asked = await peer_links.describe(token, page_locale(request))
        return page(request, "peer_answer.html", asked=asked, action=f"/peer-feedback/{token}")

    @post("/peer-feedback/{token:str}", status_code=200)
    async def answer_peer_link(
        self,
        request: Request[Any, Any, Any],
        peer_links: NamedDependency[PeerLinkService],
        db_session: NamedDependency[AsyncSession],
        token: FromPath[str],
    ) -> Template:
        asked = await peer_links.describe(token, page_locale(request))
        answer = partial(peer_links.answer, token)
        return await answer_page(request, db_session, asked, f"/peer-feedback/{token}", answer)


class PeerRequestPages(Controller):
    guards = [signed_in_only]
    dependencies = {"peers": service_provider(PeerService)}

    async def _asked(self, peers: PeerService, request_id: int, locale: str) -> PeerRequestOut:
        asked = next((one for one in await peers.mine(locale) if one.id == request_id), None)
        if asked is None:
            raise NotFound("Not found.")
        return asked

    @get("/peer-requests/{request_id:int}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        peers: NamedDependency[PeerService],
        request_id: FromPath[int],
    ) -> Template:
        asked = await self._asked(peers, request_id, page_locale(request))
        return page(request, "peer_answer.html", asked=asked, action=f"/peer-requests/{request_id}")

    @post("/peer-requests/{request_id:int}", status_code=200)
    async def answer(
        self,
        request: Request[Any, Any, Any],
        peers: NamedDependency[PeerService],
        db_session: NamedDependency[AsyncSession],
        request_id: FromPath[int],
    ) -> Template:
        asked = await self._asked(peers, request_id, page_locale(request))
        answer = partial(peers.answer, request_id)
        return await answer_page(request, db_session, asked, f"/peer-requests/{request_id}", answer)
