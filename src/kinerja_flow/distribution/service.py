"""Setting a unit's organisation predikat and reporting each unit's distribution of predikat."""

from __future__ import annotations

from sqlalchemy import func, select

from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.predikat import Predikat
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.authz import AUDITOR, HR, require
from kinerja_flow.cycles.models import Cycle
from kinerja_flow.distribution.evaluate import evaluate, limit_text, share
from kinerja_flow.distribution.models import UnitResult
from kinerja_flow.distribution.policy import OrgPredikat, Rule
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
        """Per unit: counts and shares of employee predikat, the required pattern, breaches.

        Appraisals count under the employee's unit; only those with a predikat (reviewed or
        later) and not cancelled.
        """
        require(self.principal, HR, AUDITOR)
        await self._cycle(cycle_id)
        rows = await self.session.execute(
            select(Employee.unit_id, Appraisal.predikat, func.count())
            .join(Employee, Employee.id == Appraisal.employee_id)
            .where(
                Appraisal.cycle_id == cycle_id,
                Appraisal.predikat.is_not(None),
                Appraisal.state.not_in(NOT_COUNTED_STATES),
            )
            .group_by(Employee.unit_id, Appraisal.predikat)
        )
        counted: dict[int, dict[Predikat, int]] = {}
        for unit_id, predikat, count in rows.all():
            if predikat is not None:  # excluded by the query; narrows the type
                counted.setdefault(unit_id, {})[Predikat(predikat)] = count
        org_of = dict(
            (
                await self.session.execute(
                    select(UnitResult.unit_id, UnitResult.org_predikat).where(
                        UnitResult.cycle_id == cycle_id
                    )
                )
            ).all()
        )
        units = (await self.session.scalars(select(Unit).order_by(Unit.code))).all()
        policy = self.ctx.distribution_policy
        out = []
        for unit in units:
            counts = {p: counted.get(unit.id, {}).get(p, 0) for p in Predikat}
            total = sum(counts.values())
            org = OrgPredikat(org_of[unit.id]) if unit.id in org_of else None
            rules = policy.rules_for(org) if org is not None else ()
            broken = evaluate(policy, org, counts) if org is not None else []
            out.append(
                UnitDistribution(
                    unit_code=unit.code,
                    unit_name=unit.name,
                    org_predikat=org.value if org is not None else None,
                    total=total,
                    counts={p.value: n for p, n in counts.items()},
                    shares={p.value: share(n, total) for p, n in counts.items()},
                    pattern=[describe(rule, locale) for rule in rules],
                    broken=[
                        BrokenRuleOut(
                            rule=b.rule.key,
                            message=describe(b.rule, locale),
                            actual=b.actual,
                            limit=b.limit,
                        )
                        for b in broken
                    ],
                )
            )
        return DistributionReport(cycle_id=cycle_id, units=out)

    async def _cycle(self, cycle_id: int, lock: bool = False) -> int:
        query = select(Cycle.id).where(Cycle.id == cycle_id)
        found = await self.session.scalar(query.with_for_update() if lock else query)
        if found is None:
            raise NotFound(_("Cycle {id} does not exist."), id=cycle_id)
        return found
