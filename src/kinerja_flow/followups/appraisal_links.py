"""What follow-up items add to appraisals: the named effects and guard an appraisal workflow file
may use (registered in the appraisal allow-list), and the items an appraisal shows.

- ``propose_followups`` (effect, on every transition into ``follow_up``): once the step has
  moved the appraisal and been audited, the rules propose items (:mod:`.rules`), once ever.
- ``followups_ended`` (guard, on ``close``): every item of the appraisal has ended.
- ``note_open_followups`` (effect, on ``close_anyway``): the audit event lists the items still
  open when HR closed the appraisal anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.extensions import EXTENSIONS
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.rules import RULES, AppraisalFacts, EffectContext
from kinerja_flow.appraisals.schemas import FollowUpBrief
from kinerja_flow.development import FollowUpKind
from kinerja_flow.followups.access import reason_of
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.followups.rules import propose_for
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import FieldError
from kinerja_flow.runtime.cases import CaseService
from kinerja_flow.runtime.context import AppContext

ENDED_GUARD = "followups_ended"


async def _open_items(session: AsyncSession, ctx: AppContext, appraisal_id: int) -> list[FollowUp]:
    rows = await session.scalars(
        select(FollowUp).where(FollowUp.appraisal_id == appraisal_id).order_by(FollowUp.id)
    )
    return [
        item for item in rows.all() if item.state not in ctx.workflows[item.workflow].ended_states
    ]


async def gather_open(service: CaseService[Any, Any, Any], appraisal: Appraisal) -> list[str]:
    return [
        f"#{item.id} {item.title}"
        for item in await _open_items(service.session, service.ctx, appraisal.id)
    ]


@RULES.guard(ENDED_GUARD, gather=gather_open)
def followups_ended(facts: AppraisalFacts) -> FieldError | None:
    """Every follow-up item of the appraisal is completed, verified, rejected or cancelled."""
    still_open: list[str] = facts.gathered[ENDED_GUARD]
    if still_open:
        return FieldError(
            "followups",
            _(
                "Follow-up items are still open: {items}. End them first, or HR closes the"
                " appraisal anyway with a reason."
            ),
            {"items": "; ".join(still_open)},
        )
    return None


@RULES.effect("propose_followups")
def propose_followups(ctx: EffectContext) -> dict[str, Any]:
    service, appraisal = ctx.service, ctx.appraisal

    async def propose() -> None:
        await propose_for(service, appraisal)

    service.after_step(propose)
    return {}


@RULES.effect("note_open_followups")
async def note_open_followups(ctx: EffectContext) -> dict[str, Any]:
    items = await _open_items(ctx.service.session, ctx.service.ctx, ctx.appraisal.id)
    return {"open_followups": [{"id": i.id, "state": i.state, "title": i.title} for i in items]}


def _brief(item: FollowUp, locale: str) -> FollowUpBrief:
    return FollowUpBrief(
        id=item.id,
        kind=item.kind,
        title=item.title,
        state=item.state,
        owner=item.owner,
        due=item.due,
        rules=[source["rule"] for source in item.sources],
        reasons=[reason_of(source, locale) for source in item.sources],
        outcome=item.outcome,
        appraisal_id=item.appraisal_id,
    )


async def appraisal_followups(
    session: AsyncSession, ctx: AppContext, appraisal: Appraisal, locale: str
) -> tuple[list[FollowUpBrief], list[FollowUpBrief]]:
    """The items ``appraisal`` motivated, and the employee's improvement plans from before
    (those of earlier cycles, or of no appraisal, not called off)."""
    own = await session.scalars(
        select(FollowUp).where(FollowUp.appraisal_id == appraisal.id).order_by(FollowUp.id)
    )
    cycle = await session.get_one(Cycle, appraisal.cycle_id)
    earlier_cycles = select(Appraisal.id).join(Cycle, Appraisal.cycle_id == Cycle.id)
    plans = await session.scalars(
        select(FollowUp)
        .where(
            FollowUp.employee_id == appraisal.employee_id,
            FollowUp.kind == FollowUpKind.IMPROVEMENT_PLAN,
            or_(
                FollowUp.appraisal_id.in_(
                    earlier_cycles.where(
                        Appraisal.employee_id == appraisal.employee_id,
                        Cycle.period_end < cycle.period_start,
                    )
                ),
                FollowUp.appraisal_id.is_(None),
            ),
        )
        .order_by(FollowUp.due, FollowUp.id)
    )
    return (
        [_brief(item, locale) for item in own.all()],
        [
            _brief(item, locale)
            for item in plans.all()
            if not ctx.workflows[item.workflow].is_discarded(item.state)
            and item.created_at.date() <= cycle.period_end
        ],
    )


EXTENSIONS.followups = appraisal_followups
