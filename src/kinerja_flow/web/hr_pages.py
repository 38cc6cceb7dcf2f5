"""HR's pages (auditors read the same, without the forms): cycles and their dashboard, units
with the survey's QR code, the employee import with its preview, accounts, the audit trail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Annotated, Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import File, Redirect, Template

from kinerja_flow.appraisals.calibration import calibration_steps
from kinerja_flow.appraisals.schemas import BulkActionRequest
from kinerja_flow.appraisals.service import BULK_KIND, AppraisalService
from kinerja_flow.cycles.schemas import CycleCreate
from kinerja_flow.cycles.service import CycleService
from kinerja_flow.distribution.schemas import UnitResultSet
from kinerja_flow.distribution.service import DistributionService
from kinerja_flow.i18n import _
from kinerja_flow.jobs import files
from kinerja_flow.jobs.access import download, job_file, job_out, visible_job, visible_jobs
from kinerja_flow.jobs.models import Job
from kinerja_flow.lib.errors import AppError, FieldError, Invalid, NotFound
from kinerja_flow.lib.principal import HR, require
from kinerja_flow.lib.tables import write_csv
from kinerja_flow.operations.audit_check import AuditCheckService
from kinerja_flow.org.schemas import UnitCreate
from kinerja_flow.org.service import OrgService
from kinerja_flow.predikat import Predikat
from kinerja_flow.roster.accounts import AccountAdminService
from kinerja_flow.roster.schemas import AccountDetail, StatusChange
from kinerja_flow.roster.service import RosterService
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.web.forms import Problem, convert, form_data, pick, problem
from kinerja_flow.web.guards import hr_or_auditor
from kinerja_flow.web.render import page
from kinerja_flow.web.report_pages import EXPORTS
from kinerja_flow.web.services import (
    Fields,
    Services,
    answer_form,
    provide_services,
    start_job,
    submit,
)

ORG_PREDIKAT = ("istimewa", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")
CYCLE_FIELDS = ("name", "kind", "period_start", "period_end", "workflow", "distribution_policy")
CYCLE_DEADLINES = ("targets_due", "self_assessment_due", "review_due")


def hr_triggers(ctx: AppContext, workflow: str) -> list[str]:
    """The triggers HR may fire, as the cycle's workflow file declares, for the bulk forms."""
    definition = ctx.workflows[workflow].definition
    seen: list[str] = []
    for transition in definition.transitions:
        if HR in transition.who and transition.trigger not in seen:
            seen.append(transition.trigger)
    return seen


MAX_IMPORT_BYTES = 64 * 1024 * 1024
SHOWN_PROBLEMS = 1000
JOBS_PAGE = 50
"""Jobs one page of the list shows."""
"""The bad lines a page lists; the rest are in the job's CSV of problems."""


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise NotFound(_("Not found.")) from None


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(64 * 1024):
        yield chunk


async def start_on_every_appraisal(
    services: Services, cycle_id: int, trigger: str, fields: Fields
) -> Job:
    """Start a step on every appraisal of the cycle where the reader may take it (the form's
    ``reason`` and ``comment`` going with it) as a job; its page lists the refusals."""
    data = convert(pick(fields, "reason", "comment"), BulkActionRequest)
    appraisals: AppraisalService = services(AppraisalService)
    return await appraisals.start_fire_all(cycle_id, trigger, data)


class HrPages(Controller):
    path = "/hr"
    guards = [hr_or_auditor]
    dependencies = {"services": Provide(provide_services, sync_to_thread=False)}

    # -- cycles ---------------------------------------------------------------------------

    @get("/")
    async def overview(
        self, request: Request[Any, Any, Any], services: NamedDependency[Services]
    ) -> Template:
        return await self._overview(request, services)

    async def _overview(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        failure: Problem | None = None,
        fields: dict[str, Any] | None = None,
    ) -> Template:
        cycles = await services(CycleService).list_all()
        return page(
            request,
            "hr/overview.html",
            cycles=cycles,
            problem=failure,
            fields=fields or {},
            workflows=sorted(
                n for n, e in services.ctx.workflows.items() if e.definition.kind == "appraisal"
            ),
            calibrated={
                name: list(calibration_steps(engine))
                for name, engine in services.ctx.workflows.items()
                if engine.definition.kind == "appraisal"
            },
        )

    @post("/cycles", status_code=303)
    async def create_cycle(
        self, request: Request[Any, Any, Any], services: NamedDependency[Services]
    ) -> Response[Any]:
        fields = await form_data(request)

        async def work() -> Response[Any]:
            deadlines = {key: fields.get(key) for key in CYCLE_DEADLINES if fields.get(key)}
            units = str(fields.get("unit_codes", "")).replace(",", " ").split()
            data = convert(
                {
                    **pick(fields, *CYCLE_FIELDS),
                    "deadlines": deadlines,
                    "unit_codes": units or None,
                },
                CycleCreate,
            )
            created = await services(CycleService).create(data)
            return Redirect(f"/hr/cycles/{created.id}", status_code=303)

        outcome = await services.attempt(work)
        if isinstance(outcome, Problem):
            return await self._overview(request, services, outcome, fields)
        return outcome

    @get("/cycles/{cycle_id:int}")
    async def cycle(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
    ) -> Template:
        return await self._cycle(request, services, cycle_id)

    async def _cycle(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        cycle_id: int,
        **extra: Any,
    ) -> Template:
        cycle = await services(CycleService).get(cycle_id)
        report = await services(DistributionService).report(cycle_id, services.locale)
        return page(
            request,
            "hr/cycle.html",
            cycle=cycle,
            report=report,
            predikat=[p.value for p in Predikat],
            org_predikat=ORG_PREDIKAT,
            triggers=hr_triggers(services.ctx, cycle.workflow),
            calibration=list(calibration_steps(services.ctx.workflows[cycle.workflow])),
            exports=EXPORTS,
            **extra,
        )

    async def _on_cycle(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        cycle_id: int,
        work: Callable[[Fields], Awaitable[dict[str, Any]]],
    ) -> Template:
        """A form of the cycle's dashboard, answered on the dashboard."""
        show = partial(self._cycle, request, services, cycle_id)
        return await answer_form(services, work, show)

    @post("/cycles/{cycle_id:int}/open", status_code=303)
    async def open_cycle(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
    ) -> Response[Any]:
        """Opening runs as a job: its page follows it, then links back to the cycle."""

        async def start(_fields: Fields) -> Job:
            cycles: CycleService = services(CycleService)
            return await cycles.start_open(cycle_id)

        refused = partial(self._refused, request, services, cycle_id)
        return await start_job(services, start, refused)

    @post("/cycles/{cycle_id:int}/actions/{trigger:str}", status_code=303)
    async def bulk(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
        trigger: FromPath[str],
    ) -> Response[Any]:
        """An action on the whole cycle runs as a job: its page lists the refusals (HR's
        form; auditors read the dashboard without it)."""
        require(services.principal, HR)
        start = partial(start_on_every_appraisal, services, cycle_id, trigger)
        refused = partial(self._refused, request, services, cycle_id)
        return await start_job(services, start, refused)

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        cycle_id: int,
        failure: Problem,
    ) -> Response[Any]:
        return await self._cycle(request, services, cycle_id, problem=failure)

    @post("/cycles/{cycle_id:int}/units/{code:str}/result", status_code=200)
    async def unit_result(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
        code: FromPath[str],
    ) -> Template:
        async def work(fields: Fields) -> dict[str, Any]:
            data = convert(
                pick(fields, "org_predikat", "reason"),
                UnitResultSet,
            )
            await services(DistributionService).set_result(cycle_id, code, data)
            return {"saved": True}

        return await self._on_cycle(request, services, cycle_id, work)

    @get("/cycles/{cycle_id:int}/appraisals")
    async def appraisals(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
        state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> Template:
        """The cycle's appraisals (of one state, or of the employees found by NIP or name)."""
        cycle = await services(CycleService).get(cycle_id)
        listed = await services(AppraisalService).list(
            cycle_id, state_filter or None, None, 100, offset, search=q or None
        )
        return page(
            request,
            "hr/appraisals.html",
            cycle=cycle,
            listed=listed,
            state=state_filter or "",
            q=q or "",
        )

    # -- units ----------------------------------------------------------------------------

    @get("/units")
    async def units(
        self, request: Request[Any, Any, Any], services: NamedDependency[Services]
    ) -> Template:
        return page(request, "hr/units.html", units=await services(OrgService).list_units())

    @post("/units", status_code=303)
    async def create_unit(
        self, request: Request[Any, Any, Any], services: NamedDependency[Services]
    ) -> Response[Any]:
        async def work(fields: Fields) -> None:
            data = convert(pick(fields, "code", "name", "parent_code"), UnitCreate)
            await services(OrgService).create_unit(data)

        async def refused(failure: Problem, fields: Fields) -> Response[Any]:
            units = await services(OrgService).list_units()
            return page(request, "hr/units.html", units=units, problem=failure, fields=fields)

        return await submit(services, work, done="/hr/units", refused=refused)

    @get("/units/{code:str}/qr.svg", media_type="image/svg+xml")
    async def survey_qr(
        self, services: NamedDependency[Services], code: FromPath[str]
    ) -> Response[bytes]:
        """The survey's address as a QR code (SVG, drawn here), to print at the counter."""
        units = await services(OrgService).list_units()
        if not any(unit.code == code for unit in units):
            raise NotFound(_("Not found."))
        qr = segno.make(services.ctx.link(f"/s/{code}"), error="m")
        return Response(
            qr.svg_inline(scale=6, title=f"/s/{code}").encode(),
            media_type="image/svg+xml",
            headers={"Content-Disposition": f'inline; filename="survey-{code}.svg"'},
        )

    # -- the employee import (a background job) -----------------------------------------

    @get("/import")
    async def import_form(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "hr/import.html")

    @post("/import", status_code=303, request_max_body_size=MAX_IMPORT_BYTES)
    async def import_file(
        self, request: Request[Any, Any, Any], services: NamedDependency[Services]
    ) -> Response[Any]:
        """Check the file first (a preview job: nothing written, every bad line listed), or
        import the file of a preview that found no problem (the second button)."""
        roster = services(RosterService)
        form = await request.form()
        try:
            roster.may_import()
            if form.get("step") == "import":
                job = await roster.import_previewed(_int(form.get("preview")))
            else:
                upload = form.get("file")
                if not isinstance(upload, UploadFile) or not upload.filename:
                    raise Invalid(
                        _("Choose a CSV or XLSX file."),
                        errors=[FieldError("file", _("Choose a CSV or XLSX file."))],
                    )
                head = await upload.read(4)
                await upload.seek(0)
                xlsx = head == b"PK\x03\x04" or upload.filename.lower().endswith(".xlsx")
                path = await files.receive(
                    _chunks(upload),
                    services.ctx.settings.evidence_path,
                    MAX_IMPORT_BYTES,
                    ".xlsx" if xlsx else ".csv",
                )
                job = await roster.start_import(path, "xlsx" if xlsx else "csv", dry_run=True)
        except AppError as error:
            await services.session.rollback()
            return page(
                request,
                "hr/import.html",
                status_code=error.status_code,
                problem=problem(error, services.principal.locale),
            )
        finally:
            await form.close()
        return Redirect(f"/hr/jobs/{job.id}", status_code=303)

    @get("/jobs")
    async def jobs(
        self,
        services: NamedDependency[Services],
        state_filter: Annotated[
            str | None, QueryParameter(name="state", pattern=r"^(queued|running|done|failed)?$")
        ] = None,
        kind: Annotated[str | None, QueryParameter(max_length=40, pattern=r"^[a-z_]*$")] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=2**31)] = 0,
    ) -> Template:
        """The jobs the reader may follow (HR: everyone's; auditors: their own), the newest
        first, each with its progress or what it came to (the form's empty choice: any)."""
        listed = await visible_jobs(
            services.session,
            services.principal,
            services.locale,
            state=state_filter or None,
            kind=kind or None,
            limit=JOBS_PAGE,
            offset=offset,
        )
        return services.page(
            "hr/jobs.html", listed=listed, state=state_filter or "", kind=kind or ""
        )

    @get("/jobs/{job_id:int}")
    async def job_page(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        job_id: FromPath[int],
    ) -> Template:
        """A job's progress, updating itself (htmx, or a reload without JavaScript), ending
        with its result: a preview's counts with the button to import, or every bad line."""
        row = await visible_job(services.session, services.principal, job_id)
        fragment = request.headers.get("hx-target") == "job"
        return page(
            request,
            "hr/_job.html" if fragment else "hr/job.html",
            job=job_out(row, services.principal.locale),
            params=row.params,
            preview=bool(row.params.get("dry_run")),
            shown=SHOWN_PROBLEMS,
            calibrating=await self._calibrating(services, row),
            has_file=row.output_path is not None,
        )

    @get("/jobs/{job_id:int}/file")
    async def job_file(self, services: NamedDependency[Services], job_id: FromPath[int]) -> File:
        """The file a finished job wrote (an export), for its starter and HR."""
        found = await job_file(services.session, services.principal, job_id)
        await services.session.rollback()
        return download(found)

    async def _calibrating(self, services: Services, job: Job) -> bool:
        """Whether the job is a step of the cycle's calibration (its page leads back to the
        queue as well as to the cycle)."""
        if job.kind != BULK_KIND:
            return False
        cycle = await services(CycleService).get(int(job.params["cycle_id"]))
        steps = calibration_steps(services.ctx.workflows[cycle.workflow]).values()
        return any(step.trigger == job.params["trigger"] for queue in steps for step in queue)

    @get("/jobs/{job_id:int}/problems.csv", media_type="text/csv")
    async def job_problems(
        self, services: NamedDependency[Services], job_id: FromPath[int]
    ) -> Response[bytes]:
        """Every bad line of a failed import, as a table to open beside the file."""
        job = job_out(
            await visible_job(services.session, services.principal, job_id),
            services.principal.locale,
        )
        items = (job.error.errors or []) if job.error else []
        return Response(
            write_csv(
                ["line", "nip", "problem"],
                [[item.line, item.field, item.message] for item in items],
            ),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="import-{job_id}-problems.csv"'},
        )

    # -- accounts and the audit trail -----------------------------------------------------

    @get("/accounts")
    async def accounts(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        q: FromQuery[str | None] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Template:
        listed = await services(AccountAdminService).list_accounts(q, None, 50, offset)
        return page(request, "hr/accounts.html", listed=listed, q=q or "")

    @post("/accounts/{account_id:int}/{change:str}", status_code=200)
    async def account_change(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        account_id: FromPath[int],
        change: FromPath[str],
    ) -> Template:
        fields = await form_data(request)
        admin: AccountAdminService = services(AccountAdminService)

        async def work() -> AccountDetail:
            if change == "reinvite":
                return await admin.reinvite(account_id)
            if change in ("deactivate", "reactivate"):
                reason = convert(pick(fields, "reason"), StatusChange).reason
                method = admin.deactivate if change == "deactivate" else admin.reactivate
                return await method(account_id, reason)
            raise NotFound(_("Not found."))

        outcome = await services.attempt(work)
        if isinstance(outcome, Problem):
            listed = await admin.list_accounts(None, None, 50, 0)
            return page(request, "hr/accounts.html", listed=listed, q="", problem=outcome)
        listed = await admin.list_accounts(outcome.email, None, 50, 0)
        return page(
            request,
            "hr/accounts.html",
            listed=listed,
            q=outcome.email,
            changed=outcome,
            change=change,
        )

    @get("/audit")
    async def audit(self, services: NamedDependency[Services]) -> Template:
        """The newest verdict on the hash chain (whoever asked for it), the reader's own
        verification under way, and the button to verify now (a job: a long chain takes a
        while)."""
        checks = await services(AuditCheckService).checks()
        return services.page("hr/audit.html", checks=checks)

    @post("/audit/verify", status_code=303)
    async def verify_audit(self, services: NamedDependency[Services]) -> Response[Any]:
        """Verify the whole chain as a job, followed on its page."""

        async def start(_fields: Fields) -> Job:
            checks: AuditCheckService = services(AuditCheckService)
            return await checks.start()

        async def refused(failure: Problem) -> Response[Any]:
            checks = await services(AuditCheckService).checks()
            return services.page("hr/audit.html", checks=checks, problem=failure)

        return await start_job(services, start, refused)
