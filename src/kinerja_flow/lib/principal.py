"""The signed-in person and the global roles, shared by every domain and the web pages."""

from __future__ import annotations

from dataclasses import dataclass

from kinerja_flow.i18n import _
from kinerja_flow.lib.actor import Actor
from kinerja_flow.lib.errors import Forbidden

HR = "hr"
AUDITOR = "auditor"
GLOBAL_ROLES = frozenset({HR, AUDITOR})
"""Roles an account holds everywhere (granted by the import or the command line)."""
SYSTEM_ROLE = "system"
"""The service itself, firing what a deadline calls for; never held by an account."""


@dataclass(frozen=True)
class Principal:
    """The signed-in person: their account, their employee record and global roles."""

    account_id: int | None
    """None only for :data:`SYSTEM`."""
    employee_id: int | None
    email: str
    roles: frozenset[str]
    locale: str

    @property
    def actor(self) -> Actor:
        return Actor(account_id=self.account_id, label=self.email)

    @property
    def person(self) -> int:
        """The account id of a signed-in person (the system has none)."""
        if self.account_id is None:
            raise RuntimeError("the system acts without an account")
        return self.account_id

    @property
    def sees_everything(self) -> bool:
        return bool(self.roles & (GLOBAL_ROLES | {SYSTEM_ROLE}))


@dataclass(frozen=True)
class KnownCaller:
    """An account as read to serve a request: its principal (None once inactive or gone) and
    the credential epoch its tokens must carry."""

    principal: Principal | None
    epoch: int | None

    def signed_in_with(self, epoch: int | None) -> Principal | None:
        """The principal, if a token of credential ``epoch`` still speaks for it (``None``:
        a trusted caller without a token)."""
        if epoch is not None and epoch != self.epoch:
            return None
        return self.principal


def require(principal: Principal, *roles: str) -> None:
    if not principal.roles.intersection(roles):
        raise Forbidden(_("This needs the role: {roles}."), roles=", ".join(roles))


SYSTEM = Principal(
    account_id=None, employee_id=None, email="system", roles=frozenset({SYSTEM_ROLE}), locale="id"
)
"""The caller when the scheduler fires a trigger; audited with the actor ``system``."""
