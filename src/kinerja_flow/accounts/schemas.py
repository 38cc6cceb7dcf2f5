"""Wire schemas of the authentication API."""

from __future__ import annotations

from typing import Annotated

import msgspec

from kinerja_flow.i18n import LOCALES

Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
Username = Annotated[str, msgspec.Meta(min_length=1, max_length=320, pattern="^[^\\x00]*$")]
"""A NIP or an email address."""


class SetPassword(msgspec.Struct, forbid_unknown_fields=True):
    token: Secret
    password: Secret


class ResetPassword(msgspec.Struct, forbid_unknown_fields=True):
    token: Secret
    password: Secret


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Secret


class ForgotPassword(msgspec.Struct, forbid_unknown_fields=True):
    username: Username


class Accepted(msgspec.Struct):
    """The answer to a request that is acted on later, the same whatever it was about."""

    detail: str


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str = "bearer"  # noqa: S105


class Me(msgspec.Struct):
    account_id: int
    email: str
    roles: list[str]
    employee_id: int | None
    nip: str | None
    name: str | None
    locale: str
    digest: bool
    """One daily summary instead of an email per reminder or escalation."""


Locale = Annotated[str, msgspec.Meta(pattern="^(" + "|".join(LOCALES) + ")$")]


class Preferences(msgspec.Struct, forbid_unknown_fields=True):
    """The language of the pages, emails and messages (the web page's form)."""

    locale: Locale


class PreferencesUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``PATCH /auth/me``: only the fields given change. ``locale``: the language of
    the pages, emails and messages; ``digest``: one daily summary of what awaits the person
    instead of an email per reminder or escalation."""

    locale: Locale | msgspec.UnsetType = msgspec.UNSET
    digest: bool | msgspec.UnsetType = msgspec.UNSET
