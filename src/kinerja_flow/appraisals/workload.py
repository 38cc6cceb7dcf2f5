"""Open appraisals a person takes part in: what HR must see to when someone leaves.

"Open" means in a state its workflow does not declare final. A person takes part as the
employee appraised, the evaluator or the appeal reviewer. Nothing here changes anything: HR
reassigns (``POST /api/v1/appraisals/{id}/reassign``) or cancels each one as it sees fit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import msgspec
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.org.models import Employee
from kinerja_flow.workflow.engine import WorkflowEngine

PARTS = ("employee", "evaluator", "reviewer")


class OpenAppraisal(msgspec.Struct):
    """One open appraisal of ``nip``, who is its ``part`` (employee, evaluator, reviewer)."""

    nip: str
    part: str
    appraisal_id: int
    cycle_id: int
    cycle_name: str
    state: str
    employee_nip: str
    employee_name: str


async def open_appraisals(
    session: AsyncSession,
    workflows: Mapping[str, WorkflowEngine[Any]],
    employee_ids: Collection[int],
) -> list[OpenAppraisal]:
    """Every open appraisal of each of ``employee_ids``, one row per person and part."""
    if not employee_ids:
        return []
    people = set(employee_ids)
    still_open = or_(
        Appraisal.workflow.not_in(list(workflows)),  # a retired workflow: shown, to be safe
        *(
            and_(
                Appraisal.workflow == name,
                Appraisal.state.not_in(
                    [state for state, d in engine.definition.states.items() if d.final]
                ),
            )
            for name, engine in workflows.items()
        ),
    )
    appraised = aliased(Employee)
    rows = await session.execute(
        select(Appraisal, Cycle.name, appraised.nip, appraised.name)
        .join(Cycle, Cycle.id == Appraisal.cycle_id)
        .join(appraised, appraised.id == Appraisal.employee_id)
        .where(
            still_open,
            or_(
                Appraisal.employee_id.in_(people),
                Appraisal.evaluator_id.in_(people),
                Appraisal.reviewer_id.in_(people),
            ),
        )
        .order_by(Appraisal.id)
    )
    found = rows.all()
    ids = {
        person
        for appraisal, *_rest in found
        for person in (appraisal.employee_id, appraisal.evaluator_id, appraisal.reviewer_id)
        if person in people
    }
    nip_of = dict(
        (await session.execute(select(Employee.id, Employee.nip).where(Employee.id.in_(ids)))).all()
    )
    result = []
    for appraisal, cycle_name, employee_nip, employee_name in found:
        for part in PARTS:
            person = getattr(appraisal, f"{part}_id")
            if person in people:
                result.append(
                    OpenAppraisal(
                        nip=nip_of[person],
                        part=part,
                        appraisal_id=appraisal.id,
                        cycle_id=appraisal.cycle_id,
                        cycle_name=cycle_name,
                        state=appraisal.state,
                        employee_nip=employee_nip,
                        employee_name=employee_name,
                    )
                )
    return sorted(result, key=lambda row: (row.nip, row.appraisal_id, PARTS.index(row.part)))
