"""Who the caller is on an appraisal: decided here, once per request, for every service."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.lib.principal import GLOBAL_ROLES, Principal


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
