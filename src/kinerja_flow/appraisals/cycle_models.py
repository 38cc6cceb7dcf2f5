"""The appraisal cycle (period, deadlines, workflow) and each unit's organisation result in it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kinerja_flow.lib.db import Base, IdMixin
from kinerja_flow.org.models import Unit
from kinerja_flow.policies.distribution import OrgPredikat

ORG_PREDIKAT_CHECK = "org_predikat IN ({})".format(", ".join(f"'{p.value}'" for p in OrgPredikat))

cycle_units = Table(
    "cycle_units",
    Base.metadata,
    Column("cycle_id", ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True),
)


class Cycle(IdMixin, Base):
    """An appraisal period for some units (or all), with its workflow and deadlines."""

    __tablename__ = "cycles"

    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date]
    period_end: Mapped[date]
    workflow: Mapped[str] = mapped_column(String(50))
    distribution_policy: Mapped[str] = mapped_column(String(10), server_default="warn")
    """"warn" or "block": whether a release that breaks the unit's pattern is audited or refused."""
    targets_due: Mapped[date | None]
    self_assessment_due: Mapped[date | None]
    review_due: Mapped[date | None]
    opened_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    units: Mapped[list[Unit]] = relationship(secondary=cycle_units, lazy="raise")


class UnitResult(IdMixin, Base):
    """A unit's organisation predikat for one cycle, set by HR (DESIGN.md section 3).

    It decides which distribution pattern the unit's employee predikat must follow.
    """

    __tablename__ = "unit_results"
    __table_args__ = (
        UniqueConstraint("cycle_id", "unit_id"),
        CheckConstraint(ORG_PREDIKAT_CHECK, name="org_predikat_valid"),
    )

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    org_predikat: Mapped[str] = mapped_column(String(30))
    set_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    set_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
