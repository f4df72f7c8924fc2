"""Dates as Chinese government pages write them.

Everything here is a pure function of the text and ``today`` (the office's calendar
date, Asia/Shanghai): a date "in the future" is a misreading (a deadline, a typo, a
phone number), never a publication, so it is rejected rather than trusted — a wrong
future date would hide a stale column.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import NamedTuple
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIN_YEAR = 1990
#: Clocks run a little ahead on some servers and the office's day starts at 00:00 +08:00.
FUTURE_SLACK = timedelta(days=1)

# Full-width digits and separators appear in GBK-era pages typed with a Chinese IME.
_FULLWIDTH = str.maketrans("０１２３４５６７８９－／．：", "0123456789-/.:")

_YMD_SEP = re.compile(r"(?<![\d.])((?:19|20)\d{2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?![\d/])")
_YMD_CN = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
# Year-less forms: lists print "[11-05]" or "11月05日". Padded two digits only in free text,
# so "3-5条" or "1/2" never read as dates; ``parse_date`` on a bare value also takes "11-5".
_MD_SEP = re.compile(r"(?<![\d./\-:])(\d{2})([-/])(\d{2})(?![\d/\-:])")
_MD_CN = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_MD_BARE = re.compile(r"^[\[【(（\s]*(\d{1,2})\s*[-/.]\s*(\d{1,2})[\]】)）\s]*$")


def normalize(text: str) -> str:
    """Fold full-width digits/separators and non-breaking spaces so one regex set fits all."""
    return text.translate(_FULLWIDTH).replace("\xa0", " ").replace("\u3000", " ")


def make_date(year: int, month: int, day: int, today: date) -> date | None:
    """A real calendar date, not before 1990 and not after tomorrow; else None."""
    if year < MIN_YEAR:
        return None
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if value <= today + FUTURE_SLACK else None


def infer_year(month: int, day: int, today: date) -> date | None:
    """The most recent (month, day) not after tomorrow: "12-30" read on 2027-01-03 is 2026-12-30.

    Goes back up to four years so that "02-29" still lands on a leap year.
    """
    for year in range(today.year, today.year - 5, -1):
        try:
            value = date(year, month, day)
        except ValueError:
            continue
        if value <= today + FUTURE_SLACK:
            return value
    return None


class DateSpan(NamedTuple):
    """One date found in (normalized) text: where, what, and whether the year was written."""

    start: int
    end: int
    value: date
    full: bool


def _scan(text: str, today: date, *, short: bool) -> list[DateSpan]:
    """Every valid date in ``text``: full-year forms, and year-less ones with ``short``."""
    found: list[DateSpan] = []
    taken: list[tuple[int, int]] = []
    for rx in (_YMD_SEP, _YMD_CN):
        for m in rx.finditer(text):
            y, mo, d = (m.group(1), m.group(3), m.group(4)) if rx is _YMD_SEP \
                else (m.group(1), m.group(2), m.group(3))
            taken.append(m.span())
            value = make_date(int(y), int(mo), int(d), today)
            if value:
                found.append(DateSpan(m.start(), m.end(), value, True))
    if short:
        for rx in (_MD_SEP, _MD_CN):
            for m in rx.finditer(text):
                if any(s <= m.start() < e for s, e in taken):
                    continue
                mo, d = m.group(1), m.group(3) if rx is _MD_SEP else m.group(2)
                value = infer_year(int(mo), int(d), today)
                if value:
                    found.append(DateSpan(m.start(), m.end(), value, False))
    found.sort(key=lambda f: f.start)
    return found


def find_dates(text: str, today: date, *, short: bool = True) -> list[date]:
    """All dates in ``text`` in reading order (year-less ones only with ``short``)."""
    return [span.value for span in _scan(normalize(text), today, short=short)]


def find_date_spans(text: str, today: date, *, short: bool = True) -> list[DateSpan]:
    """Like ``find_dates`` with positions; ``text`` must already be ``normalize``d."""
    return _scan(text, today, short=short)


def parse_date(text: str, today: date) -> date | None:
    """The first date written in ``text`` ("发布时间：2026-11-05 16:10" → 2026-11-05).

    A bare year-less value such as "[11-5]" is read with the year inferred from ``today``.
    Digit runs like 20261105 are not dates in text (they are ids, phone numbers); see
    ``date_from_url`` for those in addresses.
    """
    norm = normalize(text)
    bare = _MD_BARE.match(norm)
    if bare:
        return infer_year(int(bare.group(1)), int(bare.group(2)), today)
    spans = _scan(norm, today, short=True)
    return spans[0].value if spans else None


def parse_datetime_local(text: str, today: date) -> date | None:
    """An ISO timestamp with an offset ("2026-11-04T23:30:00Z") as a Shanghai calendar date.

    Metas such as ``article:published_time`` carry UTC; a post at 06:27 +08:00 is on the
    previous UTC day, so the offset matters. Text without an offset falls back to ``parse_date``.
    """
    value = normalize(text).strip()
    if "T" in value and re.search(r"(Z|[+-]\d{2}:?\d{2})$", value):
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return parse_date(value, today)
        local = instant.astimezone(SHANGHAI).date()
        return make_date(local.year, local.month, local.day, today)
    return parse_date(value, today)


_URL_PATTERNS = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_"),                       # TRS  /t20261105_123.html
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),               # Hanweb /art/2026/11/5/
    re.compile(r"/((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})/"),                   # /2026-11-05/
    re.compile(r"/((?:19|20)\d{2})/(\d{2})(\d{2})/"),                        # WebPlus /2026/1105/
    re.compile(r"[/_-]((?:19|20)\d{2})(\d{2})(\d{2})(?=[/_.-])"),            # /20261105/ _20261105.
    re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),                   # /2026/11/05/
)
_URL_MONTH = re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])/")                # TRS folder /202611/


def date_from_url(url: str, today: date | None = None) -> date | None:
    """A publication-date *hint* from an address; sometimes wrong, so callers use it last.

    A month folder alone (``/202611/``) gives the 1st of that month: the earliest the page
    can have been published. With ``today`` dates after tomorrow are rejected.
    """
    path = unquote(urlsplit(url).path)
    limit = today or date(2100, 1, 1)
    for rx in _URL_PATTERNS:
        for m in rx.finditer(path):
            value = make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), limit)
            if value:
                return value
    m = _URL_MONTH.search(path)
    if m:
        return make_date(int(m.group(1)), int(m.group(2)), 1, limit)
    return None


# Context around a date: a header clock ("今天是2026年11月26日 星期四") is not content, and a
# label before the date says which of several dates is the publication.
_CLOCK_BEFORE = re.compile(r"(今天是|今天|今日|当前时间|现在时间|现在是|当前日期|北京时间)\s*[:：]?\s*$")
_WEEKDAY_AFTER = re.compile(r"^\s*(星期|礼拜|周)[一二三四五六日天]")
PUBLISHED_LABEL = re.compile(r"(发布|公开|发文|发表|上传|更新)[^\d]{0,6}$")
OTHER_LABEL = re.compile(
    r"(成文|印发|签发|截止|结束|开始|起止|有效期|施行|实施|生效|失效|废止|生成|开标|报名|访问|打印)"
    r"[^\d]{0,6}$"
)


def is_clock(text: str, span: DateSpan) -> bool:
    """A date written by a "today is …" widget: a 今天是/当前时间 label before it, or a
    weekday after it unless a 发布 label says otherwise ("发布时间：2026-11-05 星期四")."""
    before = text[max(0, span.start - 8):span.start]
    if _CLOCK_BEFORE.search(before):
        return True
    return bool(_WEEKDAY_AFTER.match(text[span.end:span.end + 4])
                and not PUBLISHED_LABEL.search(label_before(text, span)))


def label_before(text: str, span: DateSpan, width: int = 10) -> str:
    """The few characters before a date, where its label ("发布日期：") would be."""
    return text[max(0, span.start - width):span.start]


def pick_date(text: str, today: date) -> date | None:
    """The publication date among the dates of one list row or info line.

    A date labelled 发布/公开/更新 wins; dates labelled 成文/截止/施行 … and clocks are set
    aside; a date with its year beats a year-less one (a "11月5日上午…" summary).
    """
    norm = normalize(text)
    spans = [s for s in _scan(norm, today, short=True) if not is_clock(norm, s)]
    if not spans:
        return None
    for span in spans:
        if PUBLISHED_LABEL.search(label_before(norm, span)):
            return span.value
    usable = [s for s in spans if not OTHER_LABEL.search(label_before(norm, s))] or spans
    full = [s for s in usable if s.full]
    return (full or usable)[0].value
