from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_flow.lib.db import Base, IdMixin


class PeerRequest(IdMixin, Base):
    """One peer asked for feedback on one appraisal; only the link token's hash is stored."""

    __tablename__ = "peer_requests"
    __table_args__ = (UniqueConstraint("appraisal_id", "peer_id"),)

    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    peer_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    due: Mapped[date]
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class PeerAnswer(IdMixin, Base):
    """A peer's score (1-5) and comment on one core value."""

    __tablename__ = "peer_answers"
    __table_args__ = (
        UniqueConstraint("request_id", "value"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_scale"),
    )

    request_id: Mapped[int] = mapped_column(ForeignKey("peer_requests.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(30))
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
