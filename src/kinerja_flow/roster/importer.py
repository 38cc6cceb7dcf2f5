"""Parse and check an employee CSV or XLSX workbook as a whole before anything is written.

Header: ``nip,name,email,unit_code,position,supervisor_nip,roles`` (roles ``;``-separated),
optionally with ``active``: ``yes``/``ya`` (or empty) for a working employee, ``no``/``tidak`` for
a leaver. Without that column nobody's status changes.
"""

from __future__ import annotations

import re
import sys
from collections import ChainMap
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from kinerja_flow.i18n import _
from kinerja_flow.lib.principal import GLOBAL_ROLES
from kinerja_flow.lib.tables import Unreadable
from kinerja_flow.lib.text import has_control_characters
from kinerja_flow.org.nip import check_nip

COLUMNS = ("nip", "name", "email", "unit_code", "position", "supervisor_nip", "roles")
ACTIVE = "active"
_STATUS = {"": True, "yes": True, "ya": True, "no": False, "tidak": False}
MAX_LENGTH = {"name": 255, "email": 320, "unit_code": 50, "position": 255, "roles": 255}
"""The longest value each column may hold (its database column's length)."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Row(msgspec.Struct, frozen=True, array_like=True):
    """One line of the file, as read (and as the import spools it: a JSON array)."""

    line: int
    nip: str
    name: str
    email: str
    unit_code: str
    position: str
    supervisor_nip: str | None
    roles: tuple[str, ...]
    active: bool | None
    """None when the file has no ``active`` column."""


@dataclass(frozen=True)
class Problem:
    line: int
    nip: str
    reason: str
    params: dict[str, str] = field(default_factory=dict)


class FileIndex:
    """What the check keeps of the whole file, for the checks across lines: each NIP's first
    line and supervisor, each email's first line. Compact: no row is held."""

    def __init__(self) -> None:
        self.line_of: dict[str, int] = {}
        self.email_line: dict[str, int] = {}
        self.supervisor_of: dict[str, str | None] = {}
        self.rows = 0

    def __contains__(self, nip: object) -> bool:
        return nip in self.line_of

    def first_email(self, row: Row) -> bool:
        """Whether ``row`` holds the first (valid) occurrence of its email in the file."""
        return self.email_line.get(row.email) == row.line


def read_rows(
    records: Iterator[tuple[int, list[str]]],
    problems: list[Problem],
    unreadable: str | None = None,
) -> Iterator[Row]:
    """Rows from ``(line, cells)`` records, the header first, as they are read: one reader for
    every format. Problems of the file's shape and of single cells go to ``problems``."""
    try:
        first = next(records, None)
        header = [name.strip() for name in first[1]] if first else []
        if sorted(header) not in (sorted(COLUMNS), sorted((*COLUMNS, ACTIVE))):
            reason = _("The header must be exactly: {columns} (and optionally {active}).")
            params = {"columns": ",".join(COLUMNS), "active": ACTIVE}
            problems.append(Problem(1, "", reason, params))
            return
        empty = True
        for line, cells in records:
            empty = False
            if len(cells) != len(header):
                reason = _("The row does not have exactly {count} columns.")
                problems.append(Problem(line, "", reason, {"count": str(len(header))}))
                continue
            values = {key: value.strip() for key, value in zip(header, cells, strict=True)}
            active = _STATUS.get(values[ACTIVE].lower()) if ACTIVE in values else None
            if ACTIVE in values and active is None:
                reason = _("The active column must be yes or no (ya or tidak).")
                problems.append(Problem(line, values["nip"], reason))
            problems.extend(_cell_problems(line, values))
            yield _row(line, values, active)
        if empty and not problems:
            problems.append(Problem(1, "", _("The file has no employees.")))
    except Unreadable as exc:
        if unreadable is not None and exc.line == 1:
            problems.append(Problem(1, "", unreadable))
        else:
            reason = _("This line cannot be read: a field is too long or its quotes do not match.")
            problems.append(Problem(exc.line, "", reason))


def _row(line: int, values: dict[str, str], active: bool | None) -> Row:
    roles = tuple(sorted({role.strip() for role in values["roles"].split(";") if role.strip()}))
    return Row(
        line=line,
        nip=values["nip"],
        name=values["name"],
        email=values["email"].lower(),
        unit_code=values["unit_code"],
        position=values["position"],
        supervisor_nip=values["supervisor_nip"] or None,
        roles=roles,
        active=active,
    )


def _cell_problems(line: int, values: dict[str, str]) -> list[Problem]:
    """Cells with a control character (an Alt+Enter line break, a NUL) or too long to store."""
    problems = []
    for column in COLUMNS:
        value = values[column]
        if has_control_characters(value):
            problems.append(
                Problem(
                    line,
                    values["nip"],
                    _("The column '{column}' contains a line break or another control character."),
                    {"column": column},
                )
            )
        elif len(value) > MAX_LENGTH.get(column, len(value)):
            problems.append(
                Problem(
                    line,
                    values["nip"],
                    _("The column '{column}' is longer than {limit} characters."),
                    {"column": column, "limit": str(MAX_LENGTH[column])},
                )
            )
    return problems


def row_problems(
    row: Row, index: FileIndex, unit_codes: Collection[str], importer_nip: str | None
) -> list[Problem]:
    """What is wrong with ``row`` alone or against the lines before it; records the row in
    ``index``."""
    problems: list[Problem] = []
    nip_check = check_nip(row.nip)
    problems.extend(Problem(row.line, row.nip, reason) for reason in nip_check.problems)
    if row.nip in index.line_of:
        problems.append(
            Problem(
                row.line,
                row.nip,
                _("Duplicate NIP; first seen on line {line}."),
                {"line": str(index.line_of[row.nip])},
            )
        )
    else:
        nip = sys.intern(row.nip)
        index.line_of[nip] = row.line
        index.supervisor_of[nip] = sys.intern(row.supervisor_nip) if row.supervisor_nip else None
    index.rows += 1
    if not row.name:
        problems.append(Problem(row.line, row.nip, _("The name is empty.")))
    if not row.position:
        problems.append(Problem(row.line, row.nip, _("The position is empty.")))
    if not _EMAIL.match(row.email):
        problems.append(Problem(row.line, row.nip, _("The email address is not valid.")))
    elif row.email in index.email_line:
        problems.append(
            Problem(
                row.line,
                row.nip,
                _("Duplicate email; first seen on line {line}."),
                {"line": str(index.email_line[row.email])},
            )
        )
    else:
        index.email_line[row.email] = row.line
    if row.unit_code not in unit_codes:
        problems.append(
            Problem(row.line, row.nip, _("Unknown unit code '{code}'."), {"code": row.unit_code})
        )
    if row.supervisor_nip is not None and row.supervisor_nip == row.nip:
        problems.append(Problem(row.line, row.nip, _("An employee cannot supervise themselves.")))
    if row.active is False and row.nip == importer_nip:
        problems.append(Problem(row.line, row.nip, _("You cannot mark yourself inactive.")))
    for role in row.roles:
        if role not in GLOBAL_ROLES:
            problems.append(
                Problem(
                    row.line,
                    row.nip,
                    _("Unknown role '{role}' (allowed: hr, auditor)."),
                    {"role": role},
                )
            )
    return problems


@dataclass(frozen=True)
class Existing:
    """What the database holds about the emails and supervisors of a batch of rows."""

    email_owner: Mapping[str, str]
    """Employees' emails: the NIP of the employee holding it."""
    account_email_owner: Mapping[str, str | None]
    """Accounts' emails: the NIP of its employee, or None for an account of its own."""
    with_account: frozenset[str]
    """The NIPs of the batch's employees who already have an account."""
    known_nips: frozenset[str]
    """The supervisors the batch names that the database holds."""


def batch_problems(rows: Sequence[Row], index: FileIndex, existing: Existing) -> list[Problem]:
    """The problems of ``rows`` against the whole file and the database: an email held by
    someone else, an unknown supervisor."""
    problems: list[Problem] = []
    for row in rows:
        if _EMAIL.match(row.email) and index.first_email(row):
            problems.extend(_email_taken(row, existing, index))
        supervisor = row.supervisor_nip
        if (
            supervisor is not None
            and supervisor != row.nip
            and supervisor not in index
            and supervisor not in existing.known_nips
        ):
            problems.append(
                Problem(
                    row.line,
                    row.nip,
                    _("Unknown supervisor NIP '{nip}'."),
                    {"nip": supervisor},
                )
            )
    return problems


def _email_taken(row: Row, existing: Existing, in_file: FileIndex) -> list[Problem]:
    """The row's email already belongs to another employee, or to another account."""
    owner = existing.email_owner.get(row.email)
    if owner is not None and owner != row.nip and owner not in in_file:
        reason = _("The email already belongs to employee {nip}.")
        return [Problem(row.line, row.nip, reason, {"nip": owner})]
    if row.email not in existing.account_email_owner:
        return []
    holder = existing.account_email_owner[row.email]
    if holder is None:
        # An account of its own (an HR admin made on the command line) becomes the employee's
        # account, unless the employee already has one.
        taken = row.nip in existing.with_account
    else:
        taken = holder != row.nip and holder not in in_file
    if taken:
        return [Problem(row.line, row.nip, _("The email already belongs to another account."))]
    return []


def cycle_problems(index: FileIndex, database: Mapping[str, str | None]) -> list[Problem]:
    """Lines whose supervisor chain (the file over the ``database``'s chart of the employees
    not in the file) loops back on itself."""
    supervisor_of = ChainMap(index.supervisor_of, database)  # type: ignore[arg-type]
    in_cycle: set[str] = set()
    settled: set[str] = set()
    for start in index.supervisor_of:
        path: list[str] = []
        position: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in settled and node not in position:
            position[node] = len(path)
            path.append(node)
            node = supervisor_of.get(node)
        if node is not None and node in position:
            in_cycle.update(path[position[node] :])
        settled.update(path)
    return [
        Problem(index.line_of[nip], nip, _("The supervisor chain forms a cycle."))
        for nip in in_cycle
        if nip in index and index.supervisor_of[nip] is not None
    ]
