"""Wire schemas of the appraisal API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from kinerja_flow.appraisals.predikat import Predikat, Rating

ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
LongText = Annotated[str, msgspec.Meta(max_length=10000)]
Url = Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^https?://\S+$")]


class ActionRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``POST /appraisals/{id}/actions/{trigger}``: the version seen and the payload."""

    version: int
    comment: LongText | None = None
    reason: LongText | None = None
    results_rating: Rating | None = None
    behaviour_rating: Rating | None = None
    decision: Literal["upheld", "changed"] | None = None


class ReassignRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """HR names a new evaluator and/or appeal reviewer (by NIP), with the reason."""

    version: int
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    evaluator_nip: Annotated[str, msgspec.Meta(pattern=r"^\d{18}$")] | None = None
    reviewer_nip: Annotated[str, msgspec.Meta(pattern=r"^\d{18}$")] | None = None


class BulkActionRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``POST /cycles/{id}/actions/{trigger}``: the payload for every appraisal."""

    comment: LongText | None = None
    reason: LongText | None = None


class BulkRefusal(msgspec.Struct):
    appraisal_id: int
    status_code: int


class BulkActionResult(msgspec.Struct):
    fired: int
    refused: list[BulkRefusal]


class TargetCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: ShortText
    indicator: ShortText
    target: ShortText
    version: int | None = None


class TargetUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """Planning fields while ``planning``; realisation fields while ``self_assessment``."""

    title: ShortText | msgspec.UnsetType = msgspec.UNSET
    indicator: ShortText | msgspec.UnsetType = msgspec.UNSET
    target: ShortText | msgspec.UnsetType = msgspec.UNSET
    realization: LongText | msgspec.UnsetType | None = msgspec.UNSET
    evidence_url: Url | msgspec.UnsetType | None = msgspec.UNSET
    note: LongText | msgspec.UnsetType | None = msgspec.UNSET
    version: int | None = None


class Person(msgspec.Struct):
    id: int
    nip: str
    name: str
    position: str


class TargetOut(msgspec.Struct):
    id: int
    position: int
    title: str
    indicator: str
    target: str
    realization: str | None
    evidence_url: str | None
    note: str | None


class AppealOut(msgspec.Struct):
    reason: str
    filed_at: datetime
    original_results_rating: Rating
    original_behaviour_rating: Rating
    original_predikat: Predikat
    decision: str | None
    decision_reason: str | None
    decided_at: datetime | None


class AppraisalOut(msgspec.Struct):
    id: int
    cycle_id: int
    workflow: str
    state: str
    version: int
    employee: Person
    evaluator: Person | None
    reviewer: Person | None
    targets: list[TargetOut]
    results_rating: Rating | None
    behaviour_rating: Rating | None
    predikat: Predikat | None
    return_comment: str | None
    review_comment: str | None
    reviewed_at: datetime | None
    appeal_deadline: datetime | None
    appeal: AppealOut | None
    cancel_reason: str | None
    due: date | None
    allowed_actions: list[str]
    state_changed_at: datetime


class AppraisalSummary(msgspec.Struct):
    id: int
    cycle_id: int
    state: str
    version: int
    employee: Person
    evaluator_id: int | None
    reviewer_id: int | None
    predikat: Predikat | None


class AppraisalPage(msgspec.Struct):
    items: list[AppraisalSummary]
    total: int
    limit: int
    offset: int
