from datetime import timedelta

import pytest

from monitor.schedule import Interval, Weekly, parse_schedule


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
