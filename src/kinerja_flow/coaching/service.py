"""Record feedback notes and coaching sessions while an appraisal is in progress."""

from __future__ import annotations

import msgspec
from sqlalchemy import select

from kinerja_flow.appraisals.access import AppraisalAccess
from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal, Target
from kinerja_flow.appraisals.read_model import AppraisalHead
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.coaching.models import CoachingSession, FeedbackNote
from kinerja_flow.coaching.schemas import (
    DialogueOut,
    FeedbackCreate,
    FeedbackOut,
    SessionCreate,
    SessionOut,
)
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import begin_write, reading
from kinerja_flow.lib.errors import FieldError, Invalid, NotFound


class CoachingService(AppraisalAccess):
    async def _open(self, appraisal_id: int) -> tuple[Appraisal, str]:
        """The appraisal and the caller's part in it, if they may add to the dialogue now."""
        await begin_write(self.session)
        appraisal = await self._load(appraisal_id, parts=frozenset())
        self.permit(appraisal, "dialogue")
        return appraisal, "employee" if "employee" in self.roles(appraisal) else "evaluator"

    async def add_feedback(
        self, appraisal_id: int, target_id: int, data: FeedbackCreate
    ) -> FeedbackOut:
        appraisal, role = await self._open(appraisal_id)
        target = await self.session.get(Target, target_id)
        if target is None or target.appraisal_id != appraisal.id:
            raise NotFound(_("Target {id} is not part of this appraisal."), id=target_id)
        now = self.ctx.clock.now()
        note = FeedbackNote(
            appraisal_id=appraisal.id,
            target_id=target.id,
            author_id=self.principal.account_id,
            author=self.principal.email,
            author_role=role,
            body=data.body,
            created_at=now,
        )
        self.session.add(note)
        await self.session.flush()
        await self.audit(
            now,
            AuditEntry(
                "feedback.added",
                "appraisal",
                appraisal.id,
                appraisal_id=appraisal.id,
                data={"note_id": note.id, "target_id": target.id, "role": role, "body": data.body},
            ),
        )
        await self.session.commit()
        return msgspec.convert(note, FeedbackOut, from_attributes=True)

    async def record_session(self, appraisal_id: int, data: SessionCreate) -> SessionOut:
        appraisal, role = await self._open(appraisal_id)
        cycle = await self.session.get_one(Cycle, appraisal.cycle_id)
        now = self.ctx.clock.now()
        if not cycle.period_start <= data.held_on <= min(cycle.period_end, now.date()):
            raise Invalid(
                _("The session date must fall in the period and not be in the future."),
                errors=[FieldError("held_on", _("Date outside the period or in the future."))],
            )
        record = CoachingSession(
            appraisal_id=appraisal.id,
            held_on=data.held_on,
            kind=data.kind,
            topic=data.topic,
            agreed_actions=data.agreed_actions,
            recorded_by_id=self.principal.account_id,
            recorded_by=self.principal.email,
            created_at=now,
        )
        self.session.add(record)
        await self.session.flush()
        await self.audit(
            now,
            AuditEntry(
                "coaching.recorded",
                "appraisal",
                appraisal.id,
                appraisal_id=appraisal.id,
                data={
                    "session_id": record.id,
                    "held_on": data.held_on.isoformat(),
                    "kind": data.kind,
                    "topic": data.topic,
                    "agreed_actions": data.agreed_actions,
                    "role": role,
                },
            ),
        )
        await self.session.commit()
        return msgspec.convert(record, SessionOut, from_attributes=True)

    async def dialogue(self, appraisal_id: int) -> DialogueOut:
        async with reading(self.session):
            return await self.dialogue_of(await self.head(appraisal_id))

    async def dialogue_of(self, appraisal: AppraisalHead) -> DialogueOut:
        """The dialogue of an appraisal the caller has read (:meth:`head`)."""
        notes = await self.session.scalars(
            select(FeedbackNote)
            .where(FeedbackNote.appraisal_id == appraisal.id)
            .order_by(FeedbackNote.id)
        )
        sessions = await self.session.scalars(
            select(CoachingSession)
            .where(CoachingSession.appraisal_id == appraisal.id)
            .order_by(CoachingSession.held_on, CoachingSession.id)
        )
        return DialogueOut(
            feedback=[msgspec.convert(n, FeedbackOut, from_attributes=True) for n in notes],
            sessions=[msgspec.convert(s, SessionOut, from_attributes=True) for s in sessions],
        )
