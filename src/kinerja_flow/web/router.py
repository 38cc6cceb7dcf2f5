"""The web application's routes, with the session and CSRF middleware they share."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.static_files import create_static_files_router

from kinerja_flow.config import Settings
from kinerja_flow.web.account_pages import AccountPages
from kinerja_flow.web.appraisal_pages import AppraisalPages
from kinerja_flow.web.calibration_pages import CalibrationPages
from kinerja_flow.web.followup_pages import FollowUpPages
from kinerja_flow.web.hr_pages import HrPages
from kinerja_flow.web.public_pages import PeerRequestPages, PublicPages
from kinerja_flow.web.report_pages import ReportPages
from kinerja_flow.web.sessions import SessionMiddleware
from kinerja_flow.web.task_pages import TaskPages

STATIC = Path(__file__).resolve().parents[1] / "static" / "web"
STATIC_PATH = "/static"
CSRF_COOKIE = "kinerja_csrf"
CSRF_HEADER = "x-csrftoken"


def csrf_config(settings: Settings) -> CSRFConfig:
    """A signed token in an HttpOnly cookie, repeated in every form (``_csrf_token``) and in
    every htmx request's header."""
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_httponly=True,
        cookie_samesite="lax",
        cookie_secure=settings.base_url.startswith("https://"),
    )


def web_routers(settings: Settings) -> list[Router]:
    """The pages (no bearer token: the session cookie signs them in) and their static files."""
    pages = Router(
        "/",
        route_handlers=[
            AccountPages,
            TaskPages,
            AppraisalPages,
            PublicPages,
            PeerRequestPages,
            HrPages,
            ReportPages,
            CalibrationPages,
            FollowUpPages,
        ],
        middleware=[
            SessionMiddleware(),
            DefineMiddleware(CSRFMiddleware, config=csrf_config(settings)),
        ],
        opt={"exclude_from_auth": True},
        include_in_schema=False,
        request_max_body_size=settings.evidence_max_bytes + 64 * 1024,
    )
    static = create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
        cache_control=CacheControlHeader(max_age=86400, public=True),
    )
    return [pages, static]
