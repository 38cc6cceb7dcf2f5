"""The error responses of every route, in the OpenAPI document, decided in one place.

Each route lists the statuses it can answer besides success, with the error body's schema:
400/422 for malformed or invalid input, 401/403 where a token is needed, 404 where the path
names something, 404/409 for writes, 413/415 where a body is read, 429 where a route throttles
(declared by the route itself), and 503 everywhere (the database may be unreachable).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute


class ErrorItem(msgspec.Struct, omit_defaults=True):
    field: str
    message: str
    line: int | None = None


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """Every error answer: the status, a sentence for a person, the fields at fault, and the
    request id that finds the server's log lines about it."""

    status_code: int
    detail: str
    errors: list[ErrorItem] | None = None
    request_id: str | None = None


DESCRIPTIONS = {
    400: "The request is malformed.",
    401: "Not signed in: send 'Authorization: Bearer <token>'.",
    403: "The caller's role may not do this.",
    404: "Not found, or not visible to the caller.",
    409: "Not possible in the current state, or changed since the caller read it.",
    410: "No longer there: removed after the time it is kept.",
    413: "The request body is too large.",
    415: "The body is not of a type this route accepts.",
    422: "The input is not valid; 'errors' names each field (or line) at fault.",
    429: "Too many attempts; 'Retry-After' says how many seconds to wait.",
    503: "The database is unavailable for a moment; retry after 'Retry-After' seconds.",
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODIES = frozenset({"POST", "PUT", "PATCH"})


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """``responses=`` for a route handler that can also answer ``statuses``."""
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=DESCRIPTIONS[status], generate_examples=False
        )
        for status in statuses
    }


def _statuses(route: HTTPRoute, handler: HTTPRouteHandler, public: bool) -> set[int]:
    statuses = {400, 422, 503}  # a path, query or body can always be invalid
    methods = set(handler.http_methods)
    if not public:
        statuses |= {401, 403}
    if route.path_parameters:
        statuses.add(404)
    if methods & WRITES:
        statuses |= {404, 409}
    if methods & BODIES:
        statuses |= {413, 415}
    return statuses


def document_errors(app: Litestar, public_paths: Sequence[str]) -> None:
    """Add the error responses each route can give to its handlers, before the document is
    built (a route's own ``responses``, such as a 429, are kept)."""
    public = [re.compile(pattern) for pattern in public_paths]
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        is_public = any(pattern.search(route.path) for pattern in public)
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            responses = error_responses(*sorted(_statuses(route, handler, is_public)))
            responses.update(handler.responses or {})
            handler.responses = responses
