"""Follow-up items, their sessions and checkpoints, and the record that the rules ran once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.lib.db import Base, IdMixin
from kinerja_flow.org.models import Employee


class FollowUp(IdMixin, Base):
    """One item of an employee's development plan, moved through ``workflows/followup.toml``.

    ``details`` holds the fields of its kind (a training's provider and hours, a reward's kind
    and reason, an improvement plan's period), checked by the wire schema of that kind.
    ``appraisal_id``, ``target_id`` (an RHK) and ``core_value`` (a BerAKHLAK value) say what
    motivated it, if anything; ``sources`` lists the rules that proposed it, with their reasons,
    or is empty when a person added it (``added_by``).
    """

    __tablename__ = "followups"
    __table_args__ = (Index("ix_followups_state_due", "state", "due"),)

    workflow: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(40))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    appraisal_id: Mapped[int | None] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id", ondelete="SET NULL"))
    core_value: Mapped[str | None] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(20))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    due: Mapped[date]
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    added_by: Mapped[str] = mapped_column(String(320))
    outcome: Mapped[str | None] = mapped_column(String(20))
    end_reason: Mapped[str | None] = mapped_column(Text)
    """Why it was rejected, cancelled or sent back (the latest)."""
    completed_at: Mapped[datetime | None]
    certificate_sha256: Mapped[str | None] = mapped_column(String(64))
    certificate_filename: Mapped[str | None] = mapped_column(String(255))
    certificate_content_type: Mapped[str | None] = mapped_column(String(100))
    certificate_size: Mapped[int | None] = mapped_column(BigInteger)
    certificate_uploaded_at: Mapped[datetime | None]
    state_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id], lazy="raise")
    appraisal: Mapped[Appraisal | None] = relationship(lazy="raise")
    sessions: Mapped[list[FollowUpSession]] = relationship(
        order_by="FollowUpSession.id", cascade="all, delete-orphan", lazy="raise"
    )
    checkpoints: Mapped[list[FollowUpCheckpoint]] = relationship(
        order_by="FollowUpCheckpoint.due_on, FollowUpCheckpoint.id",
        cascade="all, delete-orphan",
        lazy="raise",
    )

    __mapper_args__ = {"version_id_col": version}


class FollowUpSession(IdMixin, Base):
    """A mentoring, coaching or counselling meeting: when, and what was said and agreed."""

    __tablename__ = "followup_sessions"

    followup_id: Mapped[int] = mapped_column(
        ForeignKey("followups.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]


class FollowUpCheckpoint(IdMixin, Base):
    """A dated checkpoint of an improvement plan; ``reviewed_on`` and ``note`` once reviewed."""

    __tablename__ = "followup_checkpoints"

    followup_id: Mapped[int] = mapped_column(
        ForeignKey("followups.id", ondelete="CASCADE"), index=True
    )
    due_on: Mapped[date]
    description: Mapped[str] = mapped_column(Text)
    reviewed_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class ProposalRun(Base):
    """The rules ran for this appraisal: its primary key lets them run only once, ever."""

    __tablename__ = "followup_proposal_runs"

    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    ran_at: Mapped[datetime]
    proposed: Mapped[int] = mapped_column(Integer)
