"""Wire schemas of peer feedback: invitations, answers, requests and the two views of results."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from kinerja_flow.berakhlak import CoreValue
from kinerja_flow.lib.text import MULTILINE

SCORE_MIN, SCORE_MAX = 1, 5
COMMENT_MAX_LENGTH = 2000
MAX_PEERS_PER_INVITATION = 30

Nip = Annotated[str, msgspec.Meta(pattern=r"^\d{18}$")]
Score = Annotated[int, msgspec.Meta(ge=SCORE_MIN, le=SCORE_MAX)]


class PeerInvite(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of ``POST /appraisals/{id}/peers``: who is asked, and by when they answer."""

    nips: Annotated[list[Nip], msgspec.Meta(min_length=1, max_length=MAX_PEERS_PER_INVITATION)]
    due: date


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    value: CoreValue
    score: Score
    comment: Annotated[str, MULTILINE, msgspec.Meta(max_length=COMMENT_MAX_LENGTH)] | None = None


class PeerAnswers(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Every core value exactly once, in any order."""

    answers: list[AnswerIn]


class ValueOut(msgspec.Struct):
    value: CoreValue
    name: str


class ScalePoint(msgspec.Struct):
    score: int
    label: str


class Subject(msgspec.Struct):
    """The appraised employee, as a peer needs to know them."""

    name: str
    position: str


class PeerRequestOut(msgspec.Struct):
    """What a peer is asked: about whom, by when, on which values and scale."""

    id: int
    employee: Subject
    cycle: str
    due: date
    answered: bool
    open: bool
    values: list[ValueOut]
    scale: list[ScalePoint]
    comment_max_length: int


class PeerReceipt(msgspec.Struct):
    id: int
    answered_at: datetime
    message: str


class Peer(msgspec.Struct):
    nip: str
    name: str
    position: str


class AnswerOut(msgspec.Struct):
    value: CoreValue
    score: int
    comment: str | None


class PeerRequestDetail(msgspec.Struct):
    """One request with the peer's identity and answers: HR, auditors, evaluator, reviewer."""

    id: int
    peer: Peer
    due: date
    created_at: datetime
    answered_at: datetime | None
    answers: list[AnswerOut]


class ValueSummary(msgspec.Struct):
    """Per core value: how many answered, the mean score and the comments, in text order."""

    value: CoreValue
    name: str
    answers: int
    mean: float | None
    comments: list[str]


class PeerFeedbackOut(msgspec.Struct, omit_defaults=True):
    """``named`` for HR, auditors, evaluator and reviewer; ``anonymous`` for the employee.

    In the anonymous view ``released`` says whether scores and comments are shown; when not,
    ``message`` says why. ``requests`` (who was asked, who said what) is only in the named view.
    """

    view: Literal["named", "anonymous"]
    invited: int
    answered: int
    min_responses: int
    released: bool
    values: list[ValueSummary]
    message: str | None = None
    requests: list[PeerRequestDetail] | None = None
