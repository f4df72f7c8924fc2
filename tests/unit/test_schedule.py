from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.schedule import Interval, Weekly, first_run, latest_slot, parse_schedule, retry_delay


@pytest.mark.parametrize(("text", "expected"), [
    ("mon 02:00", Weekly(("mon",), 2, 0)),
    ("Mon  9:30", Weekly(("mon",), 9, 30)),
    ("daily 09:00", Weekly(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), 9, 0)),
    ("mon,thu 08:15", Weekly(("mon", "thu"), 8, 15)),
    ("mon-fri 08:00", Weekly(("mon", "tue", "wed", "thu", "fri"), 8, 0)),
    ("sat-mon 07:00", Weekly(("sat", "sun", "mon"), 7, 0)),
    ("10:00", Weekly(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), 10, 0)),
    ("every 1h", Interval(3600)),
    ("every 30s", Interval(30)),
    ("every 5 m", Interval(300)),
])
def test_valid(text: str, expected: object) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize("text", ["monday 02:00", "mon 24:00", "mon 02:60", "every 0s", "every 1w", "", "mon"])
def test_invalid(text: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(text)


def test_period_is_longest_gap() -> None:
    assert parse_schedule("mon 02:00").period == timedelta(days=7)
    assert parse_schedule("mon,thu 02:00").period == timedelta(days=4)
    assert parse_schedule("daily 02:00").period == timedelta(days=1)
    assert parse_schedule("every 1h").period == timedelta(hours=1)


TZ = ZoneInfo("Asia/Shanghai")
MONDAY_0200 = datetime(2026, 11, 23, 2, 0, tzinfo=TZ)
WEEKLY = parse_schedule("mon 02:00")


@pytest.mark.parametrize(("now", "slot"), [
    (MONDAY_0200, MONDAY_0200),
    (MONDAY_0200 - timedelta(seconds=1), MONDAY_0200 - timedelta(days=7)),
    (MONDAY_0200 + timedelta(days=6, hours=23), MONDAY_0200),
    (MONDAY_0200.astimezone(UTC), MONDAY_0200),             # Sunday 18:00 UTC is Monday in Shanghai
])
def test_latest_slot(now: datetime, slot: datetime) -> None:
    assert isinstance(WEEKLY, Weekly)
    assert latest_slot(WEEKLY, now, TZ) == slot


@pytest.mark.parametrize(("last", "now", "expected"), [
    # never done: run now
    (None, MONDAY_0200 + timedelta(days=3), "now"),
    # last Monday's round done; restarted on Thursday: nothing missed
    (MONDAY_0200 + timedelta(seconds=1), MONDAY_0200 + timedelta(days=3), None),
    # down over this Monday's 02:00, back at 02:03: the round runs once now
    (MONDAY_0200 - timedelta(days=7), MONDAY_0200 + timedelta(minutes=3), "now"),
    # down from Saturday to Monday 01:59: not yet due, the scheduler runs it at 02:00
    (MONDAY_0200 - timedelta(days=7), MONDAY_0200 - timedelta(minutes=1), None),
    # the round of 02:00 was killed; the last completed one started the week before
    (MONDAY_0200 - timedelta(days=7) + timedelta(seconds=2), MONDAY_0200 + timedelta(minutes=30), "now"),
    # an operator ran `monitor round` after the missed slot: nothing to make up
    (MONDAY_0200 + timedelta(hours=5), MONDAY_0200 + timedelta(hours=6), None),
])
def test_missed_round_detection(last: datetime | None, now: datetime, expected: str | None) -> None:
    assert first_run(WEEKLY, last, now, TZ) == (now if expected == "now" else None)


def test_interval_keeps_its_rhythm_across_a_restart() -> None:
    hourly = parse_schedule("every 1h")
    now = MONDAY_0200
    assert first_run(hourly, now - timedelta(minutes=20), now, TZ) == now + timedelta(minutes=40)
    assert first_run(hourly, now - timedelta(hours=1), now, TZ) == now
    assert first_run(hourly, now - timedelta(days=2), now, TZ) == now        # missed many: once, now
    assert first_run(hourly, None, now, TZ) == now


def test_retry_delay_doubles_up_to_the_period() -> None:
    assert retry_delay(WEEKLY, 1) == timedelta(minutes=15)
    assert retry_delay(WEEKLY, 2) == timedelta(minutes=30)
    assert retry_delay(WEEKLY, 3) == timedelta(hours=1)
    assert retry_delay(WEEKLY, 20) == timedelta(days=7)
    assert retry_delay(parse_schedule("every 5m"), 1) == timedelta(minutes=5)
