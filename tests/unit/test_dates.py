"""Date forms of Chinese government pages (DESIGN §7) and the traps around them."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.extract.dates import (
    date_from_url,
    find_dates,
    infer_year,
    parse_date,
    parse_datetime_local,
    pick_date,
)

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-05", date(2026, 11, 5)),
        ("2026/11/05", date(2026, 11, 5)),
        ("2026.11.05", date(2026, 11, 5)),
        ("2026年11月5日", date(2026, 11, 5)),
        ("2026 年 11 月 5 日", date(2026, 11, 5)),
        ("2026-11-5", date(2026, 11, 5)),
        ("2026-1-5", date(2026, 1, 5)),
        ("[11-05]", date(2026, 11, 5)),
        ("11-05", date(2026, 11, 5)),
        ("【11-5】", date(2026, 11, 5)),
        ("11月05日", date(2026, 11, 5)),
        ("发布时间：2026-11-05 16:10", date(2026, 11, 5)),
        ("发布日期: 2026-11-05 16:10:33", date(2026, 11, 5)),
        ("２０２６－１１－０５", date(2026, 11, 5)),
        ("2026-11-05T08:00:00+08:00", date(2026, 11, 5)),
        ("(2026-11-27)", date(2026, 11, 27)),  # tomorrow: clocks run ahead, one day of slack
    ],
)
def test_parse_date_forms(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",          # no such day
        "2026-13-01",
        "1989-06-01",          # before 1990
        "2026-11-28",          # two days in the future
        "2027年1月1日",
        "20261105",            # digit runs are ids in text; only date_from_url reads them
        "© 2003-2026",         # copyright years
        "网站标识码5107220001 蜀ICP备05001234号",
        "电话：0817-6221234",
        "16:10",
        "第3-5条",
        "",
    ],
)
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text, TODAY) is None


def test_short_date_takes_the_year_that_is_not_in_the_future() -> None:
    read_on = date(2027, 1, 3)
    assert parse_date("12-30", read_on) == date(2026, 12, 30)
    assert parse_date("[01-02]", read_on) == date(2027, 1, 2)
    assert parse_date("01-04", read_on) == date(2027, 1, 4)  # tomorrow still this year
    assert parse_date("01-05", read_on) == date(2026, 1, 5)


def test_short_leap_day_goes_back_to_a_leap_year() -> None:
    assert infer_year(2, 29, date(2027, 3, 1)) == date(2024, 2, 29)


def test_find_dates_in_reading_order_and_only_padded_short_forms() -> None:
    text = "成文日期：2026-10-28 发布日期：2026年11月3日 [11-05] 3-5 12.50元"
    assert find_dates(text, TODAY) == [date(2026, 10, 28), date(2026, 11, 3), date(2026, 11, 5)]
    assert find_dates(text, TODAY, short=False) == [date(2026, 10, 28), date(2026, 11, 3)]


def test_invalid_full_date_does_not_leak_a_short_one() -> None:
    # "2026-02-30" is rejected whole; its "02-30" tail must not be re-read as a short date
    assert find_dates("2026-02-30 与 1988-11-05", TODAY) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("成文日期：2026-10-28 发布日期：2026-11-03", date(2026, 11, 3)),
        ("截止日期：2026-11-20 2026-11-01", date(2026, 11, 1)),
        ("今天是2026年11月26日 星期四", None),
        ("2026年11月26日 星期四 2026-11-02", date(2026, 11, 2)),
        ("11月3日上午，县委召开… 2026-11-04", date(2026, 11, 4)),  # year beats year-less
        ("浏览次数：1024", None),
    ],
)
def test_pick_date_prefers_publication(text: str, expected: date | None) -> None:
    assert pick_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://x.gov.cn/xwzx/zwyw/202611/t20261105_123456.html", date(2026, 11, 5)),
        ("http://x.gov.cn/art/2026/11/5/art_1234_567.html", date(2026, 11, 5)),
        ("http://x.gov.cn/art/2026/1/15/art_1234_567.html", date(2026, 1, 15)),
        ("http://x.gov.cn/xwzx/2026/1105/c1234a5678/page.htm", date(2026, 11, 5)),
        ("http://x.gov.cn/news/20261105/123.html", date(2026, 11, 5)),
        ("http://x.gov.cn/news/2026-11-05/123.html", date(2026, 11, 5)),
        ("http://x.gov.cn/xwzx/zwyw/202611/abc.html", date(2026, 11, 1)),   # month folder
        ("http://x.gov.cn/xwzx/zwyw/202613/abc.html", None),
        ("http://x.gov.cn/info/1021/12345678.htm", None),
        ("http://x.gov.cn/a/t20260230_1.html", None),
        ("http://x.gov.cn/", None),
    ],
)
def test_date_from_url(url: str, expected: date | None) -> None:
    assert date_from_url(url) == expected


def test_date_from_url_rejects_future_when_told_today() -> None:
    url = "http://x.gov.cn/a/202612/t20261212_1.html"
    assert date_from_url(url) == date(2026, 12, 12)
    assert date_from_url(url, TODAY) is None


def test_iso_timestamp_with_offset_is_read_in_shanghai() -> None:
    assert parse_datetime_local("2026-11-04T22:30:00Z", TODAY) == date(2026, 11, 5)
    assert parse_datetime_local("2026-11-05T06:27:00+08:00", TODAY) == date(2026, 11, 5)
    assert parse_datetime_local("2026-11-05 06:27:00", TODAY) == date(2026, 11, 5)


def test_weekday_after_a_labelled_publication_date_is_not_a_clock() -> None:
    assert pick_date("发布时间：2026年11月5日 星期四", TODAY) == date(2026, 11, 5)
    assert pick_date("2026年11月5日 星期四", TODAY) is None
    assert pick_date("当前时间：2026-11-05", TODAY) is None
