"""HTTP plumbing shared by every controller: error responses in the reader's language."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_401_UNAUTHORIZED, HTTP_422_UNPROCESSABLE_ENTITY
from litestar.types import Message, Scope

from kinerja_flow.config import Settings
from kinerja_flow.i18n import _, pick_locale, translate
from kinerja_flow.lib.db import is_database_unavailable
from kinerja_flow.lib.errors import AppError, TooManyRequests
from kinerja_flow.lib.requestid import request_id_of

CHALLENGE = {"WWW-Authenticate": "Bearer"}
"""Sent with every 401: how to authenticate (RFC 9110, section 11.6.1)."""
RETRY_AFTER_SECONDS = 5
"""What a 503 asks a client to wait: long enough for a database restart or failover."""


FRAME_ANCESTORS = "frame-ancestors 'none'"


async def security_headers(message: Message, scope: Scope) -> None:
    """Headers every response gets (``before_send``), errors and static files included.

    A coroutine, though it awaits nothing: Litestar runs a plain function hook in a worker
    thread, twice per response.

    - ``X-Content-Type-Options: nosniff``: a browser takes the declared type, never a guess.
    - ``Cache-Control: no-store`` unless the response chose its own: answers carry personal
      data and must not stay in a shared or browser cache.
    - HTML keeps its ``Content-Security-Policy`` and gains ``frame-ancestors 'none'`` (no page
      of ours inside another site's frame), with ``Referrer-Policy: no-referrer``.
    """
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["X-Content-Type-Options"] = "nosniff"
    if "cache-control" not in headers:
        headers["Cache-Control"] = "no-store"
    if headers.get("content-type", "").startswith("text/html"):
        policy = headers.get("content-security-policy", "").strip().rstrip(";")
        if "frame-ancestors" not in policy:
            headers["Content-Security-Policy"] = "; ".join(filter(None, (policy, FRAME_ANCESTORS)))
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"


def client_address(request: Request[Any, Any, Any], settings: Settings) -> str:
    """The caller's address; behind a trusted reverse proxy, the one it saw connecting.

    With ``trust_forwarded_for`` the last ``X-Forwarded-For`` entry is used: it is the one our
    own proxy appended, while earlier entries are whatever the client chose to send.
    """
    if settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.client.host if request.client else "unknown"


def request_locale(request: Request[Any, Any, Any]) -> str:
    return pick_locale(request.headers.get("accept-language"))


def error_body(request: Request[Any, Any, Any], status_code: int, detail: str) -> dict[str, Any]:
    """The start of every error answer (see ``lib.openapi.ErrorBody``)."""
    body: dict[str, Any] = {"status_code": status_code, "detail": detail}
    if request_id := request_id_of(request.scope):
        body["request_id"] = request_id
    return body


def app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[dict[str, Any]]:
    locale = request_locale(request)
    body = error_body(request, exc.status_code, translate(exc.message, locale, **exc.params))
    if exc.errors:
        body["errors"] = [
            {
                "field": error.field,
                **({"line": error.line} if error.line is not None else {}),
                "message": translate(error.message, locale, **error.params),
            }
            for error in exc.errors
        ]
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else {}
    if exc.status_code == HTTP_401_UNAUTHORIZED:
        headers.update(CHALLENGE)
    return Response(body, status_code=exc.status_code, headers=headers)


_AT_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_NAMED_FIELD = re.compile(r"field `([^`]+)`")


def _field_of(item: dict[str, Any]) -> str:
    """The body field a msgspec message is about, else the parameter Litestar names."""
    message = str(item.get("message", ""))
    if item.get("key") == "data":
        path = found.group(1) if (found := _AT_PATH.search(message)) else ""
        named = found.group(1) if (found := _NAMED_FIELD.search(message)) else ""
        return ".".join(part for part in (path, named) if part) or "data"
    return str(item.get("key") or item.get("source") or "")


def validation_error_handler(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    """Malformed or invalid input is a 422 naming each field, not Litestar's default 400."""
    errors = [
        {
            "field": _field_of(item),
            "message": str(item.get("message")),
        }
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    if not errors and exc.detail:
        errors = [{"field": "", "message": exc.detail}]
    detail = translate(_("The request is not valid."), request_locale(request))
    body = error_body(request, HTTP_422_UNPROCESSABLE_ENTITY, detail)
    body["errors"] = errors
    return Response(body, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


def http_error_handler(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[dict[str, Any]]:
    messages = {
        401: _("Sign in first: send 'Authorization: Bearer <token>'."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request body is too large."),
        415: _("Unsupported content type."),
    }
    message = messages.get(exc.status_code)
    detail = translate(message, request_locale(request)) if message else exc.detail
    headers = dict(exc.headers or {})
    if exc.status_code == HTTP_401_UNAUTHORIZED:
        headers.update(CHALLENGE)
    return Response(
        error_body(request, exc.status_code, detail), status_code=exc.status_code, headers=headers
    )


def unexpected_error_handler(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    """The last resort (Litestar has logged the exception already).

    A database that dropped the connection or cannot be reached is a 503 with ``Retry-After``:
    nothing was committed that the client did not see confirmed, and the same request can be
    sent again. Anything else is a bug, answered 500 in the usual error shape.
    """
    locale = request_locale(request)
    if is_database_unavailable(exc):
        message = _("The database is unavailable for a moment; try again shortly.")
        return Response(
            error_body(request, 503, translate(message, locale)),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    message = _("Something went wrong on our side; it has been logged.")
    return Response(error_body(request, 500, translate(message, locale)), status_code=500)
