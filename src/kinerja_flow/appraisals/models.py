from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kinerja_flow.appraisals.cycle_models import Cycle
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
        Index("ix_appraisals_cycle_order", "cycle_id", "id"),  # a cycle's list, page by page
        Index("ix_appraisals_state_entered", "state", "state_changed_at"),
    )

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    evaluator_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    workflow: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    approach: Mapped[str] = mapped_column(String(20), default="kuantitatif")
    results_rating: Mapped[str | None] = mapped_column(String(30))
    behaviour_rating: Mapped[str | None] = mapped_column(String(30))
    suggested_results_rating: Mapped[str | None] = mapped_column(String(30))
    departure_reason: Mapped[str | None] = mapped_column(Text)
    predikat: Mapped[str | None] = mapped_column(String(30))
    return_comment: Mapped[str | None] = mapped_column(Text)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    state_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    cycle: Mapped[Cycle] = relationship(lazy="raise")
    targets: Mapped[list[Target]] = relationship(
        back_populates="appraisal", order_by="Target.position", lazy="raise"
    )
    appeal: Mapped[Appeal | None] = relationship(back_populates="appraisal", lazy="raise")
    behaviour: Mapped[list[BehaviourNote]] = relationship(
        back_populates="appraisal", order_by="BehaviourNote.id", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def indicators(self) -> list[Indicator]:
        """Every indicator of every RHK, in order (the targets must be loaded)."""
        return [indicator for target in self.targets for indicator in target.indicators]


class Target(IdMixin, Base):
    """A rencana hasil kerja (RHK, planned work result) with its indicators.

    ``supports_id`` names the evaluator's RHK it supports (RHK atasan yang diintervensi).
    """

    __tablename__ = "targets"

    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    supports_id: Mapped[int | None] = mapped_column(
        ForeignKey("targets.id", ondelete="SET NULL"), index=True
    )
    evaluator_feedback: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    appraisal: Mapped[Appraisal] = relationship(back_populates="targets", lazy="raise")
    supports: Mapped[Target | None] = relationship(remote_side="Target.id", lazy="raise")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="rhk",
        order_by="Indicator.position",
        cascade="all, delete-orphan",
        lazy="raise",
    )


class Indicator(IdMixin, Base):
    """An indikator kinerja individu of an RHK: its target, aspect, weight and realisation.

    The target is a number with a unit (``target_value``, ``target_unit``) or a qualitative
    description (``target_text``); ``assessment`` is the evaluator's judgement of a realisation
    that is not measured by numbers (approach ``kualitatif``).
    """

    __tablename__ = "indicators"

    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    aspect: Mapped[str] = mapped_column(String(20))
    target_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    target_unit: Mapped[str | None] = mapped_column(String(100))
    target_text: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    realisation_value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    realisation_text: Mapped[str | None] = mapped_column(Text)
    assessment: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    rhk: Mapped[Target] = relationship(back_populates="indicators", lazy="raise")
    evidence: Mapped[list[Evidence]] = relationship(
        order_by="Evidence.id", cascade="all, delete-orphan", lazy="raise"
    )


class BehaviourNote(IdMixin, Base):
    """One BerAKHLAK value of an appraisal: the leader's expectation and the evaluator's feedback.

    ``expectation`` is the ekspektasi khusus pimpinan, set while planning; ``feedback`` the
    evaluator's umpan balik on the behaviour, given at review.
    """

    __tablename__ = "behaviour_notes"
    __table_args__ = (UniqueConstraint("appraisal_id", "value"),)

    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(40))
    expectation: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    below_expectation: Mapped[bool] = mapped_column(default=False, server_default=false())

    appraisal: Mapped[Appraisal] = relationship(back_populates="behaviour", lazy="raise")


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


class Evidence(IdMixin, Base):
    """A bukti dukung: a link, or a stored file (named by its SHA-256) with its metadata."""

    __tablename__ = "evidence"

    appraisal_id: Mapped[int] = mapped_column(
        ForeignKey("appraisals.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicators.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    url: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime]
