"""What packages built on appraisals add to an appraisal's description.

Those packages import appraisals, so appraisals cannot import them; they register a reader here
once, at import (as they register guards and effects in the workflow allow-list), and
:meth:`AppraisalAccess.describe` calls it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kinerja_flow.appraisals.read_model import AppraisalHead, Reader
from kinerja_flow.appraisals.schemas import FollowUpBrief
from kinerja_flow.runtime.context import AppContext

FollowUpReader = Callable[
    [Reader, AppContext, AppraisalHead, str],
    Awaitable[tuple[list[FollowUpBrief], list[FollowUpBrief]]],
]
"""(session, context, appraisal, reader's locale) -> (its items, earlier improvement plans)."""


@dataclass
class Extensions:
    followups: FollowUpReader | None = None


EXTENSIONS = Extensions()
