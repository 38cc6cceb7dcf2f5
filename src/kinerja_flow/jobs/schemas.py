"""Wire schema of a job: its state, progress, result or error."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from kinerja_flow.lib.openapi import ErrorBody

JobState = Literal["queued", "running", "done", "failed"]


class JobProgress(msgspec.Struct):
    """``done`` of ``total`` items (``total`` null until known) in the current ``phase``."""

    done: int
    total: int | None
    phase: str | None


class JobOut(msgspec.Struct):
    """A long piece of work: ``queued``, ``running``, then ``done`` with its ``result`` or
    ``failed`` with its ``error`` (the usual error body: every bad line for an import)."""

    id: int
    kind: str
    params: dict[str, Any]
    """What it was started with (e.g. ``cycle_id``, ``trigger``, ``table``, ``format``)."""
    state: JobState
    progress: JobProgress
    result: dict[str, Any] | None
    error: ErrorBody | None
    started_by: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(msgspec.Struct):
    """Jobs, the newest first: all of them for HR, one's own for anyone else."""

    items: list[JobOut]
    total: int
    limit: int
    offset: int
