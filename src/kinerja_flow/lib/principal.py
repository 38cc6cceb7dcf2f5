"""The signed-in person and the global roles, shared by every domain and the web pages."""

from __future__ import annotations

from dataclasses import dataclass

from kinerja_flow.i18n import _
from kinerja_flow.lib.actor import Actor
from kinerja_flow.lib.errors import Forbidden

HR = "hr"
AUDITOR = "auditor"
GLOBAL_ROLES = frozenset({HR, AUDITOR})


@dataclass(frozen=True)
class Principal:
    """The signed-in person: their account, their employee record and global roles."""

    account_id: int
    employee_id: int | None
    email: str
    roles: frozenset[str]
    locale: str

    @property
    def actor(self) -> Actor:
        return Actor(account_id=self.account_id, label=self.email)

    @property
    def sees_everything(self) -> bool:
        return bool(self.roles & GLOBAL_ROLES)


def require(principal: Principal, *roles: str) -> None:
    if not principal.roles.intersection(roles):
        raise Forbidden(_("This needs the role: {roles}."), roles=", ".join(roles))
