"""One way to act on a case of any kind: who the caller is, what the state allows, and firing
a trigger (decide, apply effects, move, audit, queue the emails) in the caller's transaction."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import AppError, Conflict
from kinerja_flow.lib.principal import Principal
from kinerja_flow.notifications.outbox import Email
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.service import Service
from kinerja_flow.workflow.definition import TransitionDef
from kinerja_flow.workflow.engine import Decision, WorkflowEngine
from kinerja_flow.workflow.roles import CaseRoles


class Case(Protocol):
    """What the engine needs of a case row (an appraisal, a follow-up item)."""

    id: int
    workflow: str
    version: int
    state: str
    state_changed_at: datetime
    updated_at: datetime


class Payload(Protocol):
    """What every action request carries: the version of the case the caller saw."""

    @property
    def version(self) -> int | None: ...


CaseT = TypeVar("CaseT")
"""A case row; it has the attributes of :class:`Case` (mypy cannot check a mapped class
against a protocol bound at class definition, so the runner reads it through ``_row``)."""
FactsT = TypeVar("FactsT")
PayloadT = TypeVar("PayloadT", bound=Payload)


class CaseService(Service, Generic[CaseT, FactsT, PayloadT]):
    """The base of the services over one kind of case; subclasses say who the caller is,
    which facts the guards see, how effects see the case, and whom each step emails."""

    kind: ClassVar[str]

    def __init__(self, session: AsyncSession, ctx: AppContext, principal: Principal) -> None:
        super().__init__(session, ctx, principal)
        self._roles: dict[int, CaseRoles] = {}
        self._held_emails: list[Email] | None = None
        """While set, the emails of each step gather here, to be queued in one statement."""
        self._after_step: list[Callable[[], Awaitable[None]]] = []

    # -- hooks -------------------------------------------------------------------------------

    def _resolve_roles(self, case: CaseT) -> CaseRoles:
        raise NotImplementedError

    async def _facts(
        self, case: CaseT, route: TransitionDef, payload: PayloadT, now: datetime
    ) -> FactsT:
        raise NotImplementedError

    def _effect_context(self, case: CaseT, facts: FactsT) -> Any:
        raise NotImplementedError

    def _appraisal_of(self, case: CaseT) -> int | None:
        """The appraisal whose trail shows the case's events, if any."""
        raise NotImplementedError

    def _audit_reason(self, payload: PayloadT) -> str | None:
        """The reason or comment of an action, as the audit trail keeps it."""
        raise NotImplementedError

    async def _emails(
        self, case: CaseT, decision: Decision, payload: PayloadT, data: dict[str, Any]
    ) -> Sequence[Email]:
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------

    @staticmethod
    def _row(case: CaseT) -> Case:
        return cast("Case", case)

    def _engine(self, case: CaseT) -> WorkflowEngine[FactsT]:
        return self.ctx.workflows[self._row(case).workflow]

    def _reads(self, trigger: str) -> frozenset[str]:
        """The parts of a case the guards and effects of ``trigger`` read, in any workflow of
        this kind (which one is the case's is known once it is loaded)."""
        return frozenset[str]().union(
            *(
                engine.reads(trigger)
                for engine in self.ctx.workflows.values()
                if engine.registry.kind == self.kind
            )
        )

    def roles(self, case: CaseT) -> CaseRoles:
        """Who the caller is on ``case``, decided once per request."""
        key = self._row(case).id
        if key not in self._roles:
            self._roles[key] = self._resolve_roles(case)
        return self._roles[key]

    def _forget_roles(self, case: CaseT) -> None:
        """After a change of the people on ``case`` (a reassignment)."""
        self._roles.pop(self._row(case).id, None)

    def permit(self, case: CaseT, capability: str) -> None:
        """Refuse unless the workflow lets the caller use ``capability`` now (403 or 409)."""
        self._engine(case).permit(self._row(case).state, capability, self.roles(case))

    def allowed_actions(self, case: CaseT) -> list[str]:
        return self._engine(case).allowed_triggers(self._row(case).state, self.roles(case))

    def capabilities(self, case: CaseT) -> list[str]:
        """What the caller may use on ``case`` now, as its workflow declares."""
        return self._engine(case).allowed_capabilities(self._row(case).state, self.roles(case))

    @classmethod
    def _check_version(cls, case: CaseT, seen: int | None) -> None:
        """Refuse a change made against a version other than the current one (409)."""
        current = cls._row(case).version
        if seen is not None and seen != current:
            raise Conflict(
                _("Someone else changed the case (your version {seen}, now {current})."),
                seen=seen,
                current=current,
            )

    @classmethod
    def _touch(cls, case: CaseT, now: datetime) -> None:
        """Mark the case changed, so its version moves even when only a child row changed."""
        cls._row(case).updated_at = now
        flag_modified(case, "updated_at")

    async def _gather(self, case: CaseT, route: TransitionDef) -> dict[str, Any]:
        """What the guards of ``route`` read beyond the case (their registered gatherers)."""
        gatherers = self._engine(case).registry.gatherers
        return {
            name: await gatherers[name](self, case) for name in route.guards if name in gatherers
        }

    def after_step(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` once the step being fired has moved the case and been audited, in the
        same transaction (an effect that starts other cases, say, so they follow in the trail)."""
        self._after_step.append(work)

    async def _flush(self) -> None:
        try:
            await self.session.flush()
        except StaleDataError as exc:
            raise Conflict(_("The case was changed by someone else; reload it.")) from exc

    async def fire_each(
        self, cases: Sequence[CaseT], trigger: str, payload: Callable[[CaseT], PayloadT]
    ) -> dict[int, str | None]:
        """Fire ``trigger`` on each of ``cases`` (loaded and, on PostgreSQL, locked by the
        caller) in the caller's transaction, without committing: how the deadline scheduler
        acts as the system. Answers per case id None, or why it was refused.

        A refusal comes before anything is written (the workflow, the version, the guards),
        so one case refused leaves the others' work in place without a savepoint per case;
        a failure after the case changed is raised, and the caller's transaction with it.
        """
        result: dict[int, str | None] = {}
        self._held_emails = []
        try:
            for case in cases:
                row = self._row(case)
                before = row.state
                try:
                    await self._fire(case, trigger, payload(case))
                except AppError as refusal:
                    if row.state != before:
                        raise
                    result[row.id] = f"{refusal.status_code}: {refusal.message}"
                else:
                    result[row.id] = None
            await self.ctx.outbox.enqueue(self.session, self.ctx.clock.now(), self._held_emails)
        finally:
            self._held_emails = None
        return result

    async def _fire(self, case: CaseT, trigger: str, payload: PayloadT) -> Decision:
        """Fire ``trigger`` on a loaded (and, on PostgreSQL, locked) case, without committing.

        Refusals come in one order: 403/409 from the workflow, 409 for a stale version, 422
        from the guards. State, effects, the audit event and the emails share the transaction.
        """
        row = self._row(case)
        engine = self._engine(case)
        roles = self.roles(case)
        route = engine.authorise(row.state, trigger, roles)
        self._check_version(case, payload.version)
        now = self.ctx.clock.now()
        facts = await self._facts(case, route, payload, now)
        decision = engine.decide(row.state, trigger, roles, facts)
        data: dict[str, Any] = {}
        self._after_step = []  # nothing left over from a step that failed
        effect_context = self._effect_context(case, facts)
        for name in decision.effects:
            result = engine.registry.effects[name](effect_context)
            data.update(await result if inspect.isawaitable(result) else result)
        row.state = decision.dest
        row.state_changed_at = now
        self._touch(case, now)
        await self.audit(
            now,
            AuditEntry(
                f"{self.kind}.{trigger}",
                self.kind,
                row.id,
                from_state=decision.source,
                to_state=decision.dest,
                appraisal_id=self._appraisal_of(case),
                data=data,
                reason=self._audit_reason(payload),
            ),
        )
        await self._flush()
        emails = await self._emails(case, decision, payload, data)
        if self._held_emails is not None:
            self._held_emails.extend(emails)
        else:
            await self.ctx.outbox.enqueue(self.session, now, emails)
        pending, self._after_step = self._after_step, []
        for work in pending:
            await work()
        return decision
