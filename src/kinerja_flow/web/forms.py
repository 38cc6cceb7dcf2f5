"""From HTML forms to the API's request structs, and from errors to what a form shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec
from litestar import Request

from kinerja_flow.i18n import _, translate
from kinerja_flow.lib.errors import AppError, FieldError, Invalid
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
    )


async def form_data(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The submitted fields (the last value of each name), without the CSRF token."""
    form = await request.form()
    return {key: value for key, value in form.items() if key != CSRF_FIELD}


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
