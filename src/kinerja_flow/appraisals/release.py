"""Whether a rated appraisal may be released: its unit's distribution of predikat in the cycle."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.appraisals.cycle_models import UnitResult
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.i18n import translate
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.policies.distribution import DistributionPolicy, OrgPredikat, ReleasePolicy, Rule
from kinerja_flow.policies.distribution_check import (
    ReleaseCheck,
    UnitPattern,
    assess,
    limit_text,
)
from kinerja_flow.predikat import Predikat
from kinerja_flow.workflow.engine import WorkflowEngine


def counts_in_distribution(workflows: Mapping[str, WorkflowEngine[Any]]) -> ColumnElement[bool]:
    """Appraisals not in a discarded state of their workflow: their predikat counts."""
    return and_(
        true(),
        *(
            or_(Appraisal.workflow != name, Appraisal.state.not_in(engine.discarded_states))
            for name, engine in workflows.items()
            if engine.discarded_states
        ),
    )


def describe(rule: Rule, locale: str) -> str:
    return translate(rule.message, locale, limit=limit_text(rule))


async def unit_patterns(
    session: AsyncSession,
    policy: DistributionPolicy,
    workflows: Mapping[str, WorkflowEngine[Any]],
    cycle_id: int,
    unit_ids: Collection[int] | None = None,
) -> dict[int, UnitPattern]:
    """Each unit's pattern in the cycle (every unit, or those of ``unit_ids``), by unit id.

    Appraisals count under the employee's unit; only those with a predikat (rated, whether
    released yet or not) and not cancelled. Three queries, whatever the number of units.
    """
    counted_query = (
        select(Employee.unit_id, Appraisal.predikat, func.count())
        .join(Employee, Employee.id == Appraisal.employee_id)
        .where(
            Appraisal.cycle_id == cycle_id,
            Appraisal.predikat.is_not(None),
            counts_in_distribution(workflows),
        )
        .group_by(Employee.unit_id, Appraisal.predikat)
    )
    results_query = select(UnitResult.unit_id, UnitResult.org_predikat).where(
        UnitResult.cycle_id == cycle_id
    )
    units_query = select(Unit).order_by(Unit.code)
    if unit_ids is not None:
        counted_query = counted_query.where(Employee.unit_id.in_(unit_ids))
        results_query = results_query.where(UnitResult.unit_id.in_(unit_ids))
        units_query = units_query.where(Unit.id.in_(unit_ids))
    counted: dict[int, dict[Predikat, int]] = {}
    for unit_id, predikat, count in (await session.execute(counted_query)).all():
        if predikat is not None:  # excluded by the query; narrows the type
            counted.setdefault(unit_id, {})[Predikat(predikat)] = count
    org_of = dict((await session.execute(results_query)).all())
    return {
        unit.id: assess(
            policy,
            unit.code,
            unit.name,
            OrgPredikat(org_of[unit.id]) if unit.id in org_of else None,
            counted.get(unit.id, {}),
        )
        for unit in (await session.scalars(units_query)).all()
    }


async def release_checks(
    session: AsyncSession,
    policy: DistributionPolicy,
    workflows: Mapping[str, WorkflowEngine[Any]],
    cycle_id: int,
    mode: str,
    employee_ids: Collection[int],
) -> dict[int, ReleaseCheck]:
    """For each employee (by id): the cycle's release policy and their unit's pattern.

    Each unit is assessed once, however many of its employees are asked about.
    """
    unit_of = dict(
        (
            await session.execute(
                select(Employee.id, Employee.unit_id).where(Employee.id.in_(employee_ids))
            )
        ).all()
    )
    patterns = await unit_patterns(session, policy, workflows, cycle_id, set(unit_of.values()))
    release = cast("ReleasePolicy", mode)
    return {employee: ReleaseCheck(release, patterns[unit]) for employee, unit in unit_of.items()}


def release_audit(check: ReleaseCheck) -> dict[str, Any]:
    """The release check as the audit trail keeps it (rule messages in English, the msgids)."""
    org = check.unit.org_predikat
    return {
        "policy": check.policy,
        "unit": check.unit.unit_code,
        "org_predikat": org.value if org is not None else None,
        "broken": [
            {
                "rule": b.rule.key,
                "message": describe(b.rule, "en"),
                "actual": b.actual,
                "limit": b.limit,
            }
            for b in check.unit.broken
        ],
    }
