"""The working-day calendar: weekends, hari libur nasional and cuti bersama, kept as data.

``policies/holidays/<year>.toml`` lists, for one year, the national holidays (hari libur
nasional) and the collective leave days (cuti bersama) fixed each year by a joint decree of
three ministers (SKB 3 Menteri). A deadline that counts working days (hari kerja) skips them
and every Saturday and Sunday. A year without a file counts weekends only; a file marked
``provisional`` holds estimates until the decree is published.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

import msgspec

HolidayKind = Literal["national", "cuti_bersama"]
MAX_WORKING_DAYS = 3660
"""A bound on any count of working days (ten years), so a bad number cannot loop for ever."""


class CalendarError(Exception):
    """A holiday file cannot be read or does not pass the check."""


class Holiday(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    date: date
    kind: HolidayKind
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class HolidayYear(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    year: int
    days: list[Holiday]
    provisional: bool = False
    basis: str = ""


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days; ``years`` tells which years have a holiday file."""

    holidays: dict[date, Holiday]
    years: dict[int, HolidayYear]

    @property
    def provisional_years(self) -> list[int]:
        return sorted(year for year, data in self.years.items() if data.provisional)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself not counted); 0 gives
        ``day`` itself, or the next working day when ``day`` is not one."""
        if not 0 <= count <= MAX_WORKING_DAYS:
            raise ValueError(f"working days out of range: {count}")
        current = day
        if count == 0:
            while not self.is_working_day(current):
                current += timedelta(days=1)
            return current
        while count:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count -= 1
        return current

    def subtract_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day before ``day``."""
        if not 0 <= count <= MAX_WORKING_DAYS:
            raise ValueError(f"working days out of range: {count}")
        current = day
        while count:
            current -= timedelta(days=1)
            if self.is_working_day(current):
                count -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            count += self.is_working_day(current)
        return count


def _check_year(file: Path, data: HolidayYear) -> list[str]:
    problems = []
    if file.stem != str(data.year):
        problems.append(f"{file}: `year = {data.year}` but the file is named {file.name}")
    seen: set[date] = set()
    for holiday in data.days:
        if holiday.date.year != data.year:
            problems.append(f"{file}: {holiday.date} ({holiday.name}) is not in {data.year}")
        if holiday.date in seen:
            problems.append(f"{file}: {holiday.date} is listed twice")
        seen.add(holiday.date)
    return problems


def load_calendar(directory: Path) -> WorkingCalendar:
    """Read every ``<year>.toml`` in ``directory``; raise :class:`CalendarError` listing all
    problems (unknown keys, a date outside its year, a date listed twice, bad TOML)."""
    years: dict[int, HolidayYear] = {}
    problems: list[str] = []
    for file in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
        try:
            data = msgspec.convert(tomllib.loads(file.read_text(encoding="utf-8")), HolidayYear)
        except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
            problems.append(f"{file}: {exc}")
            continue
        problems.extend(_check_year(file, data))
        years[data.year] = data
    if problems:
        raise CalendarError("\n".join(problems))
    holidays = {h.date: h for data in years.values() for h in data.days}
    return WorkingCalendar(holidays=holidays, years=years)
