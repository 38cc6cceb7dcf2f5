"""The named guards and effects an appraisal workflow file may use (the allow-list)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kinerja_flow.appraisals.models import Appeal, Appraisal, Indicator
from kinerja_flow.appraisals.release import release_audit
from kinerja_flow.appraisals.schemas import ActionRequest
from kinerja_flow.appraisals.suggestion import suggest
from kinerja_flow.berakhlak import CORE_VALUES
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import FieldError
from kinerja_flow.policies.distribution_check import ReleaseCheck, limit_text
from kinerja_flow.predikat import Rating, predikat_for
from kinerja_flow.runtime.cases import CaseService
from kinerja_flow.workflow.registry import Capability, Registry

APPEAL_WINDOW = timedelta(days=14)
"""PP 30/2019 art. 59: an objection may be filed within 14 days of receiving the result."""
DISTRIBUTION_GUARD = "distribution_allows_release"


TARGETS = "targets"
"""The part of an appraisal that is its SKP's RHKs and their indicators."""
BEHAVIOUR = "behaviour"
"""The part of an appraisal that is its behaviour notes (one per BerAKHLAK value)."""


@dataclass(frozen=True)
class TargetFacts:
    """What guards read of the RHKs and their indicators."""

    count: int
    unmeasurable: tuple[str, ...]
    partly_weighted: bool
    unrealised: tuple[str, ...]
    without_feedback: tuple[str, ...]
    unassessed: tuple[str, ...]
    suggestion: Rating | None


@dataclass(frozen=True)
class AppraisalFacts:
    """Everything guards may look at, gathered before the decision; guards do no I/O.

    What comes from a part of the appraisal (:data:`TARGETS`, :data:`BEHAVIOUR`) is gathered
    only when a guard or an effect of the trigger declares that it reads that part.
    """

    now: datetime
    payload: ActionRequest
    results_rating: Rating | None
    behaviour_rating: Rating | None
    departure_reason: str | None
    reviewed_at: datetime | None
    has_evaluator: bool
    has_reviewer: bool
    gathered_targets: TargetFacts | None = None
    gathered_values_without_feedback: tuple[str, ...] | None = None
    release_check: ReleaseCheck | None = None
    """Gathered only when the transition checks ``distribution_allows_release``."""
    gathered: Mapping[str, Any] = field(default_factory=dict)
    """What guards registered with a gatherer read, by guard name (only those of the route)."""
    state_due_at: datetime | None = None
    """When the deadline of the current state passes (None: the state has none)."""

    @property
    def targets(self) -> TargetFacts:
        """The RHKs' facts (for a guard or effect registered with ``reads=[TARGETS]``)."""
        assert self.gathered_targets is not None, "the guard or effect does not read TARGETS"
        return self.gathered_targets

    @property
    def values_without_feedback(self) -> tuple[str, ...]:
        """The BerAKHLAK values without feedback (``reads=[BEHAVIOUR]``)."""
        found = self.gathered_values_without_feedback
        assert found is not None, "the guard or effect does not read BEHAVIOUR"
        return found


def _realised(indicator: Indicator, approach: str) -> bool:
    if approach == "kuantitatif":
        return indicator.realisation_value is not None
    return indicator.realisation_value is not None or not _blank(indicator.realisation_text)


def _target_facts(appraisal: Appraisal) -> TargetFacts:
    indicators = appraisal.indicators
    approach = appraisal.approach
    weighted = [indicator.weight is not None for indicator in indicators]
    return TargetFacts(
        count=len(appraisal.targets),
        unmeasurable=tuple(
            i.description
            for i in indicators
            if approach == "kuantitatif" and (i.target_value is None or not i.target_unit)
        ),
        partly_weighted=any(weighted) and not all(weighted),
        unrealised=tuple(i.description for i in indicators if not _realised(i, approach)),
        without_feedback=tuple(t.title for t in appraisal.targets if _blank(t.evaluator_feedback)),
        unassessed=tuple(
            i.description for i in indicators if approach == "kualitatif" and not i.assessment
        ),
        suggestion=suggest(approach, indicators).rating,
    )


def gather_facts(
    appraisal: Appraisal, payload: ActionRequest, now: datetime, reads: frozenset[str]
) -> AppraisalFacts:
    """The facts about a loaded appraisal and the parts of it in ``reads`` (loaded too)."""
    feedback = (
        {note.value: note.feedback for note in appraisal.behaviour} if BEHAVIOUR in reads else None
    )
    return AppraisalFacts(
        now=now,
        payload=payload,
        results_rating=payload.results_rating or _rating(appraisal.results_rating),
        behaviour_rating=payload.behaviour_rating or _rating(appraisal.behaviour_rating),
        departure_reason=payload.departure_reason or appraisal.departure_reason,
        reviewed_at=appraisal.reviewed_at,
        has_evaluator=appraisal.evaluator_id is not None,
        has_reviewer=appraisal.reviewer_id is not None,
        gathered_targets=_target_facts(appraisal) if TARGETS in reads else None,
        gathered_values_without_feedback=None
        if feedback is None
        else tuple(v.value for v in CORE_VALUES if _blank(feedback.get(v))),
    )


def _rating(value: str | None) -> Rating | None:
    return Rating(value) if value else None


@dataclass(frozen=True)
class EffectContext:
    appraisal: Appraisal
    facts: AppraisalFacts
    actor_id: int | None
    """The account firing the trigger; None when the system does (a lapsed deadline)."""
    service: CaseService[Any, Any, Any]
    """The service firing the step: its session, context and caller, for effects that write
    beyond the appraisal (registered by the packages built on appraisals)."""

    @property
    def payload(self) -> ActionRequest:
        return self.facts.payload

    @property
    def now(self) -> datetime:
        return self.facts.now


ONLY_EVALUATOR = _("Only the evaluator may do this.")
NOT_NOW = _("This is not possible while the appraisal is '{state}'.")

RULES: Registry[AppraisalFacts] = Registry(
    kind="appraisal",
    roles=frozenset({"employee", "evaluator", "reviewer", "hr", "auditor"}),
    recipients=frozenset({"employee", "evaluator", "reviewer"}),
    capabilities={
        "skp": Capability(
            "Write the SKP: its approach, RHKs and their indicators' targets.",
            _("Only the appraised employee may change the targets."),
            _("Targets cannot be changed this way while the appraisal is '{state}'."),
        ),
        "realisation": Capability(
            "Record the realisation of each indicator.",
            _("Only the appraised employee records the realisation."),
            _("The realisation is recorded during the self-assessment, not while '{state}'."),
        ),
        "evidence": Capability(
            "Add or remove evidence (bukti dukung) of a realisation.",
            _("Only the appraised employee adds or removes evidence."),
            _("Evidence is added or removed during the self-assessment, not while '{state}'."),
        ),
        "expectations": Capability(
            "Set the leader's expectations per BerAKHLAK value.", ONLY_EVALUATOR, NOT_NOW
        ),
        "evaluation": Capability(
            "Save the evaluation draft: feedback, assessments, ratings.", ONLY_EVALUATOR, NOT_NOW
        ),
        "dialogue": Capability(
            "Record continuous feedback and coaching sessions.",
            _("Only the employee and the evaluator take part in the dialogue."),
            _("Feedback and coaching are recorded while the appraisal is in progress."),
        ),
        "peer_requests": Capability(
            "Invite peers for 360 feedback; invited peers answer.",
            _("Only the evaluator or HR invite peers, never the employee."),
            _("Peers are invited while the appraisal is open and not rated, not '{state}'."),
        ),
        "skp_document": Capability(
            "Print the SKP.",
            _("You may not print this appraisal's documents."),
            _("The SKP exists once the evaluator approves the targets (now '{state}')."),
        ),
        "evaluation_document": Capability(
            "Print the evaluation document (a draft while the result is concealed).",
            _("You may not print this appraisal's documents."),
            _("The evaluation document exists once the evaluator rates (now '{state}')."),
        ),
    },
    deadlines=frozenset({"targets_due", "self_assessment_due", "review_due"}),
    deadline_recipients=frozenset({"hr"}),
    parts=frozenset({TARGETS, BEHAVIOUR}),
)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


@RULES.guard("has_targets", reads=[TARGETS])
def has_targets(facts: AppraisalFacts) -> FieldError | None:
    if facts.targets.count == 0:
        return FieldError("targets", _("Add at least one target before submitting."))
    return None


@RULES.guard("has_evaluator")
def has_evaluator(facts: AppraisalFacts) -> FieldError | None:
    if not facts.has_evaluator:
        return FieldError("evaluator", _("No evaluator is assigned; ask HR to assign one."))
    return None


@RULES.guard("has_reviewer")
def has_reviewer(facts: AppraisalFacts) -> FieldError | None:
    if not facts.has_reviewer:
        return FieldError("reviewer", _("No appeal reviewer is assigned; ask HR to assign one."))
    return None


@RULES.guard("targets_measurable", reads=[TARGETS])
def targets_measurable(facts: AppraisalFacts) -> FieldError | None:
    if facts.targets.unmeasurable:
        return FieldError(
            "indicators",
            _(
                "A quantitative SKP needs a numeric target with a unit for every indicator;"
                " missing: {indicators}."
            ),
            {"indicators": "; ".join(facts.targets.unmeasurable)},
        )
    if facts.targets.partly_weighted:
        return FieldError("weight", _("Give every indicator a weight, or none of them."))
    return None


@RULES.guard("all_targets_realised", reads=[TARGETS])
def all_targets_realised(facts: AppraisalFacts) -> FieldError | None:
    if facts.targets.unrealised:
        return FieldError(
            "indicators",
            _("Record a realisation for every indicator; missing: {indicators}."),
            {"indicators": "; ".join(facts.targets.unrealised)},
        )
    return None


@RULES.guard("evaluation_complete", reads=[TARGETS, BEHAVIOUR])
def evaluation_complete(facts: AppraisalFacts) -> FieldError | None:
    """Feedback on every RHK and every BerAKHLAK value; kualitatif: every indicator assessed."""
    targets = facts.targets
    if targets.without_feedback:
        return FieldError(
            "target_feedback",
            _("Give feedback on every planned result; missing: {titles}."),
            {"titles": "; ".join(targets.without_feedback)},
        )
    if facts.values_without_feedback:
        return FieldError(
            "behaviour_feedback",
            _("Give feedback on every BerAKHLAK value; missing: {values}."),
            {"values": ", ".join(facts.values_without_feedback)},
        )
    if targets.unassessed:
        return FieldError(
            "assessments",
            _("Assess the realisation of every indicator; missing: {indicators}."),
            {"indicators": "; ".join(targets.unassessed)},
        )
    return None


@RULES.guard("departure_explained", reads=[TARGETS])
def departure_explained(facts: AppraisalFacts) -> FieldError | None:
    """A results rating other than the suggested one needs a written reason."""
    suggestion = facts.targets.suggestion
    departs = suggestion and facts.results_rating and facts.results_rating != suggestion
    if departs and _blank(facts.departure_reason):
        return FieldError(
            "departure_reason",
            _(
                "The suggested results rating is '{suggested}'; give a departure_reason to"
                " rate otherwise."
            ),
            {"suggested": str(suggestion)},
        )
    return None


@RULES.guard("comment_given")
def comment_given(facts: AppraisalFacts) -> FieldError | None:
    if _blank(facts.payload.comment):
        return FieldError("comment", _("A comment is required."))
    return None


@RULES.guard("reason_given")
def reason_given(facts: AppraisalFacts) -> FieldError | None:
    if _blank(facts.payload.reason):
        return FieldError("reason", _("A reason is required."))
    return None


@RULES.guard("ratings_given")
def ratings_given(facts: AppraisalFacts) -> FieldError | None:
    missing = [
        name for name in ("results_rating", "behaviour_rating") if getattr(facts, name) is None
    ]
    if missing:
        return FieldError(
            missing[0],
            _("Both results_rating and behaviour_rating are required; missing: {fields}."),
            {"fields": ", ".join(missing)},
        )
    return None


@RULES.guard("within_appeal_window")
def within_appeal_window(facts: AppraisalFacts) -> FieldError | None:
    """Before the state's deadline (the workflow file's appeal window), or 14 days."""
    if facts.reviewed_at is None:
        ends = None
    elif facts.state_due_at is not None:
        ends = facts.state_due_at
    else:
        ends = facts.reviewed_at + APPEAL_WINDOW
    if ends is None or facts.now >= ends:
        return FieldError(
            "reason", _("The 14-day period to file an appeal against this result has ended.")
        )
    return None


@RULES.guard(DISTRIBUTION_GUARD)
def distribution_allows_release(facts: AppraisalFacts) -> list[FieldError] | None:
    """In a cycle that blocks, refuse while the employee's unit breaks its pattern."""
    check = facts.release_check
    assert check is not None, "the service gathers the release check for this guard"
    if check.policy != "block" or not check.unit.broken:
        return None
    org = check.unit.org_predikat
    assert org is not None  # only a unit with an organisation predikat can break a rule
    return [
        FieldError(
            "distribution",
            _(
                "Unit {unit} does not follow the pattern of its organisation predikat "
                "'{org_predikat}', and this cycle blocks the release until it does."
            ),
            {"unit": check.unit.unit_code, "org_predikat": org.value},
        ),
        *(
            FieldError("distribution", broken.rule.message, {"limit": limit_text(broken.rule)})
            for broken in check.unit.broken
        ),
    ]


@RULES.guard("appeal_decision_given")
def appeal_decision_given(facts: AppraisalFacts) -> FieldError | None:
    payload = facts.payload
    if payload.decision is None:
        return FieldError("decision", _("A decision is required: 'upheld' or 'changed'."))
    if payload.decision == "changed" and (
        payload.results_rating is None or payload.behaviour_rating is None
    ):
        return FieldError(
            "results_rating",
            _("A changed decision needs the new results_rating and behaviour_rating."),
        )
    return None


def _ratings(payload: ActionRequest) -> tuple[Rating, Rating]:
    """The two ratings of a payload whose guards already required them."""
    assert payload.results_rating is not None
    assert payload.behaviour_rating is not None
    return payload.results_rating, payload.behaviour_rating


@RULES.effect("record_return_comment")
def record_return_comment(ctx: EffectContext) -> dict[str, Any]:
    ctx.appraisal.return_comment = ctx.payload.comment
    return {"comment": ctx.payload.comment}


@RULES.effect("record_ratings", reads=[TARGETS])
def record_ratings(ctx: EffectContext) -> dict[str, Any]:
    facts = ctx.facts
    suggestion = facts.targets.suggestion
    results, behaviour = facts.results_rating, facts.behaviour_rating
    assert results is not None
    assert behaviour is not None
    appraisal = ctx.appraisal
    appraisal.results_rating = results
    appraisal.behaviour_rating = behaviour
    appraisal.predikat = predikat_for(results, behaviour)
    appraisal.suggested_results_rating = suggestion
    appraisal.departure_reason = (
        facts.departure_reason if suggestion and results != suggestion else None
    )
    appraisal.review_comment = ctx.payload.comment or appraisal.review_comment
    return {
        "results_rating": results.value,
        "behaviour_rating": behaviour.value,
        "predikat": appraisal.predikat,
        "suggested_results_rating": suggestion,
        "departure_reason": appraisal.departure_reason,
        "comment": appraisal.review_comment,
    }


@RULES.effect("release_result")
def release_result(ctx: EffectContext) -> dict[str, Any]:
    """The result reaches the employee now: the 14-day appeal window counts from here.

    Where the release checked the unit's distribution, the audit event keeps that check.
    """
    ctx.appraisal.reviewed_at = ctx.now
    check = ctx.facts.release_check
    return {} if check is None else {"distribution": release_audit(check)}


@RULES.effect("open_appeal")
def open_appeal(ctx: EffectContext) -> dict[str, Any]:
    appraisal = ctx.appraisal
    assert appraisal.results_rating
    assert appraisal.behaviour_rating
    assert appraisal.predikat
    appraisal.appeal = Appeal(
        reason=ctx.payload.reason,
        filed_at=ctx.now,
        original_results_rating=appraisal.results_rating,
        original_behaviour_rating=appraisal.behaviour_rating,
        original_predikat=appraisal.predikat,
    )
    return {"reason": ctx.payload.reason}


@RULES.effect("decide_appeal")
def decide_appeal(ctx: EffectContext) -> dict[str, Any]:
    appraisal = ctx.appraisal
    appeal = appraisal.appeal
    assert appeal is not None
    payload = ctx.payload
    appeal.decision = payload.decision
    appeal.decision_reason = payload.reason
    appeal.decided_at = ctx.now
    appeal.decided_by_id = ctx.actor_id
    before = {"predikat": appraisal.predikat}
    if payload.decision == "changed":
        results, behaviour = _ratings(payload)
        appraisal.results_rating = results
        appraisal.behaviour_rating = behaviour
        appraisal.predikat = predikat_for(results, behaviour)
    return {
        "decision": payload.decision,
        "before": before,
        "results_rating": appraisal.results_rating,
        "behaviour_rating": appraisal.behaviour_rating,
        "predikat": appraisal.predikat,
    }


@RULES.effect("record_cancel_reason")
def record_cancel_reason(ctx: EffectContext) -> dict[str, Any]:
    ctx.appraisal.cancel_reason = ctx.payload.reason
    return {}
