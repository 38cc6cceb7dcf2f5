from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_flow.lib.db import Base, IdMixin


def role_set(roles: str, granted_roles: str) -> frozenset[str]:
    """The roles of the two ``;``-separated columns of an account."""
    return frozenset(role for role in f"{roles};{granted_roles}".split(";") if role)


class Account(IdMixin, Base):
    """A person who can sign in; linked to an employee unless created as a bare HR admin."""

    __tablename__ = "accounts"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(255), default="")
    granted_roles: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str] = mapped_column(String(8), default="id")
    active: Mapped[bool] = mapped_column(default=True)
    password_set_at: Mapped[datetime | None]
    credential_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    """Moves on every password change and deactivation; tokens and sessions of an older
    epoch are refused, so signing in again is needed everywhere."""
    digest: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The person prefers one daily summary to an email per reminder or escalation."""
    digest_sent_on: Mapped[date | None]
    """The local day of the last daily digest sent (at most one a day)."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def role_set(self) -> frozenset[str]:
        """Roles from the employee import plus roles granted on the command line."""
        return role_set(self.roles, self.granted_roles)


class AccountToken(IdMixin, Base):
    """A single-use secret sent by email (invitation, password reset); only its hash is stored.

    ``used_at`` is set when the link is redeemed, or when it is voided (a newer link, a new
    password, deactivation).
    """

    __tablename__ = "account_tokens"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class LoginFailure(IdMixin, Base):
    """One counted attempt under a throttle key, shared by every app instance.

    Sign-ins are counted before the password is checked (a success takes its rows back) and
    password-reset requests as they come; see ``accounts.throttle``.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    key: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]
