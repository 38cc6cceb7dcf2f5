from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kinerja_flow.lib.db import Base, IdMixin
from kinerja_flow.org.models import Unit

cycle_units = Table(
    "cycle_units",
    Base.metadata,
    Column("cycle_id", ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True),
)


class Cycle(IdMixin, Base):
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
