"""Deadlines that act: reminders, escalations and the appeal window's lapse, taken by the
scheduler exactly once as the injected clock moves (no sleeping)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kinerja_flow.audit.models import AuditEvent
from kinerja_flow.bootstrap import build_context
from kinerja_flow.runtime.step_log import DeadlineStep
from kinerja_flow.scheduler import Scheduler, SchedulerReport
from tests.support.api import EMPLOYEE, EVALUATOR, HR, Api
from tests.support.cli import CliResult, run_cli
from tests.support.flow import advance, world
from tests.support.mailserver import MailServer

WIB = timezone(timedelta(hours=7))
BUDI, SITI, HENDRA, RINA = (
    "budi@example.go.id",
    "siti@example.go.id",
    "hendra@example.go.id",
    "rina@example.go.id",
)
ADMIN = "admin@bkpsdm.example.go.id"


def wib(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


async def at(api: Api, moment: datetime) -> None:
    """Move the clock forward to ``moment``."""
    assert moment >= api.clock.now(), (moment, api.clock.now())
    api.clock.advance(moment - api.clock.now())


async def tick(api: Api) -> SchedulerReport:
    """One scheduler pass, as ``kinerja-flow deadlines run`` makes it."""
    report = await Scheduler(api.ctx).run_once()
    assert not report.failed, report
    return report


async def kinds_to(api: Api, address: str) -> list[str]:
    return [row.kind for row in await api.outbox(to=address)]


async def trail(api: Api, appraisal: dict[str, Any]) -> list[dict[str, Any]]:
    response = await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", HR)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


async def test_the_appeal_window_closes_itself_after_reminding_the_employee(api: Api) -> None:
    appraisal = await advance(api, await world(api), "reviewed")
    released = api.clock.now()
    assert appraisal["due_at"] is not None
    assert datetime.fromisoformat(appraisal["due_at"]) == released + timedelta(days=14)

    await at(api, released + timedelta(days=7) - timedelta(minutes=1))
    await tick(api)
    assert "deadline_reminder" not in await kinds_to(api, BUDI)
    await at(api, released + timedelta(days=7))
    assert (await tick(api)).deadlines.taken["remind"] == 1
    (first,) = await api.outbox(to=BUDI, kind="deadline_reminder")
    assert "dalam 7 hari" in first.body_text  # Indonesian by default
    assert f"/appraisals/{appraisal['id']}" in first.body_text
    await at(api, released + timedelta(days=13))
    await tick(api)
    assert len(await api.outbox(to=BUDI, kind="deadline_reminder")) == 2

    # A minute before the window closes the employee may still appeal; nothing happened.
    await at(api, released + timedelta(days=14) - timedelta(minutes=1))
    await tick(api)
    current = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    assert current["state"] == "reviewed"
    assert "file_appeal" in current["allowed_actions"]

    await at(api, released + timedelta(days=14))
    report = await tick(api)
    assert report.deadlines.taken["trigger"] == 1
    current = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    assert current["state"] == "follow_up"
    events = await trail(api, appraisal)
    lapse = events[-2]  # then the follow-up the rules proposed on the way in
    assert events[-1]["action"] == "followup.proposed"
    assert (lapse["action"], lapse["actor"]) == ("appraisal.accept_result", "system")
    assert (lapse["from_state"], lapse["to_state"]) == ("reviewed", "follow_up")
    reminders = [e for e in events if e["action"] == "appraisal.deadline_reminder"]
    assert [e["actor"] for e in reminders] == ["system", "system"]
    assert all(e["at"] < lapse["at"] for e in reminders)  # reminded before the lapse
    for address in (BUDI, SITI):
        (told,) = await api.outbox(to=address, kind="result_accepted")
        assert "Budi Santoso" in told.body_text

    # Nothing is repeated, and a person cannot fire the system's trigger.
    again = await tick(api)
    assert sum(again.deadlines.taken.values()) == 0
    assert len(await api.outbox(to=BUDI, kind="result_accepted")) == 1
    refused = await api.act(current, "accept_result", EMPLOYEE)
    assert refused.status_code == 403
    await api.deliver()
    subjects = [str(m["Subject"]) for m in api.mail.to(BUDI)]
    assert [s for s in subjects if s.startswith("Hasil penilaian")], subjects


async def test_a_cycle_date_reminds_twice_then_escalates_to_the_evaluator(api: Api) -> None:
    appraisal = await world(api)  # planning; the cycle's targets are due on 31-01-2026
    await at(api, wib(1, 23, 23, 59))
    await tick(api)
    assert "deadline_reminder" not in await kinds_to(api, BUDI)

    await at(api, wib(1, 24))
    report = await tick(api)
    assert report.deadlines.taken["remind"] == 6  # every employee of the agency is planning
    await api.deliver()
    (message,) = [m for m in api.mail.to(BUDI) if "Pengingat" in str(m["Subject"])]
    text = MailServer.text_of(message)
    assert "31-01-2026" in text
    assert "dalam 7 hari" in text
    assert f"https://kinerja.example.go.id/appraisals/{appraisal['id']}" in text

    await at(api, wib(1, 30, 9))
    await tick(api)
    assert len(await api.outbox(to=BUDI, kind="deadline_reminder")) == 2
    assert "besok" in (await api.outbox(to=BUDI, kind="deadline_reminder"))[-1].body_text

    await at(api, wib(2, 1))
    report = await tick(api)
    assert report.deadlines.taken["escalate"] == 6
    escalations = await api.outbox(to=SITI, kind="deadline_escalation")
    assert sorted("Budi Santoso" in row.body_text for row in escalations) == [False, True]
    (about_budi,) = [row for row in escalations if "Budi Santoso" in row.body_text]
    assert "Pejabat Penilai" in about_budi.body_text or "evaluator" in about_budi.body_text
    assert "deadline_escalation" not in await kinds_to(api, BUDI)
    actions = [e["action"] for e in await trail(api, appraisal)]
    assert actions.count("appraisal.deadline_reminder") == 2
    assert actions.count("appraisal.deadline_escalation") == 1

    # Submitted late: the evaluator's stay starts overdue, and is not escalated again.
    await at(api, wib(2, 1, 10))
    late = await advance(api, appraisal, "targets_submitted")
    await at(api, wib(2, 2))
    report = await tick(api)
    assert sum(report.deadlines.taken.values()) == 0
    assert report.deadlines.skipped >= 1
    assert late["state"] == "targets_submitted"
    for address in (HENDRA, RINA):
        escalated = await api.outbox(to=address, kind="deadline_escalation")
        assert not [row for row in escalated if "Budi Santoso" in row.body_text]


async def test_an_overdue_review_goes_to_the_evaluators_superior_and_hr(api: Api) -> None:
    appraisal = await advance(api, await world(api), "under_review")  # review due 31-12-2026
    await at(api, wib(12, 24))
    await tick(api)
    reminders = await api.outbox(to=SITI, kind="deadline_reminder")
    assert any("Budi Santoso" in row.body_text for row in reminders)
    await at(api, wib(1, 1, year=2027))
    await tick(api)
    for address in (HENDRA, RINA, ADMIN):
        rows = await api.outbox(to=address, kind="deadline_escalation")
        assert sum("Budi Santoso" in row.body_text for row in rows) == 1, address
    assert not [
        row
        for row in await api.outbox(to=BUDI, kind="deadline_escalation")
        if "Budi Santoso" in row.body_text
    ]
    events = [e for e in await trail(api, appraisal) if e["action"].startswith("appraisal.dead")]
    assert events[-1]["data"]["to"] == ["reviewer", "hr"]


async def test_two_schedulers_at_once_take_each_step_exactly_once(api: Api) -> None:
    reviewed = await advance(api, await world(api), "reviewed")
    second = build_context(api.settings, api.clock)  # another worker process, its own pool
    try:
        for moment in (wib(1, 24), wib(2, 1), wib(2, 2)):
            await at(api, moment)
            reports = await asyncio.gather(
                Scheduler(api.ctx).run_once(), Scheduler(second).run_once()
            )
            assert not any(report.failed for report in reports)
    finally:
        await second.engine.dispose()
    outbox = await api.outbox()
    per_message = Counter(
        (row.kind, row.to_address, row.subject)
        for row in outbox
        if row.kind.startswith("deadline_") or row.kind == "result_accepted"
    )
    assert all(count == 1 for count in per_message.values()), per_message
    sent = Counter((kind, to) for kind, to, _subject in per_message)
    assert sent[("deadline_reminder", SITI)] == 1  # her own SKP, 7 days before
    assert sent[("deadline_escalation", HENDRA)] == 3  # Siti, Rina and Agus report to him
    assert sent[("result_accepted", BUDI)] == sent[("result_accepted", SITI)] == 1
    async with api.ctx.sessions() as session:
        watched = AuditEvent.action.in_(
            [
                "appraisal.deadline_reminder",
                "appraisal.deadline_escalation",
                "appraisal.accept_result",
            ]
        )
        actions = Counter((await session.scalars(select(AuditEvent.action).where(watched))).all())
        steps = (await session.scalars(select(DeadlineStep))).all()
    # five planning appraisals: a reminder each (7 days before; the 1-day one was never due
    # on the days the clock stopped), an escalation each; one lapse
    assert actions == {
        "appraisal.deadline_reminder": 5,
        "appraisal.deadline_escalation": 5,
        "appraisal.accept_result": 1,
    }
    assert len(steps) == 11
    assert len({step.worker for step in steps}) >= 1
    lapsed = (await api.get(f"/api/v1/appraisals/{reviewed['id']}", EVALUATOR)).json()
    assert lapsed["state"] == "follow_up"


async def test_the_appeal_decision_counts_working_days_across_the_lebaran_holidays(
    api: Api,
) -> None:
    """Filed on Monday 16 March 2026: 14 working days skip cuti bersama (18, 20, 23, 24 March),
    Nyepi (19 March), Good Friday (3 April) and the weekends, so the reviewer has until
    Monday 13 April, not the 30 March that 14 calendar days would give."""
    appraisal = await advance(api, await world(api), "under_review")
    await at(api, wib(3, 16, 8))
    appraisal = await advance(api, appraisal, "appealed")
    assert appraisal["due"] == "2026-04-13"
    assert datetime.fromisoformat(appraisal["due_at"]) == wib(4, 14)

    def reviewer_mail(kind: str) -> Any:
        return api.outbox(to=HENDRA, kind=kind)

    await at(api, wib(3, 31, 9))
    await tick(api)
    await at(api, wib(4, 5, 23, 59))
    await tick(api)
    assert not await reviewer_mail("deadline_reminder")
    await at(api, wib(4, 6))  # 5 working days before the last day
    await tick(api)
    (reminder,) = await reviewer_mail("deadline_reminder")
    assert "13-04-2026" in reminder.body_text
    await at(api, wib(4, 13, 23, 59))
    await tick(api)
    assert len(await reviewer_mail("deadline_reminder")) == 2
    assert not [
        r
        for r in await api.outbox(to=RINA)
        if r.kind == "deadline_escalation" and "Budi Santoso" in r.body_text
    ]
    await at(api, wib(4, 14))
    await tick(api)
    (escalated,) = [
        r
        for r in await api.outbox(to=RINA, kind="deadline_escalation")
        if "Budi Santoso" in r.body_text
    ]
    assert "13-04-2026" in escalated.body_text
    assert "deadline_escalation" not in [
        r.kind for r in await api.outbox(to=HENDRA) if "Budi Santoso" in r.body_text
    ]


async def test_deadlines_run_makes_one_pass_and_exits(api: Api, tmp_path: Path) -> None:
    """The command reads the real clock: the world's targets (due 31-01-2026) are long past."""
    await world(api)
    secrets = {"KINERJA_SECRET_KEY": api.settings.secret_key}

    def deadlines_run() -> CliResult:
        return run_cli(
            "deadlines", "run", database_url=api.settings.database_url, cwd=tmp_path, env=secrets
        )

    first = await asyncio.to_thread(deadlines_run)
    assert first.code == 0, first.err
    assert "6 escalation(s)" in first.out
    again = await asyncio.to_thread(deadlines_run)
    assert again.code == 0, again.err
    assert "0 reminder(s), 0 escalation(s), 0 automatic step(s)" in again.out
    escalated = await api.outbox(to=SITI, kind="deadline_escalation")
    assert [("Budi Santoso" in row.body_text) for row in escalated].count(True) == 1
