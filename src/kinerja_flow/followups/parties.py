"""Who the caller is on a follow-up item: decided here, once per request, for every service.

The item's evaluator is the evaluator of the appraisal it belongs to, or, for an item of no
appraisal, the employee's supervisor. The same answer decides what the caller sees (the SQL
filter below), which triggers they may fire and what they may change.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select, true

from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.development import Owner
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.i18n import _
from kinerja_flow.lib.principal import GLOBAL_ROLES, HR, SYSTEM_ROLE, Principal
from kinerja_flow.org.models import Employee
from kinerja_flow.workflow.roles import CaseRoles

OWN_ITEM = _(
    "You take part in this follow-up item yourself, so you cannot act on it as HR; "
    "another HR officer must."
)
PARTIES = frozenset({"employee", "evaluator", "mentor"})


def evaluator_of(item: FollowUp) -> int | None:
    """The item's evaluator (its appraisal and employee loaded)."""
    if item.appraisal_id is not None:
        assert item.appraisal is not None
        return item.appraisal.evaluator_id
    return item.employee.supervisor_id


def followup_roles(principal: Principal, item: FollowUp) -> CaseRoles:
    """The roles ``principal`` holds on ``item``: derived ones plus global ones.

    Separation of duties: HR's powers stop at an item in which the officer is the employee,
    the evaluator or the mentor. The owner role follows the item's ``owner``.
    """
    held = set(principal.roles & (GLOBAL_ROLES | {SYSTEM_ROLE}))
    withheld: dict[str, str] = {}
    me = principal.employee_id
    if me is not None:
        if item.employee_id == me:
            held.add("employee")
        if evaluator_of(item) == me:
            held.add("evaluator")
        if item.mentor_id is not None and item.mentor_id == me:
            held.add("mentor")
    if HR in held and held & PARTIES:
        held.discard(HR)
        withheld[HR] = OWN_ITEM
    if Owner(item.owner).value in held:  # the owner's role names match the roles
        held.add("owner")
    return CaseRoles(frozenset(held), withheld)


def visible_followups(principal: Principal) -> ColumnElement[bool]:
    """SQL filter for the items ``principal`` may see."""
    if principal.sees_everything:
        return true()
    me = principal.employee_id
    if me is None:
        return FollowUp.id.is_(None)
    return or_(
        FollowUp.employee_id == me,
        FollowUp.mentor_id == me,
        FollowUp.appraisal_id.in_(select(Appraisal.id).where(Appraisal.evaluator_id == me)),
        and_(
            FollowUp.appraisal_id.is_(None),
            FollowUp.employee_id.in_(select(Employee.id).where(Employee.supervisor_id == me)),
        ),
    )
