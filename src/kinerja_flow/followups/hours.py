"""Training hours (JP) an employee completed per year, from their training items."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.development import FollowUpKind
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.lib.db import Among
from kinerja_flow.workflow.engine import WorkflowEngine


def done_states(workflows: Mapping[str, WorkflowEngine[Any]], name: str) -> frozenset[str]:
    """States of workflow ``name`` where an item's work was done: ended, not discarded."""
    engine = workflows[name]
    return engine.ended_states - engine.discarded_states


_TRAININGS = select(
    FollowUp.employee_id, FollowUp.workflow, FollowUp.state, FollowUp.details, FollowUp.completed_at
).where(FollowUp.kind == FollowUpKind.TRAINING, Among(FollowUp.employee_id, "employees"))
"""The trainings of the employees ``:employees`` (one array parameter on PostgreSQL: a report
asks for hundreds at a time)."""


async def training_hours(
    session: AsyncSession, workflows: Mapping[str, WorkflowEngine[Any]], employees: Iterable[int]
) -> dict[int, dict[int, int]]:
    """Per employee, per year, the hours of their done trainings.

    A training counts in the year it ended (its ``end`` date), else the year it was completed.
    """
    rows = await session.execute(_TRAININGS, {"employees": list(employees)})
    hours: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for employee_id, workflow, state, details, completed_at in rows.all():
        if state not in done_states(workflows, workflow) or not details.get("hours"):
            continue
        end = details.get("end")
        year = date.fromisoformat(end).year if end else completed_at.year
        hours[employee_id][year] += int(details["hours"])
    return {employee: dict(years) for employee, years in hours.items()}
