"""The clock is an argument: ``--now`` / ``$MONITOR_NOW`` pin it for backfills, reports and tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]


def parse_now(text: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Parse an ISO date or datetime; a naive value is read in the configured timezone."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"不是 ISO 时间: {text!r}（例如 2026-11-26T09:00:00+08:00）") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def system_clock() -> datetime:
    return datetime.now(UTC)


def shifted_clock(start: datetime) -> Clock:
    """A clock that reads ``start`` now and then advances in real time: ``--now`` for the daemon,
    whose jobs must still see time pass."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def local_date(instant: datetime, tz: ZoneInfo = SHANGHAI) -> date:
    """The calendar date of an instant in the office's timezone (what "days old" counts from)."""
    return instant.astimezone(tz).date()


def days_between(earlier: date, today: date) -> int:
    """Whole days from ``earlier`` to ``today`` (DESIGN §3: "older than N days")."""
    return (today - earlier).days
