"""Create cycles and open them: one appraisal per active employee in scope."""

from __future__ import annotations

from typing import cast

from sqlalchemy import (
    BigInteger,
    Insert,
    String,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import aliased, selectinload

from kinerja_flow.accounts.models import Account
from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.rules import DISTRIBUTION_GUARD
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.cycles.schemas import CycleCreate, CycleOut, Deadlines, OpenResult
from kinerja_flow.i18n import _
from kinerja_flow.jobs.models import Job
from kinerja_flow.jobs.queue import RunningJob, submit, wake
from kinerja_flow.lib.db import Among, begin_write, column_values, refresh_statistics
from kinerja_flow.lib.errors import FieldError, Invalid, NotFound
from kinerja_flow.lib.principal import require
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.policies.distribution import ReleasePolicy
from kinerja_flow.runtime.service import Service

APPRAISALS = cast("Table", Appraisal.__table__)
OPEN_KIND = "cycle_open"
OPEN_BATCH = 2000
"""Employees whose appraisals open in one transaction. Each commit rewrites every index page its
batch touched (the outbox's index by recipient is touched all over): opening 100,000 took 17 s
on SQLite and 19 s on PostgreSQL in batches of 2,000, 23 s and 21 s in batches of 1,000 (with
two clients reading meanwhile), each batch's transaction (on SQLite, the writer's lock) lasting
about 0.35 s instead of 0.2 s."""
ANALYZE_AFTER = 5000
"""Appraisals opened at once after which PostgreSQL's statistics of them are refreshed (and the
table vacuumed): with the plan made for the table before, the query of a page of HR's list of
a cycle of 100,000 took 150 ms; with fresh statistics 22 ms, and 9 ms once vacuumed (the count
of the cycle's appraisals then reads only an index)."""


def _with_descendants(units: list[Unit], roots: set[int]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit.id)
    scope, frontier = set(roots), list(roots)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in scope:
                scope.add(child)
                frontier.append(child)
    return scope


class CycleService(Service):
    async def create(self, data: CycleCreate) -> CycleOut:
        require(self.principal, "hr")
        errors = []
        if data.period_end < data.period_start:
            errors.append(FieldError("period_end", _("The period must end after it starts.")))
        if data.workflow not in self.ctx.workflows:
            errors.append(
                FieldError("workflow", _("Unknown workflow '{name}'."), {"name": data.workflow})
            )
        elif data.distribution_policy == "block" and not self.ctx.workflows[
            data.workflow
        ].triggers_guarded_by(DISTRIBUTION_GUARD):
            errors.append(
                FieldError(
                    "distribution_policy",
                    _(
                        "'block' needs a workflow whose release step checks the unit's "
                        "distribution (such as 'appraisal_calibrated'); in workflow '{name}' "
                        "each result is released when the evaluator submits it."
                    ),
                    {"name": data.workflow},
                )
            )
        for name in ("targets_due", "self_assessment_due", "review_due"):
            due = getattr(data.deadlines, name)
            if due is not None and due < data.period_start:
                errors.append(
                    FieldError(
                        f"deadlines.{name}", _("A deadline cannot be before the period starts.")
                    )
                )
        await begin_write(self.session)
        units: list[Unit] = []
        if data.unit_codes:
            found = (
                await self.session.scalars(select(Unit).where(Unit.code.in_(data.unit_codes)))
            ).all()
            units = list(found)
            for code in sorted(set(data.unit_codes) - {u.code for u in units}):
                errors.append(
                    FieldError("unit_codes", _("Unknown unit code '{code}'."), {"code": code})
                )
        if errors:
            raise Invalid(_("The cycle was not created."), errors=errors)
        now = self.ctx.clock.now()
        cycle = Cycle(
            name=data.name,
            kind=data.kind,
            period_start=data.period_start,
            period_end=data.period_end,
            workflow=data.workflow,
            distribution_policy=data.distribution_policy,
            targets_due=data.deadlines.targets_due,
            self_assessment_due=data.deadlines.self_assessment_due,
            review_due=data.deadlines.review_due,
            created_at=now,
            updated_at=now,
            units=units,
        )
        self.session.add(cycle)
        await self.session.flush()
        await self.audit(
            now,
            AuditEntry(
                "cycle.created",
                "cycle",
                cycle.id,
                data={
                    "name": data.name,
                    "kind": data.kind,
                    "period": [str(data.period_start), str(data.period_end)],
                    "unit_codes": sorted(u.code for u in units),
                    "workflow": data.workflow,
                    "distribution_policy": data.distribution_policy,
                },
            ),
        )
        await self.session.commit()
        return await self.get(cycle.id)

    async def _cycle(self, cycle_id: int, lock: bool = False) -> Cycle:
        query = select(Cycle).where(Cycle.id == cycle_id).options(selectinload(Cycle.units))
        cycle = await self.session.scalar(query.with_for_update() if lock else query)
        if cycle is None:
            raise NotFound(_("Cycle {id} does not exist."), id=cycle_id)
        return cycle

    async def get(self, cycle_id: int) -> CycleOut:
        cycle = await self._cycle(cycle_id)
        return (await self._describe([cycle]))[0]

    async def list_all(self) -> list[CycleOut]:
        cycles = await self.session.scalars(
            select(Cycle).options(selectinload(Cycle.units)).order_by(Cycle.id.desc())
        )
        return await self._describe(list(cycles.all()))

    async def _describe(self, cycles: list[Cycle]) -> list[CycleOut]:
        """Cycles with their appraisal counts per state, in one counting query."""
        counts: dict[int, dict[str, int]] = {cycle.id: {} for cycle in cycles}
        rows = await self.session.execute(
            select(Appraisal.cycle_id, Appraisal.state, func.count())
            .where(Appraisal.cycle_id.in_(counts))
            .group_by(Appraisal.cycle_id, Appraisal.state)
        )
        for cycle_id, state, count in rows.all():
            counts[cycle_id][state] = count
        return [
            CycleOut(
                id=cycle.id,
                name=cycle.name,
                kind=cycle.kind,
                period_start=cycle.period_start,
                period_end=cycle.period_end,
                workflow=cycle.workflow,
                distribution_policy=cast("ReleasePolicy", cycle.distribution_policy),
                unit_codes=sorted(u.code for u in cycle.units),
                deadlines=Deadlines(
                    targets_due=cycle.targets_due,
                    self_assessment_due=cycle.self_assessment_due,
                    review_due=cycle.review_due,
                ),
                opened_at=cycle.opened_at,
                total=sum(counts[cycle.id].values()),
                counts=counts[cycle.id],
            )
            for cycle in cycles
        ]

    async def start_open(self, cycle_id: int) -> Job:
        """Queue the opening of the cycle as a background job (``cycles.jobs``); HR only."""
        require(self.principal, "hr")
        await begin_write(self.session)  # read, then write: the writer's lock from the start
        await self._cycle(cycle_id)
        job = await submit(
            self.session, self.ctx.clock.now(), OPEN_KIND, self.principal, {"cycle_id": cycle_id}
        )
        await self.session.commit()
        wake()
        return job

    async def open(self, cycle_id: int, job: RunningJob | None = None) -> OpenResult:
        """Create the missing appraisals; opening again only adds employees new in scope.

        The employees are taken in batches of consecutive ids (the order they were added), each
        in a transaction of its own (the cycle row locked, the batch's appraisals checked
        again), so a run cut short is finished by the next one; ``job`` hears the progress.
        Consecutive ids keep each batch's entries together in the appraisals' indexes on the
        employee, evaluator and reviewer: a batch of consecutive NIPs (ids all over the table)
        wrote most pages of those indexes at every commit, more the larger the agency.
        """
        require(self.principal, "hr")
        cycle = await self._cycle(cycle_id)
        all_units = list((await self.session.scalars(select(Unit))).all())
        scope = _with_descendants(all_units, {u.id for u in cycle.units}) if cycle.units else None
        query = select(Employee.id).where(Employee.active.is_(True))
        if scope is not None:
            query = query.where(Employee.unit_id.in_(scope))
        ids = list((await self.session.scalars(query.order_by(Employee.id))).all())
        already_open = await self.session.scalar(
            select(func.count()).select_from(Appraisal).where(Appraisal.cycle_id == cycle_id)
        )
        opening = self._opening(cycle, scope)
        await self.session.rollback()
        created = 0
        without_evaluator: list[str] = []
        without_reviewer: list[str] = []
        for start in range(0, len(ids), OPEN_BATCH):
            batch = ids[start : start + OPEN_BATCH]
            await begin_write(self.session)
            cycle = await self._cycle(cycle_id, lock=True)
            opened = await self._open_batch(cycle, opening, (batch[0], batch[-1]))
            await self.session.commit()
            created += len(opened)
            without_evaluator += [nip for nip, evaluator, _reviewer in opened if evaluator is None]
            without_reviewer += [
                nip for nip, evaluator, reviewer in opened if evaluator and not reviewer
            ]
            if job is not None:
                job.progress(start + len(batch), len(ids), "opening")
                await job.pause()
        if created >= ANALYZE_AFTER:  # HR's lists and dashboard read them next
            await refresh_statistics(self.ctx.engine, "appraisals", vacuum=True)
        if not ids:  # an empty scope still opens the cycle
            await begin_write(self.session)
            cycle = await self._cycle(cycle_id, lock=True)
            cycle.opened_at = cycle.opened_at or self.ctx.clock.now()
            await self.session.commit()
        return OpenResult(
            created=created,
            already_open=already_open or 0,
            without_evaluator=sorted(without_evaluator),
            without_reviewer=sorted(without_reviewer),
            cycle=await self.get(cycle_id),
        )

    def _opening(self, cycle: Cycle, scope: set[int] | None) -> Insert:
        """The INSERT ... SELECT that opens the appraisals of the active employees in scope
        with ids from ``:first`` to ``:last`` not open yet (stamped ``:now``), answering each
        one's id, employee, evaluator, reviewer and state. Built once per opening: each batch
        only binds its range.

        A leaver neither evaluates nor reviews: HR assigns someone (``without_evaluator``).
        """
        workflow = self.ctx.workflows[cycle.workflow]
        boss, grand = aliased(Employee), aliased(Employee)
        stamp = bindparam("now", type_=APPRAISALS.c.created_at.type)
        first, last = bindparam("first", type_=BigInteger), bindparam("last", type_=BigInteger)
        chosen = (
            select(
                literal(cycle.id),
                Employee.id,
                case((boss.active.is_(True), boss.id)),
                case((and_(boss.active.is_(True), grand.active.is_(True)), grand.id)),
                literal(workflow.name),
                literal(workflow.definition.initial),
                literal(1),
                stamp,
                stamp,
                stamp,
            )
            .select_from(Employee)
            .outerjoin(boss, boss.id == Employee.supervisor_id)
            .outerjoin(grand, grand.id == boss.supervisor_id)
            .where(
                Employee.id.between(first, last),
                Employee.active.is_(True),
                # The batch's range on both sides: PostgreSQL then reads the cycle's
                # appraisals of this range only, not all those opened before.
                ~exists().where(
                    Appraisal.cycle_id == cycle.id,
                    Appraisal.employee_id.between(first, last),
                    Appraisal.employee_id == Employee.id,
                ),
            )
            .order_by(Employee.id)
        )
        if scope is not None:
            chosen = chosen.where(Employee.unit_id.in_(scope))
        columns = [
            "cycle_id",
            "employee_id",
            "evaluator_id",
            "reviewer_id",
            "workflow",
            "state",
            "version",
            "state_changed_at",
            "created_at",
            "updated_at",
        ]
        return (
            insert(APPRAISALS)
            .from_select(columns, chosen)
            .returning(
                APPRAISALS.c.id,
                APPRAISALS.c.employee_id,
                APPRAISALS.c.evaluator_id,
                APPRAISALS.c.reviewer_id,
                APPRAISALS.c.state,
            )
        )

    async def _open_batch(
        self, cycle: Cycle, opening: Insert, ids: tuple[int, int]
    ) -> list[tuple[str, int | None, int | None]]:
        """Run ``opening`` (:meth:`_opening`) for the employees with ids from ``ids[0]`` to
        ``ids[1]``, with the appraisals' audit events and emails; answer each one's NIP,
        evaluator and reviewer, in the order of the appraisals' ids.

        The appraisals and the emails are written by INSERT ... SELECT: no row of either
        passes through Python.
        """
        now = self.ctx.clock.now()
        if cycle.opened_at is None:
            cycle.opened_at = now
        # Core results, unpacked once: the ORM's result handling and named access to each
        # row's fields cost more than the rows' few values.
        connection = await self.session.connection()
        opened = await connection.execute(opening, {"first": ids[0], "last": ids[1], "now": now})
        appraisals: list[tuple[int, int, int | None, int | None, str]] = sorted(map(tuple, opened))
        if not appraisals:
            return []
        nips = await connection.execute(
            select(Employee.id, Employee.nip).where(Among(Employee.id, "ids")),
            {"ids": [employee for _id, employee, *_rest in appraisals]},
        )
        nip_of = {employee: nip for employee, nip in nips}
        await self.audit(
            now,
            *[
                AuditEntry(
                    "appraisal.opened",
                    "appraisal",
                    appraisal,
                    appraisal_id=appraisal,
                    to_state=state,
                    data={
                        "cycle_id": cycle.id,
                        "employee": nip_of[employee],
                        "evaluator_id": evaluator,
                        "reviewer_id": reviewer,
                    },
                )
                for appraisal, employee, evaluator, reviewer, state in appraisals
            ],
        )
        appraisal_id = Appraisal.id.cast(String)
        await self.ctx.outbox.enqueue_select(
            self.session,
            now,
            "skp_open",
            {"cycle": column_values(cycle)},
            select(
                Employee.email,
                Employee.name,
                func.coalesce(Account.locale, self.ctx.settings.default_locale),
                func.coalesce(Account.digest, False),
                literal("skp_open:") + appraisal_id,
                literal(self.ctx.link("/appraisals/")) + appraisal_id,
            )
            .select_from(Appraisal)
            .join(Employee, Employee.id == Appraisal.employee_id)
            .outerjoin(Account, Account.employee_id == Employee.id)
            .where(Among(Appraisal.id, "appraisals"))
            .order_by(Appraisal.id),
            {"appraisals": [appraisal for appraisal, *_rest in appraisals]},
        )
        return [
            (nip_of[employee], evaluator, reviewer)
            for _id, employee, evaluator, reviewer, _state in appraisals
        ]
