from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_flow.lib.db import Base, IdMixin


class FeedbackNote(IdMixin, Base):
    """One note of continuous feedback on a planned result (RHK)."""

    __tablename__ = "feedback_notes"

    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    author: Mapped[str] = mapped_column(String(320))
    author_role: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CoachingSession(IdMixin, Base):
    """A coaching, mentoring or counselling session and the actions agreed in it."""

    __tablename__ = "coaching_sessions"

    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(Text)
    agreed_actions: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
