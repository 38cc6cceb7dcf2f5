"""Who receives an email about a case: people by their employee record, HR as a whole.

A person's address, name and language come from their employee record and account; an
inactive employee or account receives nothing. ``digest`` tells whether they chose the daily
summary instead of an email per event: their emails about cases wait for it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.models import Account
from kinerja_flow.lib.principal import HR
from kinerja_flow.notifications.outbox import Recipient
from kinerja_flow.org.models import Employee


@dataclass(frozen=True)
class Addressee:
    key: str
    """Tells people apart in dedupe keys: ``e<employee id>`` or ``a<account id>``."""
    employee_id: int | None
    email: str
    name: str
    locale: str
    digest: bool

    @property
    def recipient(self) -> Recipient:
        return Recipient(self.email, self.name, self.locale, self.digest)


def person_columns(employee: Any, account: Any) -> tuple[Any, ...]:
    """What :func:`of_rows` reads of a person (:data:`PersonRow`), from ``employee`` and
    ``account`` (the mapped classes, or aliases of them joined into another statement)."""
    return (employee, account.locale, account.digest, account.active)


PERSON_COLUMNS = len(person_columns(Employee, Account))
"""How many columns :func:`person_columns` gives: a statement may read several people."""

_PEOPLE = (
    select(*person_columns(Employee, Account))
    .outerjoin(Account, Account.employee_id == Employee.id)
    .where(Employee.id.in_(bindparam("ids", expanding=True)))
)
"""Employees ``:ids`` with their account's language, digest choice and state (built once)."""


async def employees(
    session: AsyncSession, ids: Collection[int], default_locale: str
) -> dict[int, Addressee]:
    """The active employees among ``ids`` (whose account, if any, is active), by id."""
    return (await people(session, ids, default_locale))[1]


async def people(
    session: AsyncSession, ids: Collection[int], default_locale: str
) -> tuple[dict[int, Employee], dict[int, Addressee]]:
    """The employees among ``ids``, active or not, and those of them who receive email (as
    :func:`employees` answers), by id: one statement for both."""
    if not ids:
        return {}, {}
    rows = await session.execute(_PEOPLE, {"ids": list(set(ids))})
    return of_rows(rows.all(), default_locale)


PersonRow = Sequence[Any]
"""An employee, their account's language, digest choice and state (None: no account), as
:data:`_PEOPLE` reads them; other statements may read them alongside what they load."""


def of_rows(
    rows: Iterable[PersonRow], default_locale: str
) -> tuple[dict[int, Employee], dict[int, Addressee]]:
    """The employees of ``rows`` and those of them who receive email, by id."""
    found: dict[int, Employee] = {}
    addressees: dict[int, Addressee] = {}
    for employee, locale, digest, account_active in rows:
        found[employee.id] = employee
        if employee.active and account_active is not False:
            addressees[employee.id] = Addressee(
                f"e{employee.id}",
                employee.id,
                employee.email,
                employee.name,
                locale or default_locale,
                bool(digest),
            )
    return found, addressees


async def hr_officers(session: AsyncSession, default_locale: str) -> list[Addressee]:
    """Every active account holding the HR role, with its employee's name if it has one."""
    rows = await session.execute(
        select(Account, Employee.name)
        .outerjoin(Employee, Employee.id == Account.employee_id)
        .where(
            Account.active.is_(True),
            or_(Account.roles.contains(HR), Account.granted_roles.contains(HR)),
        )
        .order_by(Account.id)
    )
    return [
        Addressee(
            f"a{account.id}",
            account.employee_id,
            account.email,
            name or account.email,
            account.locale or default_locale,
            account.digest,
        )
        for account, name in rows.all()
        if HR in account.role_set
    ]
