"""Wire schemas of the roster API: employees and the import result."""

from __future__ import annotations

from typing import Annotated

import msgspec

UnitCode = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class EmployeeOut(msgspec.Struct):
    id: int
    nip: str
    kind: str | None
    name: str
    email: str
    unit_code: str
    position: str
    supervisor_nip: str | None
    roles: list[str]
    active: bool


class EmployeePage(msgspec.Struct):
    items: list[EmployeeOut]
    total: int
    limit: int
    offset: int


class ImportProblem(msgspec.Struct):
    line: int
    nip: str
    reason: str


class ImportResult(msgspec.Struct):
    created: int
    updated: int
    unchanged: int
    invited: int
