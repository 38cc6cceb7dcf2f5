"""Load one follow-up item the caller may see, describe it, and fire its triggers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kinerja_flow.accounts import recipients
from kinerja_flow.appraisals.access import person
from kinerja_flow.appraisals.models import Target
from kinerja_flow.berakhlak import VALUE_NAMES, CoreValue
from kinerja_flow.development import FollowUpKind, Outcome, Owner
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.followups.parties import evaluator_of, followup_roles, visible_followups
from kinerja_flow.followups.schemas import (
    CertificateOut,
    CheckpointOut,
    Details,
    FollowUpAction,
    FollowUpOut,
    RuleSource,
    SessionOut,
    Source,
    TargetRef,
)
from kinerja_flow.followups.steps import FollowUpFacts, StepContext, gather_facts
from kinerja_flow.i18n import _, translate
from kinerja_flow.labels import label
from kinerja_flow.lib.db import begin_write, column_values, is_postgres
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.notifications.outbox import Email
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.cases import CaseService
from kinerja_flow.workflow.definition import TransitionDef
from kinerja_flow.workflow.engine import Decision
from kinerja_flow.workflow.roles import CaseRoles

FOLLOWUP_WORKFLOW = "followup"
"""The workflow file new items follow."""

LOAD_OPTIONS = (
    selectinload(FollowUp.employee),
    selectinload(FollowUp.appraisal),
    selectinload(FollowUp.sessions),
    selectinload(FollowUp.checkpoints),
)
"""Everything :meth:`FollowUpAccess.describe` and the guards read, loaded up front."""


def details_of(item: FollowUp) -> Details:
    details: Details = msgspec.convert(item.details, Details)
    return details


def reason_of(source: dict[str, Any], locale: str) -> str:
    """Why a rule proposed an item, in ``locale``: coded values shown as their labels."""
    params = {
        key: translate(VALUE_NAMES[CoreValue(value)], locale)
        if key == "value" and value
        else label(value, locale)
        if isinstance(value, str) and value
        else value
        for key, value in source.get("params", {}).items()
    }
    return translate(source["reason"], locale, **params)


def rule_sources(item: FollowUp, locale: str) -> list[RuleSource]:
    return [
        RuleSource(rule=source["rule"], basis=source["basis"], reason=reason_of(source, locale))
        for source in item.sources
    ]


class FollowUpAccess(CaseService[FollowUp, FollowUpFacts, FollowUpAction]):
    """The base of the services that read or change one follow-up item."""

    kind = "followup"

    def _resolve_roles(self, case: FollowUp) -> CaseRoles:
        return followup_roles(self.principal, case)

    def _appraisal_of(self, case: FollowUp) -> int | None:
        return case.appraisal_id

    def _audit_reason(self, payload: FollowUpAction) -> str | None:
        return payload.reason or payload.comment

    async def _facts(
        self, case: FollowUp, route: TransitionDef, payload: FollowUpAction, now: datetime
    ) -> FollowUpFacts:
        return gather_facts(case, payload, now)

    def _effect_context(self, case: FollowUp, facts: FollowUpFacts) -> StepContext:
        return StepContext(case, facts)

    async def _load(self, followup_id: int, *, lock: bool = False) -> FollowUp:
        """The item if the caller may see it (404 otherwise), with what describing it needs."""
        query = (
            select(FollowUp)
            .where(FollowUp.id == followup_id, visible_followups(self.principal))
            .options(*LOAD_OPTIONS)
        )
        if lock and is_postgres(self.session):
            query = query.with_for_update(of=FollowUp)
        item = await self.session.scalar(query)
        if item is None:
            raise NotFound(
                _("Follow-up item {id} does not exist or is not visible to you."), id=followup_id
            )
        return item

    async def _open_for_change(self, followup_id: int, version: int | None) -> FollowUp:
        await begin_write(self.session)
        item = await self._load(followup_id, lock=True)
        self._check_version(item, version)
        return item

    def is_overdue(self, item: FollowUp, today: date) -> bool:
        return item.due < today and item.state not in self._engine(item).ended_states

    async def _people(self, ids: set[int | None]) -> dict[int, Employee]:
        wanted = {i for i in ids if i}
        rows = await self.session.scalars(select(Employee).where(Employee.id.in_(wanted)))
        return {e.id: e for e in rows.all()}

    async def describe(self, item: FollowUp) -> FollowUpOut:
        evaluator_id = evaluator_of(item)
        people = await self._people({evaluator_id, item.mentor_id})
        target = (
            await self.session.get(Target, item.target_id) if item.target_id is not None else None
        )
        has_certificate = item.certificate_sha256 is not None
        return FollowUpOut(
            id=item.id,
            workflow=item.workflow,
            kind=FollowUpKind(item.kind),
            state=item.state,
            version=item.version,
            employee=person(item.employee),  # type: ignore[arg-type]
            evaluator=person(people.get(evaluator_id or 0)),
            mentor=person(people.get(item.mentor_id or 0)),
            owner=Owner(item.owner),
            title=item.title,
            description=item.description,
            due=item.due,
            overdue=self.is_overdue(item, self.ctx.clock.now().date()),
            appraisal_id=item.appraisal_id,
            cycle_id=item.appraisal.cycle_id if item.appraisal is not None else None,
            target=TargetRef(target.id, target.title) if target is not None else None,
            core_value=item.core_value,  # type: ignore[arg-type]
            details=details_of(item),
            source=Source(rules=rule_sources(item, self.principal.locale), added_by=item.added_by),
            outcome=Outcome(item.outcome) if item.outcome else None,
            end_reason=item.end_reason,
            completed_at=item.completed_at,
            certificate=CertificateOut(
                filename=item.certificate_filename or "",
                content_type=item.certificate_content_type or "",
                size=item.certificate_size or 0,
                sha256=item.certificate_sha256 or "",
                uploaded_at=item.certificate_uploaded_at,  # type: ignore[arg-type]
            )
            if has_certificate
            else None,
            sessions=[msgspec.convert(s, SessionOut, from_attributes=True) for s in item.sessions],
            checkpoints=[
                msgspec.convert(c, CheckpointOut, from_attributes=True) for c in item.checkpoints
            ],
            allowed_actions=self.allowed_actions(item),
            state_changed_at=item.state_changed_at,
            created_at=item.created_at,
        )

    async def _commit(self, item: FollowUp) -> FollowUpOut:
        await self._flush()
        out = await self.describe(item)
        await self.session.commit()
        return out

    # -- emails ------------------------------------------------------------------------------

    def _holders(self, item: FollowUp) -> dict[str, int | None]:
        """The person behind each recipient role of ``item`` (HR as owner is nobody)."""
        evaluator = evaluator_of(item)
        owner = {Owner.EMPLOYEE: item.employee_id, Owner.EVALUATOR: evaluator}
        return {
            "employee": item.employee_id,
            "evaluator": evaluator,
            "mentor": item.mentor_id,
            "owner": owner.get(Owner(item.owner)),
        }

    async def emails_to(
        self,
        message: str,
        item: FollowUp,
        roles: Sequence[str],
        context: dict[str, Any],
        items: Sequence[FollowUp] | None = None,
    ) -> list[Email]:
        """One ``message`` to each person holding one of ``roles`` on ``item``, except the
        caller (who knows what they just did)."""
        holders = self._holders(item)
        wanted = {holders[role] for role in roles} - {None, self.principal.employee_id}
        people = await self._people(wanted | {item.employee_id})
        addressees = await recipients.employees(
            self.session, {i for i in wanted if i is not None}, self.ctx.settings.default_locale
        )
        emails = []
        for person_id in sorted(i for i in wanted if i is not None):
            recipient = addressees.get(person_id)
            if recipient is None:
                continue
            emails.append(
                Email(
                    message=message,
                    recipient=recipient.recipient,
                    context={
                        "name": recipient.name,
                        "employee": column_values(people[item.employee_id]),
                        "item": column_values(item),
                        "items": [column_values(entry) for entry in items or [item]],
                        "actor": self.principal.email,
                        "link": self.ctx.link(f"/followups/{item.id}"),
                        **context,
                    },
                    dedupe_key=f"followup:{item.id}:v{item.version}:{message}:{person_id}",
                )
            )
        return emails

    async def _emails(
        self, case: FollowUp, decision: Decision, payload: FollowUpAction, data: dict[str, Any]
    ) -> Sequence[Email]:
        emails: list[Email] = []
        for notify in decision.notify:
            emails.extend(
                await self.emails_to(
                    notify.message,
                    case,
                    notify.to,
                    {"trigger": decision.trigger, "reason": payload.reason},
                )
            )
        return emails
