"""The named guards, effects and capabilities a follow-up workflow file may use (the allow-list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kinerja_flow.development import FollowUpKind
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.followups.schemas import FollowUpAction
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import FieldError
from kinerja_flow.workflow.registry import Capability, Registry


@dataclass(frozen=True)
class FollowUpFacts:
    """What the guards look at, gathered before the decision; guards do no I/O."""

    now: datetime
    payload: FollowUpAction
    kind: FollowUpKind
    details: dict[str, Any]
    has_certificate: bool
    sessions: int


def gather_facts(item: FollowUp, payload: FollowUpAction, now: datetime) -> FollowUpFacts:
    """The facts about a loaded item (its sessions loaded)."""
    return FollowUpFacts(
        now=now,
        payload=payload,
        kind=FollowUpKind(item.kind),
        details=item.details,
        has_certificate=item.certificate_sha256 is not None,
        sessions=len(item.sessions),
    )


@dataclass(frozen=True)
class StepContext:
    item: FollowUp
    facts: FollowUpFacts

    @property
    def payload(self) -> FollowUpAction:
        return self.facts.payload


STEPS: Registry[FollowUpFacts] = Registry(
    kind="followup",
    roles=frozenset({"employee", "owner", "evaluator", "mentor", "hr", "auditor"}),
    recipients=frozenset({"employee", "owner", "evaluator", "mentor"}),
    deadlines=frozenset({"due"}),
    deadline_recipients=frozenset({"hr"}),
    capabilities={
        "edit": Capability(
            "Change the item's title, description, due date, owner and the fields of its kind.",
            _("You may not change this follow-up item."),
            _("This follow-up item cannot be changed while it is '{state}'."),
        ),
        "sessions": Capability(
            "Log a mentoring, coaching or counselling session (date and notes).",
            _("You may not log sessions of this follow-up item."),
            _("Sessions are logged while the item is in progress, not while '{state}'."),
        ),
        "checkpoints": Capability(
            "Set the checkpoints of an improvement plan and record their review.",
            _("Only the evaluator or HR set and review checkpoints."),
            _("Checkpoints cannot be changed while the item is '{state}'."),
        ),
        "certificate": Capability(
            "Upload a training's certificate (the same file rules as evidence).",
            _("Only the employee or HR upload the certificate."),
            _("The certificate is uploaded while the training is in progress, not '{state}'."),
        ),
    },
)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


@STEPS.guard("reason_given")
def reason_given(facts: FollowUpFacts) -> FieldError | None:
    if _blank(facts.payload.reason):
        return FieldError("reason", _("A reason is required."))
    return None


@STEPS.guard("ready_to_approve")
def ready_to_approve(facts: FollowUpFacts) -> FieldError | None:
    """What an item needs before it is approved: a mentoring item, its mentor."""
    if facts.kind == FollowUpKind.MENTORING and not facts.details.get("mentor_nip"):
        return FieldError("mentor_nip", _("Name the mentor (another employee) first."))
    return None


@STEPS.guard("completion_recorded")
def completion_recorded(facts: FollowUpFacts) -> list[FieldError] | None:
    """What each kind needs before it is complete."""
    errors: list[FieldError] = []
    kind = facts.kind
    if kind == FollowUpKind.TRAINING:
        if not facts.details.get("hours"):
            errors.append(FieldError("hours", _("Record the training's hours (JP) first.")))
        if not facts.has_certificate:
            errors.append(FieldError("certificate", _("Upload the training certificate first.")))
    elif kind in (FollowUpKind.MENTORING, FollowUpKind.COACHING, FollowUpKind.COUNSELLING):
        if facts.sessions == 0:
            errors.append(FieldError("sessions", _("Log at least one session first.")))
    elif kind == FollowUpKind.IMPROVEMENT_PLAN:
        if facts.payload.outcome is None:
            errors.append(
                FieldError("outcome", _("Give the outcome: 'improved' or 'not_improved'."))
            )
    elif kind == FollowUpKind.REWARD and _blank(facts.details.get("reward_kind")):
        errors.append(FieldError("reward_kind", _("Name the reward given first.")))
    return errors or None


@STEPS.effect("record_reason")
def record_reason(ctx: StepContext) -> dict[str, Any]:
    ctx.item.end_reason = ctx.payload.reason
    return {}


@STEPS.effect("record_completion")
def record_completion(ctx: StepContext) -> dict[str, Any]:
    ctx.item.completed_at = ctx.facts.now
    if ctx.facts.kind == FollowUpKind.IMPROVEMENT_PLAN:
        assert ctx.payload.outcome is not None  # the guard required it
        ctx.item.outcome = ctx.payload.outcome
        return {"outcome": ctx.payload.outcome.value}
    if ctx.facts.kind == FollowUpKind.TRAINING:
        return {"hours": ctx.facts.details.get("hours")}
    return {}
