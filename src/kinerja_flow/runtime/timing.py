"""Deadline arithmetic: when a deadline passes, when each of its steps is due, and which cases
(by the value their deadline counts from) are due for a step now.

A deadline counts from an *anchor*: a date of the case (due by the end of that day, in the
agency's time zone) or the moment the case entered the state (due ``days`` later; counted in
working days, by the end of the last one). Every step moment grows with the anchor, so the
cases due for a step are those whose anchor lies in one range, found here once per pass and
handed to the database as plain bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kinerja_flow.policies.holidays import WorkingCalendar
from kinerja_flow.workflow.definition import DeadlineDef

Anchor = date | datetime
SEARCH_DAYS = 20 * 366
"""How far from today the range search looks for anchor dates (both ways)."""
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Step:
    """One thing a deadline does: ``remind`` (``days`` before), ``escalate`` (``days`` after)
    or ``trigger`` (fire ``trigger`` once it passed). ``key`` names it in the step log."""

    action: str
    days: int = 0
    to: tuple[str, ...] = ()
    trigger: str | None = None

    @property
    def key(self) -> str:
        if self.action == "trigger":
            return f"trigger:{self.trigger}"
        return f"{self.action}:{self.days}"


def steps_of(deadline: DeadlineDef) -> list[Step]:
    """Every step of ``deadline``: reminders farthest first, then escalations, the trigger."""
    steps = [
        Step("remind", r.before, tuple(r.to))
        for r in sorted(deadline.remind, key=lambda r: -r.before)
    ]
    escalations = sorted(deadline.escalate, key=lambda e: e.after)
    steps += [Step("escalate", e.after, tuple(e.to)) for e in escalations]
    if deadline.trigger:
        steps.append(Step("trigger", trigger=deadline.trigger))
    return steps


PASSED = Step("trigger", trigger="*")
"""The moment the deadline itself passes, as a step."""


@dataclass(frozen=True)
class AnchorRange:
    """Anchors ``lower <= a < upper`` (``lower`` None: unbounded below)."""

    lower: Anchor | None
    upper: Anchor


@dataclass(frozen=True)
class DeadlineClock:
    """The agency's time zone and working-day calendar, applied to deadlines."""

    zone: ZoneInfo
    calendar: WorkingCalendar

    # -- days and moments --------------------------------------------------------------

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def start_of(self, day: date) -> datetime:
        """Local midnight starting ``day``, as a UTC moment."""
        return datetime.combine(day, time(), self.zone).astimezone(UTC)

    def end_of(self, day: date) -> datetime:
        return self.start_of(day + timedelta(days=1))

    # -- one case ----------------------------------------------------------------------

    def last_day(self, deadline: DeadlineDef, anchor: Anchor) -> date:
        """The local day by whose end the work is due."""
        if deadline.date is not None:
            assert not isinstance(anchor, datetime)
            return anchor
        assert isinstance(anchor, datetime)
        assert deadline.days is not None
        if deadline.working_days:
            return self.calendar.add_working_days(self.local_date(anchor), deadline.days)
        return self.local_date(anchor + timedelta(days=deadline.days) - TICK)

    def due_at(self, deadline: DeadlineDef, anchor: Anchor) -> datetime:
        """The moment the deadline passes."""
        if deadline.date is None and not deadline.working_days:
            assert isinstance(anchor, datetime)
            assert deadline.days is not None
            return anchor + timedelta(days=deadline.days)
        return self.end_of(self.last_day(deadline, anchor))

    def step_at(self, deadline: DeadlineDef, step: Step, anchor: Anchor) -> datetime:
        """When ``step`` is due for a case whose deadline counts from ``anchor``.

        For a deadline that is a moment (calendar days after the entry) a step comes that many
        days before or after it. For a deadline that is a day, a reminder ``n`` days before
        comes at the start of the day ``n`` (working) days before the last day (7 days before
        31 January: 24 January), an escalation ``n`` days after at the end of the day ``n``
        (working) days after it.
        """
        due = self.due_at(deadline, anchor)
        if step.action == "trigger" or (step.action == "escalate" and step.days == 0):
            return due
        if deadline.date is None and not deadline.working_days:
            offset = timedelta(days=step.days)
            return due - offset if step.action == "remind" else due + offset
        last = self.last_day(deadline, anchor)
        calendar = self.calendar
        if step.action == "remind":
            if deadline.working_days:
                return self.start_of(calendar.subtract_working_days(last, step.days))
            return self.start_of(last - timedelta(days=step.days))
        if deadline.working_days:
            return self.end_of(calendar.add_working_days(last, step.days))
        return self.end_of(last + timedelta(days=step.days))

    def describe_due(self, deadline: DeadlineDef, anchor: Anchor) -> str:
        """The deadline as a person reads it: a day (``31-01-2026``) or, for a deadline counted
        in calendar days from the entry, the moment in local time (``19-01-2026 10:00 WIB``)."""
        if deadline.date is None and not deadline.working_days:
            local = self.due_at(deadline, anchor).astimezone(self.zone)
            return f"{local:%d-%m-%Y %H:%M} {local.tzname()}"
        return f"{self.last_day(deadline, anchor):%d-%m-%Y}"

    def days_left(self, deadline: DeadlineDef, anchor: Anchor, now: datetime) -> int:
        """Whole days from today to the last day (negative once passed)."""
        return (self.last_day(deadline, anchor) - self.local_date(now)).days

    # -- every case at once ------------------------------------------------------------

    def first_not_due(self, deadline: DeadlineDef, step: Step, now: datetime) -> Anchor:
        """The least anchor whose ``step`` moment has not come: every anchor below it is due.

        Exact arithmetic for calendar days after the entry; otherwise a binary search over
        days (a step moment depends only on the anchor's local day), answering that day (for a
        date of the case) or the UTC moment it starts (for the entry into the state).
        """
        if deadline.date is None and not deadline.working_days:
            assert deadline.days is not None
            offset = timedelta(days=deadline.days)
            if step.action == "remind":
                offset -= timedelta(days=step.days)
            elif step.action == "escalate":
                offset += timedelta(days=step.days)
            return now - offset + TICK
        by_date = deadline.date is not None

        def due(ordinal: int) -> bool:
            day = date.fromordinal(ordinal)
            anchor: Anchor = day if by_date else self.start_of(day)
            return self.step_at(deadline, step, anchor) <= now

        today = self.local_date(now).toordinal()
        low, high = today - SEARCH_DAYS, today + SEARCH_DAYS
        if not due(low):
            high = low
        elif due(high):
            pass  # every anchor of the searched span is due
        else:
            while high - low > 1:  # due(low) and not due(high)
                middle = (low + high) // 2
                if due(middle):
                    low = middle
                else:
                    high = middle
        first = date.fromordinal(high)
        return first if by_date else self.start_of(first)

    def due_range(
        self, deadline: DeadlineDef, steps: list[Step], index: int, now: datetime
    ) -> AnchorRange | None:
        """The anchors of the cases for which ``steps[index]`` is due now, or None.

        A reminder is due from its moment until the deadline passes or the next, closer
        reminder is due (several reminders that came while nobody ran are one reminder);
        an escalation and the trigger are due from their moment on.
        """
        step = steps[index]
        upper = self.first_not_due(deadline, step, now)
        if step.action != "remind":
            return AnchorRange(None, upper)
        lower = self.first_not_due(deadline, PASSED, now)
        closer = [s for s in steps[index + 1 :] if s.action == "remind"]
        if closer:
            next_lower = self.first_not_due(deadline, closer[0], now)
            lower = next_lower if _after(next_lower, lower) else lower
        return AnchorRange(lower, upper) if _after(upper, lower) else None


def _after(left: Anchor, right: Anchor) -> bool:
    return left > right  # both dates or both datetimes
