"""Run queued jobs: claim one (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the writer lock on
SQLite), run it under a lease renewed while it works, record its end.

It runs inside ``kinerja-flow worker`` and inside ``serve``, so any number of processes may
run one each; a job is claimed by exactly one of them. A job whose process died keeps its
``running`` row until its lease runs out; the next runner then claims it again (the kinds
registered are written so that running again finishes what the first run began) or, after
``MAX_ATTEMPTS`` tries, marks it failed. A runner told to stop puts its job back in the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kinerja_flow.clock import Clock
from kinerja_flow.i18n import _
from kinerja_flow.jobs.models import DONE, ENDED, FAILED, QUEUED, RUNNING, Job
from kinerja_flow.jobs.queue import (
    JobKind,
    RunningJob,
    error_of,
    listen,
    principal_of,
    unlisten,
)
from kinerja_flow.lib.db import begin_write, is_postgres
from kinerja_flow.lib.errors import AppError

log = logging.getLogger(__name__)

CtxT = TypeVar("CtxT")
MAX_ATTEMPTS = 2
SWEEP_SECONDS = 3600
"""How often a runner removes the files of jobs ended long enough ago (and once as it starts)."""

STOPPED = {
    "status_code": 503,
    "message": _("The job stopped twice with the process running it; start it again."),
    "params": {},
    "errors": [],
}
UNEXPECTED = {
    "status_code": 500,
    "message": _("The job failed unexpectedly; the error is in the service's log."),
    "params": {},
    "errors": [],
}


def remove_file(path: str | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


class JobRunner(Generic[CtxT]):
    def __init__(
        self,
        ctx: CtxT,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        kinds: Mapping[str, JobKind[CtxT]],
        *,
        poll_seconds: float = 2.0,
        files_kept: timedelta = timedelta(hours=24),
        lease: timedelta = timedelta(seconds=60),
        heartbeat_seconds: float = 0.5,
    ) -> None:
        self.ctx = ctx
        self.sessions = sessions
        self.clock = clock
        self.kinds = kinds
        self.poll_seconds = poll_seconds
        self.files_kept = files_kept
        """How long the files of an ended job stay: a preview's upload (to import it after),
        an export (to download it)."""
        self.lease = lease
        self.heartbeat_seconds = heartbeat_seconds
        self.worker = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"

    async def claim(self, job_id: int | None = None) -> Job | None:
        """Take the oldest queued job (or one whose runner died), or job ``job_id`` if it is
        waiting; None when there is none."""
        while True:
            now = self.clock.now()
            async with self.sessions() as session:
                # A look without the writer lock first: most polls find nothing.
                look = select(Job.id).where(Job.state.in_((QUEUED, RUNNING)))
                if job_id is not None:
                    look = look.where(Job.id == job_id)
                waiting = await session.scalar(look.limit(1))
                if waiting is None:
                    return None
            async with self.sessions() as session:
                await begin_write(session)
                query = (
                    select(Job)
                    .where(
                        Job.kind.in_(list(self.kinds)),
                        or_(
                            Job.state == QUEUED,
                            and_(Job.state == RUNNING, Job.lease_until < now),
                        ),
                    )
                    .order_by(Job.id)
                    .limit(1)
                )
                if job_id is not None:
                    query = query.where(Job.id == job_id)
                if is_postgres(session):
                    query = query.with_for_update(skip_locked=True)
                job = (await session.scalars(query)).first()
                if job is None:
                    return None
                if job.state == RUNNING and job.attempts >= MAX_ATTEMPTS:
                    log.warning(
                        "job %s stopped with its process %s times: failed", job.id, job.attempts
                    )
                    job.state, job.error, job.finished_at = FAILED, STOPPED, now
                    job.worker = job.lease_until = None
                    job.updated_at = now
                    path, job.input_path = job.input_path, None
                    await session.commit()
                    remove_file(path)
                    continue
                job.state = RUNNING
                job.worker = self.worker
                job.lease_until = now + self.lease
                job.attempts += 1
                job.started_at = now
                job.updated_at = now
                await session.commit()
                return job

    async def run_once(self, job_id: int | None = None) -> bool:
        """Claim and run one job (``job_id``, if given); False when none was waiting."""
        job = await self.claim(job_id)
        if job is None:
            return False
        running = RunningJob(
            id=job.id,
            kind=job.kind,
            params=job.params,
            principal=principal_of(job.owner),
            input_path=Path(job.input_path) if job.input_path else None,
            done=job.done,
            total=job.total,
            phase=job.phase,
        )
        work = asyncio.create_task(self.kinds[job.kind].run(self.ctx, running))
        beat = asyncio.create_task(self._heartbeat(running, work))
        try:
            result = await asyncio.shield(work)
        except asyncio.CancelledError:
            if work.cancelled() and running.lost:
                return True  # another runner holds it now (this one's lease ran out)
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            await self._requeue(running)
            raise
        except AppError as error:
            await self._end(running, FAILED, error=error_of(error))
        except Exception:
            log.exception("job %s (%s) failed", job.id, job.kind)
            await self._end(running, FAILED, error=UNEXPECTED)
        else:
            await self._end(running, DONE, result=msgspec.to_builtins(result))
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        return True

    async def _write(self, running: RunningJob, **values: Any) -> bool:
        async with self.sessions() as session:
            await begin_write(session)
            changed = await session.execute(
                update(Job)
                .where(Job.id == running.id, Job.worker == self.worker)
                .values(
                    done=running.done,
                    total=running.total,
                    phase=running.phase,
                    updated_at=self.clock.now(),
                    **values,
                )
            )
            await session.commit()
        return bool(changed.rowcount)  # type: ignore[attr-defined]

    async def _heartbeat(self, running: RunningJob, work: asyncio.Task[Any]) -> None:
        """Write the progress and renew the lease while the job runs; stop the work if
        another runner took the job over (this one was thought dead)."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                if not await self._write(running, lease_until=self.clock.now() + self.lease):
                    log.warning("job %s was taken over by another runner; stopping", running.id)
                    running.lost = True
                    work.cancel()
                    return
            except Exception:
                log.exception("could not record the progress of job %s", running.id)

    async def _end(self, running: RunningJob, state: str, **values: Any) -> None:
        keep = state == DONE and running.keep_input
        output = running.output_path if state == DONE else None
        if state == DONE and running.total is not None:
            running.done = running.total
        ended = await self._write(
            running,
            state=state,
            finished_at=self.clock.now(),
            worker=None,
            lease_until=None,
            output_path=str(output) if output else None,
            **({} if keep else {"input_path": None}),
            **values,
        )
        if ended and not keep and running.input_path:
            running.input_path.unlink(missing_ok=True)
        if running.output_path and not (ended and output):
            running.output_path.unlink(missing_ok=True)

    async def _requeue(self, running: RunningJob) -> None:
        """Give a job back when this runner stops, for the next one to start again."""
        with contextlib.suppress(Exception):
            await asyncio.shield(self._write(running, state=QUEUED, worker=None, lease_until=None))

    async def remove_old_files(self) -> int:
        """Remove the files of jobs ended more than ``files_kept`` ago (read or written);
        answer how many jobs had any."""
        cutoff = self.clock.now() - self.files_kept
        async with self.sessions() as session:
            await begin_write(session)
            old = (
                await session.execute(
                    select(Job.id, Job.input_path, Job.output_path).where(
                        Job.state.in_(ENDED),
                        or_(Job.input_path.is_not(None), Job.output_path.is_not(None)),
                        Job.finished_at < cutoff,
                    )
                )
            ).all()
            if old:
                await session.execute(
                    update(Job)
                    .where(Job.id.in_([row.id for row in old]))
                    .values(input_path=None, output_path=None)
                )
            await session.commit()
        for row in old:
            remove_file(row.input_path)
            remove_file(row.output_path)
        return len(old)

    async def run(self, stop: asyncio.Event) -> None:
        """Run jobs until ``stop`` is set: woken by a job started here, else every poll."""
        wakeup = asyncio.Event()
        listen(wakeup)
        swept = -float(SWEEP_SECONDS)
        try:
            while not stop.is_set():
                wakeup.clear()
                if time.monotonic() - swept > SWEEP_SECONDS:
                    swept = time.monotonic()
                    with contextlib.suppress(Exception):
                        await self.remove_old_files()
                try:
                    while not stop.is_set() and await self._run_until(stop):
                        pass
                except Exception:
                    log.exception("running jobs failed; trying again")
                waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wakeup.wait())]
                await asyncio.wait(
                    waiters, timeout=self.poll_seconds, return_when="FIRST_COMPLETED"
                )
                for waiter in waiters:
                    waiter.cancel()
        finally:
            unlisten(wakeup)

    async def _run_until(self, stop: asyncio.Event) -> bool:
        """Run one job, cancelling it (back to the queue) if ``stop`` is set meanwhile."""
        work = asyncio.create_task(self.run_once())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([work, stopping], return_when="FIRST_COMPLETED")
        stopping.cancel()
        if not work.done():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            return False
        return work.result()
