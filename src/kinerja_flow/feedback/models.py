from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_flow.lib.db import Base, IdMixin

ANSWER_COLUMNS = tuple(f"a{number}" for number in range(1, 10))


class SurveyResponse(IdMixin, Base):
    """One anonymous IKM response for a unit: nine answers (U1-U9, each 1-4) and a comment.

    The answers are nine SMALLINT columns rather than one JSON/text value: the report is then
    nine ``SUM()`` in a single indexed scan, the same SQL on SQLite and PostgreSQL (no dialect
    JSON functions), and the database itself checks every answer is 1-4. The nine elements are
    fixed by the regulation; changing them would need a migration either way.

    Nothing identifies the citizen: ``client_hash`` is an HMAC-SHA256 of the client address
    under the server secret (enough to throttle and spot repeats, not to recover the address),
    and ``fingerprint`` is a SHA-256 of the answers and comment, to find identical repeats.
    """

    __tablename__ = "survey_responses"
    __table_args__ = (
        Index("ix_survey_responses_unit_created", "unit_id", "created_at"),
        Index("ix_survey_responses_unit_client_created", "unit_id", "client_hash", "created_at"),
        *(
            CheckConstraint(f"{column} BETWEEN 1 AND 4", name=f"{column}_scale")
            for column in ANSWER_COLUMNS
        ),
    )

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    a1: Mapped[int] = mapped_column(SmallInteger)
    a2: Mapped[int] = mapped_column(SmallInteger)
    a3: Mapped[int] = mapped_column(SmallInteger)
    a4: Mapped[int] = mapped_column(SmallInteger)
    a5: Mapped[int] = mapped_column(SmallInteger)
    a6: Mapped[int] = mapped_column(SmallInteger)
    a7: Mapped[int] = mapped_column(SmallInteger)
    a8: Mapped[int] = mapped_column(SmallInteger)
    a9: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(String(2000))
    client_hash: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    @property
    def answers(self) -> tuple[int, ...]:
        return tuple(getattr(self, column) for column in ANSWER_COLUMNS)
