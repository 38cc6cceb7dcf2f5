"""What a printed document shows, gathered before rendering (templates do no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from kinerja_flow.appraisals.schemas import AppraisalOut
from kinerja_flow.coaching.schemas import DialogueOut

DocumentKind = Literal["skp", "evaluation"]


@dataclass(frozen=True)
class Party:
    """A person on the document: name, NIP, position and work unit (unit kerja)."""

    name: str
    nip: str
    position: str
    unit: str


@dataclass(frozen=True)
class DocumentContent:
    kind: DocumentKind
    locale: str
    draft: bool
    """The evaluation before its release: shown to the evaluator, HR and others, marked DRAFT."""
    appraisal: AppraisalOut
    """As the reader may see it (:meth:`AppraisalAccess.describe`)."""
    cycle_name: str
    period_start: date
    period_end: date
    employee: Party
    evaluator: Party | None
    reviewer: Party | None
    org_predikat: str | None
    """The employee's unit's organisation predikat for the cycle, if HR has set it."""
    achievements: dict[int, float]
    """Realisation against target per indicator id, where it can be measured."""
    target_titles: dict[int, str]
    dialogue: DialogueOut
    place: str | None
    dated: date | None
    """SKP: the day the targets were approved; evaluation: the day the result was released."""
    printed_at: datetime

    @property
    def appeal_decided(self) -> bool:
        appeal = self.appraisal.appeal
        return appeal is not None and appeal.decision is not None
