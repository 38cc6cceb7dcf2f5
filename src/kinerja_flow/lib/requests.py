"""What every request must be before a handler sees it, checked once for the whole application.

- JSON bodies are decoded strictly into the handler's ``data`` type (``"5"`` is not an
  integer, ``3.0`` is not a score): Litestar converts bodies leniently, so the application's
  request class decodes them itself with ``msgspec.json.decode(..., strict=True)``; the
  already typed value then passes Litestar's own conversion unchanged.
- No string of a body, path or query holds a control character (see :mod:`.text`).
- No integer in a path or query goes beyond 64 bits (every database column is at most that).
- A body that is not JSON, not UTF-8 or nested too deeply is a 422 like any invalid body.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg

from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import FieldError, Invalid, NotFound, UnsupportedMediaType
from kinerja_flow.lib.text import bad_text_fields, has_control_characters

T = TypeVar("T")

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"^\s*[+-]?0*(\d+)\s*$")
_JSON_TYPES = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
_RESERVED = frozenset({"request", "data", "state", "headers", "cookies", "query", "scope", "body"})
CONTROL_MESSAGE = _("Control characters (such as a line break or NUL) are not allowed here.")


def invalid_body(message: str) -> ValidationException:
    """The 422 a body that does not fit its schema gets (worded by the validation handler)."""
    return ValidationException(detail=message, extra=[{"message": message, "key": "data"}])


def refuse_control_characters(value: Any) -> None:
    """422 naming every string of a decoded body that holds a forbidden control character."""
    if fields := list(bad_text_fields(value)):
        raise Invalid(
            _("The request is not valid."),
            errors=[FieldError(field, CONTROL_MESSAGE) for field in fields],
        )


def decode_json_body(raw: bytes, into: type[T] | Any) -> T:
    """``raw`` decoded strictly as ``into``, with its text checked; 422 if it is not that."""
    try:
        value: T = msgspec.json.decode(raw, type=into, strict=True)
    except msgspec.DecodeError as exc:  # a ValidationError is a DecodeError too
        raise invalid_body(str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise invalid_body("The body is not valid UTF-8.") from exc
    except RecursionError as exc:
        raise invalid_body("The JSON is nested too deeply.") from exc
    refuse_control_characters(value)
    return value


class StrictRequest(Request[Any, Any, Any]):
    """The application's request class: JSON bodies decoded strictly, as the handler types them."""

    async def json(self) -> Any:
        media_type = self.content_type[0]
        if not _JSON_TYPES.match(media_type):
            raise UnsupportedMediaType(_("Send the body as application/json."))
        data_field = self.route_handler.parsed_data_field
        return decode_json_body(
            await self.body(), data_field.annotation if data_field is not None else Any
        )


def _fits_64_bits(value: str) -> bool:
    """False only for an integer literal beyond 64 bits (anything else is parsed later)."""
    found = _INTEGER.match(value)
    if found is None:
        return True
    return len(found.group(1)) <= 19 and INT64_MIN <= int(value) <= INT64_MAX


@cache
def _integer_query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    """The query parameters ``handler`` takes as integers, by the name a client sends."""
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if name in _RESERVED or field.is_subclass_of(bool) or field.has_inner_subclass_of(bool):
            continue
        if not (field.is_subclass_of(int) or field.has_inner_subclass_of(int)):
            continue
        if kwarg is None:
            names.add(name)
        elif isinstance(kwarg, ParameterKwarg) and not (kwarg.header or kwarg.cookie):
            names.add(kwarg.query or getattr(kwarg, "name", None) or name)
    return frozenset(names)


async def check_request(request: Request[Any, Any, Any]) -> None:
    """Refuse what no handler can take: control characters or 64-bit overflow in path or query.

    A path that cannot name anything is a 404 like any unknown resource; a bad query parameter
    is a 422 naming it. Runs before the handler's parameters are parsed (``before_request``);
    a coroutine so that Litestar calls it in the event loop, not in a worker thread.
    """
    for value in request.path_params.values():
        if isinstance(value, str) and has_control_characters(value):
            raise NotFound(_("Not found."))
        if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise NotFound(_("Not found."))
    errors = [
        FieldError(key, CONTROL_MESSAGE)
        for key, value in request.query_params.multi_items()
        if has_control_characters(key) or has_control_characters(value)
    ]
    handler = request.route_handler
    if isinstance(handler, HTTPRouteHandler):
        for name in _integer_query_names(handler) & set(request.query_params):
            if not all(_fits_64_bits(value) for value in request.query_params.getall(name)):
                errors.append(FieldError(name, _("The number is too large.")))
    if errors:
        raise Invalid(_("The request is not valid."), errors=errors)
