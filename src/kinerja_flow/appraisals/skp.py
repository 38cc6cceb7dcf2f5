"""The SKP itself: its approach, its RHKs and their indicators, targets and realisation.

Planning fields change only while ``planning`` and only by the employee; realisation only
while ``self_assessment``. Every change is audited with what it was before.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select

from kinerja_flow.appraisals.access import AppraisalAccess
from kinerja_flow.appraisals.models import Appraisal, Indicator, Target
from kinerja_flow.appraisals.parties import visible_appraisals
from kinerja_flow.appraisals.read_model import AppraisalHead
from kinerja_flow.appraisals.rules import TARGETS
from kinerja_flow.appraisals.schemas import (
    AppraisalOut,
    ApproachSet,
    IndicatorCreate,
    IndicatorUpdate,
    SupportedTarget,
    SupportingTarget,
    TargetCascade,
    TargetCreate,
    TargetUpdate,
)
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import reading
from kinerja_flow.lib.errors import Conflict, FieldError, Invalid, NotFound
from kinerja_flow.org.models import Employee

REALISATION_FIELDS = frozenset({"realisation_value", "realisation_text"})


NUMERIC_FIELDS = frozenset({"target_value", "weight", "realisation_value"})


ONLY_TARGETS = frozenset({TARGETS})
"""What adding or changing an RHK or an indicator reads (removing one cascades further)."""


def _exact(value: float | None) -> Decimal | None:
    """A number as the person typed it (12.3 stays 12.3, not its binary approximation)."""
    return None if value is None else Decimal(repr(value))


def _plain(value: Any) -> Any:
    """A value as the audit trail stores it (decimals as text, exactly)."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _given(data: IndicatorCreate | IndicatorUpdate) -> dict[str, Any]:
    """The fields a request sets, numbers made exact."""
    return {
        name: _exact(value) if name in NUMERIC_FIELDS else value
        for name, value in msgspec.structs.asdict(data).items()
        if value is not msgspec.UNSET and name != "version"
    }


def _recorded(data: IndicatorCreate) -> dict[str, Any]:
    """The fields of a new indicator as the audit trail keeps them."""
    return {name: _plain(value) for name, value in _given(data).items()}


def _check_target(indicator: Indicator, prefix: str) -> None:
    """A target is a number with a unit, or a description (or both)."""
    errors = []
    if indicator.target_value is not None and not indicator.target_unit:
        errors.append(FieldError(f"{prefix}target_unit", _("A numeric target needs a unit.")))
    if indicator.target_value is None and not (indicator.target_text or "").strip():
        errors.append(
            FieldError(
                f"{prefix}target_value",
                _("Give the target as a number with a unit, or as a description."),
            )
        )
    if errors:
        raise Invalid(_("The indicator's target is not complete."), errors=errors)


class SkpService(AppraisalAccess):
    async def _audit(self, appraisal: Appraisal, action: str, data: dict[str, Any]) -> None:
        now = self.ctx.clock.now()
        self._touch(appraisal, now)
        await self.audit(
            now, AuditEntry(action, "appraisal", appraisal.id, appraisal_id=appraisal.id, data=data)
        )

    async def _supported(self, appraisal: Appraisal, target_id: int | None) -> Target | None:
        """The evaluator's RHK ``target_id`` in the same cycle, or a 422."""
        if target_id is None:
            return None
        found = await self.session.scalar(
            select(Target)
            .join(Appraisal, Target.appraisal_id == Appraisal.id)
            .where(
                Target.id == target_id,
                Appraisal.cycle_id == appraisal.cycle_id,
                Appraisal.employee_id == appraisal.evaluator_id,
            )
        )
        if found is None:
            raise Invalid(
                _("The supported RHK must be one of your evaluator's RHKs in this cycle."),
                errors=[FieldError("supports_target_id", _("Not an RHK of your evaluator's SKP."))],
            )
        return found

    @staticmethod
    def _find(appraisal: Appraisal, target_id: int) -> Target:
        target = next((t for t in appraisal.targets if t.id == target_id), None)
        if target is None:
            raise NotFound(_("Target {id} is not part of this appraisal."), id=target_id)
        return target

    @staticmethod
    def _find_indicator(target: Target, indicator_id: int) -> Indicator:
        indicator = next((i for i in target.indicators if i.id == indicator_id), None)
        if indicator is None:
            raise NotFound(_("Indicator {id} is not part of this RHK."), id=indicator_id)
        return indicator

    def _new_indicator(self, data: IndicatorCreate, position: int, prefix: str) -> Indicator:
        now = self.ctx.clock.now()
        indicator = Indicator(
            position=position,
            description=data.description,
            aspect=data.aspect,
            target_value=_exact(data.target_value),
            target_unit=data.target_unit,
            target_text=data.target_text,
            weight=_exact(data.weight),
            evidence=[],
            created_at=now,
            updated_at=now,
        )
        _check_target(indicator, prefix)
        return indicator

    # -- the SKP as a whole --------------------------------------------------------------

    async def set_approach(self, appraisal_id: int, data: ApproachSet) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, data.version, frozenset())
        self.permit(appraisal, "skp")
        if appraisal.approach != data.approach:
            before = appraisal.approach
            appraisal.approach = data.approach
            await self._audit(
                appraisal, "skp.approach_set", {"before": before, "after": data.approach}
            )
        return await self._commit(appraisal)

    # -- RHK -----------------------------------------------------------------------------

    async def add_target(self, appraisal_id: int, data: TargetCreate) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, data.version, ONLY_TARGETS)
        self.permit(appraisal, "skp")
        supported = await self._supported(appraisal, data.supports_target_id)
        now = self.ctx.clock.now()
        target = Target(
            position=max((t.position for t in appraisal.targets), default=0) + 1,
            title=data.title,
            supports=supported,
            created_at=now,
            updated_at=now,
            indicators=[
                self._new_indicator(item, number, f"indicators[{number - 1}].")
                for number, item in enumerate(data.indicators, start=1)
            ],
        )
        appraisal.targets.append(target)
        await self.session.flush()
        await self._audit(
            appraisal,
            "target.added",
            {
                "target_id": target.id,
                "title": data.title,
                "supports_target_id": target.supports_id,
                "indicators": [_recorded(item) for item in data.indicators],
            },
        )
        return await self._commit(appraisal)

    async def update_target(
        self, appraisal_id: int, target_id: int, data: TargetUpdate
    ) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, data.version)
        target = self._find(appraisal, target_id)
        self.permit(appraisal, "skp")
        changes: dict[str, Any] = {}
        if data.title is not msgspec.UNSET and data.title != target.title:
            changes["title"] = (target.title, data.title)
            target.title = data.title
        if data.supports_target_id is not msgspec.UNSET:
            supported = await self._supported(appraisal, data.supports_target_id)
            new_id = supported.id if supported else None
            if new_id != target.supports_id:
                changes["supports_target_id"] = (target.supports_id, new_id)
                target.supports = supported
        if changes:
            target.updated_at = self.ctx.clock.now()
            await self._audit(
                appraisal,
                "target.updated",
                {
                    "target_id": target.id,
                    "before": {k: v[0] for k, v in changes.items()},
                    "after": {k: v[1] for k, v in changes.items()},
                },
            )
        return await self._commit(appraisal)

    async def delete_target(
        self, appraisal_id: int, target_id: int, version: int | None
    ) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, version)
        self.permit(appraisal, "skp")
        target = self._find(appraisal, target_id)
        appraisal.targets.remove(target)
        await self.session.delete(target)
        await self._audit(
            appraisal, "target.removed", {"target_id": target_id, "title": target.title}
        )
        return await self._commit(appraisal)

    # -- indicators ----------------------------------------------------------------------

    async def add_indicator(
        self, appraisal_id: int, target_id: int, data: IndicatorCreate
    ) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, data.version, ONLY_TARGETS)
        target = self._find(appraisal, target_id)
        self.permit(appraisal, "skp")
        position = max((i.position for i in target.indicators), default=0) + 1
        indicator = self._new_indicator(data, position, "")
        target.indicators.append(indicator)
        await self.session.flush()
        await self._audit(
            appraisal,
            "indicator.added",
            {
                "target_id": target.id,
                "indicator_id": indicator.id,
                **_recorded(data),
            },
        )
        return await self._commit(appraisal)

    async def update_indicator(
        self, appraisal_id: int, target_id: int, indicator_id: int, data: IndicatorUpdate
    ) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, data.version, ONLY_TARGETS)
        indicator = self._find_indicator(self._find(appraisal, target_id), indicator_id)
        given = _given(data)
        realisation = REALISATION_FIELDS.intersection(given)
        if realisation and len(realisation) != len(given):
            raise Invalid(
                _("Planning fields and realisation fields cannot be changed together."),
                errors=[FieldError(sorted(realisation)[0], _("Send realisation separately."))],
            )
        self.permit(appraisal, "realisation" if realisation else "skp")
        before = {name: getattr(indicator, name) for name in given}
        changes = {name: value for name, value in given.items() if before[name] != value}
        if changes:
            for name, value in changes.items():
                setattr(indicator, name, value)
            if not realisation:
                _check_target(indicator, "")
            indicator.updated_at = self.ctx.clock.now()
            await self._audit(
                appraisal,
                "indicator.updated",
                {
                    "target_id": target_id,
                    "indicator_id": indicator.id,
                    "before": {k: _plain(before[k]) for k in changes},
                    "after": {k: _plain(v) for k, v in changes.items()},
                },
            )
        return await self._commit(appraisal)

    async def delete_indicator(
        self, appraisal_id: int, target_id: int, indicator_id: int, version: int | None
    ) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, version)
        target = self._find(appraisal, target_id)
        indicator = self._find_indicator(target, indicator_id)
        self.permit(appraisal, "skp")
        if len(target.indicators) == 1:
            raise Conflict(_("An RHK keeps at least one indicator; remove the RHK instead."))
        target.indicators.remove(indicator)
        await self._audit(
            appraisal,
            "indicator.removed",
            {
                "target_id": target.id,
                "indicator_id": indicator_id,
                "description": indicator.description,
            },
        )
        return await self._commit(appraisal)

    # -- cascading (RHK atasan yang diintervensi) ------------------------------------------

    async def superior_targets(self, appraisal_id: int) -> list[SupportedTarget]:
        async with reading(self.session):
            return await self.superior_targets_of(await self.head(appraisal_id))

    async def superior_targets_of(self, appraisal: AppraisalHead) -> list[SupportedTarget]:
        """The evaluator's RHKs in the same cycle, which this SKP's RHKs may support."""
        rows = await self.session.scalars(
            select(Target)
            .join(Appraisal, Target.appraisal_id == Appraisal.id)
            .where(
                Appraisal.cycle_id == appraisal.cycle_id,
                Appraisal.employee_id == appraisal.evaluator_id,
            )
            .order_by(Target.position)
        )
        return [SupportedTarget(t.id, t.appraisal_id, t.title) for t in rows.all()]

    async def cascade(self, appraisal_id: int) -> list[TargetCascade]:
        """For each RHK of this SKP, the RHKs of other SKPs (the reports') that support it."""
        appraisal = await self._load(appraisal_id)
        rows = await self.session.execute(
            select(Target, Appraisal, Employee)
            .join(Appraisal, Target.appraisal_id == Appraisal.id)
            .join(Employee, Appraisal.employee_id == Employee.id)
            .where(
                Target.supports_id.in_([t.id for t in appraisal.targets]),
                visible_appraisals(self.principal),
            )
            .order_by(Employee.name, Target.position)
        )
        supporters: dict[int, list[SupportingTarget]] = {}
        for target, other, employee in rows.all():
            supporters.setdefault(target.supports_id or 0, []).append(
                SupportingTarget(
                    target_id=target.id,
                    title=target.title,
                    appraisal_id=other.id,
                    state=other.state,
                    employee_nip=employee.nip,
                    employee_name=employee.name,
                )
            )
        return [
            TargetCascade(target_id=t.id, title=t.title, supported_by=supporters.get(t.id, []))
            for t in appraisal.targets
        ]
