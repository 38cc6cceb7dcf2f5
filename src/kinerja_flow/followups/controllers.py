"""HTTP endpoints for follow-up items, their certificates and the development plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import File

from kinerja_flow.audit.schemas import AuditEventOut
from kinerja_flow.development import FollowUpKind, Owner
from kinerja_flow.evidence.controllers import file_response, read_form
from kinerja_flow.followups.certificates import CertificateService
from kinerja_flow.followups.schemas import (
    CertificateFields,
    CheckpointCreate,
    CheckpointReview,
    DevelopmentPlan,
    FollowUpAction,
    FollowUpCreate,
    FollowUpOut,
    FollowUpPage,
    FollowUpUpdate,
    SessionCreate,
)
from kinerja_flow.followups.service import FollowUpService
from kinerja_flow.followups.tracking import Filters, FollowUpTracking
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import UnsupportedMediaType
from kinerja_flow.runtime.deps import service_provider

ITEM = "/{followup_id:int}"


class FollowUpController(Controller):
    path = "/api/v1/followups"
    tags = ["followups"]
    dependencies = {
        "followup_service": service_provider(FollowUpService),
        "tracking": service_provider(FollowUpTracking),
    }

    @get("/", summary="Follow-up items the caller may see, with filters, soonest due first")
    async def list_followups(
        self,
        tracking: NamedDependency[FollowUpTracking],
        cycle_id: FromQuery[int | None] = None,
        unit_code: Annotated[str | None, QueryParameter(max_length=50)] = None,
        kind: FromQuery[FollowUpKind | None] = None,
        state_filter: Annotated[str | None, QueryParameter(name="state", max_length=40)] = None,
        owner: FromQuery[Owner | None] = None,
        overdue: FromQuery[bool | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> FollowUpPage:
        filters = Filters(
            cycle_id=cycle_id,
            unit_code=unit_code,
            kind=kind,
            state=state_filter,
            owner=owner,
            overdue=overdue,
        )
        return await tracking.list(filters, limit, offset)

    @post(
        "/",
        status_code=201,
        summary="Add a follow-up item (the employee proposes their own; the evaluator, HR)",
    )
    async def create(
        self, followup_service: NamedDependency[FollowUpService], data: JSONBody[FollowUpCreate]
    ) -> FollowUpOut:
        return await followup_service.create(data)

    @get(ITEM, summary="One follow-up item with the actions the caller may take now")
    async def get_followup(
        self, followup_service: NamedDependency[FollowUpService], followup_id: FromPath[int]
    ) -> FollowUpOut:
        return await followup_service.get(followup_id)

    @patch(ITEM, summary="Change an item's title, description, due date, owner or details")
    async def update(
        self,
        followup_service: NamedDependency[FollowUpService],
        followup_id: FromPath[int],
        data: JSONBody[FollowUpUpdate],
    ) -> FollowUpOut:
        return await followup_service.update(followup_id, data)

    @get(f"{ITEM}/audit", summary="The audit trail of one follow-up item")
    async def audit(
        self, followup_service: NamedDependency[FollowUpService], followup_id: FromPath[int]
    ) -> list[AuditEventOut]:
        return await followup_service.audit_trail(followup_id)

    @post(
        f"{ITEM}/actions/{{trigger:str}}",
        status_code=200,
        summary="Fire a trigger of workflows/followup.toml",
    )
    async def fire(
        self,
        followup_service: NamedDependency[FollowUpService],
        followup_id: FromPath[int],
        trigger: FromPath[str],
        data: JSONBody[FollowUpAction],
    ) -> FollowUpOut:
        return await followup_service.fire(followup_id, trigger, data)

    @post(f"{ITEM}/sessions", status_code=201, summary="Log a mentoring or coaching session")
    async def add_session(
        self,
        followup_service: NamedDependency[FollowUpService],
        followup_id: FromPath[int],
        data: JSONBody[SessionCreate],
    ) -> FollowUpOut:
        return await followup_service.add_session(followup_id, data)

    @post(f"{ITEM}/checkpoints", status_code=201, summary="Set a checkpoint of an improvement plan")
    async def add_checkpoint(
        self,
        followup_id: FromPath[int],
        followup_service: NamedDependency[FollowUpService],
        data: JSONBody[CheckpointCreate],
    ) -> FollowUpOut:
        return await followup_service.add_checkpoint(followup_id, data)

    @patch(
        f"{ITEM}/checkpoints/{{checkpoint_id:int}}",
        summary="Record the review of an improvement plan's checkpoint",
    )
    async def review_checkpoint(
        self,
        followup_service: NamedDependency[FollowUpService],
        followup_id: FromPath[int],
        checkpoint_id: FromPath[int],
        data: JSONBody[CheckpointReview],
    ) -> FollowUpOut:
        return await followup_service.review_checkpoint(followup_id, checkpoint_id, data)


class DevelopmentController(Controller):
    path = "/api/v1/employees"
    tags = ["followups"]
    dependencies = {"tracking": service_provider(FollowUpTracking)}

    @get(
        "/{nip:str}/development",
        summary="An employee's development plan: items and training hours per year",
    )
    async def development(
        self,
        tracking: NamedDependency[FollowUpTracking],
        nip: FromPath[str],
        year: Annotated[int | None, QueryParameter(ge=2000, le=2100)] = None,
    ) -> DevelopmentPlan:
        return await tracking.development(nip, year)


@dataclass
class CertificateOperation(Operation):
    """Documents the multipart body of a certificate upload."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={
                RequestEncodingType.MULTI_PART: OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        properties={
                            "file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
                            "version": Schema(
                                type=OpenAPIType.INTEGER, description="The item version you saw."
                            ),
                        },
                        required=["file"],
                    )
                )
            },
        )


class CertificateController(Controller):
    path = "/followups"
    tags = ["followups"]
    dependencies = {"certificates": service_provider(CertificateService)}

    @post(
        f"{ITEM}/certificate",
        status_code=201,
        summary="Upload a training's certificate (multipart, the same file rules as evidence)",
        operation_class=CertificateOperation,
    )
    async def upload(
        self,
        certificates: NamedDependency[CertificateService],
        request: Request[Any, Any, Any],
        followup_id: FromPath[int],
    ) -> FollowUpOut:
        if request.content_type[0] != RequestEncodingType.MULTI_PART:
            raise UnsupportedMediaType(_("Send the certificate as multipart/form-data."))
        limit = certificates.ctx.settings.evidence_max_bytes
        upload, fields = await read_form(request, limit, CertificateFields)
        try:
            return await certificates.upload(followup_id, upload.file, upload.filename, fields)
        finally:
            await upload.close()

    @get(
        f"{ITEM}/certificate",
        summary="Download a training's certificate (whoever may see the item)",
        media_type="application/octet-stream",
    )
    async def download(
        self, certificates: NamedDependency[CertificateService], followup_id: FromPath[int]
    ) -> File:
        return file_response(await certificates.stored_file(followup_id))
