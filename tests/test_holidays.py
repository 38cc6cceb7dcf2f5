"""The working-day calendar kept as data: weekends, national holidays and cuti bersama."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kinerja_flow.policies.holidays import CalendarError, load_calendar
from kinerja_flow.resources import data_dir
from kinerja_flow.runtime.timing import DeadlineClock, Step, steps_of
from kinerja_flow.workflow.definition import DeadlineDef, Reminder

CALENDAR = load_calendar(data_dir("policies") / "holidays")


def test_the_shipped_years_hold_the_decree_of_2026_and_a_provisional_2027() -> None:
    assert sorted(CALENDAR.years) == [2026, 2027]
    assert CALENDAR.provisional_years == [2027]
    kinds = [h.kind for h in CALENDAR.years[2026].days]
    assert kinds.count("cuti_bersama") == 8  # SKB 3 Menteri: 17 national days, 8 cuti bersama
    assert kinds.count("national") == 17


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 3, 13), 1, date(2026, 3, 16)),  # Friday + 1: Monday
        (date(2026, 3, 17), 1, date(2026, 3, 25)),  # Nyepi, Lebaran and cuti bersama skipped
        (date(2026, 3, 16), 14, date(2026, 4, 13)),  # ... and Good Friday
        (date(2026, 12, 23), 1, date(2026, 12, 28)),  # Christmas and its cuti bersama
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year 2027 (provisional file)
        (date(2026, 3, 21), 0, date(2026, 3, 25)),  # 0: the day itself, or the next working day
    ],
)
def test_working_days_skip_weekends_holidays_and_cuti_bersama(
    start: date, count: int, expected: date
) -> None:
    assert CALENDAR.add_working_days(start, count) == expected
    if count:
        assert CALENDAR.subtract_working_days(expected, count) <= start
        assert CALENDAR.working_days_between(start, expected) == count


def test_a_deadline_in_working_days_ends_at_midnight_in_the_agencys_time_zone() -> None:
    clock = DeadlineClock(ZoneInfo("Asia/Jakarta"), CALENDAR)
    deadline = DeadlineDef(days=14, working_days=True, remind=[Reminder(before=5, to=["x"])])
    filed = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)  # 08:00 WIB
    assert clock.last_day(deadline, filed) == date(2026, 4, 13)
    assert clock.due_at(deadline, filed) == datetime(2026, 4, 13, 17, 0, tzinfo=UTC)
    remind, passed = steps_of(deadline)[0], Step("trigger", trigger="*")
    assert clock.step_at(deadline, remind, filed) == datetime(2026, 4, 5, 17, 0, tzinfo=UTC)
    assert clock.describe_due(deadline, filed) == "13-04-2026"
    # the range search finds the same boundary: filed on 16 March is due, 17 March is not yet
    upper = clock.first_not_due(deadline, passed, datetime(2026, 4, 13, 17, 0, tzinfo=UTC))
    assert upper == datetime(2026, 3, 16, 17, 0, tzinfo=UTC)  # 17 March, 00:00 WIB


def test_a_bad_holiday_file_is_refused_with_its_problems(tmp_path: Path) -> None:
    (tmp_path / "2026.toml").write_text(
        'year = 2026\ndays = [\n  { date = 2025-12-31, kind = "national", name = "x" },\n'
        '  { date = 2026-01-01, kind = "national", name = "y" },\n'
        '  { date = 2026-01-01, kind = "cuti_bersama", name = "z" },\n]\n',
        encoding="utf-8",
    )
    (tmp_path / "2028.toml").write_text('year = 2028\ndays = []\ncolour = "red"\n')
    with pytest.raises(CalendarError) as refused:
        load_calendar(tmp_path)
    problems = str(refused.value)
    assert "2025-12-31" in problems
    assert "listed twice" in problems
    assert "colour" in problems
