"""Deadlines of appraisals: which are due for a step, their reminders and escalations, the
system's automatic steps (the appeal window's lapse), and what awaits a person."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.recipients import employees, hr_officers
from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.service import AppraisalService
from kinerja_flow.audit.service import AuditEntry
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
from kinerja_flow.workflow.definition import (
    DeadlineDef,
)

DATES: dict[str, Any] = {
    "targets_due": Cycle.targets_due,
    "self_assessment_due": Cycle.self_assessment_due,
    "review_due": Cycle.review_due,
}
"""The dates of an appraisal a deadline may name: its cycle's deadlines."""

TASKS = {
    "planning": _(
        "Write the SKP (planned results with indicators and targets) and submit it to the"
        " evaluator."
    ),
    "targets_submitted": _("Approve the submitted SKP or return it with a comment."),
    "self_assessment": _(
        "Record the realisation of every indicator, with evidence, and submit the self-assessment."
    ),
    "under_review": _("Rate the work results and behaviour and submit the review."),
    "calibration": _("Release the rating to the employee or send it back to the evaluator."),
    "reviewed": _("Acknowledge the result or file an objection (keberatan)."),
    "appealed": _("Decide the objection: uphold or change the result."),
}
"""What a state waits for, in words; a state not listed here is named by its label."""

AUTOMATIC = {
    "accept_result": _(
        "If the result is neither acknowledged nor objected to by then, it stands as given and"
        " the appraisal moves on to the follow-up stage."
    ),
}
"""What the system does when a deadline with a trigger passes, in words."""

WHY = {
    "employee": _("You are told as the appraised employee."),
    "evaluator": _("You are told as the employee's evaluator."),
    "reviewer": _("You are told as the evaluator's superior (Atasan Pejabat Penilai Kinerja)."),
    "hr": _("You are told as HR (pengelola kinerja)."),
}
TITLE = _("SKP of {name} (NIP {nip}), {cycle}")
PARTS = ("employee", "evaluator", "reviewer")
HR_ROLES = frozenset({HR})


def _task(state: str, locale: str) -> str:
    return translate(TASKS[state], locale) if state in TASKS else label(state, locale)


def _automatic(trigger: str | None, locale: str) -> str | None:
    return translate(AUTOMATIC[trigger], locale) if trigger in AUTOMATIC else None


AWAITED_LIMIT = 50
"""The most a digest lists of one kind of case (the most urgent of at most ``AWAITED_SCAN``)."""
AWAITED_SCAN = 1000


def _holder_column(role: str) -> Any:
    return getattr(Appraisal, f"{role}_id")


def _holder(appraisal: Appraisal, role: str) -> int | None:
    holder: int | None = getattr(appraisal, f"{role}_id")
    return holder


class AppraisalDeadlines:
    """The deadline adapter of appraisals (see :class:`runtime.deadlines.DeadlineAdapter`)."""

    kind = "appraisal"

    @staticmethod
    def anchor_of(deadline: DeadlineDef) -> Any:
        return DATES[deadline.date] if deadline.date is not None else Appraisal.state_changed_at

    async def due(self, session: AsyncSession, query: StepQuery) -> Sequence[DueCase]:
        anchor = self.anchor_of(query.deadline)
        statement = (
            select(Appraisal.id, Appraisal.state_changed_at, anchor)
            .join(Cycle, Cycle.id == Appraisal.cycle_id)
            .where(
                Appraisal.workflow == query.workflow,
                Appraisal.state == query.state,
                anchor < query.anchors.upper,
                not_taken(
                    self.kind,
                    Appraisal.id,
                    Appraisal.state,
                    Appraisal.state_changed_at,
                    query.step.key,
                ),
            )
            .limit(query.limit)  # in no order: an order by id would walk the whole table
        )
        if query.anchors.lower is not None:
            statement = statement.where(anchor >= query.anchors.lower)
        if is_postgres(session):
            statement = statement.with_for_update(of=Appraisal, skip_locked=True)
        return [
            DueCase(case_id, entered_at, value)
            for case_id, entered_at, value in (await session.execute(statement)).all()
        ]

    async def notify(
        self, session: AsyncSession, ctx: AppContext, now: datetime, taken: Sequence[TakenStep]
    ) -> tuple[list[AuditEntry], list[Email]]:
        appraisals = {
            a.id: a
            for a in (
                await session.scalars(
                    select(Appraisal).where(Appraisal.id.in_([t.case_id for t in taken]))
                )
            ).all()
        }
        cycles = {
            c.id: c
            for c in (
                await session.scalars(
                    select(Cycle).where(Cycle.id.in_({a.cycle_id for a in appraisals.values()}))
                )
            ).all()
        }
        ids = {i for a in appraisals.values() for part in PARTS if (i := _holder(a, part))}
        people = await employees(session, ids, ctx.settings.default_locale)
        appraised = {
            employee_id: (nip, name)
            for employee_id, nip, name in (
                await session.execute(
                    select(Employee.id, Employee.nip, Employee.name).where(
                        Employee.id.in_({a.employee_id for a in appraisals.values()})
                    )
                )
            ).all()
        }
        roles = {role for item in taken for role in item.step.to}
        hr = await hr_officers(session, ctx.settings.default_locale) if HR in roles else []
        entries, emails = [], []
        for item in taken:
            appraisal = appraisals[item.case_id]
            nip, name = appraised[appraisal.employee_id]
            notice = Notice(
                subject_type="appraisal",
                case_id=appraisal.id,
                appraisal_id=appraisal.id,
                employee_id=appraisal.employee_id,
                holders={part: _holder(appraisal, part) for part in PARTS},
                hr_roles=HR_ROLES,
                why=WHY,
                link=ctx.link(f"/appraisals/{appraisal.id}"),
                title=partial(
                    translate,
                    TITLE,
                    name=name,
                    nip=nip,
                    cycle=cycles[appraisal.cycle_id].name,
                ),
                task=partial(_task, item.state),
                automatic=partial(_automatic, item.deadline.trigger),
            )
            entry, step_emails = notify_step(item, notice, people, hr)
            entries.append(entry)
            emails += step_emails
        return entries, emails

    async def fire(
        self, session: AsyncSession, ctx: AppContext, trigger: str, taken: Sequence[TakenStep]
    ) -> dict[int, str | None]:
        service = AppraisalService(session, ctx, SYSTEM)
        return await service.fire_as_system([item.case_id for item in taken], trigger)

    async def awaiting(
        self,
        session: AsyncSession,
        ctx: AppContext,
        employee_id: int | None,
        is_hr: bool,
        locale: str,
        now: datetime,
    ) -> list[Awaited]:
        """Open appraisals in a state with a deadline where this person is reminded (a party
        whose action is awaited) or, once overdue, told (an escalation: the evaluator's
        superior; HR for the states that escalate to HR); at most ``AWAITED_LIMIT``, most
        urgent first."""
        clock = ctx.deadline_clock
        filters: list[ColumnElement[bool]] = []
        plans: dict[tuple[str, str], DeadlineDef] = {}
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
                    parties += [_holder_column(r) == employee_id for r in PARTS if r in reminded]
                    parties += [
                        and_(_holder_column(r) == employee_id, overdue)
                        for r in PARTS
                        if r in escalated - reminded
                    ]
                if is_hr and HR in escalated:
                    parties.append(overdue)
                if parties:
                    plans[(name, state)] = deadline
                    filters.append(
                        and_(Appraisal.workflow == name, Appraisal.state == state, or_(*parties))
                    )
        if not filters:
            return []
        rows = await session.execute(
            select(Appraisal, Cycle, Employee)
            .join(Cycle, Cycle.id == Appraisal.cycle_id)
            .join(Employee, Employee.id == Appraisal.employee_id)
            .where(or_(*filters))
            .order_by(Appraisal.state_changed_at)
            .limit(AWAITED_SCAN)
        )
        items = []
        for appraisal, cycle, employee in rows.all():
            deadline = plans[(appraisal.workflow, appraisal.state)]
            value = getattr(cycle, deadline.date) if deadline.date else appraisal.state_changed_at
            if value is None:
                continue
            due_at = clock.due_at(deadline, value)
            items.append(
                Awaited(
                    due_at=due_at,
                    due_text=clock.describe_due(deadline, value),
                    title=translate(
                        TITLE, locale, name=employee.name, nip=employee.nip, cycle=cycle.name
                    ),
                    stage=label(appraisal.state, locale),
                    task=translate(TASKS[appraisal.state], locale)
                    if appraisal.state in TASKS
                    else label(appraisal.state, locale),
                    link=ctx.link(f"/appraisals/{appraisal.id}"),
                    overdue=due_at <= now,
                )
            )
        return sorted(items, key=lambda item: item.due_at)[:AWAITED_LIMIT]
