"""The whole audit chain verified as a background job: a page or client that asks for it does
not hold its request while a chain of millions of events is read and hashed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from kinerja_flow.audit.verify import VerifyResult, verify
from kinerja_flow.jobs.access import job_out
from kinerja_flow.jobs.models import DONE, QUEUED, RUNNING, Job
from kinerja_flow.jobs.queue import RunningJob, submit, wake
from kinerja_flow.jobs.schemas import JobOut
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.principal import AUDITOR, HR, require
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.service import Service

VERIFY_KIND = "audit_verify"


@dataclass(frozen=True)
class AuditChecks:
    verdict: JobOut | None
    """The newest finished verification, whoever started it: HR and auditors all read it."""
    mine: JobOut | None
    """The caller's own verification still waiting or running, if any."""


class AuditCheckService(Service):
    """Start a verification of the chain (HR, auditors), and what the audit page shows."""

    async def start(self) -> Job:
        """Queue a verification, or answer the caller's own that has not ended yet: a second
        click does not queue the whole chain again behind the first."""
        require(self.principal, HR, AUDITOR)
        await begin_write(self.session)
        job = await self._mine()
        if job is None:
            job = await submit(self.session, self.ctx.clock.now(), VERIFY_KIND, self.principal, {})
        await self.session.commit()
        wake()
        return job

    async def checks(self) -> AuditChecks:
        require(self.principal, HR, AUDITOR)
        verdict = await self.session.scalar(
            select(Job)
            .where(Job.kind == VERIFY_KIND, Job.state == DONE)
            .order_by(Job.finished_at.desc(), Job.id.desc())
            .limit(1)
        )
        mine = await self._mine()
        locale = self.principal.locale
        return AuditChecks(
            verdict=job_out(verdict, locale) if verdict else None,
            mine=job_out(mine, locale) if mine else None,
        )

    async def _mine(self) -> Job | None:
        found: Job | None = await self.session.scalar(
            select(Job)
            .where(
                Job.kind == VERIFY_KIND,
                Job.state.in_((QUEUED, RUNNING)),
                Job.owner_account_id == self.principal.account_id,
            )
            .order_by(Job.id.desc())
            .limit(1)
        )
        return found


class ChainVerification:
    """``audit_verify``: no params; the result is the verdict on the whole chain."""

    kind = VERIFY_KIND

    async def run(self, ctx: AppContext, job: RunningJob) -> VerifyResult:
        async with ctx.sessions() as session:
            return await verify(session, ctx.audit_key)
