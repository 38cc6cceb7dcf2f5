from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_flow.lib.db import Base, IdMixin


class OutboxMessage(IdMixin, Base):
    """An email queued in the transaction that caused it, waiting to be delivered: its
    subject, and the ``context`` (JSON) its bodies are rendered from at delivery.
    ``body_text`` and ``body_html`` are only set on messages queued already rendered,
    before migration 0016.

    ``status``: ``pending`` until ``sent`` (or ``failed`` for good); ``held`` when its
    recipient chose the daily digest, which lists it (with ``link``) and marks it ``digested``.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # Only the held few: every other email would add an entry, at a random place, to an
        # index no query of theirs reads (a fifth of a 100,000-employee cycle opening on SQLite).
        Index(
            "ix_outbox_held",
            "to_address",
            postgresql_where=text("status = 'held'"),
            sqlite_where=text("status = 'held'"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(60))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(998))
    context: Mapped[str] = mapped_column(Text, default="{}")
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
