"""Errors on the web pages are pages (in the reader's language); the API keeps its JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect

from kinerja_flow.i18n import _, translate
from kinerja_flow.lib.db import is_database_unavailable
from kinerja_flow.lib.errors import AppError, NotAuthenticated
from kinerja_flow.web.render import page, page_locale

API_PREFIXES = ("/api/", "/public/", "/schema", "/health", "/demo/")
"""Paths whose errors stay JSON (the demo's mailbox is a tool, not a page of the app)."""
EXC = TypeVar("EXC", bound=Exception)
Handler = Callable[[Request[Any, Any, Any], EXC], Response[Any]]

_HTTP_MESSAGES = {
    403: _("The form was not sent from this page or has expired; reload the page and try again."),
    404: _("This page does not exist, or it is not visible to you."),
    405: _("This method is not allowed here."),
    413: _("The request body is too large."),
    415: _("Unsupported content type."),
    400: _("The request is not valid."),
}


class SignInRequired(Exception):
    """The page needs a signed-in person: they are sent to sign in, then back here."""


def is_page(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(API_PREFIXES)


def sign_in_redirect(request: Request[Any, Any, Any]) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/sign-in?next={quote(target, safe='/')}", status_code=303)


def error_page(request: Request[Any, Any, Any], status_code: int, message: str) -> Response[Any]:
    response: Response[Any] = page(
        request, "error.html", status_code=status_code, status=status_code, message=message
    )
    return response


def _app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    if isinstance(exc, NotAuthenticated):
        return sign_in_redirect(request)
    return error_page(
        request, exc.status_code, translate(exc.message, page_locale(request), **exc.params)
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = 422 if isinstance(exc, ValidationException) else exc.status_code
    message = _HTTP_MESSAGES.get(status, _("The request is not valid."))
    return error_page(request, status, translate(message, page_locale(request)))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    locale = page_locale(request)
    if is_database_unavailable(exc):
        message = _("The database is unavailable for a moment; try again shortly.")
        response = error_page(request, 503, translate(message, locale))
        response.headers["Retry-After"] = "5"
        return response
    message = _("Something went wrong on our side; it has been logged.")
    return error_page(request, 500, translate(message, locale))


def _sign_in_required(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    return sign_in_redirect(request)


def pages_or(api: Handler[EXC], web: Handler[EXC]) -> Handler[EXC]:
    """An exception handler that answers pages with ``web`` and everything else with ``api``."""

    def handle(request: Request[Any, Any, Any], exc: EXC) -> Response[Any]:
        return web(request, exc) if is_page(request) else api(request, exc)

    return handle


def exception_handlers(
    app_error: Handler[AppError],
    validation_error: Handler[ValidationException],
    http_error: Handler[HTTPException],
    unexpected: Handler[Exception],
) -> dict[int | type[Exception], Handler[Any]]:
    """The application's handlers: the API's JSON ones, with pages for the web's paths."""
    return {
        AppError: pages_or(app_error, _app_error),
        ValidationException: pages_or(validation_error, _http_error),
        HTTPException: pages_or(http_error, _http_error),
        SignInRequired: _sign_in_required,
        Exception: pages_or(unexpected, _unexpected),
    }
