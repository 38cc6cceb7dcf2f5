"""A new evaluator or appeal reviewer for an open appraisal: the change, its audit event and
the emails to the person who takes the work over and the one who hands it on.

Used by HR's ``reassign`` and by the employee import when a supervisor changes; the pending
work moves with the role (what waits for the evaluator now waits for the new one).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.recipients import employees
from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.lib.db import column_values, is_postgres
from kinerja_flow.notifications.outbox import Email
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.context import AppContext

PARTS = ("evaluator", "reviewer")
ASSIGNED, UNASSIGNED = "appraisal_assigned", "appraisal_unassigned"


@dataclass(frozen=True)
class Move:
    """``part`` (evaluator or reviewer) of ``appraisal`` goes from ``before`` to ``after``."""

    appraisal: Appraisal
    part: str
    before: int | None
    after: int | None


def audit_entry(appraisal: Appraisal, moves: Sequence[Move], reason: str) -> AuditEntry:
    return AuditEntry(
        "appraisal.reassigned",
        "appraisal",
        appraisal.id,
        appraisal_id=appraisal.id,
        data={m.part: {"before": m.before, "after": m.after} for m in moves},
        reason=reason,
    )


async def emails(
    session: AsyncSession, ctx: AppContext, moves: Sequence[Move], reason: str, actor: str
) -> list[Email]:
    """Tell the new holder of each part that the work is theirs, the old one that it moved."""
    if not moves:
        return []
    ids = {
        i
        for m in moves
        for i in (m.before, m.after, m.appraisal.employee_id, m.appraisal.evaluator_id)
        if i is not None
    }
    people = await employees(session, ids, ctx.settings.default_locale)
    records = {
        e.id: e for e in (await session.scalars(select(Employee).where(Employee.id.in_(ids)))).all()
    }
    cycles = {
        c.id: c
        for c in (
            await session.scalars(
                select(Cycle).where(Cycle.id.in_({m.appraisal.cycle_id for m in moves}))
            )
        ).all()
    }
    found = []
    for move in moves:
        appraisal = move.appraisal
        for message, holder, other in (
            (ASSIGNED, move.after, move.before),
            (UNASSIGNED, move.before, move.after),
        ):
            person = people.get(holder) if holder is not None else None
            if person is None:
                continue
            other_person = records.get(other) if other is not None else None
            found.append(
                Email(
                    message,
                    person.recipient,
                    {
                        "name": person.name,
                        "part": move.part,
                        "other": other_person.name if other_person else None,
                        "employee": column_values(records[appraisal.employee_id]),
                        "appraisal": column_values(appraisal),
                        "cycle": column_values(cycles[appraisal.cycle_id]),
                        "reason": reason,
                        "actor": actor,
                        **(
                            {"link": ctx.link(f"/appraisals/{appraisal.id}")}
                            if message == ASSIGNED
                            else {}
                        ),
                    },
                    f"{message}:{appraisal.id}:v{appraisal.version}:{move.part}:{holder}",
                )
            )
    return found


async def follow_supervisors(
    session: AsyncSession, ctx: AppContext, moved: Collection[int], now: datetime
) -> list[Move]:
    """The open appraisals whose evaluator or reviewer follows from the supervisor of one of
    ``moved`` (employees whose supervisor changed), set again from the organisation chart:
    such an employee's own appraisals get their new supervisor as evaluator (and that one's
    supervisor as reviewer), the appraisals they evaluate get their new supervisor as
    reviewer. An inactive supervisor leaves the part empty for HR to fill. Locks and touches
    every appraisal changed; answers the moves (for the audit trail and the emails)."""
    if not moved:
        return []
    chart = dict(
        (
            await session.execute(
                select(Employee.id, Employee.supervisor_id).where(Employee.active.is_(True))
            )
        ).all()
    )

    def supervisor(employee_id: int | None) -> int | None:
        found = chart.get(employee_id) if employee_id is not None else None
        return found if found in chart else None

    query = (
        select(Appraisal)
        .where(
            open_appraisals_filter(ctx),
            or_(Appraisal.employee_id.in_(moved), Appraisal.evaluator_id.in_(moved)),
        )
        .order_by(Appraisal.id)
    )
    if is_postgres(session):
        query = query.with_for_update()
    moves: list[Move] = []
    for appraisal in (await session.scalars(query)).all():
        wanted = {"reviewer": supervisor(appraisal.evaluator_id)}
        if appraisal.employee_id in moved:
            evaluator = supervisor(appraisal.employee_id)
            wanted = {"evaluator": evaluator, "reviewer": supervisor(evaluator)}
        changed = [
            Move(appraisal, part, getattr(appraisal, f"{part}_id"), holder)
            for part, holder in wanted.items()
            if getattr(appraisal, f"{part}_id") != holder
        ]
        for move in changed:
            setattr(appraisal, f"{move.part}_id", move.after)
        if changed:
            appraisal.updated_at = now
            moves += changed
    return moves


def open_appraisals_filter(ctx: AppContext) -> ColumnElement[bool]:
    """SQL: the appraisal is in a state its workflow does not declare final."""
    return or_(
        *(
            and_(
                Appraisal.workflow == name,
                Appraisal.state.not_in(
                    [state for state, d in engine.definition.states.items() if d.final]
                ),
            )
            for name, engine in ctx.workflows.items()
            if engine.registry.kind == "appraisal"
        )
    )


def by_appraisal(moves: Sequence[Move]) -> dict[int, list[Move]]:
    grouped: dict[int, list[Move]] = {}
    for move in moves:
        grouped.setdefault(move.appraisal.id, []).append(move)
    return grouped
