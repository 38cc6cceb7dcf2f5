"""Authorisation in one place, called by the API and (later) the web pages alike."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, true

from kinerja_flow.appraisals.models import Appraisal
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


def appraisal_roles(principal: Principal, appraisal: Appraisal) -> frozenset[str]:
    """The roles ``principal`` holds on ``appraisal``: derived ones plus global ones."""
    roles = set(principal.roles & GLOBAL_ROLES)
    me = principal.employee_id
    if me is not None:
        if appraisal.employee_id == me:
            roles.add("employee")
        if appraisal.evaluator_id == me:
            roles.add("evaluator")
        if appraisal.reviewer_id == me:
            roles.add("reviewer")
    return frozenset(roles)


def visible_appraisals(principal: Principal) -> ColumnElement[bool]:
    """SQL filter for the appraisals ``principal`` may see."""
    if principal.sees_everything:
        return true()
    me = principal.employee_id
    if me is None:
        return Appraisal.id.is_(None)
    return or_(
        Appraisal.employee_id == me, Appraisal.evaluator_id == me, Appraisal.reviewer_id == me
    )
