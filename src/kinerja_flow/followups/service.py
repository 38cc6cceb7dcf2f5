"""Add follow-up items, change them, fire their triggers, log sessions and checkpoints."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import msgspec
from sqlalchemy import select

from kinerja_flow.appraisals.models import Appraisal, Target
from kinerja_flow.audit.models import AuditEvent
from kinerja_flow.audit.schemas import AuditEventOut
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.development import (
    DEFAULT_DUE_DAYS,
    DEFAULT_OWNER,
    IMPROVEMENT_MONTHS,
    FollowUpKind,
)
from kinerja_flow.followups.access import FOLLOWUP_WORKFLOW, FollowUpAccess
from kinerja_flow.followups.models import FollowUp, FollowUpCheckpoint, FollowUpSession
from kinerja_flow.followups.parties import followup_roles
from kinerja_flow.followups.schemas import (
    CheckpointCreate,
    CheckpointReview,
    Details,
    FollowUpAction,
    FollowUpCreate,
    FollowUpOut,
    FollowUpUpdate,
    ImprovementPlanDetails,
    MentoringDetails,
    SessionCreate,
    TrainingDetails,
    kind_of,
)
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from kinerja_flow.lib.principal import HR
from kinerja_flow.org.models import Employee

CREATORS = frozenset({"employee", "evaluator", HR})
"""Who may add an item for an employee: the employee (a proposal the evaluator approves), the
evaluator and HR."""
PROPOSED = "followup.proposed"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def complete_details(details: Details, today: date) -> Details:
    """Fill what a kind defaults: an improvement plan runs six months from today."""
    if isinstance(details, ImprovementPlanDetails):
        start = details.start or today
        end = details.end or add_months(start, IMPROVEMENT_MONTHS)
        return ImprovementPlanDetails(start=start, end=end)
    return details


def default_due(details: Details, today: date) -> date:
    """An improvement plan is due at its end, a training when it ends (today for one already
    over, recorded afterwards), anything else in :data:`DEFAULT_DUE_DAYS`."""
    if isinstance(details, ImprovementPlanDetails) and details.end is not None:
        return details.end
    if isinstance(details, TrainingDetails) and details.end is not None:
        return max(details.end, today)
    return today + timedelta(days=DEFAULT_DUE_DAYS)


def _dates_in_order(details: Details) -> list[FieldError]:
    start, end = getattr(details, "start", None), getattr(details, "end", None)
    if start is not None and end is not None and end < start:
        return [FieldError("details.end", _("The end comes before the start."))]
    return []


class FollowUpService(FollowUpAccess):
    # -- reading -----------------------------------------------------------------------------

    async def get(self, followup_id: int) -> FollowUpOut:
        return await self.describe(await self._load(followup_id))

    async def audit_trail(self, followup_id: int) -> list[AuditEventOut]:
        item = await self._load(followup_id)
        events = await self.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == self.kind, AuditEvent.subject_id == str(item.id))
            .order_by(AuditEvent.seq)
        )
        return [AuditEventOut.of(event) for event in events.all()]

    # -- workflow ----------------------------------------------------------------------------

    async def fire(self, followup_id: int, trigger: str, payload: FollowUpAction) -> FollowUpOut:
        """Fire ``trigger``: state, audit event and emails are written in one transaction."""
        await begin_write(self.session)
        item = await self._load(followup_id, lock=True)
        await self._fire(item, trigger, payload)
        return await self._commit(item)

    # -- adding ------------------------------------------------------------------------------

    async def create(self, data: FollowUpCreate) -> FollowUpOut:
        """A person adds an item: the employee proposes their own, the evaluator or HR theirs."""
        await begin_write(self.session)
        employee = await self.session.scalar(
            select(Employee).where(Employee.nip == data.employee_nip)
        )
        if employee is None or not employee.active:
            raise Invalid(
                _("No active employee with NIP {nip}."),
                errors=[FieldError("employee_nip", _("Unknown NIP."))],
                nip=data.employee_nip,
            )
        appraisal = None
        if data.appraisal_id is not None:
            appraisal = await self.session.scalar(
                select(Appraisal).where(
                    Appraisal.id == data.appraisal_id, Appraisal.employee_id == employee.id
                )
            )
        kind = kind_of(data.details)
        owner = data.owner or DEFAULT_OWNER[kind]
        item = FollowUp(
            workflow=FOLLOWUP_WORKFLOW,
            kind=kind.value,
            employee_id=employee.id,
            employee=employee,
            appraisal_id=appraisal.id if appraisal else None,
            appraisal=appraisal,
            owner=owner.value,
        )
        roles = followup_roles(self.principal, item)
        if not roles.held & CREATORS:
            raise Forbidden(
                roles.withheld.get(HR)
                or _("You may add follow-up items only for yourself or the employees you evaluate.")
            )
        if appraisal is not None and self.ctx.workflows[appraisal.workflow].is_final(
            appraisal.state
        ):
            raise Conflict(
                _("The appraisal is '{state}'; its follow-up is over."), state=appraisal.state
            )
        today = self.ctx.clock.now().date()
        errors: list[FieldError] = []
        if data.appraisal_id is not None and appraisal is None:
            errors.append(FieldError("appraisal_id", _("Not an appraisal of this employee.")))
        if data.target_id is not None and (
            appraisal is None
            or await self.session.scalar(
                select(Target.id).where(
                    Target.id == data.target_id, Target.appraisal_id == appraisal.id
                )
            )
            is None
        ):
            errors.append(FieldError("target_id", _("Not an RHK of the appraisal given.")))
        details = complete_details(data.details, today)
        mentor_id, found = await self._check_details(details, employee)
        errors.extend(found)
        due = data.due or default_due(details, today)
        if due < today:
            errors.append(FieldError("due", _("The due date is in the past.")))
        if errors:
            raise Invalid(_("The follow-up item is not valid."), errors=errors)
        item.mentor_id = mentor_id
        item.title = data.title.strip()
        item.description = data.description or None
        item.due = due
        item.target_id = data.target_id
        item.core_value = data.core_value.value if data.core_value else None
        await self.add_item(item, details, sources=[])
        self._forget_roles(item)
        emails = await self.emails_to(
            "followup_proposed", item, ("employee", "evaluator"), {"reason": None}
        )
        await self.ctx.outbox.enqueue(self.session, self.ctx.clock.now(), emails)
        return await self._commit(item)

    async def _check_details(
        self, details: Details, employee: Employee
    ) -> tuple[int | None, list[FieldError]]:
        """The mentor's id (mentoring) and the problems of the kind's fields."""
        errors = _dates_in_order(details)
        if not isinstance(details, MentoringDetails) or details.mentor_nip is None:
            return None, errors
        mentor = await self.session.scalar(
            select(Employee).where(Employee.nip == details.mentor_nip)
        )
        if mentor is None or not mentor.active:
            errors.append(FieldError("details.mentor_nip", _("No active employee with this NIP.")))
            return None, errors
        if mentor.id == employee.id:
            errors.append(FieldError("details.mentor_nip", _("A mentor is another employee.")))
        return mentor.id, errors

    async def add_item(
        self, item: FollowUp, details: Details, sources: Sequence[dict[str, Any]]
    ) -> None:
        """Write a new item in ``proposed`` (or the workflow's first state) and audit it."""
        now = self.ctx.clock.now()
        engine = self.ctx.workflows[item.workflow]
        item.state = engine.definition.initial
        item.details = msgspec.to_builtins(details)
        item.sources = list(sources)
        item.added_by_id = None if sources else self.principal.account_id
        item.added_by = "system" if sources else self.principal.email
        item.state_changed_at = item.created_at = item.updated_at = now
        item.sessions, item.checkpoints = [], []  # new: nothing to load later
        self.session.add(item)
        await self.session.flush()
        await self.audit(
            now,
            AuditEntry(
                PROPOSED,
                self.kind,
                item.id,
                appraisal_id=item.appraisal_id,
                to_state=item.state,
                data={
                    "kind": item.kind,
                    "title": item.title,
                    "employee_id": item.employee_id,
                    "owner": item.owner,
                    "due": item.due.isoformat(),
                    "details": item.details,
                    "target_id": item.target_id,
                    "core_value": item.core_value,
                    "rules": [source["rule"] for source in sources],
                },
            ),
        )

    # -- changing ----------------------------------------------------------------------------

    async def update(self, followup_id: int, data: FollowUpUpdate) -> FollowUpOut:
        item = await self._open_for_change(followup_id, data.version)
        self.permit(item, "edit")
        errors: list[FieldError] = []
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}

        def change(key: str, old: Any, new: Any) -> None:
            if old != new:
                before[key], after[key] = old, new
                setattr(item, key, new)

        if data.details is not None:
            if kind_of(data.details) != item.kind:
                errors.append(FieldError("details.kind", _("The kind of an item cannot change.")))
            else:
                details = complete_details(data.details, item.created_at.date())
                mentor_id, found = await self._check_details(details, item.employee)
                errors.extend(found)
                change("details", item.details, msgspec.to_builtins(details))
                change("mentor_id", item.mentor_id, mentor_id)
        if data.due is not None and data.due != item.due:
            if data.due < self.ctx.clock.now().date():
                errors.append(FieldError("due", _("The due date is in the past.")))
            change("due", item.due, data.due)
        if errors:
            raise Invalid(_("The follow-up item is not valid."), errors=errors)
        if data.title is not None:
            change("title", item.title, data.title.strip())
        if data.description is not None:
            change("description", item.description, data.description or None)
        if data.owner is not None:
            change("owner", item.owner, data.owner.value)
        if after:
            now = self.ctx.clock.now()
            self._touch(item, now)
            self._forget_roles(item)
            await self.audit(
                now,
                AuditEntry(
                    "followup.updated",
                    self.kind,
                    item.id,
                    appraisal_id=item.appraisal_id,
                    data={"before": _json(before), "after": _json(after)},
                ),
            )
        return await self._commit(item)

    async def _record(self, item: FollowUp, action: str, data: dict[str, Any]) -> FollowUpOut:
        now = self.ctx.clock.now()
        self._touch(item, now)
        await self.session.flush()
        await self.audit(
            now,
            AuditEntry(action, self.kind, item.id, appraisal_id=item.appraisal_id, data=data),
        )
        return await self._commit(item)

    async def add_session(self, followup_id: int, data: SessionCreate) -> FollowUpOut:
        item = await self._open_for_change(followup_id, data.version)
        self.permit(item, "sessions")
        if item.kind not in {"mentoring", "coaching", "counselling"}:
            raise Conflict(_("Only mentoring, coaching and counselling items have sessions."))
        if data.held_on > self.ctx.clock.now().date():
            raise Invalid(
                _("A session is logged once it was held."),
                errors=[FieldError("held_on", _("The date is in the future."))],
            )
        session = FollowUpSession(
            held_on=data.held_on,
            notes=data.notes,
            recorded_by_id=self.principal.account_id,
            recorded_by=self.principal.email,
            created_at=self.ctx.clock.now(),
        )
        item.sessions.append(session)
        await self.session.flush()
        return await self._record(
            item,
            "followup.session_logged",
            {"session_id": session.id, "held_on": data.held_on.isoformat(), "notes": data.notes},
        )

    async def add_checkpoint(self, followup_id: int, data: CheckpointCreate) -> FollowUpOut:
        item = await self._open_for_change(followup_id, data.version)
        self.permit(item, "checkpoints")
        self._improvement_plan(item)
        checkpoint = FollowUpCheckpoint(
            due_on=data.due_on, description=data.description, created_at=self.ctx.clock.now()
        )
        item.checkpoints.append(checkpoint)
        await self.session.flush()
        return await self._record(
            item,
            "followup.checkpoint_set",
            {
                "checkpoint_id": checkpoint.id,
                "due_on": data.due_on.isoformat(),
                "description": data.description,
            },
        )

    async def review_checkpoint(
        self, followup_id: int, checkpoint_id: int, data: CheckpointReview
    ) -> FollowUpOut:
        item = await self._open_for_change(followup_id, data.version)
        checkpoint = next((c for c in item.checkpoints if c.id == checkpoint_id), None)
        if checkpoint is None:
            raise NotFound(_("Checkpoint {id} is not part of this item."), id=checkpoint_id)
        self.permit(item, "checkpoints")
        if data.reviewed_on > self.ctx.clock.now().date():
            raise Invalid(
                _("A checkpoint is reviewed once it was held."),
                errors=[FieldError("reviewed_on", _("The date is in the future."))],
            )
        checkpoint.reviewed_on = data.reviewed_on
        checkpoint.note = data.note
        return await self._record(
            item,
            "followup.checkpoint_reviewed",
            {
                "checkpoint_id": checkpoint.id,
                "reviewed_on": data.reviewed_on.isoformat(),
                "note": data.note,
            },
        )

    @staticmethod
    def _improvement_plan(item: FollowUp) -> None:
        if item.kind != FollowUpKind.IMPROVEMENT_PLAN:
            raise Conflict(_("Only an improvement plan has checkpoints."))


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {key: msgspec.to_builtins(value) for key, value in values.items()}
