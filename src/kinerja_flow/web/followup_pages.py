"""Follow-up items (rencana pengembangan) and the development plan, over the same services as
``/api/v1/followups`` and ``/api/v1/employees/{nip}/development``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import File, Template
from sqlalchemy import select

from kinerja_flow.cycles.service import CycleService
from kinerja_flow.development import FollowUpKind
from kinerja_flow.evidence.controllers import file_response
from kinerja_flow.followups.access import FOLLOWUP_WORKFLOW
from kinerja_flow.followups.certificates import CertificateService
from kinerja_flow.followups.schemas import CertificateFields, FollowUpAction, SessionCreate
from kinerja_flow.followups.service import FollowUpService
from kinerja_flow.followups.tracking import Filters, FollowUpTracking
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import FieldError, Invalid, NotFound
from kinerja_flow.lib.principal import GLOBAL_ROLES
from kinerja_flow.org.models import Employee
from kinerja_flow.web.forms import Problem, convert, pick
from kinerja_flow.web.guards import signed_in_only
from kinerja_flow.web.render import page
from kinerja_flow.web.report_pages import EXPORTS
from kinerja_flow.web.services import Fields, Services, provide_services, submit


class FollowUpPages(Controller):
    guards = [signed_in_only]
    dependencies = {"services": Provide(provide_services, sync_to_thread=False)}

    @get("/followups")
    async def index(
        self,
        services: NamedDependency[Services],
        cycle_id: FromQuery[int | None] = None,
        kind: FromQuery[FollowUpKind | None] = None,
        state_filter: Annotated[str | None, QueryParameter(name="state", max_length=40)] = None,
        overdue: FromQuery[bool | None] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Template:
        """The items the reader may see (narrowed as ``GET /api/v1/followups`` narrows them);
        for HR and auditors, each cycle's follow-up and training exports."""
        filters = Filters(cycle_id=cycle_id, kind=kind, state=state_filter or None, overdue=overdue)
        listed = await services(FollowUpTracking).list(filters, 100, offset)
        overseer = bool(GLOBAL_ROLES & set(services.principal.roles))
        cycles = await services(CycleService).list_all() if overseer else []
        return services.page(
            "followups.html",
            listed=listed,
            cycles=cycles,
            exports=EXPORTS,
            chosen=filters,
            kinds=[k.value for k in FollowUpKind],
            states=list(services.ctx.workflows[FOLLOWUP_WORKFLOW].definition.states),
        )

    @get("/development")
    async def my_plan(
        self,
        services: NamedDependency[Services],
        year: Annotated[int | None, QueryParameter(ge=2000, le=2100)] = None,
    ) -> Template:
        me = services.principal.employee_id
        nip = (
            await services.session.scalar(select(Employee.nip).where(Employee.id == me))
            if me is not None
            else None
        )
        if nip is None:
            raise NotFound("Not found.")
        return await self._plan(services, nip, year)

    @get("/development/{nip:str}")
    async def plan_of(
        self,
        services: NamedDependency[Services],
        nip: FromPath[str],
        year: Annotated[int | None, QueryParameter(ge=2000, le=2100)] = None,
    ) -> Template:
        return await self._plan(services, nip, year)

    async def _plan(self, services: Services, nip: str, year: int | None) -> Template:
        plan = await services(FollowUpTracking).development(nip, year)
        return services.page("development.html", plan=plan)

    @get("/followups/{followup_id:int}")
    async def show(
        self,
        services: NamedDependency[Services],
        followup_id: FromPath[int],
        saved: FromQuery[int | None] = None,
    ) -> Template:
        return await self._page(services, followup_id, saved=bool(saved))

    async def _page(
        self,
        services: Services,
        followup_id: int,
        *,
        failure: Problem | None = None,
        saved: bool = False,
    ) -> Template:
        item = await services(FollowUpService).get(followup_id)
        trail = await services(FollowUpService).audit_trail(followup_id)
        return page(
            services.request, "followup.html", item=item, trail=trail, problem=failure, saved=saved
        )

    async def _submit(
        self,
        services: Services,
        followup_id: int,
        work: Callable[[Fields], Awaitable[Any]],
    ) -> Response[Any]:
        async def refused(failure: Problem, _fields: Fields) -> Response[Any]:
            return await self._page(services, followup_id, failure=failure)

        done = f"/followups/{followup_id}?saved=1"
        return await submit(services, work, done=done, refused=refused)

    @post("/followups/{followup_id:int}/actions/{trigger:str}", status_code=303)
    async def fire(
        self,
        services: NamedDependency[Services],
        followup_id: FromPath[int],
        trigger: FromPath[str],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            data = convert(
                pick(fields, "version", "reason", "comment", "outcome"),
                FollowUpAction,
            )
            await services(FollowUpService).fire(followup_id, trigger, data)

        return await self._submit(services, followup_id, work)

    @post("/followups/{followup_id:int}/sessions", status_code=303)
    async def add_session(
        self,
        services: NamedDependency[Services],
        followup_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            data = convert(pick(fields, "held_on", "notes", "version"), SessionCreate)
            await services(FollowUpService).add_session(followup_id, data)

        return await self._submit(services, followup_id, work)

    @get("/followups/{followup_id:int}/certificate")
    async def certificate(
        self, services: NamedDependency[Services], followup_id: FromPath[int]
    ) -> File:
        return file_response(await services(CertificateService).stored_file(followup_id))

    @post("/followups/{followup_id:int}/certificate", status_code=303)
    async def upload_certificate(
        self,
        services: NamedDependency[Services],
        followup_id: FromPath[int],
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            data = convert(pick(fields, "version"), CertificateFields)
            upload = fields.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise Invalid(
                    _("Send exactly one file in the form field 'file'."),
                    errors=[FieldError("file", _("Attach one file."))],
                )
            await services(CertificateService).upload(
                followup_id, upload.file, upload.filename, data
            )

        return await self._submit(services, followup_id, work)
