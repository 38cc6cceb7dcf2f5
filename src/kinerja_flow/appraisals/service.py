"""Read appraisals, edit targets and fire workflow triggers, each in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from kinerja_flow.accounts.models import Account
from kinerja_flow.appraisals.models import Appraisal, Target
from kinerja_flow.appraisals.rules import (
    APPEAL_WINDOW,
    DISTRIBUTION_GUARD,
    AppraisalFacts,
    EffectContext,
)
from kinerja_flow.appraisals.schemas import (
    ActionRequest,
    AppealOut,
    AppraisalOut,
    AppraisalPage,
    AppraisalSummary,
    BulkActionRequest,
    BulkActionResult,
    BulkRefusal,
    Person,
    ReassignRequest,
    TargetCreate,
    TargetOut,
    TargetUpdate,
)
from kinerja_flow.audit.models import AuditEvent
from kinerja_flow.audit.schemas import AuditEventOut
from kinerja_flow.audit.service import AuditEntry, events_of_appraisal
from kinerja_flow.authz import appraisal_roles, require, sees_result, visible_appraisals
from kinerja_flow.cycles.models import Cycle
from kinerja_flow.distribution.evaluate import ReleaseCheck
from kinerja_flow.distribution.service import release_audit, release_checks
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import begin_write, is_postgres
from kinerja_flow.lib.errors import AppError, Conflict, FieldError, Forbidden, Invalid, NotFound
from kinerja_flow.lib.service import Service
from kinerja_flow.notifications.outbox import Email, Recipient
from kinerja_flow.org.models import Employee
from kinerja_flow.workflow.engine import Decision, WorkflowEngine

PLANNING_FIELDS = ("title", "indicator", "target")
REALISATION_FIELDS = ("realization", "evidence_url", "note")
PLANNING_STATE = "planning"
SELF_ASSESSMENT_STATE = "self_assessment"
BULK_BATCH = 200
CONCEALED_FIELDS = ("results_rating", "behaviour_rating", "predikat", "review_comment")
"""What the employee does not see while the workflow conceals the result (e.g. calibration)."""


def _person(employee: Employee | None) -> Person | None:
    return msgspec.convert(employee, Person, from_attributes=True) if employee else None


def _target_out(target: Target) -> TargetOut:
    return msgspec.convert(target, TargetOut, from_attributes=True)


class AppraisalService(Service):
    # -- reading -------------------------------------------------------------------------

    async def _load(self, appraisal_id: int, *, lock: bool = False) -> Appraisal:
        query = (
            select(Appraisal)
            .where(Appraisal.id == appraisal_id, visible_appraisals(self.principal))
            .options(selectinload(Appraisal.targets), selectinload(Appraisal.appeal))
        )
        if lock and is_postgres(self.session):
            query = query.with_for_update(of=Appraisal)
        appraisal = await self.session.scalar(query)
        if appraisal is None:
            raise NotFound(
                _("Appraisal {id} does not exist or is not visible to you."), id=appraisal_id
            )
        return appraisal

    def _engine(self, appraisal: Appraisal) -> WorkflowEngine[AppraisalFacts]:
        return self.ctx.workflows[appraisal.workflow]

    async def _people(self, appraisal: Appraisal) -> dict[int, Employee]:
        ids = {
            i for i in (appraisal.employee_id, appraisal.evaluator_id, appraisal.reviewer_id) if i
        }
        rows = await self.session.scalars(select(Employee).where(Employee.id.in_(ids)))
        return {e.id: e for e in rows.all()}

    def _sees_result(self, appraisal: Appraisal) -> bool:
        conceals = self._engine(appraisal).conceals_result(appraisal.state)
        return sees_result(self.principal, appraisal, conceals)

    async def describe(self, appraisal: Appraisal) -> AppraisalOut:
        people = await self._people(appraisal)
        cycle = await self.session.get_one(Cycle, appraisal.cycle_id)
        engine = self._engine(appraisal)
        deadline = engine.deadline_of(appraisal.state)
        appeal = appraisal.appeal
        out = AppraisalOut(
            id=appraisal.id,
            cycle_id=appraisal.cycle_id,
            workflow=appraisal.workflow,
            state=appraisal.state,
            version=appraisal.version,
            employee=_person(people[appraisal.employee_id]),  # type: ignore[arg-type]
            evaluator=_person(people.get(appraisal.evaluator_id or 0)),
            reviewer=_person(people.get(appraisal.reviewer_id or 0)),
            targets=[_target_out(t) for t in appraisal.targets],
            results_rating=appraisal.results_rating,  # type: ignore[arg-type]
            behaviour_rating=appraisal.behaviour_rating,  # type: ignore[arg-type]
            predikat=appraisal.predikat,  # type: ignore[arg-type]
            return_comment=appraisal.return_comment,
            review_comment=appraisal.review_comment,
            reviewed_at=appraisal.reviewed_at,
            appeal_deadline=appraisal.reviewed_at + APPEAL_WINDOW
            if appraisal.reviewed_at
            else None,
            appeal=msgspec.convert(appeal, AppealOut, from_attributes=True) if appeal else None,
            cancel_reason=appraisal.cancel_reason,
            due=getattr(cycle, deadline) if deadline else None,
            allowed_actions=engine.allowed_triggers(
                appraisal.state, appraisal_roles(self.principal, appraisal)
            ),
            state_changed_at=appraisal.state_changed_at,
        )
        if self._sees_result(appraisal):
            return out
        return msgspec.structs.replace(out, **dict.fromkeys(CONCEALED_FIELDS))

    async def get(self, appraisal_id: int) -> AppraisalOut:
        return await self.describe(await self._load(appraisal_id))

    async def audit_trail(self, appraisal_id: int) -> list[AuditEventOut]:
        """The appraisal's events. While its result is concealed from the caller, the steps
        others took into or out of a concealing state show no data and no reason."""
        appraisal = await self._load(appraisal_id)
        events = await events_of_appraisal(self.session, appraisal_id)
        if self._sees_result(appraisal):
            return [AuditEventOut.of(event) for event in events]
        engine = self._engine(appraisal)

        def shown(event: AuditEvent) -> AuditEventOut:
            out = AuditEventOut.of(event)
            concealing = any(
                engine.conceals_result(state)
                for state in (event.from_state, event.to_state)
                if state
            )
            if concealing and event.actor_id != self.principal.account_id:
                return msgspec.structs.replace(out, data={}, reason=None)
            return out

        return [shown(event) for event in events]

    async def list(
        self, cycle_id: int | None, state: str | None, as_role: str | None, limit: int, offset: int
    ) -> AppraisalPage:
        query = (
            select(Appraisal, Employee)
            .join(Employee, Appraisal.employee_id == Employee.id)
            .where(visible_appraisals(self.principal))
        )
        if cycle_id is not None:
            query = query.where(Appraisal.cycle_id == cycle_id)
        if state is not None:
            query = query.where(Appraisal.state == state)
        if as_role is not None:
            column = {
                "employee": Appraisal.employee_id,
                "evaluator": Appraisal.evaluator_id,
                "reviewer": Appraisal.reviewer_id,
            }[as_role]
            query = query.where(column == self.principal.employee_id)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(query.order_by(Appraisal.id).limit(limit).offset(offset))
        items = [
            AppraisalSummary(
                id=a.id,
                cycle_id=a.cycle_id,
                state=a.state,
                version=a.version,
                employee=_person(e),  # type: ignore[arg-type]
                evaluator_id=a.evaluator_id,
                reviewer_id=a.reviewer_id,
                predikat=a.predikat if self._sees_result(a) else None,  # type: ignore[arg-type]
            )
            for a, e in rows.all()
        ]
        return AppraisalPage(items=items, total=total or 0, limit=limit, offset=offset)

    # -- writing -------------------------------------------------------------------------

    @staticmethod
    def _check_version(appraisal: Appraisal, seen: int | None) -> None:
        """Refuse a change made against a version other than the current one (409)."""
        if seen is not None and seen != appraisal.version:
            raise Conflict(
                _("Someone else changed the appraisal (your version {seen}, now {current})."),
                seen=seen,
                current=appraisal.version,
            )

    @staticmethod
    def _touch(appraisal: Appraisal, now: datetime) -> None:
        """Mark the appraisal changed, so its version moves even when only a target changed."""
        appraisal.updated_at = now
        flag_modified(appraisal, "updated_at")

    async def _open_for_change(self, appraisal_id: int, version: int | None) -> Appraisal:
        await begin_write(self.session)
        appraisal = await self._load(appraisal_id, lock=True)
        self._check_version(appraisal, version)
        return appraisal

    async def _commit(self, appraisal: Appraisal) -> AppraisalOut:
        try:
            await self.session.flush()
        except StaleDataError as exc:
            raise Conflict(_("The appraisal was changed by someone else; reload it.")) from exc
        out = await self.describe(appraisal)
        await self.session.commit()
        return out

    def _require_owner_in(self, appraisal: Appraisal, state: str) -> None:
        if "employee" not in appraisal_roles(self.principal, appraisal):
            raise Forbidden(_("Only the appraised employee may change the targets."))
        if appraisal.state != state:
            raise Conflict(
                _("Targets cannot be changed this way while the appraisal is '{state}'."),
                state=appraisal.state,
            )

    async def add_target(self, appraisal_id: int, data: TargetCreate) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, data.version)
        self._require_owner_in(appraisal, PLANNING_STATE)
        now = self.ctx.clock.now()
        target = Target(
            position=max((t.position for t in appraisal.targets), default=0) + 1,
            title=data.title,
            indicator=data.indicator,
            target=data.target,
            created_at=now,
            updated_at=now,
        )
        appraisal.targets.append(target)
        self._touch(appraisal, now)
        await self.session.flush()
        await self.audit(
            now,
            AuditEntry(
                "target.added",
                "appraisal",
                appraisal.id,
                appraisal_id=appraisal.id,
                data={
                    "target_id": target.id,
                    "title": data.title,
                    "indicator": data.indicator,
                    "target": data.target,
                },
            ),
        )
        return await self._commit(appraisal)

    async def update_target(
        self, appraisal_id: int, target_id: int, data: TargetUpdate
    ) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, data.version)
        target = next((t for t in appraisal.targets if t.id == target_id), None)
        if target is None:
            raise NotFound(_("Target {id} is not part of this appraisal."), id=target_id)
        given = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET and name != "version"
        }
        planning = [name for name in given if name in PLANNING_FIELDS]
        self._require_owner_in(appraisal, PLANNING_STATE if planning else SELF_ASSESSMENT_STATE)
        if planning and len(planning) != len(given):
            raise Conflict(_("Planning fields and realisation fields cannot be changed together."))
        before = {name: getattr(target, name) for name in given}
        changes = {name: value for name, value in given.items() if before[name] != value}
        if changes:
            now = self.ctx.clock.now()
            for name, value in changes.items():
                setattr(target, name, value)
            target.updated_at = now
            self._touch(appraisal, now)
            await self.audit(
                now,
                AuditEntry(
                    "target.updated",
                    "appraisal",
                    appraisal.id,
                    appraisal_id=appraisal.id,
                    data={
                        "target_id": target.id,
                        "before": {k: before[k] for k in changes},
                        "after": changes,
                    },
                ),
            )
        return await self._commit(appraisal)

    async def delete_target(
        self, appraisal_id: int, target_id: int, version: int | None
    ) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, version)
        self._require_owner_in(appraisal, PLANNING_STATE)
        target = next((t for t in appraisal.targets if t.id == target_id), None)
        if target is None:
            raise NotFound(_("Target {id} is not part of this appraisal."), id=target_id)
        now = self.ctx.clock.now()
        appraisal.targets.remove(target)
        await self.session.delete(target)
        self._touch(appraisal, now)
        await self.audit(
            now,
            AuditEntry(
                "target.removed",
                "appraisal",
                appraisal.id,
                appraisal_id=appraisal.id,
                data={"target_id": target_id, "title": target.title},
            ),
        )
        return await self._commit(appraisal)

    async def fire(self, appraisal_id: int, trigger: str, payload: ActionRequest) -> AppraisalOut:
        """Fire ``trigger``: state, audit event and emails are written in one transaction."""
        await begin_write(self.session)
        appraisal = await self._load(appraisal_id, lock=True)
        engine = self._engine(appraisal)
        engine.authorise(appraisal.state, trigger, appraisal_roles(self.principal, appraisal))
        self._check_version(appraisal, payload.version)
        await self._transition(appraisal, trigger, payload)
        return await self._commit(appraisal)

    async def fire_all(
        self, cycle_id: int, trigger: str, data: BulkActionRequest
    ) -> BulkActionResult:
        """Fire ``trigger`` on every appraisal of a cycle where the caller may fire it now.

        Each batch is one transaction; an appraisal a guard refuses is listed, not fatal.
        """
        cycle = await self.session.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFound(_("Cycle {id} does not exist."), id=cycle_id)
        engine = self.ctx.workflows[cycle.workflow]
        sources = engine.sources_of(trigger)
        if not sources:
            raise NotFound(_("There is no action named '{trigger}'."), trigger=trigger)
        checks_release = trigger in engine.triggers_guarded_by(DISTRIBUTION_GUARD)
        release_policy = cycle.distribution_policy
        ids = list(
            (
                await self.session.scalars(
                    select(Appraisal.id)
                    .where(
                        Appraisal.cycle_id == cycle_id,
                        Appraisal.state.in_(sources),
                        visible_appraisals(self.principal),
                    )
                    .order_by(Appraisal.id)
                )
            ).all()
        )
        await self.session.rollback()
        result = BulkActionResult(fired=0, refused=[])
        for start in range(0, len(ids), BULK_BATCH):
            await begin_write(self.session)
            query = (
                select(Appraisal)
                .where(Appraisal.id.in_(ids[start : start + BULK_BATCH]))
                .options(selectinload(Appraisal.targets), selectinload(Appraisal.appeal))
                .order_by(Appraisal.id)
            )
            if is_postgres(self.session):
                query = query.with_for_update(of=Appraisal)
            batch = (await self.session.scalars(query)).all()
            release = (
                await release_checks(
                    self.session,
                    self.ctx.distribution_policy,
                    cycle_id,
                    release_policy,
                    [appraisal.employee_id for appraisal in batch],
                )
                if checks_release
                else {}
            )
            for appraisal in batch:
                payload = ActionRequest(
                    version=appraisal.version, reason=data.reason, comment=data.comment
                )
                try:
                    engine.authorise(
                        appraisal.state, trigger, appraisal_roles(self.principal, appraisal)
                    )
                    async with self.session.begin_nested():
                        await self._transition(appraisal, trigger, payload, release)
                    result.fired += 1
                except AppError as refusal:
                    result.refused.append(BulkRefusal(appraisal.id, refusal.status_code))
            await self.session.commit()
        return result

    async def reassign(self, appraisal_id: int, data: ReassignRequest) -> AppraisalOut:
        """HR changes who evaluates or reviews an open appraisal; the reason is audited."""
        require(self.principal, "hr")
        if data.evaluator_nip is None and data.reviewer_nip is None:
            raise Invalid(
                _("Name a new evaluator, a new reviewer, or both."),
                errors=[FieldError("evaluator_nip", _("Give evaluator_nip or reviewer_nip."))],
            )
        appraisal = await self._open_for_change(appraisal_id, data.version)
        if self._engine(appraisal).is_final(appraisal.state):
            raise Conflict(
                _("The appraisal is '{state}' and can no longer be reassigned."),
                state=appraisal.state,
            )
        changes: dict[str, Any] = {}
        for field, nip in (("evaluator", data.evaluator_nip), ("reviewer", data.reviewer_nip)):
            if nip is None:
                continue
            person = await self.session.scalar(select(Employee).where(Employee.nip == nip))
            if person is None or not person.active:
                raise Invalid(
                    _("No active employee with NIP {nip}."),
                    errors=[FieldError(f"{field}_nip", _("Unknown NIP."))],
                    nip=nip,
                )
            if person.id == appraisal.employee_id:
                raise Invalid(
                    _("An employee cannot evaluate or review their own appraisal."),
                    errors=[FieldError(f"{field}_nip", _("This is the employee."))],
                )
            changes[field] = {"before": getattr(appraisal, f"{field}_id"), "after": person.id}
            setattr(appraisal, f"{field}_id", person.id)
        if appraisal.evaluator_id is not None and appraisal.evaluator_id == appraisal.reviewer_id:
            raise Invalid(
                _("The evaluator and the appeal reviewer must be different people."),
                errors=[FieldError("reviewer_nip", _("Same person as the evaluator."))],
            )
        now = self.ctx.clock.now()
        self._touch(appraisal, now)
        await self.audit(
            now,
            AuditEntry(
                "appraisal.reassigned",
                "appraisal",
                appraisal.id,
                appraisal_id=appraisal.id,
                data=changes,
                reason=data.reason,
            ),
        )
        return await self._commit(appraisal)

    async def _release_check(
        self, appraisal: Appraisal, known: dict[int, ReleaseCheck]
    ) -> ReleaseCheck:
        """The cycle's release policy and the employee's unit pattern (``known``: a batch's)."""
        if appraisal.employee_id not in known:
            cycle = await self.session.get_one(Cycle, appraisal.cycle_id)
            known.update(
                await release_checks(
                    self.session,
                    self.ctx.distribution_policy,
                    cycle.id,
                    cycle.distribution_policy,
                    [appraisal.employee_id],
                )
            )
        return known[appraisal.employee_id]

    async def _transition(
        self,
        appraisal: Appraisal,
        trigger: str,
        payload: ActionRequest,
        release: dict[int, ReleaseCheck] | None = None,
    ) -> None:
        """Decide, apply effects, move the state, audit and queue the emails (no commit)."""
        engine = self._engine(appraisal)
        roles = appraisal_roles(self.principal, appraisal)
        now = self.ctx.clock.now()
        route = engine.authorise(appraisal.state, trigger, roles)
        release_check = (
            await self._release_check(appraisal, {} if release is None else release)
            if DISTRIBUTION_GUARD in route.guards
            else None
        )
        facts = AppraisalFacts(
            now=now,
            payload=payload,
            target_count=len(appraisal.targets),
            unrealised_targets=tuple(
                t.title for t in appraisal.targets if not (t.realization or "").strip()
            ),
            reviewed_at=appraisal.reviewed_at,
            has_evaluator=appraisal.evaluator_id is not None,
            has_reviewer=appraisal.reviewer_id is not None,
            release_check=release_check,
        )
        decision = engine.decide(appraisal.state, trigger, roles, facts)
        data: dict[str, Any] = {}
        effect_context = EffectContext(appraisal, payload, self.principal.account_id, now)
        for name in decision.effects:
            data.update(engine.registry.effects[name](effect_context))
        if release_check is not None:
            data["distribution"] = release_audit(release_check)
        appraisal.state = decision.dest
        appraisal.state_changed_at = now
        self._touch(appraisal, now)
        event = AuditEntry(
            f"appraisal.{trigger}",
            "appraisal",
            appraisal.id,
            appraisal_id=appraisal.id,
            from_state=decision.source,
            to_state=decision.dest,
            data=data,
            reason=payload.reason or payload.comment,
        )
        await self.audit(now, event)
        try:
            await self.session.flush()
        except StaleDataError as exc:
            raise Conflict(_("The appraisal was changed by someone else; reload it.")) from exc
        emails = await self._emails(appraisal, decision, payload.reason)
        await self.ctx.outbox.enqueue(self.session, now, emails)

    async def _emails(
        self, appraisal: Appraisal, decision: Decision, reason: str | None = None
    ) -> Sequence[Email]:
        people = await self._people(appraisal)
        locales = dict(
            (
                await self.session.execute(
                    select(Account.employee_id, Account.locale).where(
                        Account.employee_id.in_(people)
                    )
                )
            ).all()
        )
        cycle = await self.session.get_one(Cycle, appraisal.cycle_id)
        holder = {
            "employee": appraisal.employee_id,
            "evaluator": appraisal.evaluator_id,
            "reviewer": appraisal.reviewer_id,
        }
        employee = people[appraisal.employee_id]
        emails = []
        for notify in decision.notify:
            for role in notify.to:
                person = people.get(holder[role] or 0)
                if person is None:
                    continue
                emails.append(
                    Email(
                        message=notify.message,
                        recipient=Recipient(
                            person.email,
                            person.name,
                            locales.get(person.id, self.ctx.settings.default_locale),
                        ),
                        context={
                            "name": person.name,
                            "employee": employee,
                            "appraisal": appraisal,
                            "cycle": cycle,
                            "actor": self.principal.email,
                            "trigger": decision.trigger,
                            "reason": reason,
                            "appeal_deadline": appraisal.reviewed_at + APPEAL_WINDOW
                            if appraisal.reviewed_at
                            else None,
                            "link": self.ctx.link(f"/appraisals/{appraisal.id}"),
                        },
                        dedupe_key=f"appraisal:{appraisal.id}:v{appraisal.version}:{notify.message}:{person.id}",
                    )
                )
        return emails
