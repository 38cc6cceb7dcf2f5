"""Wire schemas of feedback notes and coaching sessions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from kinerja_flow.lib.text import MULTILINE

Body = Annotated[str, MULTILINE, msgspec.Meta(min_length=1, max_length=5000)]
SessionKind = Literal["coaching", "mentoring", "counselling"]


class FeedbackCreate(msgspec.Struct, forbid_unknown_fields=True):
    body: Body


class FeedbackOut(msgspec.Struct):
    id: int
    target_id: int
    author: str
    author_role: str
    body: str
    created_at: datetime


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    held_on: date
    kind: SessionKind
    topic: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    agreed_actions: Annotated[str, MULTILINE, msgspec.Meta(max_length=5000)] = ""


class SessionOut(msgspec.Struct):
    id: int
    held_on: date
    kind: SessionKind
    topic: str
    agreed_actions: str
    recorded_by: str
    created_at: datetime


class DialogueOut(msgspec.Struct):
    """Everything said during the period: feedback notes and sessions, oldest first."""

    feedback: list[FeedbackOut]
    sessions: list[SessionOut]
