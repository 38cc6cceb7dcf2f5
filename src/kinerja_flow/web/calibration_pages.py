"""HR's calibration queue of a cycle (where its workflow calibrates): each rating beside its
unit's distribution pattern, released or sent back one by one or all at once, with the
refusals listed. Auditors read it without the forms. The steps are the workflow's triggers,
fired through the same service as ``/api/v1/appraisals/{id}/actions/{trigger}`` and
``/api/v1/cycles/{id}/actions/{trigger}``."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from kinerja_flow.appraisals.calibration import CalibrationService
from kinerja_flow.appraisals.schemas import ActionRequest
from kinerja_flow.appraisals.service import AppraisalService
from kinerja_flow.cycles.service import CycleService
from kinerja_flow.distribution.service import DistributionService
from kinerja_flow.lib.principal import HR, require
from kinerja_flow.web.forms import Problem, convert
from kinerja_flow.web.guards import hr_or_auditor
from kinerja_flow.web.hr_pages import start_on_every_appraisal
from kinerja_flow.web.services import (
    Fields,
    Services,
    answer_form,
    provide_services,
    start_job,
)

PAGE_SIZE = 50
"""Ratings one page of the queue shows, each with its forms."""
Offset = Annotated[int, QueryParameter(ge=0)]


class CalibrationPages(Controller):
    path = "/hr/cycles/{cycle_id:int}/calibration"
    guards = [hr_or_auditor]
    dependencies = {"services": Provide(provide_services, sync_to_thread=False)}

    @get("/")
    async def queue(
        self,
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
        offset: Offset = 0,
    ) -> Template:
        return await self._queue(services, cycle_id, offset)

    async def _queue(
        self,
        services: Services,
        cycle_id: int,
        offset: int = 0,
        **extra: Any,
    ) -> Template:
        cycle = await services(CycleService).get(cycle_id)
        queue = await services(CalibrationService).queue(cycle_id, PAGE_SIZE, offset)
        report = await services(DistributionService).report(cycle_id, services.locale)
        shown = {item.unit_code for item in queue.items}
        return services.page(
            "hr/calibration.html",
            cycle=cycle,
            queue=queue,
            units={u.unit_code: u for u in report.units if u.unit_code in shown},
            **extra,
        )

    @post("/{appraisal_id:int}/{trigger:str}", status_code=200)
    async def step(
        self,
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
        appraisal_id: FromPath[int],
        trigger: FromPath[str],
    ) -> Template:
        """Release one rating or send it back (with the reason), then the queue again."""

        async def work(fields: Fields) -> dict[str, Any]:
            data = convert(fields, ActionRequest)
            done = await services(AppraisalService).fire(appraisal_id, trigger, data)
            return {"done": done, "done_trigger": trigger}

        show = partial(self._queue, services, cycle_id)
        return await answer_form(services, work, show)

    @post("/all/{trigger:str}", status_code=303)
    async def every(
        self,
        services: NamedDependency[Services],
        cycle_id: FromPath[int],
        trigger: FromPath[str],
    ) -> Response[Any]:
        """The step on every rating of the queue where it is possible now, as a job: its page
        lists the ratings refused with why, and leads back to the queue."""
        require(services.principal, HR)
        start = partial(start_on_every_appraisal, services, cycle_id, trigger)

        async def refused(failure: Problem) -> Response[Any]:
            return await self._queue(services, cycle_id, problem=failure)

        return await start_job(services, start, refused)
