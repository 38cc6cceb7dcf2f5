"""Setting a unit's organisation predikat and reporting each unit's distribution of predikat."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.predikat import Predikat
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.authz import AUDITOR, HR, require
from kinerja_flow.cycles.models import Cycle
from kinerja_flow.distribution.evaluate import (
    Broken,
    ReleaseCheck,
    UnitPattern,
    assess,
    limit_text,
    share,
)
from kinerja_flow.distribution.models import UnitResult
from kinerja_flow.distribution.policy import DistributionPolicy, OrgPredikat, ReleasePolicy, Rule
from kinerja_flow.distribution.schemas import (
    BrokenRuleOut,
    DistributionReport,
    UnitDistribution,
    UnitResultOut,
    UnitResultSet,
)
from kinerja_flow.i18n import _, translate
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.lib.service import Service
from kinerja_flow.org.models import Employee, Unit

# Appraisals in these states keep no predikat that counts, even if one was given earlier.
NOT_COUNTED_STATES = ("cancelled",)


def describe(rule: Rule, locale: str) -> str:
    return translate(rule.message, locale, limit=limit_text(rule))


def broken_out(broken: Broken, locale: str) -> BrokenRuleOut:
    return BrokenRuleOut(
        rule=broken.rule.key,
        message=describe(broken.rule, locale),
        actual=broken.actual,
        limit=broken.limit,
    )


def unit_distribution(
    policy: DistributionPolicy, pattern: UnitPattern, locale: str
) -> UnitDistribution:
    org = pattern.org_predikat
    total = pattern.total
    return UnitDistribution(
        unit_code=pattern.unit_code,
        unit_name=pattern.unit_name,
        org_predikat=org.value if org is not None else None,
        total=total,
        counts={p.value: n for p, n in pattern.counts.items()},
        shares={p.value: share(n, total) for p, n in pattern.counts.items()},
        pattern=[describe(r, locale) for r in (policy.rules_for(org) if org is not None else ())],
        broken=[broken_out(b, locale) for b in pattern.broken],
    )


async def unit_patterns(
    session: AsyncSession,
    policy: DistributionPolicy,
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
            Appraisal.state.not_in(NOT_COUNTED_STATES),
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
    patterns = await unit_patterns(session, policy, cycle_id, set(unit_of.values()))
    release = cast("ReleasePolicy", mode)
    return {employee: ReleaseCheck(release, patterns[unit]) for employee, unit in unit_of.items()}


def release_audit(check: ReleaseCheck) -> dict[str, Any]:
    """The release check as the audit trail keeps it (rule messages in English, the msgids)."""
    org = check.unit.org_predikat
    return {
        "policy": check.policy,
        "unit": check.unit.unit_code,
        "org_predikat": org.value if org is not None else None,
        "broken": [msgspec.structs.asdict(broken_out(b, "en")) for b in check.unit.broken],
    }


class DistributionService(Service):
    async def set_result(self, cycle_id: int, code: str, data: UnitResultSet) -> UnitResultOut:
        """Set (or change) a unit's organisation predikat for a cycle; audited before/after."""
        require(self.principal, HR)
        await begin_write(self.session)
        # Locking the cycle row queues concurrent setters, so the first insert cannot race.
        await self._cycle(cycle_id, lock=True)
        unit = await self.session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            raise NotFound(_("Unknown unit code '{code}'."), code=code)
        reason = (data.reason or "").strip() or None
        result = await self.session.scalar(
            select(UnitResult).where(UnitResult.cycle_id == cycle_id, UnitResult.unit_id == unit.id)
        )
        before = (
            None
            if result is None
            else {"org_predikat": result.org_predikat, "reason": result.reason}
        )
        after = {"org_predikat": data.org_predikat.value, "reason": reason}
        now = self.ctx.clock.now()
        if before != after:
            if result is None:
                result = UnitResult(cycle_id=cycle_id, unit_id=unit.id)
                self.session.add(result)
            result.org_predikat = data.org_predikat.value
            result.reason = reason
            result.set_by_id = self.principal.account_id
            result.set_at = now
            await self.session.flush()
            await self.audit(
                now,
                AuditEntry(
                    "unit_result.set",
                    "unit_result",
                    result.id,
                    data={
                        "cycle_id": cycle_id,
                        "unit": unit.code,
                        "before": before,
                        "after": after,
                    },
                    reason=reason,
                ),
            )
            await self.session.commit()
        assert result is not None
        return UnitResultOut(
            cycle_id=cycle_id,
            unit_code=unit.code,
            unit_name=unit.name,
            org_predikat=result.org_predikat,
            reason=result.reason,
            set_by=result.set_by_id,
            set_at=result.set_at,
        )

    async def report(self, cycle_id: int, locale: str) -> DistributionReport:
        """Per unit: counts and shares of employee predikat, the required pattern, breaches."""
        require(self.principal, HR, AUDITOR)
        await self._cycle(cycle_id)
        patterns = await unit_patterns(self.session, self.ctx.distribution_policy, cycle_id)
        return DistributionReport(
            cycle_id=cycle_id,
            units=[
                unit_distribution(self.ctx.distribution_policy, pattern, locale)
                for pattern in patterns.values()
            ],
        )

    async def _cycle(self, cycle_id: int, lock: bool = False) -> int:
        query = select(Cycle.id).where(Cycle.id == cycle_id)
        found = await self.session.scalar(query.with_for_update() if lock else query)
        if found is None:
            raise NotFound(_("Cycle {id} does not exist."), id=cycle_id)
        return found
