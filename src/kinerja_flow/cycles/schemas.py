"""Wire schemas of the cycle API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from kinerja_flow.policies.distribution import ReleasePolicy

CycleKind = Literal["annual", "semester", "quarterly", "monthly"]


class Deadlines(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    targets_due: date | None = None
    self_assessment_due: date | None = None
    review_due: date | None = None


class CycleCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    period_start: date
    period_end: date
    kind: CycleKind
    unit_codes: list[str] | None = None
    deadlines: Deadlines = msgspec.field(default_factory=Deadlines)
    workflow: str = "appraisal"
    distribution_policy: ReleasePolicy = "warn"


class CycleOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    period_start: date
    period_end: date
    workflow: str
    distribution_policy: ReleasePolicy
    unit_codes: list[str]
    deadlines: Deadlines
    opened_at: datetime | None
    total: int
    counts: dict[str, int]


class OpenResult(msgspec.Struct):
    created: int
    already_open: int
    without_evaluator: list[str]
    without_reviewer: list[str]
    cycle: CycleOut


class RefusedAppraisal(msgspec.Struct, kw_only=True):
    """An appraisal an action on the whole cycle did not move, with whose it is and why."""

    appraisal_id: int
    nip: str
    name: str
    status_code: int
    reason: str
    """Why, in the language of the person who started the action."""


class CycleActionResult(msgspec.Struct, kw_only=True):
    """What an action on the whole cycle came to: how many appraisals moved, every refusal."""

    fired: int
    refused: list[RefusedAppraisal]
