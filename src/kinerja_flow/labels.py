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
    # workflow triggers, as buttons and task lists name them
    "submit_targets": _("Submit the targets"),
    "return_targets": _("Return the targets"),
    "approve_targets": _("Approve the targets"),
    "reopen_planning": _("Reopen planning"),
    "start_self_assessment": _("Start the self-assessment"),
    "submit_self_assessment": _("Submit the self-assessment"),
    "submit_review": _("Submit the rating"),
    "release": _("Release the result"),
    "send_back": _("Send back to the evaluator"),
    "acknowledge": _("Acknowledge the result"),
    "file_appeal": _("File an appeal"),
    "decide_appeal": _("Decide the appeal"),
    "close": _("Close"),
    "cancel": _("Cancel the appraisal"),
    # capabilities a workflow state grants
    "skp": _("Write the SKP"),
    "realisation": _("Record the realisation"),
    "evidence": _("Attach evidence"),
    "expectations": _("Set expectations"),
    "evaluation": _("Rate results and behaviour"),
    "dialogue": _("Feedback and coaching"),
    "peer_requests": _("Invite peers"),
    # roles on an appraisal
    "reviewer": _("Appeal reviewer"),
    "auditor": _("Auditor"),
    # indicator aspects and approaches
    "quantity": _("Quantity"),
    "quality": _("Quality"),
    "time": _("Time"),
    "cost": _("Cost"),
    "kuantitatif": _("Quantitative"),
    "kualitatif": _("Qualitative"),
    "proposed": _("Proposed"),
    "approved": _("Approved"),
    "completed": _("Completed"),
    "verified": _("Verified"),
    "rejected": _("Rejected"),
    "training": _("Training"),
    "mentoring": _("Mentoring"),
    "coaching": _("Coaching"),
    "counselling": _("Performance counselling"),
    "reward": _("Reward"),
    "promotion_recommendation": _("Promotion recommendation"),
    "talent_pool": _("Talent pool"),
    "improvement_plan": _("Improvement plan"),
    "improved": _("Improved"),
    "not_improved": _("Not improved"),
    "employee": _("Employee"),
    "evaluator": _("Evaluator"),
    "hr": _("HR (BKPSDM)"),
    # organisation predikat (SE MenPANRB 3/2023) beside the employee predikat above
    "istimewa": _("Excellent"),
    "kurang": _("Insufficient"),
    # cycles: their kind, workflow and distribution policy
    "annual": _("Annual"),
    "semester": _("Semester"),
    "quarterly": _("Quarterly"),
    "monthly": _("Monthly"),
    "appraisal": _("Without calibration"),
    "appraisal_calibrated": _("With calibration by HR"),
    "warn": _("warn"),
    "block": _("block the release"),
}


def label(value: str | None, locale: str) -> str:
    if value is None:
        return "-"
    msgid = LABELS.get(value)
    return translate(msgid, locale) if msgid else value
