"""From HTML forms to the API's request structs, and from errors to what a form shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec
from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.i18n import _, translate
from kinerja_flow.lib.errors import AppError, FieldError, Invalid, NotFound, TooManyRequests
from kinerja_flow.lib.requests import refuse_control_characters

T = TypeVar("T")
CSRF_FIELD = "_csrf_token"


@dataclass
class Problem:
    """An error as a form shows it: the sentence, and a sentence per field."""

    status_code: int
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    lines: list[tuple[int | None, str, str]] = field(default_factory=list)
    """Per line of an uploaded file: (line, field, message)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Headers the answer carries (``Retry-After`` when refused for too many tries)."""


def problem(error: AppError, locale: str) -> Problem:
    fields: dict[str, str] = {}
    lines: list[tuple[int | None, str, str]] = []
    for item in error.errors:
        message = translate(item.message, locale, **item.params)
        if item.line is not None:
            lines.append((item.line, item.field, message))
        else:
            fields.setdefault(item.field, message)
            lines.append((None, item.field, message))
    return Problem(
        status_code=error.status_code,
        message=translate(error.message, locale, **error.params),
        fields=fields,
        lines=lines,
        headers=(
            {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests) else {}
        ),
    )


async def attempt(
    session: AsyncSession, locale: str, work: Callable[[], Awaitable[T]]
) -> T | Problem:
    """Run a form's ``work`` (reading its fields included): what it answers, or, with the
    transaction rolled back, the refusal as the form shows it. A case the reader may not see
    stays a 404 page."""
    try:
        return await work()
    except AppError as error:
        await session.rollback()
        if isinstance(error, NotFound):
            raise
        return problem(error, locale)


def fields_in(form: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted fields (the last value of each name), without the CSRF token."""
    return {key: value for key, value in form.items() if key != CSRF_FIELD}


async def form_data(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return fields_in(await request.form())


def pick(fields: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The fields ``names`` of a form (:func:`convert` leaves the empty ones out)."""
    return {name: fields.get(name) for name in names}


def _field_of(error: msgspec.ValidationError) -> str:
    text = str(error)
    marker = "at `$."
    if marker in text:
        return text.split(marker, 1)[1].split("`", 1)[0].split("[", 1)[0]
    return ""


def convert(raw: Mapping[str, Any], into: type[T]) -> T:
    """``raw`` (form fields: strings, empty meaning not given) as ``into``, with the same
    checks a JSON body gets; 422 naming the field otherwise."""
    cleaned = {key: value for key, value in raw.items() if value not in ("", None)}
    try:
        value: T = msgspec.convert(cleaned, into, strict=False)
    except msgspec.ValidationError as exc:
        name = _field_of(exc)
        raise Invalid(
            _("The form is not valid."),
            errors=[FieldError(name, _("Check this value."))],
        ) from exc
    refuse_control_characters(value)
    return value


def safe_next(target: str | None, default: str = "/") -> str:
    """A path on this site to go to after a form (never another site)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target
