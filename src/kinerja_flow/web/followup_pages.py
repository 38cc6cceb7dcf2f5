"""Follow-up items (rencana pengembangan) and the development plan, over the same services as
``/api/v1/followups`` and ``/api/v1/employees/{nip}/development``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ETag, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import File, Redirect, Template
from sqlalchemy import select

from kinerja_flow.followups.certificates import CertificateService
from kinerja_flow.followups.schemas import CertificateFields, FollowUpAction, SessionCreate
from kinerja_flow.followups.service import FollowUpService
from kinerja_flow.followups.tracking import Filters, FollowUpTracking
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import AppError, FieldError, Invalid, NotFound
from kinerja_flow.lib.uploads.filenames import content_disposition
from kinerja_flow.org.models import Employee
from kinerja_flow.web.appraisal_pages import Services, provide_services
from kinerja_flow.web.forms import Problem, convert, form_data, problem
from kinerja_flow.web.guards import signed_in_only
from kinerja_flow.web.render import page


class FollowUpPages(Controller):
    guards = [signed_in_only]
    dependencies = {"services": Provide(provide_services, sync_to_thread=False)}

    @get("/followups")
    async def index(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Template:
        listed = await services(FollowUpTracking).list(Filters(), 100, offset)
        return page(request, "followups.html", listed=listed)

    @get("/development")
    async def my_plan(
        self,
        request: Request[Any, Any, Any],
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
        return await self._plan(request, services, nip, year)

    @get("/development/{nip:str}")
    async def plan_of(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        nip: FromPath[str],
        year: Annotated[int | None, QueryParameter(ge=2000, le=2100)] = None,
    ) -> Template:
        return await self._plan(request, services, nip, year)

    async def _plan(
        self, request: Request[Any, Any, Any], services: Services, nip: str, year: int | None
    ) -> Template:
        plan = await services(FollowUpTracking).development(nip, year)
        return page(request, "development.html", plan=plan)

    @get("/followups/{followup_id:int}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        followup_id: FromPath[int],
        saved: FromQuery[int | None] = None,
    ) -> Template:
        return await self._page(request, services, followup_id, saved=bool(saved))

    async def _page(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        followup_id: int,
        *,
        failure: Problem | None = None,
        saved: bool = False,
    ) -> Template:
        item = await services(FollowUpService).get(followup_id)
        trail = await services(FollowUpService).audit_trail(followup_id)
        return page(
            request,
            "followup.html",
            status_code=failure.status_code if failure else 200,
            item=item,
            trail=trail,
            problem=failure,
            saved=saved,
        )

    async def _attempt(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        followup_id: int,
        work: Callable[[], Awaitable[Any]],
    ) -> Response[Any]:
        try:
            await work()
        except AppError as error:
            await services.session.rollback()
            if isinstance(error, NotFound):
                raise
            return await self._page(
                request, services, followup_id, failure=problem(error, services.principal.locale)
            )
        return Redirect(f"/followups/{followup_id}?saved=1", status_code=303)

    @post("/followups/{followup_id:int}/actions/{trigger:str}", status_code=303)
    async def fire(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        followup_id: FromPath[int],
        trigger: FromPath[str],
    ) -> Response[Any]:
        fields = await form_data(request)

        async def work() -> None:
            data = convert(
                {k: fields.get(k) for k in ("version", "reason", "comment", "outcome")},
                FollowUpAction,
            )
            await services(FollowUpService).fire(followup_id, trigger, data)

        return await self._attempt(request, services, followup_id, work)

    @post("/followups/{followup_id:int}/sessions", status_code=303)
    async def add_session(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        followup_id: FromPath[int],
    ) -> Response[Any]:
        fields = await form_data(request)

        async def work() -> None:
            data = convert(
                {k: fields.get(k) for k in ("held_on", "notes", "version")}, SessionCreate
            )
            await services(FollowUpService).add_session(followup_id, data)

        return await self._attempt(request, services, followup_id, work)

    @get("/followups/{followup_id:int}/certificate")
    async def certificate(
        self, services: NamedDependency[Services], followup_id: FromPath[int]
    ) -> File:
        stored = await services(CertificateService).stored_file(followup_id)
        return File(
            stored.path,
            media_type=stored.content_type,
            etag=ETag(value=stored.sha256),
            headers={
                "content-disposition": content_disposition(stored.filename),
                "cache-control": "private, no-store",
            },
        )

    @post("/followups/{followup_id:int}/certificate", status_code=303)
    async def upload_certificate(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        followup_id: FromPath[int],
    ) -> Response[Any]:
        form = await request.form()
        upload = form.get("file")

        async def work() -> None:
            fields = convert({"version": form.get("version")}, CertificateFields)
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise Invalid(
                    _("Send exactly one file in the form field 'file'."),
                    errors=[FieldError("file", _("Attach one file."))],
                )
            else:
                await services(CertificateService).upload(
                    followup_id, upload.file, upload.filename, fields
                )

        try:
            return await self._attempt(request, services, followup_id, work)
        finally:
            await form.close()
