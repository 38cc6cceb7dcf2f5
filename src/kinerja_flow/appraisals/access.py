"""Load one appraisal the caller may see, describe it, and change it under a version check."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload, selectinload

from kinerja_flow.accounts import recipients
from kinerja_flow.accounts.models import Account
from kinerja_flow.accounts.recipients import Addressee
from kinerja_flow.appraisals.extensions import EXTENSIONS
from kinerja_flow.appraisals.models import Appraisal, Indicator, Target
from kinerja_flow.appraisals.parties import appraisal_roles
from kinerja_flow.appraisals.read_model import (
    AppraisalHead,
    AppraisalRow,
    CycleDates,
    Reader,
    read_head,
    read_skp,
)
from kinerja_flow.appraisals.rules import APPEAL_WINDOW, BEHAVIOUR, TARGETS, AppraisalFacts
from kinerja_flow.appraisals.schemas import (
    ActionRequest,
    AppraisalOut,
    BehaviourOut,
    FollowUpBrief,
    IndicatorBasis,
    Person,
    RatingExplanation,
    UnitIkm,
)
from kinerja_flow.appraisals.suggestion import Measured, suggest
from kinerja_flow.berakhlak import CORE_VALUES, VALUE_NAMES
from kinerja_flow.feedback.service import measure
from kinerja_flow.i18n import _, translate
from kinerja_flow.labels import label
from kinerja_flow.lib.db import begin_write, is_postgres
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.lib.principal import Principal
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.cases import CaseService
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.timing import Anchor
from kinerja_flow.workflow.definition import DeadlineDef
from kinerja_flow.workflow.engine import WorkflowEngine
from kinerja_flow.workflow.roles import CaseRoles

LOAD_OPTIONS = (
    selectinload(Appraisal.targets)
    .selectinload(Target.indicators)
    .selectinload(Indicator.evidence),
    selectinload(Appraisal.targets).joinedload(Target.supports),
    joinedload(Appraisal.appeal),
    selectinload(Appraisal.behaviour),
)
"""Everything :meth:`AppraisalAccess.describe` reads, loaded up front (no lazy I/O): the
one-to-one parts joined, each collection in one query."""


PARTIES = ("employee", "evaluator", "reviewer")
APPEAL = "appeal"
EVIDENCE = "evidence"
"""With :data:`TARGETS`: each indicator's evidence and the RHK each target supports."""
WHOLE = frozenset({TARGETS, EVIDENCE, BEHAVIOUR, APPEAL})
"""Everything of an appraisal: what a change of its SKP may touch."""


@cache
def _one_appraisal(parts: frozenset[str], everyone: bool, lock: bool, people: bool) -> Select[Any]:
    """The statement that loads appraisal ``:appraisal_id`` with its cycle and ``parts`` of
    :data:`WHOLE`, if ``everyone`` or employee ``:me`` takes part in it; ``lock``: ``FOR
    UPDATE`` of the appraisal's row; ``people``: each row also has its employee, evaluator
    and reviewer with their accounts' settings (:data:`PersonRow` each; what the emails of a
    step read, otherwise one more statement). Built once per combination: SQLAlchemy then
    finds it in its compiled cache. The targets are one joined tree (RHKs, indicators, and
    with :data:`EVIDENCE` what they support and the evidence); the behaviour notes are
    joined too unless the targets are, then one more statement (joined to the tree, they
    would multiply its rows)."""
    query: Select[Any] = (
        select(Appraisal)
        .options(joinedload(Appraisal.cycle))
        .where(Appraisal.id == bindparam("appraisal_id"))
    )
    if not everyone:
        me = bindparam("me", type_=Appraisal.employee_id.type)
        query = query.where(
            or_(
                Appraisal.employee_id == me,
                Appraisal.evaluator_id == me,
                Appraisal.reviewer_id == me,
            )
        )
    if TARGETS in parts:
        targets = joinedload(Appraisal.targets)
        indicators = targets.joinedload(Target.indicators)
        if EVIDENCE in parts:
            indicators = indicators.joinedload(Indicator.evidence)
            query = query.options(targets.joinedload(Target.supports))
        query = query.options(indicators)
    if APPEAL in parts:
        query = query.options(joinedload(Appraisal.appeal))
    if BEHAVIOUR in parts:
        notes = selectinload if TARGETS in parts else joinedload
        query = query.options(notes(Appraisal.behaviour))
    for role in PARTIES if people else ():
        person, account = aliased(Employee), aliased(Account)
        query = (
            query.add_columns(*recipients.person_columns(person, account))
            .outerjoin(person, person.id == getattr(Appraisal, f"{role}_id"))
            .outerjoin(account, account.employee_id == person.id)
        )
    return query.with_for_update(of=Appraisal) if lock else query


def person(employee: Employee | None) -> Person | None:
    return msgspec.convert(employee, Person, from_attributes=True) if employee else None


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def explain(
    appraisal: AppraisalHead, indicators: Sequence[Measured], locale: str
) -> RatingExplanation:
    """How the predikat was (or would be) reached; the suggestion is frozen at submission."""
    live = suggest(appraisal.approach, indicators)
    suggested = appraisal.suggested_results_rating or live.rating
    results, behaviour = appraisal.results_rating, appraisal.behaviour_rating
    cell = None
    if appraisal.predikat and results and behaviour:
        cell = translate(
            _("Results '{results}' and behaviour '{behaviour}' give the predikat '{predikat}'."),
            locale,
            results=label(results, locale),
            behaviour=label(behaviour, locale),
            predikat=label(appraisal.predikat, locale),
        )
    return RatingExplanation(
        approach=appraisal.approach,  # type: ignore[arg-type]
        suggested_results_rating=suggested,  # type: ignore[arg-type]
        suggestion_score=_number(live.score),
        basis=[
            IndicatorBasis(
                indicator_id=item.indicator_id,
                level=item.level,
                achievement=_number(item.achievement),
                weight=float(item.weight),
            )
            for item in live.levels
        ],
        results_rating=results,  # type: ignore[arg-type]
        behaviour_rating=behaviour,  # type: ignore[arg-type]
        departs_from_suggestion=bool(results and suggested and results != suggested),
        departure_reason=appraisal.departure_reason,
        matrix_cell=cell,
        predikat=appraisal.predikat,  # type: ignore[arg-type]
    )


def _concealed_explanation(appraisal: AppraisalHead) -> RatingExplanation:
    return RatingExplanation(
        approach=appraisal.approach,  # type: ignore[arg-type]
        suggested_results_rating=None,
        suggestion_score=None,
        basis=[],
        results_rating=None,
        behaviour_rating=None,
        departs_from_suggestion=False,
        departure_reason=None,
        matrix_cell=None,
        predikat=None,
    )


def state_deadline(
    engine: WorkflowEngine[Any], state: str, state_changed_at: datetime, cycle: CycleDates
) -> tuple[DeadlineDef, Anchor] | None:
    """The deadline of ``state`` for an appraisal that entered it at ``state_changed_at``, and
    what it counts from (a date of the cycle, or the entry), if the state has one."""
    deadline = engine.deadline_of(state)
    if deadline is None:
        return None
    anchor = getattr(cycle, deadline.date) if deadline.date else state_changed_at
    return None if anchor is None else (deadline, anchor)


class AppraisalAccess(CaseService[Appraisal, AppraisalFacts, ActionRequest]):
    """The base of the services that read or change one appraisal.

    Changes load the appraisal as ORM objects (:meth:`_load`); reads go through the read model
    (:meth:`head`, :meth:`describe`). What the caller is on an appraisal, what they may do and
    see is decided from the same columns either way (:class:`AppraisalRow`).
    """

    kind = "appraisal"

    def __init__(self, session: AsyncSession, ctx: AppContext, principal: Principal) -> None:
        super().__init__(session, ctx, principal)
        self._loaded_people: dict[int, tuple[dict[int, Employee], dict[int, Addressee]]] = {}

    def _resolve_roles(self, case: AppraisalRow) -> CaseRoles:
        return appraisal_roles(self.principal, case)

    def roles(self, case: AppraisalRow) -> CaseRoles:
        """Who the caller is on the appraisal, decided once per request (an ORM object or a
        head of the read model alike)."""
        found = self._roles.get(case.id)
        if found is None:
            found = self._roles[case.id] = self._resolve_roles(case)
        return found

    def _engine(self, case: AppraisalRow) -> WorkflowEngine[AppraisalFacts]:
        return self.ctx.workflows[case.workflow]

    def allowed_actions(self, case: AppraisalRow) -> list[str]:
        return self._engine(case).allowed_triggers(case.state, self.roles(case))

    def capabilities(self, case: AppraisalRow) -> list[str]:
        return self._engine(case).allowed_capabilities(case.state, self.roles(case))

    def _appraisal_of(self, case: Appraisal) -> int | None:
        return case.id

    def _audit_reason(self, payload: ActionRequest) -> str | None:
        return payload.reason or payload.comment

    async def _load(
        self,
        appraisal_id: int,
        *,
        lock: bool = False,
        parts: frozenset[str] = WHOLE,
        people: bool = False,
    ) -> Appraisal:
        """The appraisal if the caller may see it (404 otherwise), with ``parts`` of
        :data:`WHOLE`; ``people``: with its people, kept for the emails of the step about to
        be fired (:meth:`_people_of`).

        Its cycle comes in the same query (then ``session.get`` finds it without another).
        """
        everyone, me = self.principal.sees_everything, self.principal.employee_id
        if not everyone and me is None:
            raise self._not_found(appraisal_id)
        query = _one_appraisal(parts, everyone, lock and is_postgres(self.session), people)
        params = {"appraisal_id": appraisal_id, "me": me}
        found = (await self.session.execute(query, params)).unique().one_or_none()
        if found is None:
            raise self._not_found(appraisal_id)
        appraisal: Appraisal = found[0]
        if people:
            persons = [
                found[start : start + recipients.PERSON_COLUMNS]
                for start in range(1, len(found), recipients.PERSON_COLUMNS)
                if found[start] is not None
            ]
            self._loaded_people[appraisal.id] = recipients.of_rows(
                persons, self.ctx.settings.default_locale
            )
        return appraisal

    async def _people_of(
        self, appraisal: Appraisal
    ) -> tuple[dict[int, Employee], dict[int, Addressee]]:
        """The appraisal's employee, evaluator and reviewer, and those of them who receive
        email (:func:`recipients.people`): as loaded with it, once, if they were."""
        loaded = self._loaded_people.pop(appraisal.id, None)
        if loaded is not None:
            return loaded
        return await recipients.people(
            self.session, self._party_ids(appraisal), self.ctx.settings.default_locale
        )

    @staticmethod
    def _not_found(appraisal_id: int) -> NotFound:
        return NotFound(
            _("Appraisal {id} does not exist or is not visible to you."), id=appraisal_id
        )

    async def head(self, appraisal_id: int, db: Reader | None = None) -> AppraisalHead:
        """The appraisal as read (without its SKP), if the caller may see it (404 otherwise);
        ``db``: where to read (the request's session unless given)."""
        found = await read_head(db or self.session, appraisal_id, self.principal)
        if found is None:
            raise self._not_found(appraisal_id)
        return found

    def conceals_result(self, appraisal: AppraisalRow) -> bool:
        """The employee does not see the evaluation before it is released to them.

        Released means the appraisal left a concealing state with a release time; one cancelled
        before its release stays concealed.
        """
        if "employee" not in self.roles(appraisal):
            return False
        unreleased = appraisal.reviewed_at is None and appraisal.results_rating is not None
        return unreleased or self._engine(appraisal).conceals_result(appraisal.state)

    def state_deadline(
        self, appraisal: AppraisalRow, cycle: CycleDates
    ) -> tuple[DeadlineDef, Anchor] | None:
        """The deadline of the appraisal's current state and what it counts from, if any."""
        return state_deadline(
            self._engine(appraisal), appraisal.state, appraisal.state_changed_at, cycle
        )

    def state_due_at(self, appraisal: AppraisalRow, cycle: CycleDates) -> datetime | None:
        found = self.state_deadline(appraisal, cycle)
        return None if found is None else self.ctx.deadline_clock.due_at(*found)

    def appeal_deadline(self, appraisal: AppraisalRow, cycle: CycleDates) -> datetime | None:
        """Until when an appeal may be filed: the deadline of the state that takes appeals
        while the appraisal is there, otherwise 14 days from the release."""
        if appraisal.reviewed_at is None:
            return None
        engine = self._engine(appraisal)
        if appraisal.state in engine.sources_of("file_appeal"):
            due = self.state_due_at(appraisal, cycle)
            if due is not None:
                return due
        return appraisal.reviewed_at + APPEAL_WINDOW

    @staticmethod
    def _party_ids(appraisal: Appraisal) -> set[int]:
        """The employee, the evaluator and the appeal reviewer (those named)."""
        return {
            i for i in (appraisal.employee_id, appraisal.evaluator_id, appraisal.reviewer_id) if i
        }

    async def _people(self, appraisal: Appraisal) -> dict[int, Employee]:
        rows = await self.session.scalars(
            select(Employee).where(Employee.id.in_(self._party_ids(appraisal)))
        )
        return {e.id: e for e in rows.all()}

    async def _unit_ikm(self, head: AppraisalHead, db: Reader) -> UnitIkm:
        """The IKM of the employee's unit over the cycle's period (summed in SQL)."""
        cycle, unit = head.cycle, head.unit
        result = await measure(db, unit.id, cycle.period_start, cycle.period_end)
        return UnitIkm(
            unit_code=unit.code,
            unit_name=unit.name,
            index=_number(result.index),
            category=result.category,
            responses=result.responses,
        )

    async def describe(
        self, case: AppraisalHead | Appraisal, db: Reader | None = None
    ) -> AppraisalOut:
        """The appraisal as ``GET /api/v1/appraisals/{id}`` shows it to the caller; ``db``:
        where to read the rest (the request's session unless given).

        A head read by :meth:`head` is used as it is; an ORM appraisal (just changed, in the
        caller's transaction) is read again through the read model, which sees the change.
        """
        db = db or self.session
        head = case if isinstance(case, AppraisalHead) else await self._head_of_any(case.id)
        roles = self.roles(head)
        concealed = self.conceals_result(head)
        locale = self.principal.locale
        skp = await read_skp(db, head.id, concealed)
        notes = head.behaviour
        cycle = head.cycle
        deadline = self.state_deadline(head, cycle)
        clock = self.ctx.deadline_clock
        followups: list[FollowUpBrief] = []
        earlier: list[FollowUpBrief] = []
        if (read := EXTENSIONS.followups) is not None:
            followups, earlier = await read(db, self.ctx, head, locale)
        return AppraisalOut(
            id=head.id,
            cycle_id=head.cycle_id,
            workflow=head.workflow,
            state=head.state,
            version=head.version,
            employee=head.employee,
            evaluator=head.evaluator,
            reviewer=head.reviewer,
            approach=head.approach,  # type: ignore[arg-type]
            targets=skp.targets,
            behaviour=[
                BehaviourOut(
                    value=value,
                    name=translate(VALUE_NAMES[value], locale),
                    expectation=notes[value].expectation if value in notes else None,
                    feedback=None if concealed or value not in notes else notes[value].feedback,
                    below_expectation=None
                    if concealed
                    else value in notes and notes[value].below_expectation,
                )
                for value in CORE_VALUES
            ],
            rating=_concealed_explanation(head)
            if concealed
            else explain(head, skp.indicators, locale),
            unit_ikm=None if roles.held == {"employee"} else await self._unit_ikm(head, db),
            results_rating=None if concealed else head.results_rating,  # type: ignore[arg-type]
            behaviour_rating=None if concealed else head.behaviour_rating,  # type: ignore[arg-type]
            predikat=None if concealed else head.predikat,  # type: ignore[arg-type]
            return_comment=head.return_comment,
            review_comment=None if concealed else head.review_comment,
            reviewed_at=head.reviewed_at,
            appeal_deadline=self.appeal_deadline(head, cycle),
            appeal=head.appeal,
            cancel_reason=head.cancel_reason,
            due=clock.last_day(*deadline) if deadline else None,
            due_at=clock.due_at(*deadline) if deadline else None,
            allowed_actions=self.allowed_actions(head),
            capabilities=self.capabilities(head),
            roles=sorted(roles.held),
            state_changed_at=head.state_changed_at,
            followups=followups,
            earlier_improvement_plans=earlier,
        )

    async def _head_of_any(self, appraisal_id: int, db: Reader | None = None) -> AppraisalHead:
        """The head of an appraisal the caller already holds (and so may see)."""
        found = await read_head(db or self.session, appraisal_id, None)
        assert found is not None, "an appraisal loaded in this transaction"
        return found

    async def _open_for_change(
        self, appraisal_id: int, version: int | None, parts: frozenset[str] = WHOLE
    ) -> Appraisal:
        """The appraisal locked for a change of ``parts`` of it (loaded), at ``version``."""
        await begin_write(self.session)
        appraisal = await self._load(appraisal_id, lock=True, parts=parts)
        self._check_version(appraisal, version)
        return appraisal

    async def _commit(self, appraisal: Appraisal) -> AppraisalOut:
        """Commit the change and answer with the appraisal as ``GET`` shows it.

        On PostgreSQL the answer is read just before the COMMIT, on the transaction's own
        connection (another one would cost a checkout and its ping): it sees the change, and
        all it holds meanwhile is this appraisal's row lock (the audit chain's head is locked
        at the COMMIT). On SQLite it is read after the commit: a writer there holds the
        database's lock, which the next writer waits for.
        """
        await self._flush()
        if is_postgres(self.session):
            connection = await self.session.connection()
            answer = await self.describe(
                await self._head_of_any(appraisal.id, connection), connection
            )
            await self.session.commit()
            return answer
        await self.session.commit()
        async with self.ctx.autocommit() as connection:
            return await self.describe(
                await self._head_of_any(appraisal.id, connection), connection
            )
