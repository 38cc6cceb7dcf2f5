"""The evaluator's part of the SKP: expectations per value, and the evaluation before release.

The ekspektasi khusus pimpinan (the leader's specific expectations per BerAKHLAK value) are
set while the SKP is planned. At review the evaluator drafts feedback per RHK and per value,
assesses indicators (approach ``kualitatif``) and picks the ratings; ``submit_review`` then
checks the draft is complete and releases it.
"""

from __future__ import annotations

from typing import Any

from kinerja_flow.appraisals.access import AppraisalAccess
from kinerja_flow.appraisals.models import Appraisal, BehaviourNote
from kinerja_flow.appraisals.rules import BEHAVIOUR, TARGETS
from kinerja_flow.appraisals.schemas import AppraisalOut, EvaluationDraft, ExpectationsSet
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.berakhlak import CoreValue
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import FieldError, Invalid


def _note(appraisal: Appraisal, value: CoreValue) -> BehaviourNote:
    note = next((n for n in appraisal.behaviour if n.value == value), None)
    if note is None:
        note = BehaviourNote(value=value.value, below_expectation=False)
        appraisal.behaviour.append(note)
    return note


class EvaluationService(AppraisalAccess):
    async def _audit(
        self, appraisal: Appraisal, action: str, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        now = self.ctx.clock.now()
        self._touch(appraisal, now)
        await self.audit(
            now,
            AuditEntry(
                action,
                "appraisal",
                appraisal.id,
                appraisal_id=appraisal.id,
                data={"before": before, "after": after},
            ),
        )

    async def set_expectations(self, appraisal_id: int, data: ExpectationsSet) -> AppraisalOut:
        appraisal = await self._open_for_change(appraisal_id, data.version, frozenset({BEHAVIOUR}))
        self.permit(appraisal, "expectations")
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for value, text in data.expectations.items():
            note = _note(appraisal, value)
            new = text.strip() or None
            if note.expectation != new:
                before[value.value], after[value.value] = note.expectation, new
                note.expectation = new
        if after:
            await self._audit(appraisal, "skp.expectations_set", before, after)
        return await self._commit(appraisal)

    async def save_draft(self, appraisal_id: int, data: EvaluationDraft) -> AppraisalOut:
        """Save the evaluator's work; the employee sees none of it before release."""
        appraisal = await self._open_for_change(
            appraisal_id, data.version, frozenset({TARGETS, BEHAVIOUR})
        )
        self.permit(appraisal, "evaluation")
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}

        def change(key: str, old: Any, new: Any) -> bool:
            if old == new:
                return False
            before[key], after[key] = old, new
            return True

        for name in ("results_rating", "behaviour_rating", "departure_reason"):
            new = getattr(data, name)
            if new is not None and change(name, getattr(appraisal, name), new):
                setattr(appraisal, name, new)
        if data.comment is not None and change("comment", appraisal.review_comment, data.comment):
            appraisal.review_comment = data.comment
        targets = {t.id: t for t in appraisal.targets}
        indicators = {i.id: i for i in appraisal.indicators}
        errors = [
            FieldError(f"target_feedback[{n}].target_id", _("Not an RHK of this SKP."))
            for n, item in enumerate(data.target_feedback or [])
            if item.target_id not in targets
        ] + [
            FieldError(f"assessments[{n}].indicator_id", _("Not an indicator of this SKP."))
            for n, item in enumerate(data.assessments or [])
            if item.indicator_id not in indicators
        ]
        if errors:
            raise Invalid(_("The evaluation names items that are not in this SKP."), errors=errors)
        for item in data.target_feedback or []:
            target = targets[item.target_id]
            if change(f"target:{target.id}", target.evaluator_feedback, item.feedback):
                target.evaluator_feedback = item.feedback
        for value_item in data.behaviour_feedback or []:
            note = _note(appraisal, value_item.value)
            if change(f"value:{value_item.value}", note.feedback, value_item.feedback):
                note.feedback = value_item.feedback
            below = value_item.below_expectation
            key = f"value:{value_item.value}:below_expectation"
            if below is not None and change(key, note.below_expectation, below):
                note.below_expectation = below
        for assessed in data.assessments or []:
            indicator = indicators[assessed.indicator_id]
            if change(f"indicator:{indicator.id}", indicator.assessment, assessed.assessment):
                indicator.assessment = assessed.assessment
        if after:
            await self._audit(appraisal, "evaluation.saved", before, after)
        return await self._commit(appraisal)
