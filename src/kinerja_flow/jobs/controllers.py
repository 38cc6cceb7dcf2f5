"""``GET /api/v1/jobs``, ``GET /api/v1/jobs/{id}``: where long pieces of work stand, and the
file a finished one wrote (an export)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import File
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.jobs.access import download, job_file, job_out, visible_job, visible_jobs
from kinerja_flow.jobs.schemas import JobOut, JobPage, JobState
from kinerja_flow.lib.http import request_locale
from kinerja_flow.lib.openapi import error_responses
from kinerja_flow.lib.principal import Principal

StateQuery = Annotated[JobState | None, QueryParameter(name="state")]
KindQuery = Annotated[
    str | None, QueryParameter(name="kind", min_length=1, max_length=40, pattern=r"^[a-z_]+$")
]
"""The filters of a list of jobs (a kind unknown here finds none)."""


class JobController(Controller):
    path = "/api/v1/jobs"
    tags = ["jobs"]

    @get(
        "/",
        summary="Jobs, the newest first (HR: all; anyone else: the jobs they started)",
        description="Filter by `state` and `kind` (e.g. `cycle_export`); page with `limit`, "
        "`offset`.",
    )
    async def list_jobs(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        state_filter: StateQuery = None,
        kind: KindQuery = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=2**31)] = 0,
    ) -> JobPage:
        return await visible_jobs(
            db_session,
            principal,
            request_locale(request),
            state=state_filter,
            kind=kind,
            limit=limit,
            offset=offset,
        )

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

    @get(
        "/{job_id:int}/file",
        summary="The file a finished job wrote, e.g. an export (its starter and HR)",
        description=(
            "The job's `result` names it (`filename`, `media_type`). 404 for a job without a "
            "file (or not visible to the caller), 409 while the job has not finished, 410 once "
            "the file was removed (`KINERJA_JOB_FILES_HOURS` after the job ended)."
        ),
        media_type="application/octet-stream",
        responses=error_responses(409, 410),
    )
    async def get_file(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        job_id: FromPath[int],
    ) -> File:
        found = await job_file(db_session, principal, job_id)
        await db_session.rollback()
        return download(found)
