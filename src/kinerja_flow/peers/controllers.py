"""HTTP endpoints of peer feedback: invite and read (appraisal), answer (API or emailed link)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from kinerja_flow.lib.http import request_locale
from kinerja_flow.peers.link import PeerLinkService
from kinerja_flow.peers.schemas import (
    PeerAnswers,
    PeerFeedbackOut,
    PeerInvite,
    PeerReceipt,
    PeerRequestOut,
)
from kinerja_flow.peers.service import PeerService
from kinerja_flow.runtime.deps import public_service_provider, service_provider

MAX_BODY_BYTES = 128 * 1024  # seven answers with comments of 2000 characters fit easily


class PeerFeedbackController(Controller):
    path = "/api/v1/appraisals"
    tags = ["peer feedback"]
    dependencies = {"peer_service": service_provider(PeerService)}

    @post(
        "/{appraisal_id:int}/peers",
        status_code=201,
        summary="Ask peers for feedback by a due date (evaluator or HR, before the rating)",
    )
    async def invite(
        self,
        peer_service: NamedDependency[PeerService],
        appraisal_id: FromPath[int],
        data: JSONBody[PeerInvite],
        request: Request[Any, Any, Any],
    ) -> PeerFeedbackOut:
        return await peer_service.invite(appraisal_id, data, request_locale(request))

    @get(
        "/{appraisal_id:int}/peer-feedback",
        summary="Peer feedback: with names for the evaluator, reviewer, HR and auditor; "
        "an anonymous aggregate for the employee",
    )
    async def feedback(
        self,
        peer_service: NamedDependency[PeerService],
        appraisal_id: FromPath[int],
        request: Request[Any, Any, Any],
    ) -> PeerFeedbackOut:
        return await peer_service.feedback(appraisal_id, request_locale(request))


class PeerRequestController(Controller):
    path = "/api/v1/peer-requests"
    tags = ["peer feedback"]
    dependencies = {"peer_service": service_provider(PeerService)}

    @get("/", summary="The caller's own peer feedback requests, answered or not")
    async def mine(
        self, peer_service: NamedDependency[PeerService], request: Request[Any, Any, Any]
    ) -> list[PeerRequestOut]:
        return await peer_service.mine(request_locale(request))

    @post(
        "/{request_id:int}/answer",
        status_code=201,
        summary="Answer one of the caller's requests: every core value, once",
        request_max_body_size=MAX_BODY_BYTES,
    )
    async def answer(
        self,
        peer_service: NamedDependency[PeerService],
        request_id: FromPath[int],
        data: JSONBody[PeerAnswers],
        request: Request[Any, Any, Any],
    ) -> PeerReceipt:
        return await peer_service.answer(request_id, data, request_locale(request))


class PeerLinkController(Controller):
    """Public: the peer follows the emailed link; the token in it is the only credential."""

    path = "/public/peer-feedback"
    tags = ["peer feedback"]
    dependencies = {"link_service": public_service_provider(PeerLinkService)}

    @get("/{token:str}", summary="What the peer is asked (public, by link)")
    async def describe(
        self,
        link_service: NamedDependency[PeerLinkService],
        token: FromPath[str],
        request: Request[Any, Any, Any],
    ) -> PeerRequestOut:
        return await link_service.describe(token, request_locale(request))

    @post(
        "/{token:str}",
        status_code=201,
        summary="Answer by link: every core value, once, before the end of the due day",
        request_max_body_size=MAX_BODY_BYTES,
    )
    async def answer(
        self,
        link_service: NamedDependency[PeerLinkService],
        token: FromPath[str],
        data: JSONBody[PeerAnswers],
        request: Request[Any, Any, Any],
    ) -> PeerReceipt:
        return await link_service.answer(token, data, request_locale(request))
