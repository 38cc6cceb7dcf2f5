"""What every service needs from the running application; built once by ``bootstrap``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from kinerja_flow.clock import Clock
from kinerja_flow.config import Settings
from kinerja_flow.lib.listened_cache import ListenedCache
from kinerja_flow.lib.passwords import Passwords
from kinerja_flow.lib.principal import KnownCaller
from kinerja_flow.notifications.outbox import Outbox
from kinerja_flow.policies.distribution import DistributionPolicy
from kinerja_flow.policies.followup_rules import FollowUpRules
from kinerja_flow.runtime.timing import DeadlineClock
from kinerja_flow.workflow.engine import WorkflowEngine


@dataclass
class AppContext:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    autocommit: Callable[[], AsyncConnection]
    """A connection (``async with ctx.autocommit() as connection``) for lone reads: the caller
    of each request, the health check, an appraisal as shown. Each statement runs on its own,
    without ``BEGIN`` and ``ROLLBACK`` around it, and sees what was committed when it ran."""
    callers: ListenedCache[int, KnownCaller]
    """The callers of recent requests by account id (see :mod:`kinerja_flow.accounts.callers`)."""
    workflows: dict[str, WorkflowEngine[Any]]
    outbox: Outbox
    passwords: Passwords
    audit_key: bytes
    distribution_policy: DistributionPolicy
    followup_rules: FollowUpRules
    deadline_clock: DeadlineClock
    """The agency's time zone and working-day calendar, for every deadline."""

    def link(self, path: str) -> str:
        return f"{self.settings.base_url.rstrip('/')}{path}"
