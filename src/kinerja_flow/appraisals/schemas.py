"""Wire schemas of the appraisal API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from kinerja_flow.berakhlak import CoreValue
from kinerja_flow.lib.text import MULTILINE
from kinerja_flow.predikat import Predikat, Rating

ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
LongText = Annotated[str, MULTILINE, msgspec.Meta(max_length=10000)]
Url = Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^https?://\S+$")]
Approach = Literal["kuantitatif", "kualitatif"]
"""How the SKP is measured: by numeric targets, or by the evaluator's qualitative judgement."""
Aspect = Literal["quantity", "quality", "time", "cost"]
"""The aspect an indicator measures; for time and cost a lower realisation is better."""
Amount = Annotated[float, msgspec.Meta(ge=0, le=1e15)]
TargetAmount = Annotated[float, msgspec.Meta(gt=0, le=1e15)]
Weight = Annotated[float, msgspec.Meta(gt=0, le=1000)]


class ActionRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``POST /appraisals/{id}/actions/{trigger}``: the version seen and the payload."""

    version: int
    comment: LongText | None = None
    reason: LongText | None = None
    results_rating: Rating | None = None
    behaviour_rating: Rating | None = None
    decision: Literal["upheld", "changed"] | None = None
    departure_reason: LongText | None = None
    target_feedback: list[TargetFeedback] | None = None
    behaviour_feedback: list[BehaviourFeedback] | None = None
    assessments: list[IndicatorAssessment] | None = None


class TargetFeedback(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The evaluator's feedback on one RHK."""

    target_id: int
    feedback: LongText


class BehaviourFeedback(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The evaluator's feedback on one BerAKHLAK value, optionally marked below expectation."""

    value: CoreValue
    feedback: LongText
    below_expectation: bool | None = None


class IndicatorAssessment(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The evaluator's judgement of one indicator's realisation (approach kualitatif)."""

    indicator_id: int
    assessment: Rating


class EvaluationDraft(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``PUT /appraisals/{id}/evaluation``: the evaluator's work, saved before submitting.

    Only the fields given are changed; ``submit_review`` accepts the same fields.
    """

    version: int
    results_rating: Rating | None = None
    behaviour_rating: Rating | None = None
    departure_reason: LongText | None = None
    comment: LongText | None = None
    target_feedback: list[TargetFeedback] | None = None
    behaviour_feedback: list[BehaviourFeedback] | None = None
    assessments: list[IndicatorAssessment] | None = None


class ExpectationsSet(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``PUT /appraisals/{id}/expectations``: ekspektasi khusus pimpinan per value.

    Values not named keep theirs; an empty text removes one.
    """

    version: int
    expectations: dict[CoreValue, LongText]


class ApproachSet(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``PUT /appraisals/{id}/approach``: the SKP's approach, chosen while planning."""

    version: int
    approach: Approach


class ReassignRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """HR names a new evaluator and/or appeal reviewer (by NIP), with the reason."""

    version: int
    reason: Annotated[str, MULTILINE, msgspec.Meta(min_length=1, max_length=2000)]
    evaluator_nip: Annotated[str, msgspec.Meta(pattern=r"^\d{18}$")] | None = None
    reviewer_nip: Annotated[str, msgspec.Meta(pattern=r"^\d{18}$")] | None = None


class BulkActionRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``POST /cycles/{id}/actions/{trigger}``: the payload for every appraisal."""

    comment: LongText | None = None
    reason: LongText | None = None


class BulkRefusal(msgspec.Struct):
    appraisal_id: int
    status_code: int
    reason: str
    """Why, in the language of the person who started the action."""


class BulkActionResult(msgspec.Struct):
    fired: int
    refused: list[BulkRefusal]


class IndicatorCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An indicator with its target: a number with a unit, or a qualitative description."""

    description: ShortText
    aspect: Aspect = "quantity"
    target_value: TargetAmount | None = None
    target_unit: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    target_text: ShortText | None = None
    weight: Weight | None = None
    version: int | None = None


class IndicatorUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """Planning fields while ``planning``; realisation fields while ``self_assessment``."""

    description: ShortText | msgspec.UnsetType = msgspec.UNSET
    aspect: Aspect | msgspec.UnsetType = msgspec.UNSET
    target_value: TargetAmount | msgspec.UnsetType | None = msgspec.UNSET
    target_unit: Annotated[str, msgspec.Meta(max_length=100)] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )
    target_text: ShortText | msgspec.UnsetType | None = msgspec.UNSET
    weight: Weight | msgspec.UnsetType | None = msgspec.UNSET
    realisation_value: Amount | msgspec.UnsetType | None = msgspec.UNSET
    realisation_text: LongText | msgspec.UnsetType | None = msgspec.UNSET
    version: int | None = None


class TargetCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new RHK with at least one indicator; optionally the evaluator's RHK it supports."""

    title: ShortText
    indicators: Annotated[list[IndicatorCreate], msgspec.Meta(min_length=1, max_length=20)]
    supports_target_id: int | None = None
    version: int | None = None


class TargetUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    title: ShortText | msgspec.UnsetType = msgspec.UNSET
    supports_target_id: int | msgspec.UnsetType | None = msgspec.UNSET
    version: int | None = None


class Person(msgspec.Struct):
    id: int
    nip: str
    name: str
    position: str


class EvidenceOut(msgspec.Struct):
    id: int
    kind: Literal["link", "file"]
    url: str | None
    filename: str | None
    content_type: str | None
    size: int | None
    sha256: str | None
    note: str | None
    created_at: datetime


class IndicatorOut(msgspec.Struct):
    id: int
    position: int
    description: str
    aspect: Aspect
    target_value: float | None
    target_unit: str | None
    target_text: str | None
    weight: float | None
    realisation_value: float | None
    realisation_text: str | None
    assessment: Rating | None
    evidence: list[EvidenceOut]


class SupportedTarget(msgspec.Struct):
    """The evaluator's RHK that an RHK supports (RHK atasan yang diintervensi)."""

    id: int
    appraisal_id: int
    title: str


class SupportingTarget(msgspec.Struct):
    """A report's RHK that supports one of the evaluator's RHKs."""

    target_id: int
    title: str
    appraisal_id: int
    state: str
    employee_nip: str
    employee_name: str


class TargetCascade(msgspec.Struct):
    target_id: int
    title: str
    supported_by: list[SupportingTarget]


class TargetOut(msgspec.Struct):
    id: int
    position: int
    title: str
    supports: SupportedTarget | None
    indicators: list[IndicatorOut]
    evaluator_feedback: str | None


class BehaviourOut(msgspec.Struct):
    """One BerAKHLAK value: its name, the leader's expectation and the evaluator's feedback."""

    value: CoreValue
    name: str
    expectation: str | None
    feedback: str | None
    below_expectation: bool | None
    """The evaluator's mark; hidden (null) with the feedback while the result is concealed."""


class IndicatorBasis(msgspec.Struct):
    """How one indicator counts towards the suggested results rating."""

    indicator_id: int
    level: Rating | None
    achievement: float | None
    weight: float


class RatingExplanation(msgspec.Struct):
    """How the predikat was reached: the suggestion, the ratings, the matrix cell, departures."""

    approach: Approach
    suggested_results_rating: Rating | None
    suggestion_score: float | None
    basis: list[IndicatorBasis]
    results_rating: Rating | None
    behaviour_rating: Rating | None
    departs_from_suggestion: bool
    departure_reason: str | None
    matrix_cell: str | None
    predikat: Predikat | None


class UnitIkm(msgspec.Struct):
    """The public satisfaction index of the employee's unit over the cycle's period."""

    unit_code: str
    unit_name: str
    index: float | None
    category: str | None
    responses: int


class AppealOut(msgspec.Struct):
    reason: str
    filed_at: datetime
    original_results_rating: Rating
    original_behaviour_rating: Rating
    original_predikat: Predikat
    decision: str | None
    decision_reason: str | None
    decided_at: datetime | None


class FollowUpBrief(msgspec.Struct):
    """A follow-up item as an appraisal shows it (``GET /followups/{id}`` has the rest)."""

    id: int
    kind: str
    title: str
    state: str
    owner: str
    due: date
    rules: list[str]
    """The rules that proposed it (empty when a person added it)."""
    reasons: list[str]
    """Why each rule proposed it, in the reader's language."""
    outcome: str | None
    appraisal_id: int | None


class AppraisalOut(msgspec.Struct):
    id: int
    cycle_id: int
    workflow: str
    state: str
    version: int
    employee: Person
    evaluator: Person | None
    reviewer: Person | None
    approach: Approach
    targets: list[TargetOut]
    behaviour: list[BehaviourOut]
    rating: RatingExplanation
    unit_ikm: UnitIkm | None
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
    """The last day of the current state's deadline (in the agency's time zone)."""
    due_at: datetime | None
    """The moment that deadline passes (reminders, escalation and automatic steps count
    from it)."""
    allowed_actions: list[str]
    capabilities: list[str]
    """What the caller may use now (``skp``, ``realisation``, ``evidence``, ``evaluation``, ...),
    as the workflow file declares for this state and the caller's roles on the appraisal."""
    roles: list[str]
    """The caller's roles on this appraisal (employee, evaluator, reviewer, hr, auditor)."""
    state_changed_at: datetime
    followups: list[FollowUpBrief] = []
    """The follow-up items this appraisal motivated (proposed by the rules or added)."""
    earlier_improvement_plans: list[FollowUpBrief] = []
    """The employee's improvement plans of earlier cycles, with their outcome."""


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


class TaskOut(msgspec.Struct):
    """An appraisal that waits for the caller: what they may do on it now, and by when."""

    appraisal_id: int
    cycle_id: int
    cycle_name: str
    state: str
    version: int
    employee: Person
    roles: list[str]
    """The caller's part in it: employee, evaluator and/or reviewer."""
    allowed_actions: list[str]
    capabilities: list[str]
    due: date | None
    """The cycle's deadline for the current state, if it has one."""
    appeal_deadline: datetime | None
