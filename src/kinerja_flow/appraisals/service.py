"""Read appraisals, fire workflow triggers and reassign people, each in one transaction."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.appraisals import reassignment
from kinerja_flow.appraisals.access import APPEAL, LOAD_OPTIONS, AppraisalAccess, person
from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.parties import OWN_CASE, visible_appraisals
from kinerja_flow.appraisals.read_model import AppraisalHead, read_list
from kinerja_flow.appraisals.reassignment import Move
from kinerja_flow.appraisals.release import release_checks
from kinerja_flow.appraisals.rules import (
    DISTRIBUTION_GUARD,
    AppraisalFacts,
    EffectContext,
    gather_facts,
)
from kinerja_flow.appraisals.schemas import (
    ActionRequest,
    AppraisalOut,
    AppraisalPage,
    AppraisalSummary,
    BulkActionRequest,
    BulkActionResult,
    BulkRefusal,
    ReassignRequest,
    TaskOut,
)
from kinerja_flow.audit.schemas import AuditEventOut
from kinerja_flow.audit.service import events_of_appraisal
from kinerja_flow.i18n import _
from kinerja_flow.jobs.models import Job
from kinerja_flow.jobs.queue import RunningJob, explain, submit, wake
from kinerja_flow.lib.db import begin_write, column_values, is_postgres, reading
from kinerja_flow.lib.errors import AppError, Conflict, FieldError, Forbidden, Invalid, NotFound
from kinerja_flow.lib.principal import HR, Principal, require
from kinerja_flow.notifications.outbox import Email
from kinerja_flow.org.models import Employee
from kinerja_flow.policies.distribution_check import ReleaseCheck
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.workflow.definition import TransitionDef
from kinerja_flow.workflow.engine import Decision

BULK_BATCH = 200
BULK_KIND = "cycle_action"
DOCUMENT_CAPABILITIES = frozenset({"skp_document", "evaluation_document"})
"""Capabilities that let the caller read, not act: no task by themselves."""
EVALUATION_ACTIONS = frozenset(
    {"evaluation.saved", "appraisal.submit_review", "appraisal.send_back"}
)
"""Events that carry the evaluation itself (or HR's reason to send it back, in calibration),
withheld from the employee until release."""


def _urgency(task: TaskOut) -> tuple[int, date]:
    """Sort key: dated tasks first, by the date by which they must be done."""
    if task.appeal_deadline is not None:
        return (0, task.appeal_deadline.date())
    if task.due is not None:
        return (0, task.due)
    return (1, date.max)


class AppraisalService(AppraisalAccess):
    """Read appraisals, fire workflow triggers (one or a whole cycle) and reassign people."""

    def __init__(self, session: AsyncSession, ctx: AppContext, principal: Principal) -> None:
        super().__init__(session, ctx, principal)
        self._release_checks: dict[int, ReleaseCheck] = {}
        """Each employee's release check, gathered once per batch (employee id -> check)."""

    # -- reading -------------------------------------------------------------------------

    async def get(self, appraisal_id: int) -> AppraisalOut:
        # Read on a connection of its own, without the ORM session: nothing here is written.
        async with self.ctx.autocommit() as connection:
            return await self.describe(await self.head(appraisal_id, connection), connection)

    async def audit_trail(self, appraisal_id: int) -> list[AuditEventOut]:
        async with reading(self.session):
            return await self.trail(await self.head(appraisal_id))

    async def trail(self, head: AppraisalHead) -> list[AuditEventOut]:
        """The trail; before release the employee sees that the evaluation moved, not what."""
        concealed = self.conceals_result(head)
        trail = [
            AuditEventOut.of(event) for event in await events_of_appraisal(self.session, head.id)
        ]
        if concealed:
            trail = [
                msgspec.structs.replace(event, data={}, reason=None)
                if event.action in EVALUATION_ACTIONS
                else event
                for event in trail
            ]
        return trail

    async def list(
        self,
        cycle_id: int | None,
        state: str | None,
        as_role: str | None,
        limit: int,
        offset: int,
        *,
        search: str | None = None,
    ) -> AppraisalPage:
        """A page of the appraisals the caller may see; ``search``: the employee's NIP starts
        with it or their name contains it (any case)."""
        async with self.ctx.autocommit() as connection:
            rows, total = await read_list(
                connection, self.principal, cycle_id, state, as_role, limit, offset, search
            )
        items = [
            AppraisalSummary(
                id=a.id,
                cycle_id=a.cycle_id,
                state=a.state,
                version=a.version,
                employee=employee,
                evaluator_id=a.evaluator_id,
                reviewer_id=a.reviewer_id,
                predikat=None if self.conceals_result(a) else a.predikat,  # type: ignore[arg-type]
            )
            for a, employee in rows
        ]
        return AppraisalPage(items=items, total=total, limit=limit, offset=offset)

    async def tasks(self) -> builtins.list[TaskOut]:
        """Open appraisals in which the caller takes part and has something to do now, the
        nearest deadline first (those without one last), then the oldest state first."""
        me = self.principal.employee_id
        if me is None:
            return []
        tasks = []
        for appraisal, employee, cycle in await self._taking_part(
            or_(
                Appraisal.employee_id == me,
                Appraisal.evaluator_id == me,
                Appraisal.reviewer_id == me,
            )
        ):
            if self._engine(appraisal).is_final(appraisal.state):
                continue
            task = self._task(appraisal, employee, cycle)
            if task.allowed_actions or task.capabilities:
                tasks.append((appraisal.state_changed_at, task))
        tasks.sort(key=lambda item: (_urgency(item[1]), item[0], item[1].appraisal_id))
        return [task for _changed, task in tasks]

    async def own(self) -> builtins.list[TaskOut]:
        """The caller's own appraisals in every cycle and state, the latest cycle first:
        what an employee opens to read their SKP, whether or not anything waits for them."""
        me = self.principal.employee_id
        if me is None:
            return []
        rows = await self._taking_part(Appraisal.employee_id == me)
        own = [self._task(appraisal, employee, cycle) for appraisal, employee, cycle in rows]
        return sorted(own, key=lambda task: -task.cycle_id)

    async def _taking_part(
        self, where: ColumnElement[bool]
    ) -> Sequence[tuple[Appraisal, Employee, Cycle]]:
        rows = await self.session.execute(
            select(Appraisal, Employee, Cycle)
            .join(Employee, Appraisal.employee_id == Employee.id)
            .join(Cycle, Appraisal.cycle_id == Cycle.id)
            .where(where)
        )
        return [(appraisal, employee, cycle) for appraisal, employee, cycle in rows.all()]

    def _task(self, appraisal: Appraisal, employee: Employee, cycle: Cycle) -> TaskOut:
        actions = self.allowed_actions(appraisal)
        deadline = self.state_deadline(appraisal, cycle)
        return TaskOut(
            appraisal_id=appraisal.id,
            cycle_id=cycle.id,
            cycle_name=cycle.name,
            state=appraisal.state,
            version=appraisal.version,
            employee=person(employee),  # type: ignore[arg-type]
            roles=sorted(self.roles(appraisal).held),
            allowed_actions=actions,
            capabilities=[
                c for c in self.capabilities(appraisal) if c not in DOCUMENT_CAPABILITIES
            ],
            due=self.ctx.deadline_clock.last_day(*deadline) if deadline else None,
            appeal_deadline=self.appeal_deadline(appraisal, cycle)
            if "file_appeal" in actions
            else None,
        )

    # -- writing -------------------------------------------------------------------------

    async def fire(self, appraisal_id: int, trigger: str, payload: ActionRequest) -> AppraisalOut:
        """Fire ``trigger``: state, audit event and emails are written in one transaction."""
        await begin_write(self.session)
        parts = self._reads(trigger) | {APPEAL}  # the emails show the appeal
        appraisal = await self._load(appraisal_id, lock=True, parts=parts, people=True)
        await self._fire(appraisal, trigger, payload)
        return await self._commit(appraisal)

    async def bulk_target(self, cycle_id: int, trigger: str) -> tuple[Cycle, builtins.list[str]]:
        """The cycle and the states ``trigger`` leaves from; 404 for either unknown."""
        cycle = await self.session.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFound(_("Cycle {id} does not exist."), id=cycle_id)
        sources = self.ctx.workflows[cycle.workflow].sources_of(trigger)
        if not sources:
            raise NotFound(_("There is no action named '{trigger}'."), trigger=trigger)
        return cycle, builtins.list(sources)

    async def start_fire_all(self, cycle_id: int, trigger: str, data: BulkActionRequest) -> Job:
        """Queue :meth:`fire_all` as a background job (``cycles.jobs``)."""
        await begin_write(self.session)  # read, then write: the writer's lock from the start
        await self.bulk_target(cycle_id, trigger)
        params = {"cycle_id": cycle_id, "trigger": trigger, **msgspec.to_builtins(data)}
        job = await submit(self.session, self.ctx.clock.now(), BULK_KIND, self.principal, params)
        await self.session.commit()
        wake()
        return job

    async def fire_all(
        self,
        cycle_id: int,
        trigger: str,
        data: BulkActionRequest,
        job: RunningJob,
    ) -> BulkActionResult:
        """Fire ``trigger`` on every appraisal of a cycle where the caller may fire it now.

        Each batch is one transaction; an appraisal a guard refuses is listed, not fatal;
        ``job`` hears the progress.
        """
        cycle, sources = await self.bulk_target(cycle_id, trigger)
        engine = self.ctx.workflows[cycle.workflow]
        checks_release = trigger in engine.triggers_guarded_by(DISTRIBUTION_GUARD)
        release_policy = cycle.distribution_policy
        ids = list(
            (
                await self.session.scalars(
                    select(Appraisal.id)
                    .where(
                        Appraisal.cycle_id == cycle_id,
                        Appraisal.state.in_(sources),
                        visible_appraisals(self.principal),
                    )
                    .order_by(Appraisal.id)
                )
            ).all()
        )
        await self.session.rollback()
        result = BulkActionResult(fired=0, refused=[])
        for start in range(0, len(ids), BULK_BATCH):
            await begin_write(self.session)
            query = (
                select(Appraisal)
                .where(Appraisal.id.in_(ids[start : start + BULK_BATCH]))
                .options(*LOAD_OPTIONS)
                .order_by(Appraisal.id)
            )
            if is_postgres(self.session):
                query = query.with_for_update(of=Appraisal)
            batch = (await self.session.scalars(query)).all()
            if checks_release:
                self._release_checks.update(
                    await release_checks(
                        self.session,
                        self.ctx.distribution_policy,
                        self.ctx.workflows,
                        cycle_id,
                        release_policy,
                        [appraisal.employee_id for appraisal in batch],
                    )
                )
            for appraisal in batch:
                payload = ActionRequest(
                    version=appraisal.version, reason=data.reason, comment=data.comment
                )
                try:
                    engine.authorise(appraisal.state, trigger, self.roles(appraisal))
                    async with self.session.begin_nested():
                        await self._fire(appraisal, trigger, payload)
                    result.fired += 1
                except AppError as refusal:
                    why = explain(refusal, self.principal.locale)
                    result.refused.append(BulkRefusal(appraisal.id, refusal.status_code, why))
            await self.session.commit()
            job.progress(start + len(batch), len(ids), "firing")
            await job.pause()
        return result

    async def fire_as_system(self, ids: Sequence[int], trigger: str) -> dict[int, str | None]:
        """Fire ``trigger`` as the system on each of ``ids`` (a lapsed deadline), in the
        caller's transaction; answer per appraisal None, or why it was refused."""
        query = select(Appraisal).where(Appraisal.id.in_(ids)).options(*LOAD_OPTIONS)
        cases = (await self.session.scalars(query.order_by(Appraisal.id))).all()
        held = {a.cycle_id for a in cases}  # cycles kept loaded: each case finds its own
        cycles = (await self.session.scalars(select(Cycle).where(Cycle.id.in_(held)))).all()
        result = await self.fire_each(cases, trigger, lambda a: ActionRequest(version=a.version))
        del cycles
        return result

    async def reassign(self, appraisal_id: int, data: ReassignRequest) -> AppraisalOut:
        """HR changes who evaluates or reviews an open appraisal; the reason is audited."""
        require(self.principal, HR)
        if data.evaluator_nip is None and data.reviewer_nip is None:
            raise Invalid(
                _("Name a new evaluator, a new reviewer, or both."),
                errors=[FieldError("evaluator_nip", _("Give evaluator_nip or reviewer_nip."))],
            )
        appraisal = await self._open_for_change(appraisal_id, data.version)
        if HR not in self.roles(appraisal):
            raise Forbidden(self.roles(appraisal).withheld.get(HR, OWN_CASE))
        if self._engine(appraisal).is_final(appraisal.state):
            raise Conflict(
                _("The appraisal is '{state}' and can no longer be reassigned."),
                state=appraisal.state,
            )
        moves: list[Move] = []
        for field, nip in (("evaluator", data.evaluator_nip), ("reviewer", data.reviewer_nip)):
            if nip is None:
                continue
            person = await self.session.scalar(select(Employee).where(Employee.nip == nip))
            if person is None or not person.active:
                raise Invalid(
                    _("No active employee with NIP {nip}."),
                    errors=[FieldError(f"{field}_nip", _("Unknown NIP."))],
                    nip=nip,
                )
            if person.id == appraisal.employee_id:
                raise Invalid(
                    _("An employee cannot evaluate or review their own appraisal."),
                    errors=[FieldError(f"{field}_nip", _("This is the employee."))],
                )
            before = getattr(appraisal, f"{field}_id")
            if before != person.id:
                moves.append(Move(appraisal, field, before, person.id))
            setattr(appraisal, f"{field}_id", person.id)
        if appraisal.evaluator_id is not None and appraisal.evaluator_id == appraisal.reviewer_id:
            raise Invalid(
                _("The evaluator and the appeal reviewer must be different people."),
                errors=[FieldError("reviewer_nip", _("Same person as the evaluator."))],
            )
        self._forget_roles(appraisal)
        now = self.ctx.clock.now()
        self._touch(appraisal, now)
        await self.audit(now, reassignment.audit_entry(appraisal, moves, data.reason))
        await self._flush()
        await self.ctx.outbox.enqueue(
            self.session,
            now,
            await reassignment.emails(
                self.session, self.ctx, moves, data.reason, self.principal.email
            ),
        )
        return await self._commit(appraisal)

    async def _facts(
        self, case: Appraisal, route: TransitionDef, payload: ActionRequest, now: datetime
    ) -> AppraisalFacts:
        cycle = await self.session.get_one(Cycle, case.cycle_id)
        reads = self._engine(case).reads(route.trigger)
        facts = replace(
            gather_facts(case, payload, now, reads), state_due_at=self.state_due_at(case, cycle)
        )
        if gathered := await self._gather(case, route):
            facts = replace(facts, gathered=gathered)
        if DISTRIBUTION_GUARD not in route.guards:
            return facts
        if case.employee_id not in self._release_checks:
            self._release_checks.update(
                await release_checks(
                    self.session,
                    self.ctx.distribution_policy,
                    self.ctx.workflows,
                    cycle.id,
                    cycle.distribution_policy,
                    [case.employee_id],
                )
            )
        return replace(facts, release_check=self._release_checks[case.employee_id])

    def _effect_context(self, case: Appraisal, facts: AppraisalFacts) -> EffectContext:
        return EffectContext(case, facts, self.principal.account_id, self)

    async def _emails(
        self,
        case: Appraisal,
        decision: Decision,
        payload: ActionRequest,
        data: dict[str, Any],
    ) -> Sequence[Email]:
        appraisal, reason = case, payload.reason
        people, addressees = await self._people_of(appraisal)
        cycle = await self.session.get_one(Cycle, appraisal.cycle_id)
        holder = {
            "employee": appraisal.employee_id,
            "evaluator": appraisal.evaluator_id,
            "reviewer": appraisal.reviewer_id,
        }
        employee = column_values(people[appraisal.employee_id])
        appeal = appraisal.appeal
        appraised = {**column_values(appraisal), "appeal": appeal and column_values(appeal)}
        cycle_values = column_values(cycle)
        appeal_deadline = self.appeal_deadline(appraisal, cycle)
        zone = self.ctx.deadline_clock.zone
        local_deadline = appeal_deadline.astimezone(zone) if appeal_deadline else None
        emails = []
        for notify in decision.notify:
            for role in notify.to:
                person = addressees.get(holder[role] or 0)
                if person is None:
                    continue
                emails.append(
                    Email(
                        message=notify.message,
                        recipient=person.recipient,
                        context={
                            "name": person.name,
                            "employee": employee,
                            "appraisal": appraised,
                            "cycle": cycle_values,
                            "actor": self.principal.email,
                            "trigger": decision.trigger,
                            "reason": reason,
                            "appeal_deadline": appeal_deadline,
                            "appeal_deadline_text": f"{local_deadline:%d-%m-%Y %H:%M} "
                            f"{local_deadline.tzname()}"
                            if local_deadline
                            else None,
                            "link": self.ctx.link(f"/appraisals/{appraisal.id}"),
                        },
                        dedupe_key=f"appraisal:{appraisal.id}:v{appraisal.version}:{notify.message}:{person.employee_id}",
                    )
                )
        return emails
