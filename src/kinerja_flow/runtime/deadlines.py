"""Deadlines that act, for every kind of case: one pass finds the cases due for each step of
each state's deadline, claims the step in the step log and takes it, all in one transaction.

What is generic lives here: which steps a workflow file declares, when they are due, the
claim, the batches, the report. What a kind of case knows is asked of its
:class:`DeadlineAdapter` (registered in ``bootstrap``): which of its cases are due (by a query
on dates, never a loop over rows), the reminders and escalations as emails and audit events,
and firing a trigger as the system.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.audit.service import AuditEntry, append
from kinerja_flow.i18n import translate
from kinerja_flow.labels import label
from kinerja_flow.lib.actor import SYSTEM
from kinerja_flow.lib.db import begin_write, refresh_statistics
from kinerja_flow.notifications.outbox import Email, Recipient
from kinerja_flow.runtime.step_log import DONE, REFUSED, SKIPPED, DeadlineStep, claim
from kinerja_flow.runtime.timing import Anchor, AnchorRange, Step, steps_of
from kinerja_flow.workflow.definition import ESCALATION_MESSAGE, REMINDER_MESSAGE, DeadlineDef

if TYPE_CHECKING:
    from kinerja_flow.runtime.context import AppContext

log = logging.getLogger(__name__)

BATCH = 500
EVENT = {"remind": "reminder", "escalate": "escalation"}
"""The audit event of each step action."""
ANALYZE_AFTER = 1000


@dataclass(frozen=True)
class StepQuery:
    """Which cases to look for: in ``state`` of ``workflow``, anchor in ``anchors``, with no
    ``step`` taken in their current stay; at most ``limit``."""

    kind: str
    workflow: str
    state: str
    deadline: DeadlineDef
    step: Step
    anchors: AnchorRange
    limit: int


@dataclass(frozen=True)
class DueCase:
    case_id: int
    entered_at: datetime
    """When the case entered the state (its ``state_changed_at``)."""
    anchor: Anchor
    """What the deadline counts from: a date of the case, or ``entered_at``."""


@dataclass(frozen=True)
class TakenStep:
    """A step claimed for one case, with what an email about it says."""

    case_id: int
    log_id: int
    workflow: str
    state: str
    step: Step
    deadline: DeadlineDef
    due_at: datetime
    due_text: str
    days_left: int


@dataclass(frozen=True)
class Awaited:
    """One thing waiting for a person (a line of their daily digest)."""

    due_at: datetime
    due_text: str
    title: str
    stage: str
    task: str
    link: str
    overdue: bool


class Party(Protocol):
    """Someone a reminder or an escalation may go to (``accounts.recipients.Addressee``)."""

    @property
    def key(self) -> str: ...
    @property
    def employee_id(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def digest(self) -> bool: ...
    @property
    def recipient(self) -> Recipient: ...


@dataclass(frozen=True)
class Notice:
    """What a reminder or an escalation of one case says, as its kind of case knows it."""

    subject_type: str
    """``appraisal`` or ``followup``: the audit event's subject, and its action's prefix."""
    case_id: int
    appraisal_id: int | None
    employee_id: int
    """Whose case it is: an HR officer is never told about their own."""
    holders: Mapping[str, int | None]
    """The person behind each party role, in the order the email names those awaited."""
    hr_roles: frozenset[str]
    """Roles that mean HR's officers as a whole for this case."""
    why: Mapping[str, str]
    """Why each role is told (a message to translate)."""
    link: str
    title: Callable[[str], str]
    task: Callable[[str], str]
    automatic: Callable[[str], str | None]
    """Each in the reader's language."""


def notify_step(
    step: TakenStep, notice: Notice, people: Mapping[int, Party], hr: Sequence[Party]
) -> tuple[AuditEntry, list[Email]]:
    """The audit event and the emails of one reminder or escalation: one email to each person
    holding a role the step goes to (HR's officers for an HR role), once each, none to those
    who chose the daily digest (it lists the case instead)."""
    awaited_roles = {role for remind in step.deadline.remind for role in remind.to}
    awaited = ", ".join(
        dict.fromkeys(
            people[holder].name
            for role, holder in notice.holders.items()
            if role in awaited_roles and holder is not None and holder in people
        )
    )
    recipients: list[tuple[str, Party]] = []
    for role in step.step.to:
        if role in notice.hr_roles:
            recipients += [(role, p) for p in hr if p.employee_id != notice.employee_id]
        elif (holder := notice.holders.get(role)) is not None and holder in people:
            recipients.append((role, people[holder]))
    message = REMINDER_MESSAGE if step.step.action == "remind" else ESCALATION_MESSAGE
    emails: list[Email] = []
    seen: set[str] = set()
    for role, person in recipients:
        if person.key in seen or person.digest:
            continue
        seen.add(person.key)
        locale = person.locale
        context = {
            "name": person.name,
            "title": notice.title(locale),
            "stage": label(step.state, locale),
            "task": notice.task(locale),
            "automatic": notice.automatic(locale),
            "why": translate(notice.why[role], locale) if role in notice.why else "",
            "awaited": awaited,
            "due_text": step.due_text,
            "days_left": step.days_left,
            "link": notice.link,
        }
        emails.append(
            Email(message, person.recipient, context, f"deadline:{step.log_id}:{person.key}")
        )
    entry = AuditEntry(
        f"{notice.subject_type}.deadline_{EVENT[step.step.action]}",
        notice.subject_type,
        notice.case_id,
        appraisal_id=notice.appraisal_id,
        data={
            "state": step.state,
            "step": step.step.key,
            "due": step.due_text,
            "to": list(step.step.to),
            "emailed": len(seen),
        },
    )
    return entry, emails


class DeadlineAdapter(Protocol):
    """What the deadline runner asks of one kind of case."""

    kind: str

    async def due(self, session: AsyncSession, query: StepQuery) -> Sequence[DueCase]:
        """Cases matching ``query``, oldest first; on PostgreSQL locked ``FOR UPDATE SKIP
        LOCKED`` so concurrent schedulers take different cases."""
        ...

    async def notify(
        self, session: AsyncSession, ctx: AppContext, now: datetime, taken: Sequence[TakenStep]
    ) -> tuple[list[AuditEntry], list[Email]]:
        """The audit events and emails of reminders or escalations (all of one step)."""
        ...

    async def fire(
        self,
        session: AsyncSession,
        ctx: AppContext,
        trigger: str,
        taken: Sequence[TakenStep],
    ) -> dict[int, str | None]:
        """Fire ``trigger`` as the system on each case, in this transaction (audited, emailed);
        answer per case id None, or why a guard refused."""
        ...

    async def awaiting(
        self,
        session: AsyncSession,
        ctx: AppContext,
        employee_id: int | None,
        is_hr: bool,
        locale: str,
        now: datetime,
    ) -> list[Awaited]:
        """What waits for this person (as a party, or as HR once overdue), for the digest."""
        ...


@dataclass
class PassReport:
    """What one pass did: steps taken per action, skipped, refused triggers, failures."""

    taken: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    refused: int = 0
    failures: int = 0
    lag_seconds: float = 0.0
    """The longest a step taken in the pass had waited after its moment."""

    @property
    def logged(self) -> int:
        """Rows written to the step log."""
        return sum(self.taken.values()) + self.skipped + self.refused

    def __str__(self) -> str:
        return (
            f"{self.taken['remind']} reminder(s), {self.taken['escalate']} escalation(s), "
            f"{self.taken['trigger']} automatic step(s), {self.refused} refused, "
            f"{self.skipped} skipped, {self.failures} failure(s)"
        )


def worker_name() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"


class DeadlineRunner:
    """Takes every due step of every case kind once; safe to run in several processes."""

    def __init__(
        self,
        ctx: AppContext,
        adapters: Mapping[str, DeadlineAdapter],
        batch: int = BATCH,
        worker: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.adapters = adapters
        self.batch = batch
        self.worker = worker or worker_name()

    def queries(self, now: datetime) -> list[tuple[DeadlineAdapter, StepQuery]]:
        """Every (workflow, state, step) with cases possibly due now, with its anchor range."""
        clock = self.ctx.deadline_clock
        found = []
        for name, engine in self.ctx.workflows.items():
            adapter = self.adapters.get(engine.registry.kind)
            if adapter is None:
                continue
            for state, definition in engine.definition.states.items():
                deadline = definition.due
                if deadline is None or definition.final or not deadline.acts:
                    continue
                steps = steps_of(deadline)
                for index, step in enumerate(steps):
                    anchors = clock.due_range(deadline, steps, index, now)
                    if anchors is not None:
                        query = StepQuery(
                            adapter.kind, name, state, deadline, step, anchors, self.batch
                        )
                        found.append((adapter, query))
        return found

    async def run_pass(self) -> PassReport:
        """One pass over every deadline; each step is taken in batches until none is due."""
        now = self.ctx.clock.now()
        report = PassReport()
        for adapter, query in self.queries(now):
            try:
                while await self._batch(adapter, query, now, report) == query.limit:
                    pass
            except Exception:
                report.failures += 1
                log.exception(
                    "deadline step %s of %s/%s failed; it is tried again next pass",
                    query.step.key,
                    query.workflow,
                    query.state,
                )
        if report.logged >= ANALYZE_AFTER:  # the next pass checks each case through its index
            await refresh_statistics(self.ctx.engine, "deadline_steps")
        return report

    async def _batch(
        self, adapter: DeadlineAdapter, query: StepQuery, now: datetime, report: PassReport
    ) -> int:
        """Claim and take one batch of ``query``; answer how many cases were due."""
        clock = self.ctx.deadline_clock
        deadline, step = query.deadline, query.step
        async with self.ctx.sessions() as session:
            await begin_write(session)
            cases = await adapter.due(session, query)
            if not cases:
                await session.rollback()
                return 0
            rows: list[dict[str, object]] = []
            outcome: dict[int, str] = {}
            for case in cases:
                moment = clock.step_at(deadline, step, case.anchor)
                outcome[case.case_id] = DONE if _in_stay(step, moment, case.entered_at) else SKIPPED
                if outcome[case.case_id] == DONE:
                    waited = (now - moment).total_seconds()
                    report.lag_seconds = max(report.lag_seconds, waited)
                rows.append(
                    {
                        "case_kind": query.kind,
                        "case_id": case.case_id,
                        "state": query.state,
                        "entered_at": case.entered_at,
                        "step": step.key,
                        "due_at": clock.due_at(deadline, case.anchor),
                        "outcome": outcome[case.case_id],
                        "taken_at": now,
                        "worker": self.worker,
                    }
                )
            claimed = await claim(session, rows)
            taken = [
                TakenStep(
                    case_id=case.case_id,
                    log_id=claimed[case.case_id],
                    workflow=query.workflow,
                    state=query.state,
                    step=step,
                    deadline=deadline,
                    due_at=clock.due_at(deadline, case.anchor),
                    due_text=clock.describe_due(deadline, case.anchor),
                    days_left=clock.days_left(deadline, case.anchor, now),
                )
                for case in cases
                if case.case_id in claimed and outcome[case.case_id] == DONE
            ]
            report.skipped += sum(1 for case_id in claimed if outcome[case_id] == SKIPPED)
            if taken and step.trigger is not None:
                refusals = await adapter.fire(session, self.ctx, step.trigger, taken)
                for item in taken:
                    why = refusals.get(item.case_id)
                    if why is None:
                        report.taken[step.action] += 1
                        continue
                    report.refused += 1
                    await session.execute(
                        update(DeadlineStep)
                        .where(DeadlineStep.id == item.log_id)
                        .values(outcome=REFUSED, detail=why[:500])
                    )
            elif taken:
                entries, emails = await adapter.notify(session, self.ctx, now, taken)
                await append(session, self.ctx.audit_key, SYSTEM, now, entries)
                await self.ctx.outbox.enqueue(session, now, emails)
                report.taken[step.action] += len(taken)
            await session.commit()
            return len(cases)


def _in_stay(step: Step, moment: datetime, entered_at: datetime) -> bool:
    """Whether a step belongs to the case's stay in the state. A reminder or an escalation
    whose moment came before the case entered the state (it came back after the date, or was
    submitted late) is skipped; an automatic step is taken however late the case arrived."""
    if step.action == "trigger":
        return True
    if step.action == "escalate":
        return moment > entered_at
    return moment >= entered_at
