"""What follow-up items add to appraisals: the named effects and guard an appraisal workflow file
may use (registered in the appraisal allow-list), and the items an appraisal shows.

- ``propose_followups`` (effect, on every transition into ``follow_up``): once the step has
  moved the appraisal and been audited, the rules propose items (:mod:`.rules`), once ever.
- ``followups_ended`` (guard, on ``close``): every item of the appraisal has ended.
- ``note_open_followups`` (effect, on ``close_anyway``): the audit event lists the items still
  open when HR closed the appraisal anyway.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.extensions import EXTENSIONS
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.read_model import AppraisalHead, Reader
from kinerja_flow.appraisals.rules import BEHAVIOUR, RULES, AppraisalFacts, EffectContext
from kinerja_flow.appraisals.schemas import FollowUpBrief
from kinerja_flow.development import FollowUpKind
from kinerja_flow.followups.access import reason_of
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.followups.rules import propose_for
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import FieldError
from kinerja_flow.lib.rows import fetch_all
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


@RULES.effect("propose_followups", reads=[BEHAVIOUR])  # the values below expectation
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


_items, _appraisals, _cycles = FollowUp.__table__, Appraisal.__table__, Cycle.__table__


class _Listed(NamedTuple):
    """A follow-up item as an appraisal lists it (a row of :data:`APPRAISAL_FOLLOWUPS`)."""

    id: int
    kind: str
    title: str
    state: str
    owner: str
    due: date
    sources: list[dict[str, Any]]
    outcome: str | None
    appraisal_id: int | None
    workflow: str
    created_at: datetime


_BRIEF = [_items.c[name] for name in _Listed._fields]
_employee = bindparam("employee_id", type_=_items.c.employee_id.type)
_EARLIER_APPRAISALS = (
    select(_appraisals.c.id)
    .select_from(_appraisals.join(_cycles, _appraisals.c.cycle_id == _cycles.c.id))
    .where(
        _appraisals.c.employee_id == _employee,
        _cycles.c.period_end < bindparam("period_start", type_=_cycles.c.period_end.type),
    )
)
APPRAISAL_FOLLOWUPS = (
    select(*_BRIEF)
    .where(
        or_(
            _items.c.appraisal_id == bindparam("appraisal_id", type_=_items.c.appraisal_id.type),
            and_(
                _items.c.employee_id == _employee,
                _items.c.kind == FollowUpKind.IMPROVEMENT_PLAN,
                or_(
                    _items.c.appraisal_id.in_(_EARLIER_APPRAISALS),
                    _items.c.appraisal_id.is_(None),
                ),
            ),
        )
    )
    .order_by(_items.c.id)
)
"""In one statement: the items appraisal ``:appraisal_id`` motivated, and the improvement plans
of its employee ``:employee_id`` of cycles that ended before ``:period_start`` or of none."""


def _brief(item: _Listed, locale: str) -> FollowUpBrief:
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
    session: Reader, ctx: AppContext, appraisal: AppraisalHead, locale: str
) -> tuple[list[FollowUpBrief], list[FollowUpBrief]]:
    """The items ``appraisal`` motivated, and the employee's improvement plans from before
    (those of earlier cycles, or of no appraisal, not called off, made before this cycle
    ended)."""
    cycle = appraisal.cycle
    rows = await fetch_all(
        session,
        APPRAISAL_FOLLOWUPS,
        {
            "appraisal_id": appraisal.id,
            "employee_id": appraisal.employee_id,
            "period_start": cycle.period_start,
        },
    )
    own, plans = [], []
    for item in map(_Listed._make, rows):
        if item.appraisal_id == appraisal.id:
            own.append(_brief(item, locale))
        elif (
            not ctx.workflows[item.workflow].is_discarded(item.state)
            and item.created_at.date() <= cycle.period_end
        ):
            plans.append((item.due, _brief(item, locale)))
    plans.sort(key=lambda plan: (plan[0], plan[1].id))
    return own, [brief for _due, brief in plans]


EXTENSIONS.followups = appraisal_followups
