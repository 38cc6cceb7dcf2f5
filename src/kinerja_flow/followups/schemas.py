"""Wire schemas of follow-up items: the details of each kind, requests and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from kinerja_flow.appraisals.schemas import Person
from kinerja_flow.berakhlak import CoreValue
from kinerja_flow.development import FollowUpKind, Outcome, Owner
from kinerja_flow.lib.text import MULTILINE

Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Nip = Annotated[str, msgspec.Meta(pattern=r"^\d{18}$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"\S")]
LongText = Annotated[str, MULTILINE, msgspec.Meta(max_length=10000)]
Notes = Annotated[str, MULTILINE, msgspec.Meta(min_length=1, max_length=10000, pattern=r"\S")]
Hours = Annotated[int, msgspec.Meta(ge=1, le=1000)]
"""Jam pelajaran (JP): one JP is 45 minutes of learning."""


class _Details(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, tag_field="kind"):
    """The fields of one kind of item; ``kind`` names it."""


class TrainingDetails(_Details, tag="training"):
    """A training (pelatihan): the item's title names it."""

    provider: ShortText | None = None
    hours: Hours | None = None
    start: date | None = None
    end: date | None = None


class MentoringDetails(_Details, tag="mentoring"):
    """Mentoring by another employee, named by NIP (before the item is approved)."""

    mentor_nip: Nip | None = None


class CoachingDetails(_Details, tag="coaching"):
    """Coaching, usually by the evaluator; sessions are logged."""


class CounsellingDetails(_Details, tag="counselling"):
    """Konseling kinerja: counselling on performance or conduct; sessions are logged."""


class RewardDetails(_Details, tag="reward"):
    """A reward (penghargaan): which (a certificate of appreciation, a medal...) and why."""

    reward_kind: ShortText | None = None
    reason: LongText | None = None


class PromotionDetails(_Details, tag="promotion_recommendation"):
    """A recommendation for promotion, optionally to a named position."""

    position: ShortText | None = None


class TalentPoolDetails(_Details, tag="talent_pool"):
    """A recommendation for the agency's talent pool (manajemen talenta)."""


class ImprovementPlanDetails(_Details, tag="improvement_plan"):
    """A period to improve (six months unless given); its outcome is recorded on completion."""

    start: date | None = None
    end: date | None = None


Details = (
    TrainingDetails
    | MentoringDetails
    | CoachingDetails
    | CounsellingDetails
    | RewardDetails
    | PromotionDetails
    | TalentPoolDetails
    | ImprovementPlanDetails
)
"""The fields of each kind, told apart by ``kind``."""


def kind_of(details: Details) -> FollowUpKind:
    """The kind ``details`` belong to (the tag msgspec reads and writes as ``kind``)."""
    return FollowUpKind(str(details.__struct_config__.tag))


class FollowUpCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``POST /followups``: an item for ``employee_nip``; its kind is ``details.kind``."""

    employee_nip: Nip
    title: Title
    details: Details
    description: LongText | None = None
    due: date | None = None
    owner: Owner | None = None
    appraisal_id: Id | None = None
    target_id: Id | None = None
    core_value: CoreValue | None = None


class FollowUpUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``PATCH /followups/{id}``: only the fields given change."""

    version: int
    title: Title | None = None
    description: LongText | None = None
    due: date | None = None
    owner: Owner | None = None
    details: Details | None = None


class FollowUpAction(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``POST /followups/{id}/actions/{trigger}``."""

    version: int
    reason: LongText | None = None
    comment: LongText | None = None
    outcome: Outcome | None = None


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    held_on: date
    notes: Notes
    version: int | None = None


class CheckpointCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    due_on: date
    description: Notes
    version: int | None = None


class CheckpointReview(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reviewed_on: date
    note: Notes
    version: int | None = None


class CertificateFields(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The form fields sent with a certificate file."""

    version: int | None = None


class RuleSource(msgspec.Struct):
    """A rule of ``policies/followup_rules.toml`` that proposed the item, and why."""

    rule: str
    basis: str
    reason: str


class Source(msgspec.Struct):
    """Where the item came from: the rules that proposed it, or the person who added it."""

    rules: list[RuleSource]
    added_by: str


class TargetRef(msgspec.Struct):
    id: int
    title: str


class SessionOut(msgspec.Struct):
    id: int
    held_on: date
    notes: str
    recorded_by: str
    created_at: datetime


class CheckpointOut(msgspec.Struct):
    id: int
    due_on: date
    description: str
    reviewed_on: date | None
    note: str | None


class CertificateOut(msgspec.Struct):
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class FollowUpOut(msgspec.Struct):
    id: int
    workflow: str
    kind: FollowUpKind
    state: str
    version: int
    employee: Person
    evaluator: Person | None
    mentor: Person | None
    owner: Owner
    title: str
    description: str | None
    due: date
    overdue: bool
    appraisal_id: int | None
    cycle_id: int | None
    target: TargetRef | None
    core_value: CoreValue | None
    details: Details
    source: Source
    outcome: Outcome | None
    end_reason: str | None
    completed_at: datetime | None
    certificate: CertificateOut | None
    sessions: list[SessionOut]
    checkpoints: list[CheckpointOut]
    allowed_actions: list[str]
    state_changed_at: datetime
    created_at: datetime


class FollowUpSummary(msgspec.Struct):
    id: int
    kind: FollowUpKind
    state: str
    version: int
    employee: Person
    owner: Owner
    title: str
    due: date
    overdue: bool
    appraisal_id: int | None
    cycle_id: int | None
    outcome: Outcome | None
    hours: int | None
    """A training's hours (JP)."""
    rules: list[str]
    """The rules that proposed it; empty when a person added it."""


class FollowUpPage(msgspec.Struct):
    items: list[FollowUpSummary]
    total: int
    limit: int
    offset: int


class TrainingYear(msgspec.Struct):
    """Training hours (JP) completed in one year against the yearly minimum."""

    year: int
    hours: int
    minimum: int
    below_minimum: bool


class DevelopmentPlan(msgspec.Struct):
    """An employee's individual development plan: items across appraisals, training hours."""

    employee: Person
    year: int | None
    minimum_jp: int
    training_hours: list[TrainingYear]
    items: list[FollowUpSummary]
