"""HR's view of follow-up items: lists with filters, and one employee's development plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Row, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import aliased

from kinerja_flow.appraisals.access import person
from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.development import FollowUpKind, Outcome, Owner
from kinerja_flow.followups.access import FollowUpAccess
from kinerja_flow.followups.hours import training_hours
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.followups.parties import visible_followups
from kinerja_flow.followups.schemas import (
    DevelopmentPlan,
    FollowUpPage,
    FollowUpSummary,
    TrainingYear,
)
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.org.models import Employee, Unit


@dataclass(frozen=True)
class Filters:
    """What ``GET /followups`` narrows by; ``None`` means any."""

    cycle_id: int | None = None
    unit_code: str | None = None
    kind: FollowUpKind | None = None
    state: str | None = None
    owner: Owner | None = None
    overdue: bool | None = None
    employee_id: int | None = None


def year_of(item: FollowUp, cycle_year: int | None) -> int:
    """The year an item belongs to in a development plan: a training's end, else the year of
    its appraisal's cycle, else its due date."""
    end = item.details.get("end") if item.kind == FollowUpKind.TRAINING else None
    if end:
        return date.fromisoformat(end).year
    return cycle_year if cycle_year is not None else item.due.year


class FollowUpTracking(FollowUpAccess):
    def _open_condition(self, today: date) -> ColumnElement[bool]:
        """Items not yet ended whose due date has passed, whatever workflow they follow."""
        per_workflow = [
            and_(FollowUp.workflow == name, FollowUp.state.not_in(engine.ended_states))
            for name, engine in self.ctx.workflows.items()
            if engine.definition.kind == self.kind
        ]
        return and_(FollowUp.due < today, or_(*per_workflow) if per_workflow else false())

    def _filtered(self, filters: Filters) -> Select[FollowUp, Employee, int | None]:
        query = (
            select(FollowUp, Employee, Appraisal.cycle_id)
            .join(Employee, FollowUp.employee_id == Employee.id)
            .outerjoin(Appraisal, FollowUp.appraisal_id == Appraisal.id)
            .where(visible_followups(self.principal))
        )
        if filters.cycle_id is not None:
            query = query.where(Appraisal.cycle_id == filters.cycle_id)
        if filters.unit_code is not None:
            root = select(Unit.id).where(Unit.code == filters.unit_code).cte(recursive=True)
            child = aliased(Unit)
            tree = root.union_all(select(child.id).where(child.parent_id == root.c.id))
            query = query.where(Employee.unit_id.in_(select(tree.c.id)))
        if filters.kind is not None:
            query = query.where(FollowUp.kind == filters.kind.value)
        if filters.state is not None:
            query = query.where(FollowUp.state == filters.state)
        if filters.owner is not None:
            query = query.where(FollowUp.owner == filters.owner.value)
        if filters.overdue is not None:
            late = self._open_condition(self.ctx.clock.now().date())
            query = query.where(late if filters.overdue else ~late)
        if filters.employee_id is not None:
            query = query.where(FollowUp.employee_id == filters.employee_id)
        return query

    def _summaries(
        self, rows: Sequence[Row[FollowUp, Employee, int | None]]
    ) -> list[FollowUpSummary]:
        today = self.ctx.clock.now().date()
        return [
            FollowUpSummary(
                id=item.id,
                kind=FollowUpKind(item.kind),
                state=item.state,
                version=item.version,
                employee=person(employee),  # type: ignore[arg-type]
                owner=Owner(item.owner),
                title=item.title,
                due=item.due,
                overdue=self.is_overdue(item, today),
                appraisal_id=item.appraisal_id,
                cycle_id=cycle_id,
                outcome=Outcome(item.outcome) if item.outcome else None,
                hours=item.details.get("hours") if item.kind == FollowUpKind.TRAINING else None,
                rules=[source["rule"] for source in item.sources],
            )
            for item, employee, cycle_id in rows
        ]

    async def list(self, filters: Filters, limit: int, offset: int) -> FollowUpPage:
        query = self._filtered(filters)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(
            query.order_by(FollowUp.due, FollowUp.id).limit(limit).offset(offset)
        )
        items = self._summaries(rows.all())
        return FollowUpPage(items=items, total=total or 0, limit=limit, offset=offset)

    async def _may_see_plan(self, employee: Employee) -> bool:
        """HR, auditors, the employee, their supervisor and whoever evaluates them."""
        if self.principal.sees_everything:
            return True
        me = self.principal.employee_id
        if me is None:
            return False
        if me in (employee.id, employee.supervisor_id):
            return True
        evaluates = exists().where(
            Appraisal.employee_id == employee.id, Appraisal.evaluator_id == me
        )
        return bool(await self.session.scalar(select(evaluates)))

    async def development(self, nip: str, year: int | None) -> DevelopmentPlan:
        """The individual development plan of the employee ``nip``."""
        employee = await self.session.scalar(select(Employee).where(Employee.nip == nip))
        if employee is None or not await self._may_see_plan(employee):
            raise NotFound(_("Employee {nip} does not exist or is not visible to you."), nip=nip)
        rows = await self.session.execute(
            self._filtered(Filters(employee_id=employee.id))
            .add_columns(Cycle.period_end)
            .outerjoin(Cycle, Appraisal.cycle_id == Cycle.id)
            .order_by(FollowUp.due, FollowUp.id)
        )
        found = [
            row[:3]
            for row in rows.all()
            if year is None or year_of(row[0], row[3].year if row[3] else None) == year
        ]
        hours = (await training_hours(self.session, self.ctx.workflows, [employee.id])).get(
            employee.id, {}
        )
        minimum = self.ctx.settings.training_min_jp
        years = set(hours) | {year or self.ctx.clock.now().year}
        if year is not None:
            years = {year}
        return DevelopmentPlan(
            employee=person(employee),  # type: ignore[arg-type]
            year=year,
            minimum_jp=minimum,
            training_hours=[
                TrainingYear(
                    year=y,
                    hours=hours.get(y, 0),
                    minimum=minimum,
                    below_minimum=hours.get(y, 0) < minimum,
                )
                for y in sorted(years)
            ],
            items=self._summaries(found),  # type: ignore[arg-type]
        )
