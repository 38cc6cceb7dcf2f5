"""Web sessions, kept in the database so every ``serve`` instance shares them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_flow.lib.db import Base, IdMixin


class WebSession(IdMixin, Base):
    """A signed-in browser. The cookie holds a random secret; only its hash is stored.

    ``credential_epoch`` is the account's epoch at sign-in: once the password changes or the
    account is deactivated the epochs differ and the session is refused (and removed).
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    credential_epoch: Mapped[int]
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
