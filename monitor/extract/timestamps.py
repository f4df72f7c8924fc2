"""Timestamps as feeds and RSS bridges write them, read as aware datetimes.

A post's *date* is only taken after converting its instant to Asia/Shanghai: a post at
06:27 +08:00 is on the previous day in UTC, so reading the date off a UTC string would
make every early-morning post a day older. Feeds from Chinese servers add their own
habits, each handled here:

- RFC 822 with ``+0800`` or ``GMT`` (RSSHub writes ``toUTCString()``), and Java's
  ``Date.toString()`` ("Wed Nov 05 06:27:00 CST 2026");
- ``CST`` means China Standard Time (UTC+8) on these servers, never US Central (UTC−6),
  which is how generic parsers (feedparser, ``email.utils``) read it;
- ISO 8601 with or without a zone, with ``/`` or ``.`` separators, or a space for ``T``;
  Chinese "2026年11月05日 06:27";
- no zone at all means Beijing time (feedparser would say UTC);
- placeholders for "unknown" (1970-01-01, 0001-01-01) are no date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz

from monitor.extract.dates import MIN_YEAR, SHANGHAI, normalize

_CHINA_ZONE = re.compile(r"(?<![A-Za-z])(?:CST|BJT|北京时间|(?:GMT|UTC)\s*\+\s*0?8(?::?00)?)(?![A-Za-z\d])")
_ZONE = re.compile(r"(?<![A-Za-z])(?:GMT|UTC|UT|Z|[ECMP][SD]T)(?![A-Za-z])|[+-]\d{2}:?\d{2}(?!\d)")
_ISO = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$", re.I)
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"
                      r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{2}))?")


def says_cst(text: str) -> bool:
    """Whether the text names the ambiguous zone "CST" (read as UTC+8; worth a note)."""
    return bool(re.search(r"(?<![A-Za-z])CST(?![A-Za-z])", text))


def parse_instant(text: str | None) -> datetime | None:
    """A feed timestamp as an aware datetime (zone-less text is Beijing time), else None.

    None also for unreadable text and for years before 1990 (bridges' placeholders).
    """
    if not text:
        return None
    value = normalize(text).strip()
    instant = _iso(value) or _rfc822(value) or _chinese(value)
    if instant is None or instant.astimezone(SHANGHAI).year < MIN_YEAR:
        return None
    return instant


def _build(parts: tuple[int, ...], zone: tzinfo) -> datetime | None:
    try:
        return datetime(*parts, tzinfo=zone)
    except (ValueError, OverflowError):
        return None


def _offset(text: str | None) -> tzinfo:
    """``Z``, ``+08:00``, ``+0800`` or ``+08`` as a zone; none means Beijing time."""
    if not text:
        return SHANGHAI
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return timezone(sign * timedelta(minutes=minutes))


def _iso(value: str) -> datetime | None:
    m = _ISO.match(value)
    if m is None:
        return None
    numbers = tuple(int(g) for g in m.groups()[:6] if g is not None)
    return _build(numbers, _offset(m.group(7)))


def _rfc822(value: str) -> datetime | None:
    text = _CHINA_ZONE.sub("+0800", value)
    try:
        parts = parsedate_tz(text)
    except (ValueError, TypeError, IndexError):
        return None
    if parts is None:
        return None
    zone = timezone(timedelta(seconds=parts[9] or 0)) if _ZONE.search(text) else SHANGHAI
    return _build(tuple(parts[:6]), zone)


def _chinese(value: str) -> datetime | None:
    m = _CHINESE.match(value)
    if m is None:
        return None
    return _build(tuple(int(g) for g in m.groups() if g is not None), SHANGHAI)
