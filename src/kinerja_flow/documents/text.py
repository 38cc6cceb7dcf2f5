"""The wording of the printed documents: English msgids, the official Indonesian terms in the
catalogue (``SASARAN KINERJA PEGAWAI``, ``PEJABAT PENILAI KINERJA``, ``HASIL KERJA``...)."""

from __future__ import annotations

from kinerja_flow.berakhlak import CoreValue
from kinerja_flow.i18n import _, translate

TEXT: dict[str, str] = {
    "skp_title": _("EMPLOYEE PERFORMANCE TARGETS"),
    "evaluation_title": _("EMPLOYEE PERFORMANCE EVALUATION DOCUMENT"),
    "draft": _("DRAFT"),
    "draft_notice": _(
        "Draft: the evaluation is not yet released to the employee and may still change."
    ),
    "approach": _("Work results approach"),
    "period": _("Assessment period"),
    "appraised": _("EMPLOYEE APPRAISED"),
    "evaluator": _("PERFORMANCE EVALUATOR"),
    "reviewer": _("SUPERIOR OF THE PERFORMANCE EVALUATOR"),
    "no": _("No."),
    "name": _("Name"),
    "nip": _("NIP"),
    "position": _("Position"),
    "unit": _("Work unit"),
    "not_assigned": _("not assigned"),
    "org_result": _("ORGANISATION PERFORMANCE RESULT"),
    "org_not_set": _("not yet set"),
    "results": _("WORK RESULTS"),
    "superior_rhk": _("Superior's planned result supported"),
    "rhk": _("Planned work result"),
    "aspect": _("Aspect"),
    "indicator": _("Individual performance indicator"),
    "target": _("Target"),
    "weight": _("weight {weight}"),
    "realisation": _("Realisation based on evidence"),
    "achievement": _("achievement {percent}"),
    "assessment": _("assessed: {rating}"),
    "evidence": _("Evidence"),
    "feedback_on_results": _("Feedback based on evidence"),
    "no_targets": _("No planned results."),
    "behaviour": _("WORK BEHAVIOUR"),
    "core_value": _("Core value and its behaviour"),
    "expectation": _("Leader's specific expectations"),
    "feedback": _("Feedback"),
    "results_rating": _("WORK RESULTS RATING"),
    "behaviour_rating": _("WORK BEHAVIOUR RATING"),
    "predikat": _("EMPLOYEE PERFORMANCE PREDIKAT"),
    "suggested": _("Suggested from the realisation: {rating}"),
    "departure": _("Reason for departing from the suggestion: {reason}"),
    "review_comment": _("EVALUATOR'S NOTES"),
    "appeal": _("APPEAL (KEBERATAN)"),
    "appeal_filed": _("Filed on {date}"),
    "appeal_reason": _("Employee's reasons"),
    "appeal_original": _("Result before the appeal"),
    "appeal_decision": _("Decision of the superior of the performance evaluator"),
    "appeal_pending": _("Awaiting the decision."),
    "appeal_decision_reason": _("Reasons for the decision"),
    "appeal_decided": _("Decided on {date}"),
    "dialogue": _("CONTINUOUS FEEDBACK AND PERFORMANCE DIALOGUE"),
    "feedback_notes": _("Feedback notes"),
    "sessions": _("Coaching, mentoring and counselling sessions"),
    "date": _("Date"),
    "by": _("By"),
    "kind": _("Kind"),
    "topic": _("Topic"),
    "agreed_actions": _("Agreed actions"),
    "nothing_recorded": _("Nothing was recorded."),
    "followups": _("PERFORMANCE FOLLOW-UP"),
    "activity": _("Activity"),
    "due": _("Due"),
    "status": _("Status"),
    "proposed_because": _("Proposed because"),
    "added_by_person": _("Added by a person"),
    "no_followups": _("No follow-up recorded."),
    "earlier_plans": _("Improvement plans of earlier periods"),
    "outcome": _("Outcome"),
    "sign_appraised": _("Employee appraised"),
    "sign_evaluator": _("Performance evaluator"),
    "sign_reviewer": _("Superior of the performance evaluator"),
    "page": _("Page {page} of {pages}"),
    "printed": _("Printed on {date}"),
}

CODES: dict[str, str] = {
    "kuantitatif": _("Quantitative"),
    "kualitatif": _("Qualitative"),
    "quantity": _("Quantity"),
    "quality": _("Quality"),
    "time": _("Time"),
    "cost": _("Cost"),
    "istimewa": _("Excellent"),
    "kurang": _("Poor"),
    "coaching": _("Coaching"),
    "mentoring": _("Mentoring"),
    "counselling": _("Counselling"),
    "employee": _("Employee"),
    "evaluator": _("Performance evaluator"),
}
"""Coded values the shared label catalogue (:mod:`kinerja_flow.labels`) does not name."""

GUIDANCE: dict[CoreValue, tuple[str, str, str]] = {
    CoreValue.BERORIENTASI_PELAYANAN: (
        _("Understands and meets the needs of the public"),
        _("Friendly, quick, solution-minded and reliable"),
        _("Improves continuously"),
    ),
    CoreValue.AKUNTABEL: (
        _("Works honestly, responsibly, carefully, with discipline and high integrity"),
        _("Uses state property responsibly, effectively and efficiently"),
        _("Does not abuse the authority of the office"),
    ),
    CoreValue.KOMPETEN: (
        _("Develops own competence to meet ever-changing challenges"),
        _("Helps others to learn"),
        _("Carries out tasks with the best quality"),
    ),
    CoreValue.HARMONIS: (
        _("Respects everyone whatever their background"),
        _("Likes to help others"),
        _("Builds a conducive working environment"),
    ),
    CoreValue.LOYAL: (
        _(
            "Upholds Pancasila and the 1945 Constitution, is loyal to the Unitary State of the "
            "Republic of Indonesia and its lawful government"
        ),
        _("Protects the good name of fellow civil servants, leaders, the agency and the state"),
        _("Keeps the secrets of the office and of the state"),
    ),
    CoreValue.ADAPTIF: (
        _("Adapts quickly to change"),
        _("Keeps innovating and developing creativity"),
        _("Acts proactively"),
    ),
    CoreValue.KOLABORATIF: (
        _("Gives others the opportunity to contribute"),
        _("Is open to working together to create added value"),
        _("Mobilises resources for a common goal"),
    ),
}
"""The behaviour guidance of each core value (SE MenPANRB 20/2021), printed on the forms."""


def texts(locale: str) -> dict[str, str]:
    """Every wording of the documents in ``locale``, placeholders left for the template."""
    return {key: translate(msgid, locale) for key, msgid in TEXT.items()}


def guidance(value: CoreValue, locale: str) -> list[str]:
    return [translate(msgid, locale) for msgid in GUIDANCE[value]]
