"""The scheduler: what time does to cases. It runs inside ``kinerja-flow worker`` (and inside
``serve`` where that delivers mail itself); ``kinerja-flow deadlines run`` makes one pass.

Each pass takes every due reminder, escalation and automatic step of every kind of case
(``runtime.deadlines``), then sends the daily digests that are due (``accounts.digest``). Both
claim their work in the database, so several workers and restarts never repeat a step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from kinerja_flow.accounts.digest import DigestRunner
from kinerja_flow.bootstrap import DEADLINE_ADAPTERS
from kinerja_flow.lib.db import begin_write
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.deadlines import (
    DeadlineAdapter,
    DeadlineRunner,
    PassReport,
    worker_name,
)
from kinerja_flow.runtime.heartbeat import record_pass

log = logging.getLogger(__name__)


@dataclass
class SchedulerReport:
    deadlines: PassReport
    digests: int
    failed: bool = False

    def __str__(self) -> str:
        return f"{self.deadlines}; {self.digests} daily digest(s)"


class Scheduler:
    def __init__(
        self,
        ctx: AppContext,
        adapters: Mapping[str, DeadlineAdapter] = DEADLINE_ADAPTERS,
        worker: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.worker = worker or worker_name()
        self.deadlines = DeadlineRunner(ctx, adapters, worker=self.worker)
        self.digests = DigestRunner(ctx, adapters)

    async def run_once(self) -> SchedulerReport:
        """One pass: the due deadline steps, then the due digests; the pass is recorded for
        ``/metrics`` (its lag, and that it happened)."""
        report = await self.deadlines.run_pass()
        failed = report.failures > 0
        try:
            digests = await self.digests.run_pass()
        except Exception:
            log.exception("daily digests failed; they are tried again next pass")
            digests, failed = 0, True
        async with self.ctx.sessions() as session:
            await begin_write(session)
            await record_pass(
                session,
                self.worker,
                self.ctx.clock.now(),
                report.lag_seconds,
                sum(report.taken.values()),
            )
            await session.commit()
        return SchedulerReport(report, digests, failed)

    async def run(self, stop: asyncio.Event) -> None:
        """Pass every ``KINERJA_SCHEDULER_SECONDS`` until ``stop`` is set."""
        while not stop.is_set():
            try:
                report = await self.run_once()
                if report.deadlines.taken or report.digests:
                    log.info("scheduler pass: %s", report)
            except Exception:
                log.exception("scheduler pass failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.ctx.settings.scheduler_seconds)
