"""The whole audit chain verified as a background job: a page that asks for it does not hold
its request while a chain of millions of events is read and hashed."""

from __future__ import annotations

from kinerja_flow.audit.verify import VerifyResult, verify
from kinerja_flow.jobs.access import visible_jobs
from kinerja_flow.jobs.models import Job
from kinerja_flow.jobs.queue import RunningJob, submit, wake
from kinerja_flow.jobs.schemas import JobOut
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.principal import AUDITOR, HR, require
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.service import Service

VERIFY_KIND = "audit_verify"


class AuditCheckService(Service):
    """Start a verification of the chain, and the latest one the caller may see."""

    async def start(self) -> Job:
        require(self.principal, HR, AUDITOR)
        await begin_write(self.session)
        job = await submit(self.session, self.ctx.clock.now(), VERIFY_KIND, self.principal, {})
        await self.session.commit()
        wake()
        return job

    async def latest(self) -> JobOut | None:
        require(self.principal, HR, AUDITOR)
        found = await visible_jobs(
            self.session,
            self.principal,
            self.principal.locale,
            state=None,
            kind=VERIFY_KIND,
            limit=1,
            offset=0,
        )
        return found.items[0] if found.items else None


class ChainVerification:
    """``audit_verify``: no params; the result is the verdict on the whole chain."""

    kind = VERIFY_KIND

    async def run(self, ctx: AppContext, job: RunningJob) -> VerifyResult:
        async with ctx.sessions() as session:
            return await verify(session, ctx.audit_key)
