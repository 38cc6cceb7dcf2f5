"""The vocabulary of development plans (rencana pengembangan): the follow-up kinds and owners.

A follow-up item is what an appraisal's result calls for (tindak lanjut, DESIGN.md section 2.6):
``training`` (pelatihan, counted in JP, jam pelajaran, 45 minutes each), ``mentoring`` (by
another employee), ``coaching``, ``counselling`` (konseling kinerja), ``reward``
(penghargaan), ``promotion_recommendation``, ``talent_pool`` (the agency's pool of high
performers) and ``improvement_plan`` (a period, six months by default, to improve, with
checkpoints and an outcome). The ``owner`` is who does the work.
"""

from __future__ import annotations

from enum import StrEnum


class FollowUpKind(StrEnum):
    TRAINING = "training"
    MENTORING = "mentoring"
    COACHING = "coaching"
    COUNSELLING = "counselling"
    REWARD = "reward"
    PROMOTION_RECOMMENDATION = "promotion_recommendation"
    TALENT_POOL = "talent_pool"
    IMPROVEMENT_PLAN = "improvement_plan"


class Owner(StrEnum):
    """Who does the work of a follow-up item."""

    EMPLOYEE = "employee"
    EVALUATOR = "evaluator"
    HR = "hr"


class Outcome(StrEnum):
    """How an improvement plan ended; the employee's next appraisal shows it."""

    IMPROVED = "improved"
    NOT_IMPROVED = "not_improved"


DEFAULT_OWNER: dict[FollowUpKind, Owner] = {
    FollowUpKind.TRAINING: Owner.EMPLOYEE,
    FollowUpKind.MENTORING: Owner.EMPLOYEE,
    FollowUpKind.COACHING: Owner.EVALUATOR,
    FollowUpKind.COUNSELLING: Owner.EVALUATOR,
    FollowUpKind.REWARD: Owner.HR,
    FollowUpKind.PROMOTION_RECOMMENDATION: Owner.HR,
    FollowUpKind.TALENT_POOL: Owner.HR,
    FollowUpKind.IMPROVEMENT_PLAN: Owner.EMPLOYEE,
}

WITH_SESSIONS = frozenset({FollowUpKind.MENTORING, FollowUpKind.COACHING, FollowUpKind.COUNSELLING})
"""Kinds whose meetings are logged as sessions (date and notes)."""

IMPROVEMENT_MONTHS = 6
"""The default length of an improvement plan (DESIGN.md section 2.6)."""
DEFAULT_DUE_DAYS = 90
"""The default time to finish any other item."""
