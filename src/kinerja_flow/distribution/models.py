from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_flow.distribution.policy import OrgPredikat
from kinerja_flow.lib.db import Base, IdMixin

ORG_PREDIKAT_CHECK = "org_predikat IN ({})".format(", ".join(f"'{p.value}'" for p in OrgPredikat))


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
