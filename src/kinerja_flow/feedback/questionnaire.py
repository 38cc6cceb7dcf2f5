"""The IKM questionnaire: the nine service elements and the 1-4 scale, as catalogue messages.

The order is the regulation's (PermenPANRB 14/2017, unsur U1-U9) and is the order of the
``answers`` a citizen sends. The Indonesian catalogue holds the official names.
"""

from __future__ import annotations

from kinerja_flow.i18n import _

ELEMENTS: tuple[tuple[str, str], ...] = (
    ("U1", _("Requirements")),
    ("U2", _("System/Mechanism/Procedure")),
    ("U3", _("Completion Time")),
    ("U4", _("Cost/Tariff")),
    ("U5", _("Product Specification of the Service Type")),
    ("U6", _("Staff Competence")),
    ("U7", _("Staff Behaviour")),
    ("U8", _("Handling of Complaints/Suggestions/Feedback")),
    ("U9", _("Facilities and Infrastructure")),
)

SCALE_LABELS: dict[int, str] = {
    1: _("Bad/not as required"),
    2: _("Poor"),
    3: _("Good"),
    4: _("Very good"),
}

CATEGORY_LABELS: dict[str, str] = {
    "A": _("Very good"),
    "B": _("Good"),
    "C": _("Poor"),
    "D": _("Bad"),
}

TITLE = _("Public satisfaction survey")
INSTRUCTIONS = _(
    "Rate each of the nine service elements from 1 to 4, in this order; a comment is optional."
)
