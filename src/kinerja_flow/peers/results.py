"""The results of peer feedback, named or anonymous, and when the anonymous ones are shown.

The employee sees only an aggregate per value: how many answered, the mean score and the
comments in text order, never who was asked or who said what. Scores and comments are
released to the employee only when at least ``peer_min_responses`` peers answered *and*
nobody can answer any more (every request is answered or past its due day, or the appraisal
no longer takes answers): otherwise comparing the aggregate before and after one more answer
would show that answer on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from kinerja_flow.berakhlak import CORE_VALUES, VALUE_NAMES, CoreValue
from kinerja_flow.i18n import _, translate
from kinerja_flow.org.models import Employee
from kinerja_flow.peers.answering import closes_at
from kinerja_flow.peers.models import PeerAnswer, PeerRequest
from kinerja_flow.peers.schemas import (
    AnswerOut,
    Peer,
    PeerFeedbackOut,
    PeerRequestDetail,
    ValueSummary,
)

CENT = Decimal("0.01")


def mean(scores: Sequence[int]) -> float | None:
    """The mean score to two decimals (half up), or None without scores."""
    if not scores:
        return None
    return float((Decimal(sum(scores)) / len(scores)).quantize(CENT, rounding=ROUND_HALF_UP))


def summarise(answers: Sequence[PeerAnswer], locale: str, *, released: bool) -> list[ValueSummary]:
    by_value: dict[str, list[PeerAnswer]] = {value: [] for value in CORE_VALUES}
    for answer in answers:
        by_value[answer.value].append(answer)
    return [
        ValueSummary(
            value=value,
            name=translate(VALUE_NAMES[value], locale),
            answers=len(by_value[value]),
            mean=mean([a.score for a in by_value[value]]) if released else None,
            comments=sorted(a.comment for a in by_value[value] if a.comment) if released else [],
        )
        for value in CORE_VALUES
    ]


def named(
    requests: Sequence[tuple[PeerRequest, Employee]],
    answers: Sequence[PeerAnswer],
    min_responses: int,
    locale: str,
) -> PeerFeedbackOut:
    """Everything, with names: for HR, auditors, the evaluator and the appeal reviewer."""
    order = {value: position for position, value in enumerate(CORE_VALUES)}
    by_request: dict[int, list[PeerAnswer]] = {}
    for answer in sorted(answers, key=lambda a: order[CoreValue(a.value)]):
        by_request.setdefault(answer.request_id, []).append(answer)
    return PeerFeedbackOut(
        view="named",
        invited=len(requests),
        answered=sum(1 for request, _peer in requests if request.answered_at is not None),
        min_responses=min_responses,
        released=True,
        values=summarise(answers, locale, released=True),
        requests=[
            PeerRequestDetail(
                id=request.id,
                peer=msgspec.convert(peer, Peer, from_attributes=True),
                due=request.due,
                created_at=request.created_at,
                answered_at=request.answered_at,
                answers=[
                    msgspec.convert(a, AnswerOut, from_attributes=True)
                    for a in by_request.get(request.id, [])
                ],
            )
            for request, peer in requests
        ],
    )


def anonymous(
    requests: Sequence[PeerRequest],
    answers: Sequence[PeerAnswer],
    *,
    accepting: bool,
    min_responses: int,
    now: datetime,
    locale: str,
) -> PeerFeedbackOut:
    """Counts always; scores and comments only when released (see the module's docstring).

    ``accepting`` tells whether the appraisal still takes answers.
    """
    answered = sum(1 for request in requests if request.answered_at is not None)
    waiting = [
        request.due
        for request in requests
        if accepting and request.answered_at is None and now < closes_at(request.due)
    ]
    message: str | None = None
    if answered < min_responses:
        message = translate(
            _(
                "Scores and comments are shown once at least {count} peers have answered, "
                "so that no answer can be traced to one person."
            ),
            locale,
            count=min_responses,
        )
    elif waiting:
        message = translate(
            _(
                "Scores and comments are shown when every invited peer has answered or the "
                "time to answer has ended ({due})."
            ),
            locale,
            due=str(max(waiting)),
        )
    released = message is None
    return PeerFeedbackOut(
        view="anonymous",
        invited=len(requests),
        answered=answered,
        min_responses=min_responses,
        released=released,
        values=summarise(answers, locale, released=released),
        message=message,
    )
