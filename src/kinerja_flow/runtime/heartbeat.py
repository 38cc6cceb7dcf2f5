"""Each scheduler's last pass, kept in the database so ``/metrics`` of any ``serve`` instance
can tell operators whether the schedulers run (the age of the latest pass) and how late they
act (the lag: how long after its moment a reminder, escalation or automatic step was taken).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_flow.lib.db import Base, is_postgres

FORGOTTEN_AFTER = timedelta(days=1)
"""A worker silent this long is gone (restarted under a new name): its row is dropped."""
RECENT = timedelta(minutes=10)
"""The lag reported is the largest of the passes finished this recently."""


class SchedulerPass(Base):
    """The latest pass of one scheduler (one per worker process)."""

    __tablename__ = "scheduler_passes"

    worker: Mapped[str] = mapped_column(String(80), primary_key=True)
    finished_at: Mapped[datetime]
    lag_seconds: Mapped[float]
    """How long after its moment the latest step of the pass was taken (0 if none was due)."""
    taken: Mapped[int]


async def record_pass(
    session: AsyncSession, worker: str, finished_at: datetime, lag_seconds: float, taken: int
) -> None:
    """Upsert ``worker``'s row and drop those of workers long gone; the caller commits."""
    values = {
        "worker": worker,
        "finished_at": finished_at,
        "lag_seconds": lag_seconds,
        "taken": taken,
    }
    dialect_insert = postgresql.insert if is_postgres(session) else sqlite.insert
    statement = dialect_insert(SchedulerPass).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["worker"],
            set_={name: statement.excluded[name] for name in values if name != "worker"},
        )
    )
    await session.execute(
        delete(SchedulerPass).where(SchedulerPass.finished_at < finished_at - FORGOTTEN_AFTER)
    )


async def latest(session: AsyncSession, now: datetime) -> tuple[float | None, float]:
    """Seconds since any scheduler last finished a pass (None: none ever did), and the
    largest lag of the passes finished within ``RECENT``."""
    last, lag = (
        await session.execute(
            select(
                func.max(SchedulerPass.finished_at),
                func.max(SchedulerPass.lag_seconds).filter(
                    SchedulerPass.finished_at >= now - RECENT
                ),
            )
        )
    ).one()
    since = max(0.0, (now - last).total_seconds()) if last is not None else None
    return since, float(lag or 0.0)
