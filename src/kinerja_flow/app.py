"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from litestar import Litestar, get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.openapi.config import OpenAPIConfig
from litestar.security.jwt import JWTAuth, Token

from kinerja_flow.accounts.callers import caller
from kinerja_flow.accounts.controllers import AuthController
from kinerja_flow.accounts.service import EPOCH_CLAIM, JWT_ALGORITHM
from kinerja_flow.appraisals.controllers import AppraisalController
from kinerja_flow.appraisals.skp_controllers import EvaluationController, SkpController
from kinerja_flow.bootstrap import build_context, job_runner
from kinerja_flow.clock import Clock, SystemClock
from kinerja_flow.coaching.controllers import CoachingController
from kinerja_flow.config import Settings, load_settings
from kinerja_flow.cycles.controllers import CycleController
from kinerja_flow.distribution.controllers import DistributionController
from kinerja_flow.documents.controllers import DocumentController
from kinerja_flow.evidence.controllers import EvidenceController, upload_router
from kinerja_flow.feedback.controllers import IkmController, SurveyController
from kinerja_flow.followups.controllers import (
    CertificateController,
    DevelopmentController,
    FollowUpController,
)
from kinerja_flow.jobs.controllers import JobController
from kinerja_flow.lib.apidocs import SCHEMA_PATH, LocalSwaggerUI, assets_router
from kinerja_flow.lib.bearer import BearerAuthenticationMiddleware
from kinerja_flow.lib.db import round_trip
from kinerja_flow.lib.http import (
    RETRY_AFTER_SECONDS,
    app_error_handler,
    http_error_handler,
    security_headers,
    unexpected_error_handler,
    validation_error_handler,
)
from kinerja_flow.lib.logs import install_request_ids, litestar_logging
from kinerja_flow.lib.openapi import document_errors
from kinerja_flow.lib.principal import Principal
from kinerja_flow.lib.requestid import RequestIdMiddleware
from kinerja_flow.lib.requests import StrictRequest, check_request
from kinerja_flow.lib.uploads.storage import EvidenceStore
from kinerja_flow.notifications.worker import OutboxWorker
from kinerja_flow.operations.controllers import AuditController, OutboxController
from kinerja_flow.operations.metrics import PATH as METRICS_PATH
from kinerja_flow.operations.metrics import MetricsController, prometheus_config
from kinerja_flow.org.controllers import OrgController
from kinerja_flow.peers.controllers import (
    PeerFeedbackController,
    PeerLinkController,
    PeerRequestController,
)
from kinerja_flow.reports.controllers import ReportController
from kinerja_flow.roster.account_controllers import AccountController
from kinerja_flow.roster.controllers import RosterController
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.deps import provide_ctx, provide_db_session, provide_principal
from kinerja_flow.scheduler import Scheduler
from kinerja_flow.web.errors import exception_handlers
from kinerja_flow.web.render import template_config
from kinerja_flow.web.router import web_routers

logger = logging.getLogger(__name__)

PUBLIC_PATHS = [
    "^/health$",
    "^/schema",
    "^/api/v1/auth/token$",
    "^/api/v1/auth/set-password$",
    "^/api/v1/auth/reset-password$",
    "^/api/v1/auth/forgot-password$",
    "^/demo/",
    "^/public/",
    f"^{METRICS_PATH}$",  # its own scrape token, checked by the controller
]


@get("/health", tags=["health"], summary="200 when the database answers")
async def health(state: State) -> dict[str, str]:
    # The context straight from the app's state: no dependency to resolve on every probe.
    ctx: AppContext = state.ctx
    try:
        async with ctx.autocommit() as connection:
            await round_trip(connection)
    except Exception as exc:
        raise HTTPException(
            status_code=503,
            detail="database unreachable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc
    return {"status": "ok"}


async def _retrieve_principal(
    token: Token, connection: ASGIConnection[Any, Any, Any, Any]
) -> Principal | None:
    ctx: NamedDependency[AppContext] = connection.app.state.ctx
    epoch = token.extras.get(EPOCH_CLAIM)
    try:
        account_id = int(token.sub)
    except ValueError:
        return None
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        return None
    return await caller(ctx, account_id, epoch)


# The lifespan hooks read the context from the app's state, like every request does, so one
# application object always runs with the context it holds.


@contextlib.asynccontextmanager
async def embedded_worker(app: Litestar) -> AsyncIterator[None]:
    ctx: AppContext = app.state.ctx
    if not ctx.settings.run_embedded_worker:
        yield
        return
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(
            OutboxWorker(ctx.sessions, ctx.settings, ctx.clock, ctx.outbox).run(stop)
        ),
        asyncio.create_task(Scheduler(ctx).run(stop)),
    ]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


@contextlib.asynccontextmanager
async def background_jobs(app: Litestar) -> AsyncIterator[None]:
    """Run queued jobs in this process too (``KINERJA_JOBS_IN_SERVE``, on by default)."""
    ctx: AppContext = app.state.ctx
    if not ctx.settings.jobs_in_serve:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(job_runner(ctx).run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


@contextlib.asynccontextmanager
async def caller_changes(app: Litestar) -> AsyncIterator[None]:
    """Hear every change to accounts (PostgreSQL, see ``account_changes_url``), so callers are
    kept between requests."""
    ctx: AppContext = app.state.ctx
    url = ctx.settings.account_changes
    if url is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(ctx.callers.listen(url, stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def dispose_engine(app: Litestar) -> None:
    ctx: AppContext = app.state.ctx
    await ctx.engine.dispose()


async def remove_abandoned_uploads(app: Litestar) -> None:
    ctx: AppContext = app.state.ctx
    store = EvidenceStore(ctx.settings.evidence_path)
    if removed := await anyio.to_thread.run_sync(store.remove_abandoned_uploads):
        logger.info("removed %s upload staging file(s) left by an earlier crash", removed)


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    route_handlers: list[Any] | None = None,
) -> Litestar:
    settings = settings or load_settings()
    ctx = build_context(settings, clock or SystemClock())
    install_request_ids()
    metrics = [MetricsController] if settings.metrics_token else []
    jwt_auth = JWTAuth[Principal, Token](
        retrieve_user_handler=_retrieve_principal,
        token_secret=settings.secret_key,
        algorithm=JWT_ALGORITHM,
        exclude=PUBLIC_PATHS,
        authentication_middleware_class=BearerAuthenticationMiddleware,
    )

    app = Litestar(
        route_handlers=[
            health,
            AuthController,
            OrgController,
            RosterController,
            AccountController,
            CycleController,
            AppraisalController,
            SkpController,
            EvaluationController,
            CoachingController,
            AuditController,
            OutboxController,
            JobController,
            SurveyController,
            IkmController,
            DistributionController,
            ReportController,
            PeerFeedbackController,
            PeerRequestController,
            PeerLinkController,
            DocumentController,
            upload_router(settings, EvidenceController),
            FollowUpController,
            DevelopmentController,
            upload_router(settings, CertificateController),
            assets_router(),
            *web_routers(settings),
            *metrics,
            *(route_handlers or []),
        ],
        middleware=[prometheus_config().middleware] if metrics else [],
        dependencies={
            "ctx": Provide(provide_ctx, sync_to_thread=False),
            "db_session": Provide(provide_db_session),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        request_class=StrictRequest,
        before_request=check_request,
        before_send=[security_headers],
        on_app_init=[jwt_auth.on_app_init],
        lifespan=[caller_changes, embedded_worker, background_jobs],
        on_startup=[remove_abandoned_uploads],
        on_shutdown=[dispose_engine],
        state=State({"ctx": ctx}),
        exception_handlers=exception_handlers(
            app_error_handler,
            validation_error_handler,
            http_error_handler,
            unexpected_error_handler,
        ),
        template_config=template_config(settings),
        logging_config=litestar_logging(settings.log_format),
        openapi_config=OpenAPIConfig(
            title="kinerja-flow",
            version="0.1.0",
            path=SCHEMA_PATH,
            render_plugins=[LocalSwaggerUI()],
        ),
    )
    document_errors(app, PUBLIC_PATHS)
    # Outermost, so even a 404 for an unknown path (answered before any route middleware)
    # carries its request id.
    app.asgi_handler = RequestIdMiddleware(app.asgi_handler)
    # Everything built so far (routes, mappers, workflows, templates) lives as long as the
    # process: leave it out of the cyclic collector's full passes, which otherwise walk it all
    # and stopped every request for 100-200 ms a few times a minute under load.
    gc.freeze()
    return app
