"""HR's calibration queue: the ratings of a cycle waiting for HR before the employee sees them.

Which states form the queue is read from the cycle's workflow file, never named here: a state
that conceals the result and that HR moves a case out of by a transition of its own (in
``workflows/appraisal_calibrated.toml``, ``calibration`` with ``release`` and ``send_back``).
A workflow without such a state has no queue.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from kinerja_flow.appraisals.access import AppraisalAccess, person
from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.parties import visible_appraisals
from kinerja_flow.appraisals.schemas import Person
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.lib.principal import AUDITOR, HR, require
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.workflow.engine import WorkflowEngine

REASON_GUARD = "reason_given"


class CalibrationTrigger(msgspec.Struct, frozen=True):
    """A step HR takes on a rating in calibration, and whether it needs a reason."""

    trigger: str
    needs_reason: bool


class CalibrationItem(msgspec.Struct):
    id: int
    version: int
    state: str
    employee: Person
    unit_code: str
    unit_name: str
    evaluator: Person | None
    results_rating: str | None
    behaviour_rating: str | None
    predikat: str | None
    departure_reason: str | None


class CalibrationQueue(msgspec.Struct):
    cycle_id: int
    states: list[str]
    """The queue's states in the cycle's workflow (empty: the workflow has no calibration)."""
    triggers: dict[str, list[CalibrationTrigger]]
    """Per state of the queue, what HR may do there."""
    total: int
    limit: int
    offset: int
    items: list[CalibrationItem]
    """By unit, then employee."""


def calibration_steps(engine: WorkflowEngine[Any]) -> dict[str, list[CalibrationTrigger]]:
    """The queue's states of ``engine``'s workflow, each with the triggers HR fires there."""
    definition = engine.definition
    steps: dict[str, list[CalibrationTrigger]] = {}
    for transition in definition.transitions:
        if HR not in transition.who:
            continue
        for source in transition.sources:  # a wildcard ("*", e.g. cancel) names no queue
            if source in definition.states and engine.conceals_result(source):
                step = CalibrationTrigger(transition.trigger, REASON_GUARD in transition.guards)
                if step not in steps.setdefault(source, []):
                    steps[source].append(step)
    return steps


class CalibrationService(AppraisalAccess):
    async def queue(self, cycle_id: int, limit: int, offset: int) -> CalibrationQueue:
        """The cycle's ratings waiting for HR (HR; auditors read)."""
        require(self.principal, HR, AUDITOR)
        cycle = await self.session.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFound(_("Cycle {id} does not exist."), id=cycle_id)
        steps = calibration_steps(self.ctx.workflows[cycle.workflow])
        evaluator = aliased(Employee)
        query = (
            select(Appraisal, Employee, Unit, evaluator)
            .join(Employee, Appraisal.employee_id == Employee.id)
            .join(Unit, Employee.unit_id == Unit.id)
            .outerjoin(evaluator, Appraisal.evaluator_id == evaluator.id)
            .where(
                Appraisal.cycle_id == cycle_id,
                Appraisal.state.in_(list(steps)),
                visible_appraisals(self.principal),
            )
        )
        counted = query.with_only_columns(Appraisal.id).subquery()
        total = await self.session.scalar(select(func.count()).select_from(counted))
        rows = await self.session.execute(
            query.order_by(Unit.code, Employee.name, Appraisal.id).limit(limit).offset(offset)
        )
        items = []
        for appraisal, employee, unit, evaluated_by in rows.all():
            hidden = self.conceals_result(appraisal)
            items.append(
                CalibrationItem(
                    id=appraisal.id,
                    version=appraisal.version,
                    state=appraisal.state,
                    employee=person(employee),  # type: ignore[arg-type]
                    unit_code=unit.code,
                    unit_name=unit.name,
                    evaluator=person(evaluated_by),
                    results_rating=None if hidden else appraisal.results_rating,
                    behaviour_rating=None if hidden else appraisal.behaviour_rating,
                    predikat=None if hidden else appraisal.predikat,
                    departure_reason=None if hidden else appraisal.departure_reason,
                )
            )
        return CalibrationQueue(
            cycle_id=cycle_id,
            states=list(steps),
            triggers=steps,
            total=total or 0,
            limit=limit,
            offset=offset,
            items=items,
        )
