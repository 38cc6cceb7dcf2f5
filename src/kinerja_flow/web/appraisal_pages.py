"""The appraisal page, one for every role: it shows what ``GET /api/v1/appraisals/{id}`` says
(its capabilities and allowed actions decide which forms appear) and each form calls the same
service as the matching API route."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NamedTuple, get_args

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import File, Template

from kinerja_flow.appraisals.evaluation import EvaluationService
from kinerja_flow.appraisals.schemas import (
    ActionRequest,
    ApproachSet,
    EvaluationDraft,
    ExpectationsSet,
    IndicatorCreate,
    IndicatorUpdate,
    ReassignRequest,
    TargetCreate,
)
from kinerja_flow.appraisals.service import AppraisalService
from kinerja_flow.appraisals.skp import SkpService
from kinerja_flow.berakhlak import CORE_VALUES
from kinerja_flow.coaching.schemas import FeedbackCreate, SessionCreate, SessionKind
from kinerja_flow.coaching.service import CoachingService
from kinerja_flow.documents.controllers import HTML_HEADERS
from kinerja_flow.documents.pdf import html_to_pdf
from kinerja_flow.documents.service import DocumentService
from kinerja_flow.evidence.controllers import file_response
from kinerja_flow.evidence.schemas import FileFields, LinkCreate
from kinerja_flow.evidence.service import EvidenceService
from kinerja_flow.lib.db import reading
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.peers.schemas import PeerInvite
from kinerja_flow.peers.service import PeerService
from kinerja_flow.predikat import Rating
from kinerja_flow.web.forms import Problem, convert, pick
from kinerja_flow.web.guards import signed_in_only
from kinerja_flow.web.services import Fields, Services, provide_services, submit

INDICATOR_FIELDS = ("description", "aspect", "target_value", "target_unit", "target_text", "weight")
INDICATOR = "/appraisals/{appraisal_id:int}/targets/{target_id:int}/indicators/{indicator_id:int}"
DOCUMENTS = {"skp": "skp_document", "evaluation": "evaluation_document"}
"""Printable documents and the capability each needs (as the workflow file names it)."""
SESSION_KINDS: tuple[str, ...] = get_args(SessionKind)
"""The kinds of coaching session the API takes, in its order."""


class IndicatorAt(NamedTuple):
    """The indicator a form is about, from the route's path."""

    appraisal_id: int
    target_id: int
    indicator_id: int

    @property
    def anchor(self) -> str:
        return f"indicator-{self.indicator_id}"


def indicator_at(
    appraisal_id: FromPath[int], target_id: FromPath[int], indicator_id: FromPath[int]
) -> IndicatorAt:
    return IndicatorAt(appraisal_id, target_id, indicator_id)


class FeedbackTarget(msgspec.Struct):
    """The RHK a feedback note is about, as the page's form names it."""

    target_id: int


def _clean(value: Any) -> Any:
    """Form values with the empty ones left out (an empty field is a field not given)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v not in ("", None)}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _indicator(fields: dict[str, Any], prefix: str = "indicator_") -> dict[str, Any]:
    indicator: dict[str, Any] = _clean(
        {name: fields.get(prefix + name) for name in INDICATOR_FIELDS}
    )
    return indicator


class AppraisalPages(Controller):
    guards = [signed_in_only]
    dependencies = {
        "services": Provide(provide_services, sync_to_thread=False),
        "at": Provide(indicator_at, sync_to_thread=False),
    }

    # -- the page ------------------------------------------------------------------------

    @get("/appraisals/{appraisal_id:int}")
    async def show(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
        saved: FromQuery[int | None] = None,
    ) -> Template:
        return await self._page(services, appraisal_id, saved=bool(saved))

    async def _page(
        self,
        services: Services,
        appraisal_id: int,
        *,
        failure: Problem | None = None,
        saved: bool = False,
    ) -> Template:
        locale = services.locale
        appraisals: AppraisalService = services(AppraisalService)
        async with reading(services.session):  # the appraisal read once, for every part
            head = await appraisals.head(appraisal_id)
            appraisal = await appraisals.describe(head)
            trail = await appraisals.trail(head)
            dialogue = await services(CoachingService).dialogue_of(head)
            peers = await services(PeerService).feedback_of(head, locale)
            superior = (
                await services(SkpService).superior_targets_of(head)
                if "skp" in appraisal.capabilities
                else []
            )
        return services.page(
            "appraisal.html",
            a=appraisal,
            trail=trail,
            dialogue=dialogue,
            peers=peers,
            superior=superior,
            problem=failure,
            saved=saved,
            ratings=list(Rating),
            values=CORE_VALUES,
            session_kinds=SESSION_KINDS,
        )

    async def _submit(
        self,
        services: Services,
        appraisal_id: int,
        work: Callable[[Fields], Awaitable[Any]],
        anchor: str = "",
    ) -> Response[Any]:
        """A form of the page: back to the page (at ``anchor``), or the page with the
        refusal shown."""

        async def refused(failure: Problem, _fields: Fields) -> Response[Any]:
            return await self._page(services, appraisal_id, failure=failure)

        done = f"/appraisals/{appraisal_id}?saved=1" + (f"#{anchor}" if anchor else "")
        return await submit(services, work, done=done, refused=refused)

    # -- workflow actions ----------------------------------------------------------------

    @post("/appraisals/{appraisal_id:int}/actions/{trigger:str}", status_code=303)
    async def fire(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
        trigger: FromPath[str],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            data = convert(fields, ActionRequest)
            await services(AppraisalService).fire(appraisal_id, trigger, data)

        return await self._submit(services, appraisal_id, work)

    # -- the SKP: approach, RHKs, indicators, realisation --------------------------------

    @post("/appraisals/{appraisal_id:int}/approach", status_code=303)
    async def approach(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            await services(SkpService).set_approach(appraisal_id, convert(fields, ApproachSet))

        return await self._submit(services, appraisal_id, work, "skp")

    @post("/appraisals/{appraisal_id:int}/targets", status_code=303)
    async def add_target(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            raw = pick(fields, "title", "supports_target_id", "version")
            data = convert({**raw, "indicators": [_indicator(fields)]}, TargetCreate)
            await services(SkpService).add_target(appraisal_id, data)

        return await self._submit(services, appraisal_id, work, "skp")

    @post("/appraisals/{appraisal_id:int}/targets/{target_id:int}/delete", status_code=303)
    async def delete_target(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            version = convert(fields, ActionRequest).version
            await services(SkpService).delete_target(appraisal_id, target_id, version)

        return await self._submit(services, appraisal_id, work, "skp")

    @post("/appraisals/{appraisal_id:int}/targets/{target_id:int}/indicators", status_code=303)
    async def add_indicator(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            data = convert({**_indicator(fields), **pick(fields, "version")}, IndicatorCreate)
            await services(SkpService).add_indicator(appraisal_id, target_id, data)

        return await self._submit(services, appraisal_id, work, f"rhk-{target_id}")

    @post(f"{INDICATOR}/delete", status_code=303)
    async def delete_indicator(
        self,
        services: NamedDependency[Services],
        at: NamedDependency[IndicatorAt],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            version = convert(fields, ActionRequest).version
            await services(SkpService).delete_indicator(*at, version)

        return await self._submit(services, at.appraisal_id, work, f"rhk-{at.target_id}")

    @post(f"{INDICATOR}/realisation", status_code=303)
    async def realisation(
        self,
        services: NamedDependency[Services],
        at: NamedDependency[IndicatorAt],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            data = convert(
                pick(fields, "realisation_value", "realisation_text", "version"), IndicatorUpdate
            )
            await services(SkpService).update_indicator(*at, data)

        return await self._submit(services, at.appraisal_id, work, at.anchor)

    # -- evidence -------------------------------------------------------------------------

    @post(f"{INDICATOR}/evidence", status_code=303)
    async def add_evidence(
        self,
        services: NamedDependency[Services],
        at: NamedDependency[IndicatorAt],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            evidence = services(EvidenceService)
            upload = fields.get("file")
            if isinstance(upload, UploadFile) and upload.filename:
                data = convert(pick(fields, "note", "version"), FileFields)
                await evidence.add_file(*at, upload.file, upload.filename, data)
            else:
                await evidence.add_link(
                    *at, convert(pick(fields, "url", "note", "version"), LinkCreate)
                )

        return await self._submit(services, at.appraisal_id, work, at.anchor)

    @post(f"{INDICATOR}/evidence/{{evidence_id:int}}/delete", status_code=303)
    async def remove_evidence(
        self,
        services: NamedDependency[Services],
        at: NamedDependency[IndicatorAt],
        evidence_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            version = convert(fields, ActionRequest).version
            await services(EvidenceService).remove(*at, evidence_id, version)

        return await self._submit(services, at.appraisal_id, work, at.anchor)

    @get("/evidence/{evidence_id:int}")
    async def evidence_file(
        self, services: NamedDependency[Services], evidence_id: FromPath[int]
    ) -> File:
        return file_response(await services(EvidenceService).stored_file(evidence_id))

    # -- the evaluator: expectations, the rating, peers -----------------------------------

    @post("/appraisals/{appraisal_id:int}/expectations", status_code=303)
    async def expectations(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            data = convert(
                {
                    "version": fields.get("version"),
                    "expectations": {
                        value.value: fields.get(f"expectation-{value.value}", "")
                        for value in CORE_VALUES
                        if f"expectation-{value.value}" in fields
                    },
                },
                ExpectationsSet,
            )
            await services(EvaluationService).set_expectations(appraisal_id, data)

        return await self._submit(services, appraisal_id, work, "behaviour")

    @post("/appraisals/{appraisal_id:int}/evaluation", status_code=303)
    async def evaluation(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
    ) -> Response[Any]:
        """Save the evaluator's draft; with the submit button, then submit the review."""

        async def work(fields: Fields) -> None:
            draft = convert(_evaluation_fields(fields), EvaluationDraft)
            saved = await services(EvaluationService).save_draft(appraisal_id, draft)
            if fields.get("submit") == "review":
                await services(AppraisalService).fire(
                    appraisal_id, "submit_review", ActionRequest(version=saved.version)
                )

        return await self._submit(services, appraisal_id, work, "rating")

    @post("/appraisals/{appraisal_id:int}/peers", status_code=303)
    async def invite_peers(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            nips = [nip for nip in re.split(r"[\s,;]+", str(fields.get("nips", ""))) if nip]
            data = convert({"nips": nips, "due": fields.get("due")}, PeerInvite)
            await services(PeerService).invite(appraisal_id, data, services.locale)

        return await self._submit(services, appraisal_id, work, "peers")

    @post("/appraisals/{appraisal_id:int}/reassign", status_code=303)
    async def reassign(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
    ) -> Response[Any]:
        """HR names a new evaluator and/or appeal reviewer, with the reason."""

        async def work(fields: Fields) -> None:
            data = convert(
                pick(fields, "version", "reason", "evaluator_nip", "reviewer_nip"),
                ReassignRequest,
            )
            await services(AppraisalService).reassign(appraisal_id, data)

        return await self._submit(services, appraisal_id, work)

    # -- the dialogue ---------------------------------------------------------------------

    @post("/appraisals/{appraisal_id:int}/feedback", status_code=303)
    async def feedback_note(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
    ) -> Response[Any]:
        """A feedback note on the RHK the writer chose (``target_id``)."""

        async def work(fields: Fields) -> None:
            target = convert(pick(fields, "target_id"), FeedbackTarget).target_id
            data = convert(pick(fields, "body"), FeedbackCreate)
            await services(CoachingService).add_feedback(appraisal_id, target, data)

        return await self._submit(services, appraisal_id, work, "dialogue")

    @post("/appraisals/{appraisal_id:int}/coaching", status_code=303)
    async def coaching(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            data = convert(
                pick(fields, "held_on", "kind", "topic", "agreed_actions"), SessionCreate
            )
            await services(CoachingService).record_session(appraisal_id, data)

        return await self._submit(services, appraisal_id, work, "dialogue")

    # -- documents ------------------------------------------------------------------------

    @get("/appraisals/{appraisal_id:int}/documents/{kind:str}")
    async def document(
        self,
        services: NamedDependency[Services],
        appraisal_id: FromPath[int],
        kind: FromPath[str],
        output: Annotated[str, QueryParameter(name="format")] = "html",
    ) -> Response[bytes]:
        documents = services(DocumentService)
        if kind == "skp":
            rendered = await documents.skp(appraisal_id)
        elif kind == "evaluation":
            rendered = await documents.evaluation(appraisal_id)
        else:
            raise NotFound("Not found.")
        if output == "pdf":
            return Response(
                await html_to_pdf(rendered.html),
                media_type="application/pdf",
                headers={
                    "Content-Disposition": f'inline; filename="{rendered.filename}.pdf"',
                    "Cache-Control": "private, no-store",
                },
            )
        return Response(
            rendered.html.encode(), media_type="text/html; charset=utf-8", headers=HTML_HEADERS
        )


def _evaluation_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The rating form as the body of ``PUT /appraisals/{id}/evaluation``."""
    data: dict[str, Any] = _clean(
        {
            key: fields.get(key)
            for key in (
                "version",
                "results_rating",
                "behaviour_rating",
                "departure_reason",
                "comment",
            )
        }
    )
    targets, values, assessments = [], [], []
    for key, value in fields.items():
        if not isinstance(value, str) or not value.strip():
            continue
        name, _sep, ident = key.partition("-")
        if name == "target_feedback" and ident.isdigit():
            targets.append({"target_id": int(ident), "feedback": value})
        elif name == "behaviour_feedback":
            values.append({"value": ident, "feedback": value})
        elif name == "assessment" and ident.isdigit():
            assessments.append({"indicator_id": int(ident), "assessment": value})
    if targets:
        data["target_feedback"] = targets
    if values:
        data["behaviour_feedback"] = values
    if assessments:
        data["assessments"] = assessments
    return data
