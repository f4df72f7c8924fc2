"""Schedule strings of ``[schedule]`` (DESIGN §6): ``mon 02:00``, ``mon,thu 09:30``,
``daily 09:00``, ``mon-fri 08:00``, ``every 1h``, ``every 30s``.

Parsed into plain data here; the daemon turns them into APScheduler triggers. What
the daemon decides when it starts (did it miss a run while it was down?) is computed
here from the schedule, the last run and an injected ``now``, so it is tested without
sleeping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"^every\s+(\d+)\s*([smhd])$")
_AT = re.compile(r"^(?:(daily|[a-z,\-]+)\s+)?(\d{1,2}):(\d{2})$")
RETRY_FIRST = timedelta(minutes=15)   # first retry of a failed job; doubles after each failure


@dataclass(frozen=True)
class Interval:
    """Run every ``seconds``."""

    seconds: int

    @property
    def period(self) -> timedelta:
        return timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Weekly:
    """Run at ``hour:minute`` on ``days`` (APScheduler ``day_of_week`` names)."""

    days: tuple[str, ...]
    hour: int
    minute: int

    @property
    def period(self) -> timedelta:
        """The longest gap between two runs: how late a missed run may be noticed."""
        if len(self.days) == 7:
            return timedelta(days=1)
        idx = sorted(DAYS.index(d) for d in self.days)
        gaps = [(b - a) % 7 or 7 for a, b in zip(idx, idx[1:] + idx[:1], strict=True)]
        return timedelta(days=max(gaps))


Schedule = Interval | Weekly


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule string; raise ``ValueError`` with a Chinese explanation."""
    value = " ".join(text.strip().lower().split())
    every = _EVERY.match(value)
    if every:
        seconds = int(every.group(1)) * _UNITS[every.group(2)]
        if seconds <= 0:
            raise ValueError(f"{text!r}: 间隔必须大于 0")
        return Interval(seconds)
    at = _AT.match(value)
    if not at:
        raise ValueError(f"{text!r} 不是有效的计划（例如 'mon 02:00'、'daily 09:00'、'every 1h'）")
    hour, minute = int(at.group(2)), int(at.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r}: 时间 {hour}:{minute:02d} 无效")
    return Weekly(_parse_days(at.group(1) or "daily", text), hour, minute)


def _parse_days(spec: str, text: str) -> tuple[str, ...]:
    if spec == "daily":
        return DAYS
    days: list[str] = []
    for part in spec.split(","):
        if "-" in part:
            start, _, end = part.partition("-")
            if start not in DAYS or end not in DAYS:
                raise ValueError(f"{text!r}: 星期 {part!r} 无效（mon … sun）")
            i, j = DAYS.index(start), DAYS.index(end)
            days += [DAYS[k % 7] for k in range(i, j + (7 if j < i else 0) + 1)]
        elif part in DAYS:
            days.append(part)
        else:
            raise ValueError(f"{text!r}: 星期 {part!r} 无效（mon … sun）")
    return tuple(dict.fromkeys(days))


def latest_slot(schedule: Weekly, now: datetime, tz: ZoneInfo) -> datetime:
    """The most recent instant at or before ``now`` when ``schedule`` was due to fire."""
    local = now.astimezone(tz)
    for back in range(8):
        day = local.date() - timedelta(days=back)
        if DAYS[day.weekday()] in schedule.days:
            slot = datetime.combine(day, time(schedule.hour, schedule.minute), tzinfo=tz)
            if slot <= local:
                return slot
    raise AssertionError(f"no slot in the last week for {schedule}")  # pragma: no cover


def first_run(schedule: Schedule, last: datetime | None, now: datetime, tz: ZoneInfo) -> datetime | None:
    """When a job last done at ``last`` should first run after a start at ``now``.

    ``now`` when a run was missed (never done, or done before the latest slot / more than
    one interval ago); for an interval not yet elapsed, ``last + interval``, so the rhythm
    survives restarts; ``None`` when the schedule's own next slot is right.
    """
    if last is None:
        return now
    if isinstance(schedule, Interval):
        return max(now, last + schedule.period)
    return now if last < latest_slot(schedule, now, tz) else None


def retry_delay(schedule: Schedule, failures: int) -> timedelta:
    """How long after the ``failures``-th failure in a row a job is tried again.

    Doubling from ``RETRY_FIRST`` (a database or network hiccup passes), capped at the
    schedule's period so that a persistent fault never runs the job more often than planned.
    """
    delay = RETRY_FIRST * 2 ** max(0, failures - 1)
    return min(delay, schedule.period)

