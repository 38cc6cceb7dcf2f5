"""Import every model so the metadata is complete (Alembic, tests)."""

from kinerja_flow.accounts.models import Account, AccountToken, LoginFailure
from kinerja_flow.appraisals.cycle_models import Cycle, UnitResult, cycle_units
from kinerja_flow.appraisals.models import (
    Appeal,
    Appraisal,
    BehaviourNote,
    Evidence,
    Indicator,
    Target,
)
from kinerja_flow.audit.models import AuditEvent, AuditHead
from kinerja_flow.coaching.models import CoachingSession, FeedbackNote
from kinerja_flow.feedback.models import SurveyResponse
from kinerja_flow.followups.models import (
    FollowUp,
    FollowUpCheckpoint,
    FollowUpSession,
    ProposalRun,
)
from kinerja_flow.jobs.models import Job
from kinerja_flow.lib.db import Base
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.peers.models import PeerAnswer, PeerRequest
from kinerja_flow.runtime.heartbeat import SchedulerPass
from kinerja_flow.runtime.step_log import DeadlineStep
from kinerja_flow.web.models import WebSession

metadata = Base.metadata

__all__ = [
    "Account",
    "AccountToken",
    "Appeal",
    "Appraisal",
    "AuditEvent",
    "AuditHead",
    "BehaviourNote",
    "CoachingSession",
    "Cycle",
    "DeadlineStep",
    "Employee",
    "Evidence",
    "FeedbackNote",
    "FollowUp",
    "FollowUpCheckpoint",
    "FollowUpSession",
    "Indicator",
    "Job",
    "LoginFailure",
    "OutboxMessage",
    "PeerAnswer",
    "PeerRequest",
    "ProposalRun",
    "SchedulerPass",
    "SurveyResponse",
    "Target",
    "Unit",
    "UnitResult",
    "WebSession",
    "cycle_units",
    "metadata",
]
