"""The log of deadline steps taken: each reminder, escalation and system trigger at most once.

A step is claimed by inserting its row, keyed by the case, the stay in the state (the state and
when the case entered it) and the step, in the same transaction as what the step does (its
emails, its trigger). Two schedulers that reach the same step both try the insert; the unique
key lets one through, and the other moves on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Index, String, UniqueConstraint, and_, exists
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from kinerja_flow.lib.db import Base, IdMixin, is_postgres

DONE, SKIPPED, REFUSED = "done", "skipped", "refused"
"""Outcomes: the step was taken; it was not, because its moment came before the case entered
the state (a reminder of a day already gone); the system trigger was refused by a guard."""


class DeadlineStep(IdMixin, Base):
    """One reminder, escalation or system trigger of one case's stay in a state."""

    __tablename__ = "deadline_steps"
    __table_args__ = (
        UniqueConstraint("case_kind", "case_id", "state", "entered_at", "step"),
        Index("ix_deadline_steps_taken_at", "taken_at"),
    )

    case_kind: Mapped[str] = mapped_column(String(30))
    case_id: Mapped[int]
    state: Mapped[str] = mapped_column(String(40))
    entered_at: Mapped[datetime]
    """When the case entered the state: one stay, one set of steps."""
    step: Mapped[str] = mapped_column(String(80))
    """``remind:<days>``, ``escalate:<days>`` or ``trigger:<name>``."""
    due_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str | None] = mapped_column(String(500))
    taken_at: Mapped[datetime]
    worker: Mapped[str | None] = mapped_column(String(80))


def not_taken(
    kind: str,
    case_id: InstrumentedAttribute[int],
    state: InstrumentedAttribute[str],
    entered_at: InstrumentedAttribute[datetime],
    step: str,
) -> ColumnElement[bool]:
    """SQL: the case's current stay has no row for ``step`` yet (an anti-join on the key)."""
    return ~exists().where(
        and_(
            DeadlineStep.case_kind == kind,
            DeadlineStep.case_id == case_id,
            DeadlineStep.state == state,
            DeadlineStep.entered_at == entered_at,
            DeadlineStep.step == step,
        )
    )


async def claim(session: AsyncSession, rows: list[dict[str, object]]) -> dict[int, int]:
    """Insert step rows; answer ``case_id -> row id`` for those this transaction claimed.

    A row another scheduler already holds (committed, or inserted and not yet committed, which
    waits for its outcome) is left out.
    """
    if not rows:
        return {}
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    statement = (
        insert(DeadlineStep)
        .values(rows)
        .on_conflict_do_nothing(
            index_elements=["case_kind", "case_id", "state", "entered_at", "step"]
        )
        .returning(DeadlineStep.case_id, DeadlineStep.id)
    )
    return {case_id: row_id for case_id, row_id in (await session.execute(statement)).all()}
