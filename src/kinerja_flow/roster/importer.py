"""Parse and check an employee CSV or XLSX workbook as a whole before anything is written.

Header: ``nip,name,email,unit_code,position,supervisor_nip,roles`` (roles ``;``-separated),
optionally with ``active``: ``yes``/``ya`` (or empty) for a working employee, ``no``/``tidak`` for
a leaver. Without that column nobody's status changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from kinerja_flow.i18n import _
from kinerja_flow.lib.principal import GLOBAL_ROLES
from kinerja_flow.lib.tables import Unreadable, csv_records, xlsx_records
from kinerja_flow.lib.text import has_control_characters
from kinerja_flow.org.nip import check_nip

COLUMNS = ("nip", "name", "email", "unit_code", "position", "supervisor_nip", "roles")
ACTIVE = "active"
_STATUS = {"": True, "yes": True, "ya": True, "no": False, "tidak": False}
MAX_LENGTH = {"name": 255, "email": 320, "unit_code": 50, "position": 255, "roles": 255}
"""The longest value each column may hold (its database column's length)."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Row:
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


@dataclass(frozen=True)
class Existing:
    """What the database already holds, for the checks that span file and database."""

    unit_codes: frozenset[str]
    supervisor_of: Mapping[str, str | None]
    email_owner: Mapping[str, str]
    account_email_owner: Mapping[str, str | None]
    """Every account's email: the NIP of its employee, or None for an account of its own."""
    with_account: frozenset[str]
    """The NIPs of employees who already have an account."""
    importer_nip: str | None = None
    """The NIP of the HR officer importing, who may not mark themself inactive."""


def parse(text: str) -> tuple[list[Row], list[Problem]]:
    """The rows of an employee CSV, or what is wrong with them (line numbers of the file)."""
    return parse_records(csv_records(text))


def parse_xlsx(data: bytes) -> tuple[list[Row], list[Problem]]:
    """The rows of an employee workbook's first sheet, with the same rules (row numbers)."""
    return parse_records(xlsx_records(data), unreadable=_("The file is not an XLSX workbook."))


def parse_records(
    records: Iterator[tuple[int, list[str]]], unreadable: str | None = None
) -> tuple[list[Row], list[Problem]]:
    """Rows from ``(line, cells)`` records, the header first: one reader for every format."""
    rows: list[Row] = []
    problems: list[Problem] = []
    try:
        first = next(records, None)
        header = [name.strip() for name in first[1]] if first else []
        if sorted(header) not in (sorted(COLUMNS), sorted((*COLUMNS, ACTIVE))):
            reason = _("The header must be exactly: {columns} (and optionally {active}).")
            return [], [Problem(1, "", reason, {"columns": ",".join(COLUMNS), "active": ACTIVE})]
        for line, cells in records:
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
            rows.append(_row(line, values, active))
    except Unreadable as exc:
        if unreadable is not None and exc.line == 1:
            problems.append(Problem(1, "", unreadable))
        else:
            reason = _("This line cannot be read: a field is too long or its quotes do not match.")
            problems.append(Problem(exc.line, "", reason))
    if not rows and not problems:
        problems.append(Problem(1, "", _("The file has no employees.")))
    return rows, problems


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


def check(rows: list[Row], existing: Existing) -> list[Problem]:
    """Every problem in ``rows``, each with its line, considering what already exists."""
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    email_line: dict[str, int] = {}
    in_file = {row.nip for row in rows}
    for row in rows:
        nip_check = check_nip(row.nip)
        problems.extend(Problem(row.line, row.nip, reason) for reason in nip_check.problems)
        if row.nip in first_line:
            problems.append(
                Problem(
                    row.line,
                    row.nip,
                    _("Duplicate NIP; first seen on line {line}."),
                    {"line": str(first_line[row.nip])},
                )
            )
        first_line.setdefault(row.nip, row.line)
        if not row.name:
            problems.append(Problem(row.line, row.nip, _("The name is empty.")))
        if not row.position:
            problems.append(Problem(row.line, row.nip, _("The position is empty.")))
        if not _EMAIL.match(row.email):
            problems.append(Problem(row.line, row.nip, _("The email address is not valid.")))
        elif row.email in email_line:
            problems.append(
                Problem(
                    row.line,
                    row.nip,
                    _("Duplicate email; first seen on line {line}."),
                    {"line": str(email_line[row.email])},
                )
            )
        else:
            email_line[row.email] = row.line
            problems.extend(_email_taken(row, existing, in_file))
        if row.unit_code not in existing.unit_codes:
            problems.append(
                Problem(
                    row.line, row.nip, _("Unknown unit code '{code}'."), {"code": row.unit_code}
                )
            )
        if row.supervisor_nip is not None:
            if row.supervisor_nip == row.nip:
                problems.append(
                    Problem(row.line, row.nip, _("An employee cannot supervise themselves."))
                )
            elif (
                row.supervisor_nip not in in_file
                and row.supervisor_nip not in existing.supervisor_of
            ):
                problems.append(
                    Problem(
                        row.line,
                        row.nip,
                        _("Unknown supervisor NIP '{nip}'."),
                        {"nip": row.supervisor_nip},
                    )
                )
        if row.active is False and row.nip == existing.importer_nip:
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
    problems.extend(_cycles(rows, existing))
    return sorted(problems, key=lambda problem: problem.line)


def _email_taken(row: Row, existing: Existing, in_file: set[str]) -> list[Problem]:
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


def _cycles(rows: list[Row], existing: Existing) -> list[Problem]:
    """Rows whose supervisor chain (file over database) loops back on itself."""
    supervisor_of = dict(existing.supervisor_of)
    supervisor_of.update({row.nip: row.supervisor_nip for row in rows})
    in_cycle: set[str] = set()
    settled: set[str] = set()
    for start in supervisor_of:
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
        Problem(row.line, row.nip, _("The supervisor chain forms a cycle."))
        for row in rows
        if row.nip in in_cycle and row.supervisor_nip is not None
    ]
