"""When rechecks fall due: 红色通报次日复查, 黄色预警次周复查 (DESIGN §4).

With ``working_days_only`` a deadline lands on a Chinese working day: public
holidays skipped, make-up working Saturdays (调休) counted, from the maintained
``chinesecalendar`` package. For a year it does not know yet, Monday–Friday is
used and a warning is logged once per year.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

RED_DELAY = timedelta(days=1)
YELLOW_DELAY = timedelta(days=7)


@dataclass
class WorkCalendar:
    _warned: set[int] = field(default_factory=set)

    def is_workday(self, day: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                log.warning("holiday calendar has no data for year=%s; using Monday-Friday "
                            "(upgrade the chinesecalendar package)", day.year)
            return day.weekday() < 5

    def on_or_after(self, day: date) -> date:
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day


@dataclass(frozen=True)
class DeadlinePolicy:
    """How to compute ``recheck_due``; pure given its calendar."""

    recheck_time: time
    tz: ZoneInfo
    working_days_only: bool = False
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def due(self, severity: str, now: datetime) -> datetime:
        """Red: the next (working) day; yellow: seven days later (moved to a working day)."""
        day = now.astimezone(self.tz).date() + (RED_DELAY if severity == "red" else YELLOW_DELAY)
        if self.working_days_only:
            day = self.calendar.on_or_after(day)
        return datetime.combine(day, self.recheck_time, tzinfo=self.tz)
