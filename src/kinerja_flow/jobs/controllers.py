"""``GET /api/v1/jobs/{id}``: where a long piece of work stands."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.jobs.access import job_out, visible_job
from kinerja_flow.jobs.schemas import JobOut
from kinerja_flow.lib.http import request_locale
from kinerja_flow.lib.principal import Principal


class JobController(Controller):
    path = "/api/v1/jobs"
    tags = ["jobs"]

    @get(
        "/{job_id:int}",
        summary="A long job's state, progress and result (its starter and HR)",
        description=(
            "Poll until `state` is `done` (then `result` holds what the work produced) or "
            "`failed` (then `error` is the usual error body, e.g. every bad line of an "
            "import). Anyone but the starter and HR gets 404."
        ),
    )
    async def get_job(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        job_id: FromPath[int],
    ) -> JobOut:
        job = await visible_job(db_session, principal, job_id)
        return job_out(job, request_locale(request))
