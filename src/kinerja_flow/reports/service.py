"""A cycle's progress per unit, and the cycle's tables exported as CSV or XLSX (HR, auditors).

Every figure of a unit includes its sub-units. An employee counts in the unit they are in now.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVarTuple

import anyio
import msgspec
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import aliased

from kinerja_flow.appraisals.access import state_deadline
from kinerja_flow.appraisals.cycle_models import Cycle, cycle_units
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.development import FollowUpKind
from kinerja_flow.followups.hours import training_hours
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.i18n import _
from kinerja_flow.jobs import files
from kinerja_flow.jobs.models import Job
from kinerja_flow.jobs.queue import RunningJob, submit, wake
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.lib.principal import AUDITOR, HR, require
from kinerja_flow.lib.tables import CSV_TYPE, XLSX_TYPE, Cell, CsvTable, XlsxTable
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.predikat import Predikat
from kinerja_flow.reports.schemas import (
    CycleProgress,
    ExportFormat,
    ExportResult,
    Figures,
    TrainingFigures,
    UnitProgress,
)
from kinerja_flow.runtime.service import Service

_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")
EXPORT_KIND = "cycle_export"
Ts = TypeVarTuple("Ts")
BATCH = 200
"""Rows read from the database at a time (a report never holds a whole table; the event loop
is held while a batch is read, so it stays small)."""
COUNTED_BATCH = 1000
"""The same for the progress report, whose rows are six plain values each, only counted."""
OVERDUE_KEPT = 4096
"""Answers of whether a state entered at a time is overdue kept during one report."""


@dataclass
class _Tally:
    appraisals: int = 0
    states: Counter[str] = field(default_factory=Counter)
    overdue: Counter[str] = field(default_factory=Counter)
    predikat: Counter[str] = field(default_factory=Counter)
    followups: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    followups_overdue: int = 0
    employees: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _Scope:
    """The units reported on, in chart order, and which of them each unit counts towards."""

    units: list[Unit]
    counts_towards: dict[int, list[int]]
    """Unit id -> itself and its ancestors among ``units`` (only units in ``units``)."""


@dataclass(frozen=True, slots=True)
class _AppraisalRow:
    """What the reports read of an appraisal, its employee, their unit and the evaluator."""

    employee_id: int
    nip: str
    name: str
    position: str
    unit_id: int
    unit_code: str
    unit_name: str
    evaluator_nip: str | None
    evaluator_name: str | None
    state: str
    overdue: bool
    results_rating: str | None
    behaviour_rating: str | None
    predikat: str | None


class ReportService(Service):
    # -- what is reported on -----------------------------------------------------------------

    async def _cycle(self, cycle_id: int) -> Cycle:
        """The cycle (404 for anyone when unknown), then the role (403)."""
        cycle = await self.session.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFound(_("Cycle {id} does not exist."), id=cycle_id)
        require(self.principal, HR, AUDITOR)
        return cycle

    async def _scope(self, cycle: Cycle, unit_code: str | None) -> _Scope:
        units = list((await self.session.scalars(select(Unit).order_by(Unit.code))).all())
        by_id = {u.id: u for u in units}
        children: dict[int | None, list[Unit]] = defaultdict(list)
        for unit in units:
            children[unit.parent_id].append(unit)

        def subtree(roots: Iterable[int]) -> set[int]:
            found, frontier = set(roots), list(roots)
            while frontier:
                for child in children.get(frontier.pop(), []):
                    if child.id not in found:
                        found.add(child.id)
                        frontier.append(child.id)
            return found

        chosen = set(
            (
                await self.session.scalars(
                    select(cycle_units.c.unit_id).where(cycle_units.c.cycle_id == cycle.id)
                )
            ).all()
        )
        listed = subtree(chosen) if chosen else set(by_id)
        if unit_code is not None:
            root = next((u for u in units if u.code == unit_code), None)
            if root is None:
                raise NotFound(_("Unknown unit code '{code}'."), code=unit_code)
            listed &= subtree([root.id])
        ordered: list[Unit] = []

        def visit(unit: Unit) -> None:
            if unit.id in listed:
                ordered.append(unit)
            for child in children.get(unit.id, []):
                visit(child)

        for top in children.get(None, []):
            visit(top)
        counts_towards: dict[int, list[int]] = {}
        for unit in ordered:
            chain, current = [], by_id.get(unit.id)
            while current is not None and current.id in listed:
                chain.append(current.id)
                current = by_id.get(current.parent_id) if current.parent_id else None
            counts_towards[unit.id] = chain
        return _Scope(ordered, counts_towards)

    def _appraisal_query(self, cycle: Cycle, scope: _Scope) -> Select[*tuple[Any, ...]]:
        """The columns of :class:`_AppraisalRow` (no ORM objects: a report reads many rows)."""
        evaluator = aliased(Employee)
        return (
            select(
                Appraisal.workflow,
                Appraisal.state,
                Appraisal.state_changed_at,
                Appraisal.results_rating,
                Appraisal.behaviour_rating,
                Appraisal.predikat,
                Employee.id.label("employee_id"),
                Employee.nip,
                Employee.name,
                Employee.position,
                Employee.unit_id,
                Unit.code.label("unit_code"),
                Unit.name.label("unit_name"),
                evaluator.nip.label("evaluator_nip"),
                evaluator.name.label("evaluator_name"),
            )
            .join(Employee, Appraisal.employee_id == Employee.id)
            .join(Unit, Employee.unit_id == Unit.id)
            .outerjoin(evaluator, Appraisal.evaluator_id == evaluator.id)
            .where(Appraisal.cycle_id == cycle.id, Employee.unit_id.in_(scope.counts_towards))
            .order_by(Unit.code, Employee.nip, Appraisal.id)
        )

    def _overdue(self, cycle: Cycle) -> Callable[[str, str, datetime], bool]:
        """Whether an appraisal of ``workflow`` in ``state`` since ``entered`` is past its
        deadline now; worked out once per workflow, state and time of entry (the appraisals
        of a cycle opened together entered their first state at a few moments only), the
        answers kept bounded (in a lived cycle every entry time is its own)."""
        now = self.ctx.clock.now()

        @lru_cache(maxsize=OVERDUE_KEPT)
        def overdue(workflow: str, state: str, entered: datetime) -> bool:
            deadline = state_deadline(self.ctx.workflows[workflow], state, entered, cycle)
            return deadline is not None and self.ctx.deadline_clock.due_at(*deadline) < now

        return overdue

    async def _appraisals(self, cycle: Cycle, scope: _Scope) -> AsyncIterator[list[_AppraisalRow]]:
        """The cycle's appraisals in the scope, ``BATCH`` at a time (never all in memory)."""
        overdue = self._overdue(cycle)
        async for rows in self._stream(self._appraisal_query(cycle, scope)):
            yield [
                _AppraisalRow(
                    employee_id=row.employee_id,
                    nip=row.nip,
                    name=row.name,
                    position=row.position,
                    unit_id=row.unit_id,
                    unit_code=row.unit_code,
                    unit_name=row.unit_name,
                    evaluator_nip=row.evaluator_nip,
                    evaluator_name=row.evaluator_name,
                    state=row.state,
                    overdue=overdue(row.workflow, row.state, row.state_changed_at),
                    results_rating=row.results_rating,
                    behaviour_rating=row.behaviour_rating,
                    predikat=row.predikat,
                )
                for row in rows
            ]

    def _progress_query(self, cycle: Cycle, scope: _Scope) -> Select[*tuple[Any, ...]]:
        """What the progress report counts of each appraisal in the scope (in no order)."""
        return (
            select(
                Appraisal.employee_id,
                Employee.unit_id,
                Appraisal.workflow,
                Appraisal.state,
                Appraisal.state_changed_at,
                Appraisal.predikat,
            )
            .join(Employee, Appraisal.employee_id == Employee.id)
            .where(Appraisal.cycle_id == cycle.id, Employee.unit_id.in_(scope.counts_towards))
        )

    def _followup_query(self, cycle: Cycle, scope: _Scope) -> Select[FollowUp, Employee, Unit]:
        return (
            select(FollowUp, Employee, Unit)
            .join(Appraisal, FollowUp.appraisal_id == Appraisal.id)
            .join(Employee, FollowUp.employee_id == Employee.id)
            .join(Unit, Employee.unit_id == Unit.id)
            .where(Appraisal.cycle_id == cycle.id, Employee.unit_id.in_(scope.counts_towards))
            .order_by(Unit.code, Employee.nip, FollowUp.due, FollowUp.id)
        )

    async def _followups(
        self, cycle: Cycle, scope: _Scope
    ) -> AsyncIterator[list[tuple[FollowUp, Employee, Unit, bool]]]:
        """The follow-up items of the cycle's appraisals in the scope, ``BATCH`` at a time."""
        today = self.ctx.clock.now().date()
        async for rows in self._stream(self._followup_query(cycle, scope)):
            yield [
                (item, employee, unit, self._followup_overdue(item, today))
                for item, employee, unit in rows
            ]

    async def _stream(
        self, query: Select[*Ts], batch: int = BATCH
    ) -> AsyncIterator[Sequence[Row[*Ts]]]:
        result = await self.session.stream(query.execution_options(yield_per=batch))
        async for rows in result.partitions():
            yield rows

    async def _count(self, query: Select[*tuple[Any, ...]]) -> int:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        return int(await self.session.scalar(counted) or 0)

    def _followup_overdue(self, item: FollowUp, today: date) -> bool:
        """Past its due date and not ended (as ``GET /followups?overdue=true`` says)."""
        return item.due < today and item.state not in self.ctx.workflows[item.workflow].ended_states

    def _training_year(self, cycle: Cycle) -> int:
        """Training hours are reported for the year the cycle's period ends in."""
        return cycle.period_end.year

    # -- the progress report ---------------------------------------------------------------

    async def progress(self, cycle_id: int, unit_code: str | None) -> CycleProgress:
        cycle = await self._cycle(cycle_id)
        scope = await self._scope(cycle, unit_code)
        tallies: dict[int, _Tally] = defaultdict(_Tally)
        total = _Tally()
        hours: dict[int, dict[int, int]] = {}
        overdue = self._overdue(cycle)
        async for rows in self._stream(self._progress_query(cycle, scope), COUNTED_BATCH):
            for employee_id, unit_id, workflow, state, entered, predikat in rows:
                late = overdue(workflow, state, entered)
                for tally in self._tallies_of(unit_id, scope, tallies, total):
                    tally.appraisals += 1
                    tally.states[state] += 1
                    tally.employees.add(employee_id)
                    if late:
                        tally.overdue[state] += 1
                    if predikat:
                        tally.predikat[predikat] += 1
            hours.update(await self._hours_of({row[0] for row in rows}, hours))
        async for items in self._followups(cycle, scope):
            for item, employee, _unit, item_late in items:
                for tally in self._tallies_of(employee.unit_id, scope, tallies, total):
                    tally.followups[item.kind][item.state] += 1
                    tally.followups_overdue += item_late
        year = self._training_year(cycle)
        engine = self.ctx.workflows[cycle.workflow]
        states = list(engine.definition.states)
        deadlines = [state for state in states if engine.deadline_of(state) is not None]

        def figures(tally: _Tally) -> Figures:
            return self._figures(tally, states, deadlines, hours, year)

        return CycleProgress(
            cycle_id=cycle.id,
            cycle_name=cycle.name,
            workflow=cycle.workflow,
            as_of=self.ctx.clock.now(),
            total=figures(total),
            units=[
                UnitProgress(
                    unit_code=unit.code,
                    unit_name=unit.name,
                    parent_code=self._code_of(unit.parent_id, scope),
                    **msgspec.structs.asdict(figures(tallies[unit.id])),
                )
                for unit in scope.units
            ],
        )

    @staticmethod
    def _tallies_of(
        unit_id: int, scope: _Scope, tallies: dict[int, _Tally], total: _Tally
    ) -> list[_Tally]:
        return [total, *(tallies[unit] for unit in scope.counts_towards.get(unit_id, []))]

    @staticmethod
    def _code_of(unit_id: int | None, scope: _Scope) -> str | None:
        return next((u.code for u in scope.units if u.id == unit_id), None)

    def _figures(
        self,
        tally: _Tally,
        states: list[str],
        deadlines: list[str],
        hours: dict[int, dict[int, int]],
        year: int,
    ) -> Figures:
        minimum = self.ctx.settings.training_min_jp
        per_employee = [hours.get(employee, {}).get(year, 0) for employee in tally.employees]
        return Figures(
            appraisals=tally.appraisals,
            states={state: tally.states[state] for state in states},
            overdue={state: tally.overdue[state] for state in deadlines},
            predikat={p.value: tally.predikat[p.value] for p in Predikat},
            followups={
                kind: dict(sorted(by_state.items()))
                for kind, by_state in sorted(tally.followups.items())
            },
            followups_overdue=tally.followups_overdue,
            training=TrainingFigures(
                year=year,
                minimum=minimum,
                hours=sum(per_employee),
                employees=len(per_employee),
                below_minimum=sum(1 for h in per_employee if h < minimum),
            ),
        )

    # -- exports (background jobs) --------------------------------------------------------

    async def start_export(
        self, cycle_id: int, table: str, unit_code: str | None, output: ExportFormat
    ) -> Job:
        """Queue the export of one of the cycle's tables (``appraisals``, ``followups``,
        ``training_hours``) as a job; an unknown cycle or unit is refused at once."""
        await begin_write(self.session)  # read, then write: the writer's lock from the start
        cycle = await self._cycle(cycle_id)
        await self._scope(cycle, unit_code)
        params = {
            "cycle_id": cycle_id,
            "table": table,
            "unit_code": unit_code,
            "format": output.value,
        }
        job = await submit(self.session, self.ctx.clock.now(), EXPORT_KIND, self.principal, params)
        await self.session.commit()
        wake()
        return job

    async def export(self, job: RunningJob) -> ExportResult:
        """Write the table ``job`` asks for to a file, row by row (CSV, or XLSX in openpyxl's
        write-only mode), reporting the rows written; the file is the job's to download."""
        params = job.params
        table, unit_code = str(params["table"]), params["unit_code"]
        output = ExportFormat(params["format"])
        cycle = await self._cycle(int(params["cycle_id"]))
        scope = await self._scope(cycle, unit_code)
        header, rows, count = {
            "appraisals": (APPRAISAL_HEADER, self._appraisal_rows, self._appraisal_query),
            "followups": (FOLLOWUP_HEADER, self._followup_rows, self._followup_query),
            "training_hours": (TRAINING_HEADER, self._training_rows, self._appraisal_query),
        }[table]
        job.progress(0, await self._count(count(cycle, scope)), "exporting")
        name = f"{table}-cycle-{cycle.id}" + (
            f"-{_UNSAFE_IN_FILENAME.sub('_', unit_code)}" if unit_code else ""
        )
        written = 0
        with (
            files.output(self.ctx.settings.evidence_path, f".{output}") as (staging, target),
            contextlib.ExitStack() as closing,
        ):
            sheet: CsvTable | XlsxTable
            if output is ExportFormat.XLSX:
                sheet = closing.enter_context(XlsxTable(table, header))
            else:
                out = closing.enter_context(staging.open("w", encoding="utf-8", newline=""))
                sheet = CsvTable(out, header)
            async for batch in rows(cycle, scope):
                for row in batch:
                    sheet.append(row)
                    written += 1
                    await job.pause()  # other requests of this process go on meanwhile
                job.progress(written)
            if isinstance(sheet, XlsxTable):  # zipping the rows: in a thread, off the loop
                await anyio.to_thread.run_sync(sheet.save, staging)
        await self.session.rollback()
        job.output_path = target
        return ExportResult(
            table=table,
            format=output,
            unit_code=unit_code,
            filename=f"{name}.{output}",
            media_type=XLSX_TYPE if output is ExportFormat.XLSX else CSV_TYPE,
            rows=written,
            size=target.stat().st_size,
            file=f"/api/v1/jobs/{job.id}/file",
        )

    async def _appraisal_rows(self, cycle: Cycle, scope: _Scope) -> AsyncIterator[list[list[Cell]]]:
        async for batch in self._appraisals(cycle, scope):
            yield [
                [
                    row.nip,
                    row.name,
                    row.unit_code,
                    row.unit_name,
                    row.position,
                    row.evaluator_nip,
                    row.evaluator_name,
                    row.state,
                    row.overdue,
                    row.results_rating,
                    row.behaviour_rating,
                    row.predikat,
                ]
                for row in batch
            ]

    async def _followup_rows(self, cycle: Cycle, scope: _Scope) -> AsyncIterator[list[list[Cell]]]:
        async for batch in self._followups(cycle, scope):
            yield [
                [
                    employee.nip,
                    employee.name,
                    unit.code,
                    item.kind,
                    item.title,
                    item.owner,
                    item.state,
                    item.due,
                    overdue,
                    _hours(item),
                    item.outcome,
                    _day(item.completed_at),
                ]
                for item, employee, unit, overdue in batch
            ]

    async def _training_rows(self, cycle: Cycle, scope: _Scope) -> AsyncIterator[list[list[Cell]]]:
        """One row per appraised employee (at their first appraisal in the table's order)."""
        year = self._training_year(cycle)
        minimum = self.ctx.settings.training_min_jp
        seen: set[int] = set()
        async for batch in self._appraisals(cycle, scope):
            hours = await self._hours_of((row.employee_id for row in batch), seen)
            rows: list[list[Cell]] = []
            for row in batch:
                if row.employee_id in seen:
                    continue
                seen.add(row.employee_id)
                done = hours.get(row.employee_id, {}).get(year, 0)
                rows.append(
                    [
                        row.nip,
                        row.name,
                        row.unit_code,
                        year,
                        done,
                        minimum,
                        done < minimum,
                    ]
                )
            yield rows

    async def _hours_of(
        self, employees: Iterable[int], known: Container[int]
    ) -> dict[int, dict[int, int]]:
        """The training hours of ``employees`` not ``known`` yet, per year."""
        asked = {employee for employee in employees if employee not in known}
        return await training_hours(self.session, self.ctx.workflows, asked)


APPRAISAL_HEADER = (
    "nip",
    "name",
    "unit_code",
    "unit_name",
    "position",
    "evaluator_nip",
    "evaluator_name",
    "state",
    "overdue",
    "results_rating",
    "behaviour_rating",
    "predikat",
)
FOLLOWUP_HEADER = (
    "nip",
    "name",
    "unit_code",
    "kind",
    "title",
    "owner",
    "state",
    "due",
    "overdue",
    "hours",
    "outcome",
    "completed_on",
)
TRAINING_HEADER = ("nip", "name", "unit_code", "year", "hours", "minimum", "below_minimum")


def _hours(item: FollowUp) -> int | None:
    value = item.details.get("hours") if item.kind == FollowUpKind.TRAINING else None
    return int(value) if isinstance(value, int | float) else None


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None
