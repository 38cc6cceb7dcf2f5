"""Deadlines of follow-up items: items due by their ``due`` date remind their owner and, once
overdue, tell the evaluator and HR (as ``workflows/followup.toml`` declares)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from kinerja_flow.accounts.recipients import employees, hr_officers
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.development import Owner
from kinerja_flow.followups.access import LOAD_OPTIONS, FollowUpAccess
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.followups.parties import evaluator_of
from kinerja_flow.followups.schemas import FollowUpAction
from kinerja_flow.i18n import _, translate
from kinerja_flow.labels import label
from kinerja_flow.lib.db import is_postgres
from kinerja_flow.lib.principal import HR, SYSTEM
from kinerja_flow.notifications.outbox import Email
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.deadlines import (
    Awaited,
    DueCase,
    Notice,
    StepQuery,
    TakenStep,
    notify_step,
)
from kinerja_flow.runtime.step_log import not_taken
from kinerja_flow.runtime.timing import PASSED
from kinerja_flow.workflow.definition import DeadlineDef

DATES: dict[str, Any] = {"due": FollowUp.due}
"""The dates of a follow-up item a deadline may name."""
TASKS = {
    "proposed": _("Approve or reject the proposed follow-up item."),
    "approved": _("Start the follow-up item."),
    "in_progress": _("Complete the follow-up item and record what it achieved."),
    "completed": _("Verify the completed follow-up item."),
}
WHY = {
    "owner": _("You are told as the one who does the work of this item."),
    "employee": _("You are told as the employee whose development item it is."),
    "evaluator": _("You are told as the employee's evaluator."),
    "mentor": _("You are told as the mentor of this item."),
    "hr": _("You are told as HR (pengelola kinerja)."),
}
TITLE = _('Follow-up "{title}" of {name} (NIP {nip})')
LOADED = (selectinload(FollowUp.employee), selectinload(FollowUp.appraisal))
AWAITED_LIMIT = 50
AWAITED_SCAN = 1000


def holders(item: FollowUp) -> dict[str, int | None]:
    """The person behind each party role of ``item`` (HR as owner is HR as a whole)."""
    evaluator = evaluator_of(item)
    owner = {Owner.EMPLOYEE: item.employee_id, Owner.EVALUATOR: evaluator}
    return {
        "employee": item.employee_id,
        "evaluator": evaluator,
        "mentor": item.mentor_id,
        "owner": owner.get(Owner(item.owner)),
    }


def _task(state: str, locale: str) -> str:
    return translate(TASKS[state], locale) if state in TASKS else label(state, locale)


def _title(item: FollowUp, locale: str) -> str:
    employee = item.employee
    return translate(TITLE, locale, title=item.title, name=employee.name, nip=employee.nip)


def _is_hr(role: str, item: FollowUp) -> bool:
    return role == HR or (role == "owner" and item.owner == Owner.HR.value)


class FollowUpDeadlines:
    """The deadline adapter of follow-up items (see ``runtime.deadlines.DeadlineAdapter``)."""

    kind = "followup"

    @staticmethod
    def anchor_of(deadline: DeadlineDef) -> Any:
        return DATES[deadline.date] if deadline.date is not None else FollowUp.state_changed_at

    async def due(self, session: AsyncSession, query: StepQuery) -> Sequence[DueCase]:
        anchor = self.anchor_of(query.deadline)
        statement = (
            select(FollowUp.id, FollowUp.state_changed_at, anchor)
            .where(
                FollowUp.workflow == query.workflow,
                FollowUp.state == query.state,
                anchor < query.anchors.upper,
                not_taken(
                    self.kind,
                    FollowUp.id,
                    FollowUp.state,
                    FollowUp.state_changed_at,
                    query.step.key,
                ),
            )
            .limit(query.limit)  # in no order: an order by id would walk the whole table
        )
        if query.anchors.lower is not None:
            statement = statement.where(anchor >= query.anchors.lower)
        if is_postgres(session):
            statement = statement.with_for_update(of=FollowUp, skip_locked=True)
        return [
            DueCase(case_id, entered_at, value)
            for case_id, entered_at, value in (await session.execute(statement)).all()
        ]

    async def notify(
        self, session: AsyncSession, ctx: AppContext, now: datetime, taken: Sequence[TakenStep]
    ) -> tuple[list[AuditEntry], list[Email]]:
        items = {
            item.id: item
            for item in (
                await session.scalars(
                    select(FollowUp)
                    .where(FollowUp.id.in_([t.case_id for t in taken]))
                    .options(*LOADED)
                )
            ).all()
        }
        ids = {i for item in items.values() for i in holders(item).values() if i is not None}
        people = await employees(session, ids, ctx.settings.default_locale)
        wants_hr = any(_is_hr(r, items[t.case_id]) for t in taken for r in t.step.to)
        hr = await hr_officers(session, ctx.settings.default_locale) if wants_hr else []
        entries, emails = [], []
        for step in taken:
            item = items[step.case_id]
            notice = Notice(
                subject_type="followup",
                case_id=item.id,
                appraisal_id=item.appraisal_id,
                employee_id=item.employee_id,
                holders=holders(item),
                hr_roles=frozenset(role for role in step.step.to if _is_hr(role, item)),
                why=WHY,
                link=ctx.link(f"/followups/{item.id}"),
                title=partial(_title, item),
                task=partial(_task, step.state),
                automatic=lambda _locale: None,
            )
            entry, step_emails = notify_step(step, notice, people, hr)
            entries.append(entry)
            emails += step_emails
        return entries, emails

    async def fire(
        self, session: AsyncSession, ctx: AppContext, trigger: str, taken: Sequence[TakenStep]
    ) -> dict[int, str | None]:
        """Fire ``trigger`` as the system on each item (audited, emailed), in this transaction."""
        service = FollowUpAccess(session, ctx, SYSTEM)
        query = (
            select(FollowUp)
            .where(FollowUp.id.in_([step.case_id for step in taken]))
            .options(*LOAD_OPTIONS)
            .order_by(FollowUp.id)
        )
        items = (await session.scalars(query)).all()
        return await service.fire_each(items, trigger, lambda i: FollowUpAction(version=i.version))

    async def awaiting(
        self,
        session: AsyncSession,
        ctx: AppContext,
        employee_id: int | None,
        is_hr: bool,
        locale: str,
        now: datetime,
    ) -> list[Awaited]:
        """Items in a state with a deadline where this person is reminded (the owner) or,
        once overdue, told (the evaluator, HR); most urgent first, at most AWAITED_LIMIT."""
        clock = ctx.deadline_clock
        filters: list[ColumnElement[bool]] = []
        plans: dict[tuple[str, str], DeadlineDef] = {}
        evaluates = or_(
            FollowUp.appraisal_id.in_(
                select(Appraisal.id).where(Appraisal.evaluator_id == employee_id)
            ),
            and_(
                FollowUp.appraisal_id.is_(None),
                FollowUp.employee_id.in_(
                    select(Employee.id).where(Employee.supervisor_id == employee_id)
                ),
            ),
        )
        party = {
            "employee": FollowUp.employee_id == employee_id,
            "mentor": FollowUp.mentor_id == employee_id,
            "evaluator": evaluates,
            "owner": or_(
                and_(FollowUp.owner == Owner.EMPLOYEE.value, FollowUp.employee_id == employee_id),
                and_(FollowUp.owner == Owner.EVALUATOR.value, evaluates),
            ),
        }
        for name, engine in ctx.workflows.items():
            if engine.registry.kind != self.kind:
                continue
            for state, definition in engine.definition.states.items():
                deadline = definition.due
                if deadline is None or definition.final:
                    continue
                anchor = self.anchor_of(deadline)
                overdue = anchor < clock.first_not_due(deadline, PASSED, now)
                reminded = {role for r in deadline.remind for role in r.to}
                escalated = {role for e in deadline.escalate for role in e.to}
                parties: list[ColumnElement[bool]] = []
                if employee_id is not None:
                    parties += [party[r] for r in party if r in reminded]
                    parties += [and_(party[r], overdue) for r in party if r in escalated - reminded]
                if is_hr and HR in escalated:
                    parties.append(overdue)
                if is_hr and "owner" in reminded:
                    parties.append(FollowUp.owner == Owner.HR.value)
                if parties:
                    plans[(name, state)] = deadline
                    filters.append(
                        and_(FollowUp.workflow == name, FollowUp.state == state, or_(*parties))
                    )
        if not filters:
            return []
        rows = await session.scalars(
            select(FollowUp)
            .where(or_(*filters))
            .options(selectinload(FollowUp.employee))
            .order_by(FollowUp.due, FollowUp.id)
            .limit(AWAITED_SCAN)
        )
        items = []
        for item in rows.all():
            deadline = plans[(item.workflow, item.state)]
            value = item.due if deadline.date else item.state_changed_at
            due_at = clock.due_at(deadline, value)
            items.append(
                Awaited(
                    due_at=due_at,
                    due_text=clock.describe_due(deadline, value),
                    title=_title(item, locale),
                    stage=label(item.state, locale),
                    task=_task(item.state, locale),
                    link=ctx.link(f"/followups/{item.id}"),
                    overdue=due_at <= now,
                )
            )
        return sorted(items, key=lambda item: item.due_at)[:AWAITED_LIMIT]
