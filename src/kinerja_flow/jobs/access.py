"""Reading jobs: a job's starter and HR see it (and download the file it wrote); to anyone
else it does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from litestar import Request, Response
from litestar.response import File
from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.i18n import _, translate
from kinerja_flow.jobs.models import DONE, FAILED, Job
from kinerja_flow.jobs.schemas import JobOut, JobPage, JobProgress
from kinerja_flow.lib.errors import Conflict, Gone, NotFound
from kinerja_flow.lib.http import request_locale
from kinerja_flow.lib.openapi import ErrorBody, ErrorItem
from kinerja_flow.lib.principal import HR, Principal


def _visible(principal: Principal) -> ColumnElement[bool]:
    if HR in principal.roles:
        return true()
    return Job.owner_account_id == principal.account_id  # NULL (the system's) matches none


async def visible_job(session: AsyncSession, principal: Principal, job_id: int) -> Job:
    job = await session.get(Job, job_id) if 0 < job_id < 2**63 else None
    if job is None or not (
        HR in principal.roles
        or (principal.account_id is not None and job.owner_account_id == principal.account_id)
    ):
        raise NotFound(_("Not found."))
    return job


async def visible_jobs(
    session: AsyncSession,
    principal: Principal,
    locale: str,
    *,
    state: str | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> JobPage:
    """The jobs the caller sees (``state``, ``kind`` if given), the newest first."""
    query = select(Job).where(_visible(principal))
    if state is not None:
        query = query.where(Job.state == state)
    if kind is not None:
        query = query.where(Job.kind == kind)
    rows = (await session.scalars(query.order_by(Job.id.desc()).limit(limit).offset(offset))).all()
    total = len(rows) + offset
    if (offset and not rows) or len(rows) == limit:
        counted = select(func.count()).select_from(query.subquery())
        total = int(await session.scalar(counted) or 0)
    return JobPage([job_out(job, locale) for job in rows], total, limit, offset)


@dataclass(frozen=True)
class JobFile:
    """The file a job wrote, as its result names it."""

    path: Path
    filename: str
    media_type: str


async def job_file(session: AsyncSession, principal: Principal, job_id: int) -> JobFile:
    """The file job ``job_id`` wrote: 404 if the caller may not see the job or it writes no
    file, 409 until it is done, 410 once the file was removed."""
    job = await visible_job(session, principal, job_id)
    result = job.result or {}
    if job.state == FAILED or (job.state == DONE and "filename" not in result):
        raise NotFound(_("This job has no file to download."))
    if job.state != DONE:
        raise Conflict(_("The file is not ready yet: the job has not finished."))
    if job.output_path is None or not await anyio.Path(job.output_path).is_file():
        raise Gone(_("The file was removed some time after the job ended; start it again."))
    return JobFile(Path(job.output_path), result["filename"], result["media_type"])


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
        params=job.params,
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


def download(found: JobFile) -> File:
    """A job's file to save (streamed from disk, never kept by a shared cache)."""
    return File(
        found.path,
        filename=found.filename,
        media_type=found.media_type,
        content_disposition_type="attachment",
        headers={"Cache-Control": "private, no-store"},
    )
