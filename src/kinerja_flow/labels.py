"""Human labels for the domain's coded values, translated through the catalogue."""

from __future__ import annotations

from kinerja_flow.i18n import _, translate

LABELS: dict[str, str] = {
    "di_atas_ekspektasi": _("Above expectations"),
    "sesuai_ekspektasi": _("Meets expectations"),
    "di_bawah_ekspektasi": _("Below expectations"),
    "sangat_baik": _("Very good"),
    "baik": _("Good"),
    "butuh_perbaikan": _("Needs improvement"),
    "kurang_misconduct": _("Poor/misconduct"),
    "sangat_kurang": _("Very poor"),
    "planning": _("Planning"),
    "targets_submitted": _("Targets submitted"),
    "in_progress": _("In progress"),
    "self_assessment": _("Self-assessment"),
    "under_review": _("Under review"),
    "calibration": _("Calibration"),
    "reviewed": _("Reviewed"),
    "appealed": _("Appealed"),
    "follow_up": _("Follow-up"),
    "closed": _("Closed"),
    "cancelled": _("Cancelled"),
    "upheld": _("Upheld"),
    "changed": _("Changed"),
}


def label(value: str | None, locale: str) -> str:
    if value is None:
        return "-"
    msgid = LABELS.get(value)
    return translate(msgid, locale) if msgid else value
