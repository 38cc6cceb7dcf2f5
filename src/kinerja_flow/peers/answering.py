"""What a peer is asked, and taking their answers: once, in time, all seven values at once.

Shared by the emailed link (no account) and the API (signed in): both find a request, show
it the same way and record answers through :func:`record`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.audit.service import AuditEntry, append
from kinerja_flow.berakhlak import CORE_VALUES, VALUE_NAMES
from kinerja_flow.i18n import _, translate
from kinerja_flow.lib.actor import Actor
from kinerja_flow.lib.errors import Conflict, FieldError, Invalid
from kinerja_flow.org.models import Employee
from kinerja_flow.peers.models import PeerAnswer, PeerRequest
from kinerja_flow.peers.schemas import (
    COMMENT_MAX_LENGTH,
    PeerAnswers,
    PeerReceipt,
    PeerRequestOut,
    ScalePoint,
    Subject,
    ValueOut,
)
from kinerja_flow.workflow.engine import WorkflowEngine

PEER_CAPABILITY = "peer_requests"
"""Peers are invited and answer while the appraisal's state allows this capability."""

SCALE_LABELS = {
    1: _("Very poor"),
    2: _("Poor"),
    3: _("Adequate"),
    4: _("Good"),
    5: _("Very good"),
}


@dataclass(frozen=True)
class Asked:
    """A request with what a peer sees of it: the employee, the cycle, the appraisal's state."""

    request: PeerRequest
    employee: Employee
    cycle: str
    accepting: bool
    """The appraisal's state still takes peer feedback."""

    def is_open(self, now: datetime) -> bool:
        return (
            self.request.answered_at is None
            and self.accepting
            and now < closes_at(self.request.due)
        )

    def describe(self, locale: str, now: datetime) -> PeerRequestOut:
        return PeerRequestOut(
            id=self.request.id,
            employee=Subject(name=self.employee.name, position=self.employee.position),
            cycle=self.cycle,
            due=self.request.due,
            answered=self.request.answered_at is not None,
            open=self.is_open(now),
            values=[
                ValueOut(value, translate(VALUE_NAMES[value], locale)) for value in CORE_VALUES
            ],
            scale=[
                ScalePoint(score, translate(label, locale)) for score, label in SCALE_LABELS.items()
            ],
            comment_max_length=COMMENT_MAX_LENGTH,
        )


def closes_at(due: date) -> datetime:
    """Answers are taken until the end of the due day (UTC)."""
    return datetime.combine(due + timedelta(days=1), time(), tzinfo=UTC)


async def find(
    session: AsyncSession,
    workflows: Mapping[str, WorkflowEngine[Any]],
    *criteria: ColumnElement[bool],
) -> list[Asked]:
    rows = await session.execute(
        select(PeerRequest, Employee, Cycle.name, Appraisal.workflow, Appraisal.state)
        .join(Appraisal, PeerRequest.appraisal_id == Appraisal.id)
        .join(Employee, Appraisal.employee_id == Employee.id)
        .join(Cycle, Appraisal.cycle_id == Cycle.id)
        .where(*criteria)
        .order_by(PeerRequest.due, PeerRequest.id)
    )
    return [
        Asked(request, employee, cycle, workflows[workflow].allows(state, PEER_CAPABILITY))
        for request, employee, cycle, workflow, state in rows.all()
    ]


def problems(data: PeerAnswers) -> list[FieldError]:
    """Every core value must be answered exactly once."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for position, answer in enumerate(data.answers):
        if answer.value in seen:
            errors.append(
                FieldError(f"answers[{position}].value", _("This value is answered twice."))
            )
        seen.add(answer.value)
    missing = [value for value in CORE_VALUES if value not in seen]
    if missing:
        errors.append(
            FieldError(
                "answers",
                _("Answer every core value; missing: {values}."),
                params={"values": ", ".join(missing)},
            )
        )
    return errors


async def record(
    session: AsyncSession,
    audit_key: bytes,
    asked: Asked,
    data: PeerAnswers,
    actor: Actor,
    now: datetime,
    locale: str,
) -> PeerReceipt:
    """Store all answers and mark the request answered, in the caller's write transaction."""
    request = asked.request
    if request.answered_at is not None:
        raise Conflict(_("This request was already answered; answers cannot be changed."))
    if now >= closes_at(request.due):
        raise Conflict(
            _("Answers were taken until {due}; that time has passed."), due=str(request.due)
        )
    if not asked.accepting:
        raise Conflict(_("This appraisal no longer takes peer feedback."))
    if errors := problems(data):
        raise Invalid(_("The answers are not valid."), errors=errors)
    # A conditional update: of two answers racing, only one finds the request unanswered.
    claimed = await session.execute(
        update(PeerRequest)
        .where(PeerRequest.id == request.id, PeerRequest.answered_at.is_(None))
        .values(answered_at=now)
    )
    if cast("CursorResult[Any]", claimed).rowcount != 1:
        raise Conflict(_("This request was already answered; answers cannot be changed."))
    answers = sorted(data.answers, key=lambda answer: CORE_VALUES.index(answer.value))
    stored: list[dict[str, Any]] = []
    for answer in answers:
        comment = (answer.comment or "").strip() or None
        session.add(
            PeerAnswer(
                request_id=request.id, value=answer.value, score=answer.score, comment=comment
            )
        )
        stored.append({"value": answer.value, "score": answer.score, "comment": comment})
    # Not on the appraisal's trail (no appraisal_id): the employee reads that trail.
    entry = AuditEntry(
        "peer_feedback.answered",
        "peer_request",
        request.id,
        data={"appraisal_id": request.appraisal_id, "answers": stored},
    )
    await append(session, audit_key, actor, now, [entry])
    await session.commit()
    message = translate(_("Thank you for your feedback."), locale)
    return PeerReceipt(id=request.id, answered_at=now, message=message)
