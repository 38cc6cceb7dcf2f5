"""HTTP endpoints over the platform itself: the audit chain and the outbox."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.audit.verify import VerifyResult, verify
from kinerja_flow.jobs.access import accepted
from kinerja_flow.jobs.schemas import JobOut
from kinerja_flow.lib.principal import Principal, require
from kinerja_flow.operations.audit_check import AuditCheckService
from kinerja_flow.operations.outbox import OutboxService
from kinerja_flow.operations.schemas import OutboxMessageOut, OutboxPage, OutboxState
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.deps import service_provider


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    dependencies = {"audit_checks": service_provider(AuditCheckService)}

    @post(
        "/verify",
        status_code=202,
        summary="Check every event of the hash chain in the background (HR, auditor)",
        description=(
            "Answers 202 with the job (`Location: /api/v1/jobs/{id}`); its `result` is the "
            "verdict, as `GET` gives it. The caller's own verification not ended yet is "
            "answered instead of a second one."
        ),
    )
    async def start_verification(
        self, request: Request[Any, Any, Any], audit_checks: NamedDependency[AuditCheckService]
    ) -> Response[JobOut]:
        return accepted(await audit_checks.start(), request)

    @get(
        "/verify",
        summary="Check every event of the hash chain, answering when done (HR, auditor)",
        description="A chain of millions of events takes seconds: `POST` runs it as a job.",
    )
    async def verify_chain(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        ctx: NamedDependency[AppContext],
    ) -> VerifyResult:
        require(principal, "hr", "auditor")
        return await verify(db_session, ctx.audit_key)


class OutboxController(Controller):
    path = "/api/v1/outbox"
    tags = ["operations"]
    dependencies = {"outbox_service": service_provider(OutboxService)}

    @get("/", summary="Queued, sent and failed emails, newest first (HR, auditor)")
    async def list_messages(
        self,
        outbox_service: NamedDependency[OutboxService],
        state_filter: Annotated[OutboxState | None, QueryParameter(name="state")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> OutboxPage:
        return await outbox_service.page(state_filter, limit, offset)

    @post(
        "/{message_id:int}/retry",
        status_code=200,
        summary="Send a failed email again, once its cause is fixed (HR; audited)",
    )
    async def retry(
        self, outbox_service: NamedDependency[OutboxService], message_id: FromPath[int]
    ) -> OutboxMessageOut:
        return await outbox_service.retry(message_id)
