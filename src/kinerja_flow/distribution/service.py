"""Setting a unit's organisation predikat and reporting each unit's distribution of predikat."""

from __future__ import annotations

from sqlalchemy import select

from kinerja_flow.appraisals.cycle_models import Cycle, UnitResult
from kinerja_flow.appraisals.release import describe, unit_patterns
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.distribution.schemas import (
    BrokenRuleOut,
    DistributionReport,
    UnitDistribution,
    UnitResultOut,
    UnitResultSet,
)
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.lib.principal import AUDITOR, HR, require
from kinerja_flow.org.models import Unit
from kinerja_flow.policies.distribution import DistributionPolicy
from kinerja_flow.policies.distribution_check import (
    Broken,
    UnitPattern,
    share,
)
from kinerja_flow.runtime.service import Service


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
            result.set_by_id = self.principal.person
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
        patterns = await unit_patterns(
            self.session, self.ctx.distribution_policy, self.ctx.workflows, cycle_id
        )
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
