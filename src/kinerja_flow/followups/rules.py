"""The proposal engine: when an appraisal reaches follow-up, the rules of
``policies/followup_rules.toml`` run once and create ``proposed`` items, each citing the rules
that proposed it and why.

"Once" is kept by the database: the run is recorded under the appraisal's id as primary key
(inserted with ``ON CONFLICT DO NOTHING``), in the transaction that moves the appraisal, so two
steps into follow-up racing on one appraisal (the employee's acknowledgement and the appeal
window's lapse, say) propose one set of items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.berakhlak import VALUE_NAMES, CoreValue
from kinerja_flow.development import DEFAULT_OWNER, FollowUpKind
from kinerja_flow.followups.access import FOLLOWUP_WORKFLOW
from kinerja_flow.followups.hours import training_hours
from kinerja_flow.followups.models import FollowUp, ProposalRun
from kinerja_flow.followups.schemas import Details
from kinerja_flow.followups.service import FollowUpService, complete_details, default_due
from kinerja_flow.i18n import translate
from kinerja_flow.lib.db import is_postgres
from kinerja_flow.org.models import Employee
from kinerja_flow.policies.followup_rules import Proposed, Subject
from kinerja_flow.predikat import Predikat, Rating
from kinerja_flow.runtime.cases import CaseService

HISTORY = 10
"""How many earlier cycles the rules may look back on."""


@dataclass
class _Draft:
    """One item to propose, with every rule that proposed it (same kind, same value)."""

    first: Proposed
    sources: list[dict[str, Any]] = field(default_factory=list)


async def subject_of(service: CaseService[Any, Any, Any], appraisal: Appraisal) -> Subject:
    """What the rules look at: the result, the values marked below expectation, the training
    hours of the cycle's year, and the predikat of earlier cycles of the same kind."""
    session, ctx = service.session, service.ctx
    cycle = await session.get_one(Cycle, appraisal.cycle_id)
    year = cycle.period_end.year
    below = [note.value for note in appraisal.behaviour if note.below_expectation]  # loaded
    hours = await training_hours(session, ctx.workflows, [appraisal.employee_id])
    earlier = await session.execute(
        select(Appraisal.predikat, Appraisal.workflow, Appraisal.state)
        .join(Cycle, Appraisal.cycle_id == Cycle.id)
        .where(
            Appraisal.employee_id == appraisal.employee_id,
            Appraisal.id != appraisal.id,
            Cycle.kind == cycle.kind,
            Cycle.period_end < cycle.period_start,
        )
        .order_by(Cycle.period_end.desc())
        .limit(HISTORY)
    )
    return Subject(
        predikat=Predikat(appraisal.predikat) if appraisal.predikat else None,
        results_rating=Rating(appraisal.results_rating) if appraisal.results_rating else None,
        behaviour_rating=Rating(appraisal.behaviour_rating) if appraisal.behaviour_rating else None,
        values_below=tuple(CoreValue(value) for value in below),
        training_hours=hours.get(appraisal.employee_id, {}).get(year, 0),
        training_minimum=ctx.settings.training_min_jp,
        year=year,
        history=tuple(
            Predikat(predikat) if predikat else None
            for predikat, workflow, state in earlier.all()
            if not ctx.workflows[workflow].is_discarded(state)
        ),
    )


async def _claim_run(service: CaseService[Any, Any, Any], appraisal: Appraisal) -> bool:
    """Record that the rules run for ``appraisal`` now; False if they already did."""
    session = service.session
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    claimed = await session.execute(
        insert(ProposalRun)
        .values(appraisal_id=appraisal.id, ran_at=service.ctx.clock.now(), proposed=0)
        .on_conflict_do_nothing(index_elements=["appraisal_id"])
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _drafts(found: list[Proposed]) -> list[_Draft]:
    drafts: dict[tuple[FollowUpKind, CoreValue | None], _Draft] = {}
    for proposed in found:
        key = (proposed.proposal.kind, proposed.value)
        draft = drafts.setdefault(key, _Draft(proposed))
        if proposed.rule.id not in {source["rule"] for source in draft.sources}:
            draft.sources.append(
                {
                    "rule": proposed.rule.id,
                    "basis": proposed.rule.basis,
                    "reason": proposed.rule.reason,
                    "params": dict(proposed.params),
                }
            )
    return list(drafts.values())


async def propose_for(service: CaseService[Any, Any, Any], appraisal: Appraisal) -> list[FollowUp]:
    """Run the rules for ``appraisal`` (once ever) and create the items they propose."""
    if not await _claim_run(service, appraisal):
        return []
    ctx = service.ctx
    subject = await subject_of(service, appraisal)
    drafts = _drafts(ctx.followup_rules.match(subject))
    followups = FollowUpService(service.session, ctx, service.principal)
    employee = await service.session.get_one(Employee, appraisal.employee_id)
    today = ctx.clock.now().date()
    locale = ctx.settings.default_locale
    items = []
    for draft in drafts:
        proposal, value = draft.first.proposal, draft.first.value
        details: Details = complete_details(
            msgspec.convert({"kind": proposal.kind.value}, Details),
            today,
        )
        title = translate(proposal.title, locale)
        if value is not None:
            title = f"{title}: {translate(VALUE_NAMES[value], locale)}"
        item = FollowUp(
            workflow=FOLLOWUP_WORKFLOW,
            kind=proposal.kind.value,
            employee_id=employee.id,
            employee=employee,
            appraisal_id=appraisal.id,
            appraisal=appraisal,
            core_value=value.value if value else None,
            owner=(proposal.owner or DEFAULT_OWNER[proposal.kind]).value,
            title=title,
            due=today + timedelta(days=proposal.due_days)
            if proposal.due_days
            else default_due(details, today),
        )
        await followups.add_item(item, details, draft.sources)
        items.append(item)
    await service.session.execute(
        update(ProposalRun)
        .where(ProposalRun.appraisal_id == appraisal.id)
        .values(proposed=len(items))
    )
    if items:
        emails = await followups.emails_to(
            "followup_proposed", items[0], ("employee", "evaluator"), {"reason": None}, items
        )
        await ctx.outbox.enqueue(service.session, ctx.clock.now(), emails)
    return items
