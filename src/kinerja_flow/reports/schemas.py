"""Wire schemas of the cycle progress report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportTable(StrEnum):
    """A cycle's table to export, as its URL names it."""

    APPRAISALS = "appraisals"
    FOLLOWUPS = "followups"
    TRAINING_HOURS = "training-hours"

    @property
    def table(self) -> str:
        """The table's name in the service and in the file's name."""
        return self.value.replace("-", "_")


class ExportResult(msgspec.Struct, kw_only=True):
    """An export written to a file: download it at ``file`` (its starter, and HR) until it is
    removed, ``KINERJA_JOB_FILES_HOURS`` after the job ended."""

    table: str
    format: ExportFormat
    unit_code: str | None
    filename: str
    media_type: str
    rows: int
    size: int
    """The file's size in bytes."""
    file: str
    """Where to download it: ``/api/v1/jobs/{id}/file``."""


class TrainingFigures(msgspec.Struct, kw_only=True):
    """Training hours (JP) of the appraised employees in ``year``, done trainings only."""

    year: int
    minimum: int
    """The hours each employee should reach in a year (the ``training_min_jp`` setting)."""
    hours: int
    employees: int
    below_minimum: int
    """How many of the employees have fewer hours than ``minimum``."""


class Figures(msgspec.Struct, kw_only=True):
    appraisals: int
    states: dict[str, int]
    """Appraisals per state of the cycle's workflow (every state, zeros included)."""
    overdue: dict[str, int]
    """Per state: appraisals still in it after its deadline passed (states with a deadline)."""
    predikat: dict[str, int]
    """Appraisals per predikat (every predikat, zeros included); those without one are not
    counted."""
    followups: dict[str, dict[str, int]]
    """Follow-up items of the cycle's appraisals per kind, then per state (non-zero only)."""
    followups_overdue: int
    """Follow-up items past their due date and not ended."""
    training: TrainingFigures


class UnitProgress(Figures, kw_only=True):
    """A unit's figures, its sub-units included."""

    unit_code: str
    unit_name: str
    parent_code: str | None


class CycleProgress(msgspec.Struct, kw_only=True):
    cycle_id: int
    cycle_name: str
    workflow: str
    as_of: datetime
    """The moment the figures were taken (deadlines passed before it count as overdue)."""
    total: Figures
    """The whole cycle (or the requested unit with its sub-units)."""
    units: list[UnitProgress]
    """Every unit of the cycle (or under the requested unit), each with its sub-units, in the
    order of the organisation chart."""
