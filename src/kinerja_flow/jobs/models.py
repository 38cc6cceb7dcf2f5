"""The ``jobs`` table: one row per piece of long work, from queued to done or failed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kinerja_flow.lib.db import Base, IdMixin

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ENDED = (DONE, FAILED)


class Job(IdMixin, Base):
    """Work of one ``kind`` started by a person, claimed by one worker at a time.

    A worker holds a running job under a lease it renews while it works; a job whose lease ran
    out (its process died) is claimed again by the next worker, or failed once it has been
    tried ``MAX_ATTEMPTS`` times.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_id", "state", "id"),)

    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    owner_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    owner: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Who started it, as the work runs on their behalf: account, employee, email, roles."""
    input_path: Mapped[str | None] = mapped_column(String(500))
    """The uploaded file the job reads (removed once it is no longer needed)."""
    output_path: Mapped[str | None] = mapped_column(String(500))
    """The file the job wrote for its starter to download (an export), removed a while after
    the job ended (``KINERJA_JOB_FILES_HOURS``)."""
    phase: Mapped[str | None] = mapped_column(String(40))
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """An error a person can act on: ``status_code``, ``message`` (msgid), ``params`` and
    ``errors`` (one per field or line), translated when read."""
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
