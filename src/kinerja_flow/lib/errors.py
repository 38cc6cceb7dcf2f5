"""Domain errors: each carries a translatable message and maps to one HTTP status."""

from __future__ import annotations

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    """One problem with one input: a field, or a line of an uploaded file."""

    field: str
    message: str
    params: dict[str, str] = {}
    line: int | None = None


class AppError(Exception):
    """Base for errors a person can act on; ``message`` is a catalogue msgid."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        errors: list[FieldError] | None = None,
        **params: str | int,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
        self.errors = errors or []


class NotAuthenticated(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class Gone(AppError):
    status_code = 410


class Invalid(AppError):
    status_code = 422


class TooLarge(AppError):
    status_code = 413


class UnsupportedMediaType(AppError):
    status_code = 415


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int, **params: str | int) -> None:
        super().__init__(message)
        self.params = params
        self.retry_after = retry_after
