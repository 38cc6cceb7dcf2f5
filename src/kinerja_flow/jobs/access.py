"""Reading a job: its starter and HR see it; to anyone else it does not exist."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.i18n import _, translate
from kinerja_flow.jobs.models import Job
from kinerja_flow.jobs.schemas import JobOut, JobProgress
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.lib.http import request_locale
from kinerja_flow.lib.openapi import ErrorBody, ErrorItem
from kinerja_flow.lib.principal import HR, Principal


async def visible_job(session: AsyncSession, principal: Principal, job_id: int) -> Job:
    job = await session.get(Job, job_id) if 0 < job_id < 2**63 else None
    if job is None or not (
        HR in principal.roles
        or (principal.account_id is not None and job.owner_account_id == principal.account_id)
    ):
        raise NotFound(_("Not found."))
    return job


def job_out(job: Job, locale: str) -> JobOut:
    error = None
    if job.error is not None:
        error = ErrorBody(
            status_code=job.error["status_code"],
            detail=translate(job.error["message"], locale, **job.error["params"]),
            errors=[
                ErrorItem(
                    field=item["field"],
                    message=translate(item["message"], locale, **item["params"]),
                    line=item["line"],
                )
                for item in job.error["errors"]
            ]
            or None,
        )
    return JobOut(
        id=job.id,
        kind=job.kind,
        state=job.state,  # type: ignore[arg-type]
        progress=JobProgress(done=job.done, total=job.total, phase=job.phase),
        result=job.result,
        error=error,
        started_by=job.owner.get("email"),
        attempts=job.attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def accepted(job: Job, request: Request[Any, Any, Any]) -> Response[JobOut]:
    """The answer of a route that started ``job``: 202, the job, where to follow it."""
    return Response(
        job_out(job, request_locale(request)),
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )
