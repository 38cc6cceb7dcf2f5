"""The employee import as a background job, streamed and written in batches.

1. **Reading** the file (CSV or XLSX, streamed) checks each line alone and against the lines
   before it, keeps only compact maps of the whole file (each NIP's line and supervisor, each
   email's line) and spools the rows to a file beside the upload.
2. **Checking** reads the spool in batches and checks each batch against the database (an
   email held by someone else, an unknown supervisor), then the supervisor chains for cycles.
   Any problem fails the job listing every bad line, and nothing has been written.
3. **Writing** (not for a preview) takes the batches again, each in a transaction of its own
   with its audit events and emails: emails that change hands are freed first, new employees
   are created (a supervisor before the people reporting to them) with their accounts and
   invitations, then existing employees are updated, deactivated or reactivated. Last, the
   open appraisals follow changed supervisors and the summary event is written.

No batch holds the database (or, on SQLite, its writer lock) for long, and the job yields to
the other requests of its process between steps. Should the process stop half-way, the job
runs again from the start: what was written is then found unchanged and the rest is done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, cast

import anyio.to_thread
import msgspec
from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kinerja_flow.accounts.invitations import Invitee, invite_many
from kinerja_flow.accounts.lifecycle import Change, deactivate, reactivate
from kinerja_flow.accounts.models import Account, AccountToken
from kinerja_flow.appraisals import reassignment
from kinerja_flow.appraisals.workload import open_appraisals
from kinerja_flow.audit.service import AuditEntry, append
from kinerja_flow.i18n import _
from kinerja_flow.jobs.queue import RunningJob
from kinerja_flow.lib.db import Among, begin_write, refresh_statistics
from kinerja_flow.lib.errors import FieldError, Invalid, UnsupportedMediaType
from kinerja_flow.lib.principal import HR, SYSTEM_ROLE, Principal, require
from kinerja_flow.lib.tables import csv_records, xlsx_records
from kinerja_flow.notifications.outbox import readdress_held
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.roster import importer
from kinerja_flow.roster.importer import FileIndex, Problem, Row
from kinerja_flow.roster.schemas import ImportResult, ReassignedAppraisal
from kinerja_flow.runtime.context import AppContext

KIND = "employee_import"
BATCH = 250
CHECK_BATCH = 1000
"""Checking only reads: bigger batches, a quarter of the queries (each may scan a table)."""
IN_CLAUSE = 1000
ANALYZE_AFTER = 2000
IMPORT_REASON = "marked by the employee import"
SUPERVISOR_REASON = "the supervisor changed in the employee import"
_FIELDS = ("name", "email", "position", "unit_id", "supervisor_id")
EMPLOYEES = cast("Table", Employee.__table__)
ACCOUNTS = cast("Table", Account.__table__)
"""Inserted through Core: no ORM bookkeeping per row."""
_NEW = -1
"""The supervisor id of a preview's new employee (no id yet; differs from any stored one)."""

_spool_decoder = msgspec.json.Decoder(Row)


# What checking a batch asks, built once (building a statement costs more than running it).
_EMAIL_OWNERS = select(Employee.email, Employee.nip).where(Among(Employee.email, "emails"))
_ACCOUNT_OWNERS = (
    select(Account.email, Employee.nip)
    .outerjoin(Employee, Account.employee_id == Employee.id)
    .where(Among(Account.email, "emails"))
)
_BOSS = aliased(Employee)
_STORED = (
    select(
        Employee.nip,
        Employee.id,
        Account.id,
        Employee.name,
        Employee.email,
        Employee.position,
        Employee.unit_id,
        _BOSS.nip,
        Employee.active,
        Account.roles,
        Account.email,
        Account.active & Account.password_hash.is_(None),  # and no link yet: asked apart
    )
    .outerjoin(_BOSS, Employee.supervisor_id == _BOSS.id)
    .outerjoin(Account, Account.employee_id == Employee.id)
    .where(Among(Employee.nip, "nips"))
)
"""The stored values of employees (by NIP) that a line of the file sets."""
_KNOWN = select(Employee.nip).where(Among(Employee.nip, "nips"))
_IDS = select(Employee.nip, Employee.id).where(Among(Employee.nip, "nips"))
_INVITED = (
    select(AccountToken.account_id).distinct().where(Among(AccountToken.account_id, "accounts"))
)
"""Of these accounts, those that have a link."""


def chunks(items: Sequence[Any], size: int = IN_CLAUSE) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class _Account:
    id: int
    employee_id: int | None
    email: str
    roles: str
    active: bool
    has_password: bool
    locale: str
    invited: bool


class EmployeeImport:
    """The job kind ``employee_import``: params ``format`` (csv, xlsx) and ``dry_run``."""

    kind = KIND

    async def run(self, ctx: AppContext, job: RunningJob) -> ImportResult:
        return await _Import(ctx, job).run()


class _Import:
    def __init__(self, ctx: AppContext, job: RunningJob) -> None:
        self.ctx = ctx
        self.job = job
        self.principal = job.principal
        self.dry_run = bool(job.params.get("dry_run"))
        self.format = str(job.params.get("format", "csv"))
        self.now = ctx.clock.now()
        if job.input_path is None or not job.input_path.is_file():
            raise Invalid(_("The uploaded file is no longer there; upload it again."))
        self.input = job.input_path
        self.spool = job.input_path.with_name(f"{job.input_path.name}.{uuid.uuid4().hex}.rows")
        self.index = FileIndex()
        self.problems: list[Problem] = []
        self.units: dict[str, int] = {}
        self.ids: dict[str, int] = {}
        """Employee ids of the file's NIPs and of the supervisors it names (keyed by the
        file index's interned NIPs: a 100,000-line file keeps one copy of each)."""
        self.bosses: set[str] = set()
        """The NIPs the file names as supervisor (once read)."""
        self.stale: set[str] = set()
        """Stored employees whose line changes something (found while checking)."""
        self.park: set[str] = set()
        """Employees whose email (and their account's) another line takes: freed first."""
        self.email_before: dict[str, tuple[str, str | None]] = {}
        self.moved: list[int] = []
        self.leavers: list[int] = []
        self.counts = {"created": 0, "updated": 0, "invited": 0, "deactivated": 0}
        self.reactivated = 0
        self.done = 0

    # -- the steps ----------------------------------------------------------------------

    async def run(self) -> ImportResult:
        require(self.principal, HR, SYSTEM_ROLE)
        try:
            await self._read()
            await self._check()
            if self.problems:
                raise self._refusal()
            if self.dry_run:
                self.job.keep_input = True  # the file a preview passed may be imported next
                await self._create(write=False)
                await self._update(write=False)
                return await self._finish(write=False)
            await self._park_emails()
            await self._create(write=True)
            await self._update(write=True)
            return await self._finish(write=True)
        finally:
            self.spool.unlink(missing_ok=True)

    def _refusal(self) -> Invalid:
        problems = sorted(self.problems, key=lambda problem: problem.line)
        return Invalid(
            _("The file was not imported: {count} line(s) have problems."),
            errors=[
                FieldError(field=p.nip, message=p.reason, params=p.params, line=p.line)
                for p in problems
            ],
            count=len({p.line for p in problems}),
        )

    def _records(self, handle: Iterable[str] | None) -> Iterator[tuple[int, list[str]]]:
        if handle is None:
            return xlsx_records(self.input)
        return csv_records(handle)

    async def _read(self) -> None:
        async with self.ctx.sessions() as session:
            self.units = dict((await session.execute(select(Unit.code, Unit.id))).all())
            importer_nip = None
            if self.principal.employee_id is not None:
                importer_nip = await session.scalar(
                    select(Employee.nip).where(Employee.id == self.principal.employee_id)
                )
        self.job.progress(0, phase="reading")
        unreadable = _("The file is not an XLSX workbook.") if self.format == "xlsx" else None
        encoder = msgspec.json.Encoder()
        with contextlib.ExitStack() as files:
            handle = None
            if self.format == "csv":
                handle = files.enter_context(self.input.open(encoding="utf-8-sig", newline=""))
            out = files.enter_context(self.spool.open("wb"))
            rows = importer.read_rows(self._records(handle), self.problems, unreadable)
            try:
                # Parsing (openpyxl's above all) runs in a thread, a batch at a time, so the
                # other requests of this process go on meanwhile.
                while batch := await anyio.to_thread.run_sync(lambda: list(islice(rows, BATCH))):
                    for row in batch:
                        self.problems += importer.row_problems(
                            row, self.index, self.units, importer_nip
                        )
                        out.write(encoder.encode(row))
                        out.write(b"\n")
                    self.job.progress(self.index.rows)
                    await self.job.pause()
            except UnicodeDecodeError as exc:
                raise UnsupportedMediaType(_("The CSV file must be UTF-8.")) from exc

    def _batches(self, size: int = BATCH) -> Iterator[list[Row]]:
        batch: list[Row] = []
        with self.spool.open("rb") as lines:
            for line in lines:
                batch.append(_spool_decoder.decode(line))
                if len(batch) == size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _advance(self, count: int, phase: str | None = None) -> None:
        if phase is not None:
            self.done = 0
        self.done += count
        self.job.progress(self.done, self.index.rows, phase)

    async def _analyze(self) -> None:
        """Refresh the statistics of the tables the batches look into, after many rows were
        added (by this import or one just before it)."""
        await refresh_statistics(self.ctx.engine, "employees", "accounts", "account_tokens")

    async def _check(self) -> None:
        self.bosses = {nip for nip in self.index.supervisor_of.values() if nip is not None}
        self._advance(0, "checking")
        await self._analyze()
        async with self.ctx.sessions() as session:
            for batch in self._batches(CHECK_BATCH):
                existing = await self._existing(session, batch)
                self.problems += importer.batch_problems(batch, self.index, existing)
                for row in batch:
                    owner = existing.email_owner.get(row.email)
                    holder = existing.account_email_owner.get(row.email)
                    for nip in (owner, holder):
                        if nip is not None and nip != row.nip and nip in self.index:
                            self.park.add(nip)
                self._advance(len(batch))
                await self.job.pause()
            chart = await self._chart_outside_file(session)
        # A walk over the whole chart: in a thread, so the other requests go on meanwhile.
        self.problems += await anyio.to_thread.run_sync(importer.cycle_problems, self.index, chart)

    async def _existing(self, session: AsyncSession, batch: list[Row]) -> importer.Existing:
        emails = list({row.email for row in batch})
        nips = [row.nip for row in batch]
        supervisors = list(
            {
                r.supervisor_nip
                for r in batch
                if r.supervisor_nip and r.supervisor_nip not in self.index
            }
        )
        stored = (await session.execute(_STORED, {"nips": nips})).all()
        by_nip = {row.nip: row for row in batch}
        # An email that the line's own employee and their account hold already is nobody
        # else's (emails are unique): only the others are looked up (none, in a re-import).
        email_owner: dict[str, str] = {}
        account_owner: dict[str, str | None] = {}
        for nip, _id, account_id, _name, email, *_values, account_email, _waiting in stored:
            if email == by_nip[nip].email:
                email_owner[email] = nip
            if account_id is not None and account_email == by_nip[nip].email:
                account_owner[account_email] = nip
        emails = [
            email for email in emails if email not in email_owner or email not in account_owner
        ]
        if emails:
            email_owner.update((await session.execute(_EMAIL_OWNERS, {"emails": emails})).all())
            account_owner.update((await session.execute(_ACCOUNT_OWNERS, {"emails": emails})).all())
        # Of the accounts still without a password, those that have a link: one indexed
        # query (a subquery per row made PostgreSQL hash every link for every batch).
        invited = await self._invited(session, [row[2] for row in stored if row[-1]])
        for nip, id_, account_id, *values in stored:
            self.ids[sys.intern(nip)] = id_
            values[-1] = values[-1] and account_id not in invited  # None: no account
            if tuple(values) != self._as_stored(by_nip[nip], values):
                self.stale.add(nip)  # the update pass looks at these only
        with_account = [nip for nip, _id, account_id, *_values in stored if account_id]
        known: Sequence[str] = []
        if supervisors:
            known = (await session.scalars(_KNOWN, {"nips": supervisors})).all()
        return importer.Existing(
            email_owner=email_owner,
            account_email_owner=account_owner,
            with_account=frozenset(with_account),
            known_nips=frozenset(known),
        )

    def _as_stored(self, row: Row, stored: Any) -> tuple[Any, ...]:
        """What the stored values of ``row``'s employee would be were the line imported
        already (compared with ``stored``: any difference sends the row to the update pass)."""
        active = stored[5] if row.active is None else row.active
        return (
            row.name,
            row.email,
            row.position,
            self.units.get(row.unit_code),
            row.supervisor_nip,
            active,
            ";".join(row.roles),
            row.email,
            False,  # an account waiting for its first invitation gets it in the update pass
        )

    async def _chart_outside_file(self, session: AsyncSession) -> dict[str, str | None]:
        """The stored supervisors of the people the file's chains lead to outside the file."""
        supervisor = aliased(Employee)
        chart: dict[str, str | None] = {}
        frontier = {s for s in self.index.supervisor_of.values() if s and s not in self.index}
        while frontier:
            found: list[tuple[str, str | None]] = []
            for part in chunks(sorted(frontier)):
                rows = await session.execute(
                    select(Employee.nip, supervisor.nip)
                    .outerjoin(supervisor, Employee.supervisor_id == supervisor.id)
                    .where(Employee.nip.in_(part))
                )
                found += [(nip, boss) for nip, boss in rows.all()]
            chart.update(found)
            frontier = {
                boss
                for _nip, boss in found
                if boss and boss not in self.index and boss not in chart
            }
        return chart

    # -- writing ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _unit_of_work(self, write: bool) -> AsyncIterator[AsyncSession]:
        async with self.ctx.sessions() as session:
            if write:
                await begin_write(session)
            yield session

    async def _commit(
        self, session: AsyncSession, entries: list[AuditEntry], emails: list[Any]
    ) -> None:
        await append(session, self.ctx.audit_key, self.principal.actor, self.now, entries)
        await self.ctx.outbox.enqueue(session, self.now, emails)  # rendered at delivery
        await self.job.pause()
        await session.commit()

    async def _park_emails(self) -> None:
        """Put every email that changes hands on a unique placeholder first: two employees
        may swap addresses in one file, and setting either directly would hold one twice."""
        if not self.park:
            return
        async with self._unit_of_work(True) as session:
            for part in chunks(sorted(self.park)):
                employees = (
                    await session.execute(
                        select(Employee.id, Employee.nip, Employee.email, Account.id, Account.email)
                        .outerjoin(Account, Account.employee_id == Employee.id)
                        .where(Employee.nip.in_(part))
                    )
                ).all()
                for _id, nip, email, _account, account_email in employees:
                    self.email_before[nip] = (email, account_email)
                await session.execute(
                    update(Employee),
                    [{"id": e[0], "email": f"moving-{e[0]}@invalid"} for e in employees],
                )
                accounts = [e[3] for e in employees if e[3] is not None]
                if accounts:
                    await session.execute(
                        update(Account),
                        [{"id": a, "email": f"moving-account-{a}@invalid"} for a in accounts],
                    )
            await session.commit()

    async def _resolve(self, session: AsyncSession, nips: Iterable[str | None]) -> None:
        """Learn the ids of stored employees among ``nips``."""
        unknown = sorted({nip for nip in nips if nip and nip not in self.ids})
        for part in chunks(unknown):
            rows = await session.execute(_IDS, {"nips": part})
            self.ids.update((nip, id_) for nip, id_ in rows)

    async def _create(self, *, write: bool) -> None:
        """Create the new employees, each after their supervisor, with accounts and links."""
        self._advance(0, "creating")
        waiting: list[Row] = []
        analyzed = 0
        for batch in self._batches():
            new = [row for row in batch if row.nip not in self.ids]  # stored ones: checking
            if not new:
                self._advance(len(batch))
                await self.job.pause()
                continue
            async with self._unit_of_work(write) as session:
                await self._resolve(session, (row.supervisor_nip for row in new))
                ready: list[Row] = []
                later: list[Row] = []
                for row in new:
                    known = row.supervisor_nip is None or row.supervisor_nip in self.ids
                    (ready if known or not write else later).append(row)
                waiting += later
                await self._insert(session, ready, write)
            created = self.counts["created"]
            if write and created >= max(ANALYZE_AFTER, 2 * analyzed):
                analyzed = created  # the tables doubled: keep the batches' plans right
                await self._analyze()
            self._advance(len(batch) - len(new) + len(ready))
            await self.job.pause()
        while waiting:  # their supervisors came later in the file; the chart has no cycle
            ready = [row for row in waiting if row.supervisor_nip in self.ids]
            waiting = [row for row in waiting if row.supervisor_nip not in self.ids]
            if not ready:
                raise RuntimeError("supervisors left unresolved after the cycle check")
            for part in chunks(ready, BATCH):
                async with self._unit_of_work(write) as session:
                    await self._insert(session, list(part), write)
                self._advance(len(part))
        if write and self.counts["created"] >= ANALYZE_AFTER:
            await self._analyze()

    async def _bare_accounts(self, session: AsyncSession, emails: list[str]) -> dict[str, _Account]:
        """Accounts of their own (an HR admin made on the command line) with these emails:
        the employee of that email takes them over, keeping the grant."""
        rows = await session.execute(
            select(
                Account.id,
                Account.email,
                Account.roles,
                Account.active,
                Account.password_hash.is_not(None),
                Account.locale,
            ).where(Among(Account.email, "emails"), Account.employee_id.is_(None)),
            {"emails": emails},
        )
        found = [
            _Account(id_, None, email, roles, active, has_password, locale, False)
            for id_, email, roles, active, has_password, locale in rows.all()
        ]
        invited = await self._invited(session, [account.id for account in found])
        return {
            account.email: dataclasses.replace(account, invited=account.id in invited)
            for account in found
        }

    async def _invited(self, session: AsyncSession, account_ids: list[int]) -> set[int]:
        if not account_ids:
            return set()
        rows = await session.scalars(_INVITED, {"accounts": account_ids})
        return set(rows.all())

    def _wanted(self, row: Row) -> dict[str, Any]:
        supervisor = None
        if row.supervisor_nip is not None:
            supervisor = self.ids.get(row.supervisor_nip, _NEW)
        return {
            "name": row.name,
            "email": row.email,
            "position": row.position,
            "unit_id": self.units[row.unit_code],
            "supervisor_id": supervisor,
        }

    async def _insert(self, session: AsyncSession, rows: list[Row], write: bool) -> None:
        if not rows:
            return
        self.counts["created"] += len(rows)
        bare = await self._bare_accounts(session, [row.email for row in rows])

        def invitable(row: Row) -> bool:
            taken = bare.get(row.email)
            if taken is None:
                return row.active is not False
            return taken.active and not taken.has_password and not taken.invited

        invited = [row for row in rows if invitable(row)]
        self.counts["invited"] += len(invited)
        if not write:
            return
        wanted = {row.nip: self._wanted(row) for row in rows}
        inserted = await session.execute(
            insert(EMPLOYEES).returning(EMPLOYEES.c.nip, EMPLOYEES.c.id),
            [
                {
                    **wanted[row.nip],
                    "nip": row.nip,
                    "active": row.active is not False,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
                for row in rows
            ],
        )
        ids: dict[str, int] = dict(inserted.all())
        # Kept for the lines naming them as supervisor only: a long-lived object per new
        # employee, made between each batch's short-lived ones, would pin memory all over.
        self.ids.update((sys.intern(nip), ids[nip]) for nip in ids.keys() & self.bosses)
        roles = {row.nip: ";".join(row.roles) for row in rows}
        taken_over = [row for row in rows if row.email in bare]
        if taken_over:
            await session.execute(
                update(Account),
                [
                    {
                        "id": bare[row.email].id,
                        "employee_id": ids[row.nip],
                        "roles": roles[row.nip],
                        "updated_at": self.now,
                    }
                    for row in taken_over
                ],
            )
        fresh = [row for row in rows if row.email not in bare]
        account_ids = {row.email: bare[row.email].id for row in taken_over}
        if fresh:
            created = await session.execute(
                insert(ACCOUNTS).returning(ACCOUNTS.c.email, ACCOUNTS.c.id),
                [
                    {
                        "email": row.email,
                        "employee_id": ids[row.nip],
                        "roles": roles[row.nip],
                        "locale": self.ctx.settings.default_locale,
                        "active": row.active is not False,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                    for row in fresh
                ],
            )
            account_ids.update((key, id_) for key, id_ in created)
        invitees = [
            Invitee(
                account_ids[row.email],
                row.email,
                bare[row.email].locale if row.email in bare else self.ctx.settings.default_locale,
                row.name,
            )
            for row in invited
        ]
        emails = await invite_many(session, self.ctx, self.now, invitees)
        entries = [
            AuditEntry(
                "employee.created",
                "employee",
                row.nip,
                data={
                    **{key: str(value) for key, value in wanted[row.nip].items()},
                    "roles": roles[row.nip],
                },
            )
            for row in rows
        ]
        entries += [
            AuditEntry("account.invited", "account", i.account_id, data={"email": i.email})
            for i in invitees
        ]
        await self._commit(session, entries, list(emails))

    async def _update(self, *, write: bool) -> None:
        """Bring the existing employees of the file up to date (their accounts too)."""
        self._advance(0, "updating")
        for batch in self._batches():
            rows = [row for row in batch if row.nip in self.stale]
            if rows:
                async with self._unit_of_work(write) as session:
                    await self._update_batch(session, rows, write)
            self._advance(len(batch))
            await self.job.pause()

    async def _update_batch(self, session: AsyncSession, rows: list[Row], write: bool) -> None:
        stored: dict[str, tuple[int, str, str, str, int, int | None, bool]] = {
            nip: (id_, name, email, position, unit_id, supervisor_id, active)
            for nip, id_, name, email, position, unit_id, supervisor_id, active in (
                await session.execute(
                    select(
                        Employee.nip,
                        Employee.id,
                        Employee.name,
                        Employee.email,
                        Employee.position,
                        Employee.unit_id,
                        Employee.supervisor_id,
                        Employee.active,
                    ).where(Employee.nip.in_([row.nip for row in rows]))
                )
            ).all()
        }
        await self._resolve(session, (row.supervisor_nip for row in rows))
        ids = [values[0] for values in stored.values()]
        account_rows = (
            await session.execute(
                select(
                    Account.id,
                    Account.employee_id,
                    Account.email,
                    Account.roles,
                    Account.active,
                    Account.password_hash.is_not(None),
                    Account.locale,
                ).where(Account.employee_id.in_(ids))
            )
        ).all()
        invited = await self._invited(session, [a[0] for a in account_rows])
        accounts = {a[1]: _Account(*a, invited=a[0] in invited) for a in account_rows}
        employee_changes: list[dict[str, Any]] = []
        account_changes: list[dict[str, Any]] = []
        entries: list[AuditEntry] = []
        invitees: list[Invitee] = []
        moving: list[tuple[int, bool]] = []
        orphans: list[Row] = []
        readdressed: dict[str, str] = {}
        for row in rows:
            employee_id, *current, active = stored[row.nip]
            before = dict(zip(_FIELDS, current, strict=True))
            parked = self.email_before.get(row.nip)
            if parked is not None:
                before["email"] = parked[0]
            wanted = self._wanted(row)
            diff = {name: value for name, value in wanted.items() if before[name] != value}
            account = accounts.get(employee_id)
            if account is None:
                orphans.append(row)
                self.counts["updated"] += 1
                continue
            roles = ";".join(row.roles)
            account_diff: dict[str, Any] = {}
            if account.roles != roles:
                account_diff["roles"] = {"before": account.roles, "after": roles}
            account_email = parked[1] if parked is not None else account.email
            if account_email != row.email:
                account_diff["email"] = {"before": account_email, "after": row.email}
                if account_email is not None:
                    readdressed[account_email] = row.email
            if diff:
                employee_changes.append({"id": employee_id, **wanted, "updated_at": self.now})
            if account_diff or account.email != row.email:
                account_changes.append(
                    {"id": account.id, "roles": roles, "email": row.email, "updated_at": self.now}
                )
            leaving = row.active is not None and row.active != active
            if leaving:
                moving.append((account.id, bool(row.active)))
                if row.active:
                    self.reactivated += 1
                else:
                    self.counts["deactivated"] += 1
                    self.leavers.append(employee_id)
            elif account.active and not account.has_password and not account.invited:
                invitees.append(Invitee(account.id, row.email, account.locale, row.name))
            if "supervisor_id" in diff:
                self.moved.append(employee_id)
            if diff or account_diff or leaving:
                self.counts["updated"] += 1
            if diff or account_diff:
                entries.append(
                    AuditEntry(
                        "employee.updated",
                        "employee",
                        row.nip,
                        data={
                            "before": {name: str(before[name]) for name in diff},
                            "after": {name: str(value) for name, value in diff.items()},
                            "account": account_diff,
                        },
                    )
                )
        self.counts["invited"] += len(invitees)
        if not write:
            return
        if employee_changes:
            await session.execute(update(Employee), employee_changes)
        if account_changes:
            await session.execute(update(Account), account_changes)
        await readdress_held(session, readdressed)
        if orphans:  # employees stored without an account (not made by an import): give one
            await self._insert_accounts_for(
                session, orphans, {r.nip: stored[r.nip][0] for r in orphans}
            )
        status = Change()
        for account_id, active in moving:
            locked = await session.get(
                Account, account_id, with_for_update=True, populate_existing=True
            )
            assert locked is not None
            if active:
                status.add(await reactivate(session, self.ctx, self.now, locked, IMPORT_REASON))
            else:
                status.add(await deactivate(session, self.now, locked, IMPORT_REASON))
        emails = [*await invite_many(session, self.ctx, self.now, invitees), *status.emails]
        entries += [
            AuditEntry("account.invited", "account", i.account_id, data={"email": i.email})
            for i in invitees
        ]
        await self._commit(session, [*entries, *status.entries], emails)

    async def _insert_accounts_for(
        self, session: AsyncSession, rows: list[Row], employee_ids: dict[str, int]
    ) -> None:
        created = await session.execute(
            insert(ACCOUNTS).returning(ACCOUNTS.c.id, ACCOUNTS.c.email),
            [
                {
                    "email": row.email,
                    "employee_id": employee_ids[row.nip],
                    "roles": ";".join(row.roles),
                    "locale": self.ctx.settings.default_locale,
                    "active": row.active is not False,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
                for row in rows
            ],
        )
        for account_id, email in created:
            row = next(r for r in rows if r.email == email)
            if row.active is not False:
                invitee = Invitee(account_id, email, self.ctx.settings.default_locale, row.name)
                emails = await invite_many(session, self.ctx, self.now, [invitee])
                await self.ctx.outbox.enqueue(session, self.now, emails)
                self.counts["invited"] += 1

    async def _finish(self, *, write: bool) -> ImportResult:
        """The open appraisals follow the new supervisors; the summary is recorded."""
        self._advance(0, "finishing")
        async with self._unit_of_work(write) as session:
            moves: list[reassignment.Move] = []
            entries: list[AuditEntry] = []
            emails: list[Any] = []
            if write:
                for part in chunks(self.moved):
                    moves += await reassignment.follow_supervisors(
                        session, self.ctx, part, self.now
                    )
                await session.flush()
                entries += [
                    reassignment.audit_entry(group[0].appraisal, group, SUPERVISOR_REASON)
                    for group in reassignment.by_appraisal(moves).values()
                ]
                emails += await reassignment.emails(
                    session, self.ctx, moves, SUPERVISOR_REASON, self.principal.email
                )
            result = ImportResult(
                created=self.counts["created"],
                updated=self.counts["updated"],
                unchanged=self.index.rows - self.counts["created"] - self.counts["updated"],
                invited=self.counts["invited"],
                deactivated=self.counts["deactivated"],
                reactivated=self.reactivated,
                open_appraisals=await open_appraisals(session, self.ctx.workflows, self.leavers),
                reassigned=await reassigned(session, moves),
            )
            if not write:
                return result
            if result.created or result.updated or result.invited:
                entries.append(
                    AuditEntry(
                        "employees.imported",
                        "import",
                        self.now.isoformat(),
                        data={
                            "created": result.created,
                            "updated": result.updated,
                            "unchanged": result.unchanged,
                            "invited": result.invited,
                            "deactivated": result.deactivated,
                            "reactivated": result.reactivated,
                        },
                    )
                )
            await self._commit(session, entries, emails)
        return result


async def reassigned(
    session: AsyncSession, moves: list[reassignment.Move]
) -> list[ReassignedAppraisal]:
    """The moves as the import's answer lists them, by NIP."""
    if not moves:
        return []
    ids = {i for m in moves for i in (m.before, m.after, m.appraisal.employee_id) if i}
    nip = dict(
        (await session.execute(select(Employee.id, Employee.nip).where(Employee.id.in_(ids)))).all()
    )
    return [
        ReassignedAppraisal(
            appraisal_id=m.appraisal.id,
            employee_nip=nip[m.appraisal.employee_id],
            part=m.part,  # type: ignore[arg-type]
            before_nip=nip.get(m.before) if m.before else None,
            after_nip=nip.get(m.after) if m.after else None,
        )
        for m in moves
    ]


async def import_file(
    ctx: AppContext, principal: Principal, path: Path, file_format: str, *, dry_run: bool = False
) -> ImportResult:
    """Run an import here and now rather than as a queued job (the demo's seed)."""
    job = RunningJob(0, KIND, {"format": file_format, "dry_run": dry_run}, principal, path)
    return await _Import(ctx, job).run()
