"""Wire schemas of the roster API: employees, the import result and accounts."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from kinerja_flow.appraisals.workload import OpenAppraisal

UnitCode = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Reason = Annotated[
    str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$")
]
"""Why HR acts: not blank, no NUL byte."""


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


class ImportResult(msgspec.Struct):
    """Counts of the rows; the open appraisals of the people marked inactive, for HR to see to."""

    created: int
    updated: int
    unchanged: int
    invited: int
    deactivated: int
    reactivated: int
    open_appraisals: list[OpenAppraisal]
    reassigned: list[ReassignedAppraisal]
    """Open appraisals whose evaluator or reviewer followed a supervisor changed by the file."""


class ReassignedAppraisal(msgspec.Struct):
    """``part`` of the appraisal of ``employee_nip`` moved from ``before_nip`` to ``after_nip``
    (None: nobody, for HR to assign)."""

    appraisal_id: int
    employee_nip: str
    part: Literal["evaluator", "reviewer"]
    before_nip: str | None
    after_nip: str | None


class AccountOut(msgspec.Struct):
    """A sign-in account; ``activated`` once its person has set a password."""

    id: int
    email: str
    nip: str | None
    name: str | None
    unit_code: str | None
    roles: list[str]
    active: bool
    activated: bool


class AccountPage(msgspec.Struct):
    items: list[AccountOut]
    total: int
    limit: int
    offset: int


class AccountDetail(AccountOut):
    """An account with the open appraisals its person takes part in (to see to on leaving)."""

    open_appraisals: list[OpenAppraisal]


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason
