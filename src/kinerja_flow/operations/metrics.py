"""Prometheus metrics for operators: ``/metrics``, only when a scrape token is configured.

Per route (Litestar's Prometheus middleware, grouped by path template): request counts and
latency. Read at scrape time: database pool use, the outbox's depth, the age of its oldest
pending message and its failed messages; the schedulers' lag (how long after its moment the
latest reminder, escalation or automatic step was taken, over the passes of the last ten
minutes) and the time since any scheduler last finished a pass (-1 if none ever did).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, get_args

from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.pool import QueuePool

from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.operations.schemas import OutboxState
from kinerja_flow.runtime import heartbeat
from kinerja_flow.runtime.context import AppContext

PATH = "/metrics"
POOL_IN_USE = Gauge("kinerja_db_pool_in_use", "Database connections checked out of the pool")
POOL_SIZE = Gauge("kinerja_db_pool_size", "Database connections the pool holds open")
OUTBOX = Gauge("kinerja_outbox_messages", "Emails in the outbox by state", ["state"])
OUTBOX_OLDEST = Gauge(
    "kinerja_outbox_oldest_pending_seconds", "Age of the oldest email still waiting to be sent"
)
SCHEDULER_LAG = Gauge(
    "kinerja_scheduler_lag_seconds",
    "How long after its moment a deadline step was taken, the most in recent passes",
)
SCHEDULER_SINCE = Gauge(
    "kinerja_scheduler_seconds_since_pass",
    "Seconds since any scheduler last finished a pass (-1: none ever did)",
)

ACCOUNT_CHANGES_HEARD = Gauge(
    "kinerja_account_changes_heard",
    "1 while this process hears every change to accounts and so keeps callers between "
    "requests (PostgreSQL); 0: it reads the caller of every request from the database",
)


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="kinerja_flow", prefix="kinerja", group_path=True, exclude=[PATH]
    )


async def refresh(ctx: AppContext, now: datetime) -> None:
    """Read the figures that live in the database or the pool, just before a scrape."""
    pool = ctx.engine.sync_engine.pool
    if isinstance(pool, QueuePool):
        POOL_IN_USE.set(pool.checkedout())
        POOL_SIZE.set(pool.size())
    ACCOUNT_CHANGES_HEARD.set(1 if ctx.callers.hearing else 0)
    async with ctx.sessions() as session:
        counts = dict(
            (
                await session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                )
            ).all()
        )
        oldest = await session.scalar(
            select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending")
        )
        since, lag = await heartbeat.latest(session, now)
    SCHEDULER_LAG.set(lag)
    SCHEDULER_SINCE.set(-1.0 if since is None else since)
    for state in get_args(OutboxState):
        OUTBOX.labels(state).set(counts.get(state, 0))
    OUTBOX_OLDEST.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)


class MetricsController(PrometheusController):
    """The scrape endpoint: ``Authorization: Bearer <KINERJA_METRICS_TOKEN>``."""

    path = PATH
    include_in_schema = False

    @get(include_in_schema=False)
    async def get(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        ctx: AppContext = request.app.state.ctx
        expected = f"Bearer {ctx.settings.metrics_token}"
        given = request.headers.get("authorization", "")
        if not ctx.settings.metrics_token or not hmac.compare_digest(given, expected):
            raise NotAuthorizedException()
        await refresh(ctx, ctx.clock.now())
        return await super().get.fn(self)  # type: ignore[no-any-return]
