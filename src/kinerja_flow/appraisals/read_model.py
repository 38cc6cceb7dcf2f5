"""The read model of one appraisal: a few Core selects straight into msgspec structs.

Reading an appraisal needs no ORM objects: its head (the appraisal with its cycle, its three
people, the employee's unit and the appeal) is one joined row; the SKP (RHKs, the RHKs they
support, indicators, evidence) is one ordered join; the behaviour notes are one more. The
statements are built once, at import, with bound parameters, and run straight on the driver
(:mod:`kinerja_flow.lib.rows`): PostgreSQL runs them as prepared statements.

Who may see an appraisal is decided here as in :func:`.parties.visible_appraisals`: everything
for HR, auditors and the system, otherwise the appraisals the caller is the employee, the
evaluator or the appeal reviewer of.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

import msgspec
from sqlalchemy import BigInteger, ColumnElement, FromClause, Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import (
    Appeal,
    Appraisal,
    BehaviourNote,
    Evidence,
    Indicator,
    Target,
)
from kinerja_flow.appraisals.schemas import (
    AppealOut,
    EvidenceOut,
    IndicatorOut,
    Person,
    SupportedTarget,
    TargetOut,
)
from kinerja_flow.lib.principal import Principal
from kinerja_flow.lib.rows import fetch_all, fetch_one
from kinerja_flow.org.models import Employee, Unit

Reader = AsyncSession | AsyncConnection
"""Where reads run: the request's session (in its transaction), or a connection of their own."""


class AppraisalRow(Protocol):
    """What deciding the caller's roles, the concealment and the deadlines reads of an
    appraisal: an ORM :class:`Appraisal` or an :class:`AppraisalHead` alike."""

    @property
    def id(self) -> int: ...
    @property
    def workflow(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def employee_id(self) -> int: ...
    @property
    def evaluator_id(self) -> int | None: ...
    @property
    def reviewer_id(self) -> int | None: ...
    @property
    def results_rating(self) -> str | None: ...
    @property
    def reviewed_at(self) -> datetime | None: ...
    @property
    def state_changed_at(self) -> datetime: ...


class CycleDates(Protocol):
    """The dates of a cycle that deadlines count from (an ORM :class:`Cycle` or a
    :class:`CycleView`); a workflow's deadline names one of them."""

    @property
    def period_start(self) -> date: ...
    @property
    def period_end(self) -> date: ...
    @property
    def targets_due(self) -> date | None: ...
    @property
    def self_assessment_due(self) -> date | None: ...
    @property
    def review_due(self) -> date | None: ...


class CycleView(msgspec.Struct, frozen=True):
    id: int
    name: str
    period_start: date
    period_end: date
    targets_due: date | None
    self_assessment_due: date | None
    review_due: date | None


class UnitView(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str


class BehaviourRow(msgspec.Struct, frozen=True):
    value: str
    expectation: str | None
    feedback: str | None
    below_expectation: bool


class AppraisalHead(msgspec.Struct, frozen=True):
    """One appraisal as read: its own columns, its cycle, its people, the employee's unit,
    the appeal and the behaviour notes (everything but the SKP)."""

    id: int
    cycle_id: int
    employee_id: int
    evaluator_id: int | None
    reviewer_id: int | None
    workflow: str
    state: str
    version: int
    approach: str
    results_rating: str | None
    behaviour_rating: str | None
    suggested_results_rating: str | None
    departure_reason: str | None
    predikat: str | None
    return_comment: str | None
    review_comment: str | None
    reviewed_at: datetime | None
    cancel_reason: str | None
    state_changed_at: datetime
    cycle: CycleView
    employee: Person
    evaluator: Person | None
    reviewer: Person | None
    unit: UnitView
    appeal: AppealOut | None
    behaviour: dict[str, BehaviourRow]
    """The behaviour notes, by BerAKHLAK value."""


class IndicatorRow(msgspec.Struct, frozen=True):
    """What the suggested rating reads of an indicator, with its exact (decimal) numbers."""

    id: int
    aspect: str
    target_value: Decimal | None
    weight: Decimal | None
    realisation_value: Decimal | None
    assessment: str | None


class Skp(msgspec.Struct, frozen=True):
    """The RHKs as the API shows them, and every indicator's numbers for the suggestion."""

    targets: list[TargetOut]
    indicators: list[IndicatorRow]


def _columns(table: FromClause, names: Sequence[str], taken: list[Any]) -> slice:
    """Append the columns ``names`` of ``table`` to ``taken``: their slice of each row."""
    start = len(taken)
    taken += [table.c[name] for name in names]
    return slice(start, len(taken))


# Tables rather than mapped classes: the rows come back as plain rows, without the ORM's
# loading machinery around them.
_appraisal, _cycle, _unit = Appraisal.__table__, Cycle.__table__, Unit.__table__
_appeal, _target, _indicator = Appeal.__table__, Target.__table__, Indicator.__table__
_evidence, _notes = Evidence.__table__, BehaviourNote.__table__
_employee = Employee.__table__.alias("employee")
_evaluator = Employee.__table__.alias("evaluator")
_reviewer = Employee.__table__.alias("reviewer")
_supported = Target.__table__.alias("supported")

_PARTS = ("cycle", "employee", "evaluator", "reviewer", "unit", "appeal", "behaviour")
_head: list[Any] = []
_OWN = _columns(_appraisal, [f for f in AppraisalHead.__struct_fields__ if f not in _PARTS], _head)
_CYCLE = _columns(_cycle, CycleView.__struct_fields__, _head)
_EMPLOYEE = _columns(_employee, Person.__struct_fields__, _head)
_EVALUATOR = _columns(_evaluator, Person.__struct_fields__, _head)
_REVIEWER = _columns(_reviewer, Person.__struct_fields__, _head)
_UNIT = _columns(_unit, UnitView.__struct_fields__, _head)
_APPEAL = _columns(_appeal, AppealOut.__struct_fields__, _head)
_NOTE = _columns(_notes, BehaviourRow.__struct_fields__, _head)
_HEAD = (
    select(*_head)
    .select_from(
        _appraisal.join(_cycle, _cycle.c.id == _appraisal.c.cycle_id)
        .join(_employee, _employee.c.id == _appraisal.c.employee_id)
        .join(_unit, _unit.c.id == _employee.c.unit_id)
        .outerjoin(_evaluator, _evaluator.c.id == _appraisal.c.evaluator_id)
        .outerjoin(_reviewer, _reviewer.c.id == _appraisal.c.reviewer_id)
        .outerjoin(_appeal, _appeal.c.appraisal_id == _appraisal.c.id)
        .outerjoin(_notes, _notes.c.appraisal_id == _appraisal.c.id)
    )
    .where(_appraisal.c.id == bindparam("appraisal_id"))
)
_PARTIES = (_appraisal.c.employee_id, _appraisal.c.evaluator_id, _appraisal.c.reviewer_id)
_ME = bindparam("me", type_=_appraisal.c.employee_id.type)
HEAD_OF_ANY: Select[Any] = _HEAD
"""The head of appraisal ``:appraisal_id``, whoever asks: one row per behaviour note (or one
without any)."""
HEAD_OF_MINE: Select[Any] = _HEAD.where(or_(*(column == _ME for column in _PARTIES)))
"""The same, if employee ``:me`` takes part in it."""

_skp: list[Any] = []
_TARGET = _columns(_target, ("id", "position", "title", "evaluator_feedback"), _skp)
_SUPPORTED = _columns(_supported, SupportedTarget.__struct_fields__, _skp)
_INDICATOR = _columns(
    _indicator, [f for f in IndicatorOut.__struct_fields__ if f != "evidence"], _skp
)
_MEASURED = _columns(_indicator, IndicatorRow.__struct_fields__, _skp)
_EVIDENCE = _columns(_evidence, EvidenceOut.__struct_fields__, _skp)
SKP: Select[Any] = (
    select(*_skp)
    .select_from(
        _target.outerjoin(_supported, _supported.c.id == _target.c.supports_id)
        .outerjoin(_indicator, _indicator.c.target_id == _target.c.id)
        .outerjoin(_evidence, _evidence.c.indicator_id == _indicator.c.id)
    )
    .where(_target.c.appraisal_id == bindparam("appraisal_id"))
    .order_by(
        _target.c.position,
        _target.c.id,
        _indicator.c.position,
        _indicator.c.id,
        _evidence.c.id,
    )
)
"""Every RHK of appraisal ``:appraisal_id`` with the RHK it supports, its indicators and their
evidence: one row per piece of evidence (or indicator without any), in the order shown."""


def _person(values: Sequence[Any]) -> Person | None:
    return None if values[0] is None else Person(*values)


async def read_head(
    session: Reader, appraisal_id: int, principal: Principal | None
) -> AppraisalHead | None:
    """The head of the appraisal, if ``principal`` may see it (None: whoever asks)."""
    if principal is None or principal.sees_everything:
        query, params = HEAD_OF_ANY, {"appraisal_id": appraisal_id}
    elif principal.employee_id is not None:
        query, params = HEAD_OF_MINE, {"appraisal_id": appraisal_id, "me": principal.employee_id}
    else:
        return None
    rows = await fetch_all(session, query, params)
    if not rows:
        return None
    row = rows[0]
    appeal = row[_APPEAL]
    notes = [BehaviourRow(*note) for note in (r[_NOTE] for r in rows) if note[0] is not None]
    parts = (
        CycleView(*row[_CYCLE]),
        Person(*row[_EMPLOYEE]),
        _person(row[_EVALUATOR]),
        _person(row[_REVIEWER]),
        UnitView(*row[_UNIT]),
        None if appeal[0] is None else AppealOut(*appeal),
        {note.value: note for note in notes},
    )
    values: list[Any] = [*row[_OWN], *parts]  # the order of its fields: own columns, parts
    return AppraisalHead(*values)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


async def read_skp(session: Reader, appraisal_id: int, concealed: bool) -> Skp:
    """The RHKs of the appraisal; the evaluator's feedback and assessments left out while the
    result is ``concealed`` from the reader."""
    targets: dict[int, TargetOut] = {}
    indicators: dict[int, IndicatorOut] = {}
    measured: list[IndicatorRow] = []
    rows = await fetch_all(session, SKP, {"appraisal_id": appraisal_id})
    for row in rows:
        target_id, position, title, feedback = row[_TARGET]
        target = targets.get(target_id)
        if target is None:
            supported = row[_SUPPORTED]
            target = targets[target_id] = TargetOut(
                id=target_id,
                position=position,
                title=title,
                supports=None if supported[0] is None else SupportedTarget(*supported),
                indicators=[],
                evaluator_feedback=None if concealed else feedback,
            )
        values = row[_INDICATOR]
        if values[0] is None:
            continue
        indicator = indicators.get(values[0])
        if indicator is None:
            (id_, place, text, aspect, target_value, unit, target_text, weight) = values[:8]
            real_value, real_text, assessment = values[8:]
            indicator = indicators[id_] = IndicatorOut(
                id=id_,
                position=place,
                description=text,
                aspect=aspect,
                target_value=_number(target_value),
                target_unit=unit,
                target_text=target_text,
                weight=_number(weight),
                realisation_value=_number(real_value),
                realisation_text=real_text,
                assessment=None if concealed else assessment,
                evidence=[],
            )
            target.indicators.append(indicator)
            measured.append(IndicatorRow(*row[_MEASURED]))
        evidence = row[_EVIDENCE]
        if evidence[0] is not None:
            indicator.evidence.append(EvidenceOut(*evidence))
    return Skp(list(targets.values()), measured)


class ListedRow(msgspec.Struct, frozen=True):
    """An appraisal of a list: what its summary shows and what concealing its result reads."""

    id: int
    cycle_id: int
    state: str
    version: int
    evaluator_id: int | None
    reviewer_id: int | None
    predikat: str | None
    employee_id: int
    workflow: str
    results_rating: str | None
    reviewed_at: datetime | None
    state_changed_at: datetime


_listed: list[Any] = []
_LISTED = _columns(_appraisal, ListedRow.__struct_fields__, _listed)
_LISTED_PERSON = _columns(_employee, Person.__struct_fields__, _listed)


_ESCAPE = "/"


def _like_text(text: str) -> str:
    """``text`` matched literally by LIKE (its wildcards escaped with :data:`_ESCAPE`)."""
    for char in (_ESCAPE, "%", "_"):
        text = text.replace(char, _ESCAPE + char)
    return text


def _list_filters(
    appraisal: FromClause,
    employee: FromClause,
    everything: bool,
    by_cycle: bool,
    by_state: bool,
    by_search: bool,
    role: str | None,
) -> list[ColumnElement[bool]]:
    """The conditions of a list of appraisals over ``appraisal`` (and its ``employee``)."""
    parties = {name: appraisal.c[f"{name}_id"] for name in ("employee", "evaluator", "reviewer")}
    filters: list[ColumnElement[bool]] = []
    if not everything:
        filters.append(or_(*(column == _ME for column in parties.values())))
    if by_cycle:
        filters.append(appraisal.c.cycle_id == bindparam("cycle_id"))
    if by_state:
        filters.append(appraisal.c.state == bindparam("state"))
    if by_search:
        name_part = func.lower(bindparam("name_part", type_=employee.c.name.type))
        filters.append(
            or_(
                employee.c.nip.like(bindparam("nip_prefix"), escape=_ESCAPE),
                func.lower(employee.c.name).like(name_part, escape=_ESCAPE),
            )
        )
    if role is not None:
        filters.append(parties[role] == _ME)
    return filters


@cache
def _list_queries(
    everything: bool, by_cycle: bool, by_state: bool, by_search: bool, role: str | None
) -> tuple[Select[Any], Select[Any]]:
    """A page of a list of appraisals with the count of all of them in its last column, and
    that count alone (for a page past the end); built once per combination of filters, with
    the values as bound parameters (``:me``, ``:cycle_id``, ``:state``, ``:nip_prefix``,
    ``:name_part``, ``:limit``, ``:offset``).

    The count is a subquery of its own, over its own copies of the tables: the database runs
    it once, and the page still reads only its rows in the order of the key (``count(*) OVER
    ()`` had every row joined and sorted for each page); one round trip, not two.
    """
    filters = (everything, by_cycle, by_state, by_search, role)

    def count_over(appraisal: FromClause, employee: FromClause) -> Select[Any]:
        people = appraisal.join(employee, appraisal.c.employee_id == employee.c.id)
        return (
            select(func.count())
            .select_from(people if by_search else appraisal)
            .where(*_list_filters(appraisal, employee, *filters))
        )

    total = count_over(_appraisal.alias("counted"), Employee.__table__.alias("counted_employee"))
    page = (
        select(*_listed, total.scalar_subquery().label("total"))
        .select_from(_appraisal.join(_employee, _appraisal.c.employee_id == _employee.c.id))
        .where(*_list_filters(_appraisal, _employee, *filters))
        .order_by(_appraisal.c.id)
        .limit(bindparam("limit", type_=BigInteger))
        .offset(bindparam("offset", type_=BigInteger))
    )
    return page, count_over(_appraisal, _employee)


async def read_list(
    session: Reader,
    principal: Principal,
    cycle_id: int | None,
    state: str | None,
    role: str | None,
    limit: int,
    offset: int,
    search: str | None = None,
) -> tuple[list[tuple[ListedRow, Person]], int]:
    """A page of the appraisals ``principal`` may see, filtered, and how many there are;
    ``search``: the employee's NIP starts with it or their name contains it (any case)."""
    everything = principal.sees_everything
    if not everything and principal.employee_id is None:
        return [], 0
    page, count = _list_queries(
        everything, cycle_id is not None, state is not None, search is not None, role
    )
    pattern = _like_text(search or "")
    params = {
        "nip_prefix": f"{pattern}%",
        "name_part": f"%{pattern}%",
        "me": principal.employee_id,
        "cycle_id": cycle_id,
        "state": state,
        "limit": limit,
        "offset": offset,
    }
    rows = await fetch_all(session, page, params)
    if rows:
        total = int(rows[0][-1])
    elif offset == 0:
        total = 0
    else:  # a page past the end: how many there are, for the way back
        total = int((await fetch_one(session, count, params))[0])
    return [(ListedRow(*row[_LISTED]), Person(*row[_LISTED_PERSON])) for row in rows], total
