"""Who the caller is on an appraisal: decided here, once per request, for every service.

The same answer decides what the caller sees (the SQL filter below), which triggers they may
fire and which fields they may change (through the workflow's declarations).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.read_model import AppraisalRow
from kinerja_flow.i18n import _
from kinerja_flow.lib.principal import GLOBAL_ROLES, HR, SYSTEM_ROLE, Principal
from kinerja_flow.workflow.roles import CaseRoles

OWN_CASE = _(
    "You take part in this appraisal yourself, so you cannot act on it as HR; "
    "another HR officer must."
)


def appraisal_roles(principal: Principal, appraisal: AppraisalRow) -> CaseRoles:
    """The roles ``principal`` holds on ``appraisal``: derived ones plus global ones.

    Separation of duties: HR's powers stop at a case in which the officer is the employee,
    the evaluator or the appeal reviewer.
    """
    held = set(principal.roles & (GLOBAL_ROLES | {SYSTEM_ROLE}))
    me = principal.employee_id
    if me is not None:
        if appraisal.employee_id == me:
            held.add("employee")
        if appraisal.evaluator_id == me:
            held.add("evaluator")
        if appraisal.reviewer_id == me:
            held.add("reviewer")
    if HR in held and held & {"employee", "evaluator", "reviewer"}:
        held.discard(HR)
        return CaseRoles(frozenset(held), {HR: OWN_CASE})
    return CaseRoles(frozenset(held))


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
