from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kinerja_flow.lib.db import Base, IdMixin


class Appraisal(IdMixin, Base):
    """One employee's SKP in one cycle: its state, version, ratings and predikat.

    The predikat kinerja is the employee's overall performance grade, derived from the
    results rating and the behaviour rating through the matrix of PermenPANRB 6/2022.
    """

    __tablename__ = "appraisals"
    __table_args__ = (
        UniqueConstraint("cycle_id", "employee_id"),
        Index("ix_appraisals_cycle_state", "cycle_id", "state"),
    )

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    evaluator_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    workflow: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    results_rating: Mapped[str | None] = mapped_column(String(30))
    behaviour_rating: Mapped[str | None] = mapped_column(String(30))
    predikat: Mapped[str | None] = mapped_column(String(30))
    return_comment: Mapped[str | None] = mapped_column(Text)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    state_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    targets: Mapped[list[Target]] = relationship(
        back_populates="appraisal", order_by="Target.position", lazy="raise"
    )
    appeal: Mapped[Appeal | None] = relationship(back_populates="appraisal", lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class Target(IdMixin, Base):
    """A planned result (rencana hasil kerja) with its indicator, target and realisation."""

    __tablename__ = "targets"

    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    indicator: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    realization: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    appraisal: Mapped[Appraisal] = relationship(back_populates="targets", lazy="raise")


class Appeal(IdMixin, Base):
    """A keberatan (objection, PP 30/2019 art. 59) and its final decision.

    The ratings and predikat before the decision are kept here, so the original result
    stays visible after a changed decision.
    """

    __tablename__ = "appeals"

    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime]
    original_results_rating: Mapped[str] = mapped_column(String(30))
    original_behaviour_rating: Mapped[str] = mapped_column(String(30))
    original_predikat: Mapped[str] = mapped_column(String(30))
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    appraisal: Mapped[Appraisal] = relationship(back_populates="appeal", lazy="raise")
