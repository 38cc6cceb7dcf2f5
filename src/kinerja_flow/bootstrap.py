"""Assemble what the application runs with: every model, every case kind, the context."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import async_sessionmaker

import kinerja_flow.followups.appraisal_links
import kinerja_flow.models  # noqa: F401  (every table in the metadata before the first query)
from kinerja_flow.accounts.callers import CALLERS, caller_cache
from kinerja_flow.appraisals.deadlines import AppraisalDeadlines
from kinerja_flow.appraisals.rules import RULES as APPRAISAL_RULES
from kinerja_flow.audit.chain import audit_key
from kinerja_flow.clock import Clock
from kinerja_flow.config import Settings
from kinerja_flow.cycles.jobs import CycleAction, CycleOpen
from kinerja_flow.followups.deadlines import FollowUpDeadlines
from kinerja_flow.followups.steps import STEPS as FOLLOWUP_STEPS
from kinerja_flow.i18n import LOCALES
from kinerja_flow.jobs.queue import JobKind
from kinerja_flow.jobs.runner import JobRunner
from kinerja_flow.lib.db import autocommit, create_engine
from kinerja_flow.lib.passwords import Passwords
from kinerja_flow.notifications.outbox import Outbox
from kinerja_flow.notifications.render import EmailRenderer
from kinerja_flow.operations.audit_check import ChainVerification
from kinerja_flow.policies.distribution import load_policy
from kinerja_flow.policies.followup_rules import load_rules
from kinerja_flow.policies.holidays import load_calendar
from kinerja_flow.reports.jobs import CycleExport
from kinerja_flow.resources import data_dir
from kinerja_flow.roster.bulk_import import EmployeeImport
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.deadlines import DeadlineAdapter
from kinerja_flow.runtime.timing import DeadlineClock
from kinerja_flow.workflow.engine import WorkflowEngine
from kinerja_flow.workflow.loader import MessageCheck, load_dir
from kinerja_flow.workflow.registry import Registry

REGISTRIES: dict[str, Registry[Any]] = {
    APPRAISAL_RULES.kind: APPRAISAL_RULES,
    FOLLOWUP_STEPS.kind: FOLLOWUP_STEPS,
}
"""The kinds of case a workflow file may drive, each with its allow-list of guards and effects."""

DEADLINE_ADAPTERS: dict[str, DeadlineAdapter] = {
    "appraisal": AppraisalDeadlines(),
    "followup": FollowUpDeadlines(),
}
"""Per kind of case, what the deadline scheduler asks of it (which cases are due, the emails
of a reminder or an escalation, firing a trigger as the system, what awaits a person)."""


JOB_KINDS: dict[str, JobKind[AppContext]] = {
    EmployeeImport.kind: EmployeeImport(),
    CycleOpen.kind: CycleOpen(),
    CycleAction.kind: CycleAction(),
    CycleExport.kind: CycleExport(),
    ChainVerification.kind: ChainVerification(),
}
"""The kinds of background job, each run by the domain that registers it."""


def job_runner(ctx: AppContext) -> JobRunner[AppContext]:
    return JobRunner(
        ctx,
        ctx.sessions,
        ctx.clock,
        JOB_KINDS,
        poll_seconds=ctx.settings.jobs_poll_seconds,
        files_kept=timedelta(hours=ctx.settings.job_files_hours),
    )


def deadline_clock(settings: Settings) -> DeadlineClock:
    """The agency's time zone and the holiday calendar (``policies/holidays/<year>.toml``)."""
    try:
        zone = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SystemExit(f"Invalid KINERJA_TIMEZONE {settings.timezone!r}: {exc}") from exc
    return DeadlineClock(zone, load_calendar(settings.holidays_path))


def build_context(settings: Settings, clock: Clock) -> AppContext:
    """Load and check the workflows, templates and policies; create the database engine."""
    templates = settings.templates_path
    definitions = load_dir(
        settings.workflows_path,
        REGISTRIES,
        MessageCheck(templates, LOCALES),
    )
    distribution_policy = load_policy(data_dir("policies") / "distribution.toml")
    followup_rules = load_rules(settings.followup_rules_path)
    pooled = settings.database_pool == "queue"
    sizes: dict[str, Any] = {"pool_size": settings.database_pool_size} if pooled else {}
    engine = create_engine(settings.database_url, pooled=pooled, **sizes)
    callers = caller_cache()
    return AppContext(
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=async_sessionmaker(engine, expire_on_commit=False, info={CALLERS: callers}),
        autocommit=autocommit(engine).connect,
        callers=callers,
        workflows={
            name: WorkflowEngine(definition, REGISTRIES[definition.kind])
            for name, definition in definitions.items()
        },
        outbox=Outbox(EmailRenderer(templates), settings.mail_from),
        passwords=Passwords(settings.password_time_cost, settings.password_memory_kib),
        audit_key=audit_key(settings.audit_secret or settings.secret_key),
        distribution_policy=distribution_policy,
        followup_rules=followup_rules,
        deadline_clock=deadline_clock(settings),
    )
