"""Wire schemas of the public survey and the IKM report."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from kinerja_flow.feedback.ikm import ELEMENT_COUNT, SCALE
from kinerja_flow.lib.text import MULTILINE

COMMENT_MAX_LENGTH = 2000

Answer = Annotated[int, msgspec.Meta(ge=SCALE[0], le=SCALE[-1])]
Answers = Annotated[list[Answer], msgspec.Meta(min_length=ELEMENT_COUNT, max_length=ELEMENT_COUNT)]
Comment = Annotated[str, MULTILINE, msgspec.Meta(max_length=COMMENT_MAX_LENGTH)]


class SurveySubmit(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One anonymous response: the nine answers in element order U1-U9, and a comment."""

    answers: Answers
    comment: Comment | None = None


class SurveyReceipt(msgspec.Struct):
    unit: str
    message: str


class ElementOut(msgspec.Struct):
    code: str
    name: str


class ScalePoint(msgspec.Struct):
    value: int
    label: str


class Questionnaire(msgspec.Struct):
    unit: str
    unit_name: str
    language: str
    title: str
    instructions: str
    elements: list[ElementOut]
    scale: list[ScalePoint]
    comment_max_length: int


class IkmReport(msgspec.Struct):
    unit: str
    from_: date | None = msgspec.field(name="from")
    to: date | None
    index: float | None
    category: str | None
    category_label: str | None
    responses: int
    elements: list[float | None]
