"""Gather and render the printed SKP and evaluation document of one appraisal.

The SKP exists once the evaluator has approved the targets. The evaluation document exists once
the evaluator has rated: while ``under_review`` everyone who may see the appraisal except the
employee gets it marked DRAFT; from the release on, everyone gets the final document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from kinerja_flow.appraisals.access import AppraisalAccess
from kinerja_flow.appraisals.cycle_models import Cycle, UnitResult
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.audit.models import AuditEvent
from kinerja_flow.coaching.schemas import DialogueOut
from kinerja_flow.coaching.service import CoachingService
from kinerja_flow.documents.content import DocumentContent, DocumentKind, Party
from kinerja_flow.documents.render import render_html
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import Conflict
from kinerja_flow.org.models import Employee, Unit

APPROVAL_ACTION = "appraisal.approve_targets"


@dataclass(frozen=True)
class RenderedDocument:
    html: str
    filename: str
    """Without extension: ``SKP-<nip>-<cycle>`` or ``Evaluasi-Kinerja-<nip>-<cycle>[-DRAF]``."""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "siklus"


class DocumentService(AppraisalAccess):
    async def skp(self, appraisal_id: int) -> RenderedDocument:
        appraisal = await self._load(appraisal_id)
        self._refuse_discarded(appraisal)
        self.permit(appraisal, "skp_document")
        approved = await self.session.scalar(
            select(AuditEvent.at)
            .where(AuditEvent.appraisal_id == appraisal.id, AuditEvent.action == APPROVAL_ACTION)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
        content = await self._content(
            appraisal, "skp", draft=False, dated=approved.date() if approved else None
        )
        return self._render(content, "SKP")

    async def evaluation(self, appraisal_id: int) -> RenderedDocument:
        appraisal = await self._load(appraisal_id)
        self._refuse_discarded(appraisal)
        self.permit(appraisal, "evaluation_document")
        if self.conceals_result(appraisal):
            raise Conflict(_("The evaluation is not released to you yet."))
        draft = self._engine(appraisal).conceals_result(appraisal.state)
        released = appraisal.reviewed_at
        content = await self._content(
            appraisal,
            "evaluation",
            draft=draft,
            dated=released.date() if released and not draft else None,
        )
        return self._render(content, "Evaluasi-Kinerja", "-DRAF" if draft else "")

    def _refuse_discarded(self, appraisal: Appraisal) -> None:
        if self._engine(appraisal).is_discarded(appraisal.state):
            raise Conflict(_("The appraisal was cancelled; it has no documents."))

    async def _content(
        self, appraisal: Appraisal, kind: DocumentKind, *, draft: bool, dated: date | None
    ) -> DocumentContent:
        out = await self.describe(appraisal)
        cycle = await self.session.get_one(Cycle, appraisal.cycle_id)
        people = await self._people(appraisal)
        unit_ids = {employee.unit_id for employee in people.values()}
        units = {
            unit.id: unit.name
            for unit in await self.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))
        }

        def party(employee_id: int | None) -> Party | None:
            employee: Employee | None = people.get(employee_id or 0)
            if employee is None:
                return None
            return Party(employee.name, employee.nip, employee.position, units[employee.unit_id])

        employee = people[appraisal.employee_id]
        org_predikat = await self.session.scalar(
            select(UnitResult.org_predikat).where(
                UnitResult.cycle_id == cycle.id, UnitResult.unit_id == employee.unit_id
            )
        )
        dialogue = (
            await CoachingService(self.session, self.ctx, self.principal).dialogue(appraisal.id)
            if kind == "evaluation"
            else DialogueOut(feedback=[], sessions=[])
        )
        return DocumentContent(
            kind=kind,
            locale=self.principal.locale,
            draft=draft,
            appraisal=out,
            cycle_name=cycle.name,
            period_start=cycle.period_start,
            period_end=cycle.period_end,
            employee=party(appraisal.employee_id),  # type: ignore[arg-type]
            evaluator=party(appraisal.evaluator_id),
            reviewer=party(appraisal.reviewer_id),
            org_predikat=org_predikat,
            achievements={
                item.indicator_id: item.achievement
                for item in out.rating.basis
                if item.achievement is not None
            },
            target_titles={target.id: target.title for target in out.targets},
            dialogue=dialogue,
            place=self.ctx.settings.document_place,
            dated=dated,
            printed_at=self.ctx.clock.now(),
        )

    def _render(self, content: DocumentContent, name: str, suffix: str = "") -> RenderedDocument:
        return RenderedDocument(
            html=render_html(self.ctx.settings.templates_path, content),
            filename=f"{name}-{content.employee.nip}-{_slug(content.cycle_name)}{suffix}",
        )
