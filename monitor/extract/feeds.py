"""Feeds from RSS bridges: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed directly.

Government new-media accounts have no feeds of their own; operators read them through
bridges (RSSHub routes, WeChat-to-RSS services), and bridges fail in ways that must make
an account neither look alive nor look dead when the monitor simply cannot see it
(DESIGN §7). So, besides reading the formats:

- the channel's ``lastBuildDate`` / the feed's ``<updated>`` is the build time, never a
  post date; it only serves to recognise what the bridge stamped at build time;
- RSSHub's Atom gives an entry without a date ``<updated>`` = build time, and other
  bridges fill ``date_modified`` the same way: such a stamp is no date;
- bridges inject entries of their own ("请重新登录", "Cookie 已过期", "访问频繁",
  navigation links to the account's home): those are not posts;
- a dead bridge answers 200 with an HTML login or parking page: ``ExtractError``;
- entries may be unsorted, with pinned (置顶) old posts first: the newest is the max;
- an entry dated after ``now`` is treated as posted now, and noted.

``read_feed`` is a pure function of the body and ``now``. ``Feed.blocker`` says why the
feed cannot vouch for an account (no entries, only injected ones, no dates); the account
target turns that into an error, ``monitor probe`` into a note.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from monitor.domain import Item, PageView
from monitor.errors import ExtractError
from monitor.extract.dates import MIN_YEAR, SHANGHAI
from monitor.extract.timestamps import parse_instant, says_cst

#: How close to the build time a stamp must be to count as "stamped at build time".
BUILD_SLACK = timedelta(minutes=5)
#: A bridge may serve a cached build this long after making it (RSSHub caches up to an hour).
CACHE_AGE = timedelta(hours=2)
#: Clocks of bridges and of this server differ a little; beyond this an entry is "in the future".
FUTURE_SLACK = timedelta(minutes=5)
TITLE_LIMIT = 100

FORMAT_LABELS = {"rss090": "RSS 0.90", "rss091n": "RSS 0.91", "rss091u": "RSS 0.91", "rss092": "RSS 0.92",
                 "rss093": "RSS 0.93", "rss094": "RSS 0.94", "rss20": "RSS 2.0", "rss10": "RSS 1.0",
                 "rss": "RSS", "atom01": "Atom 0.1", "atom02": "Atom 0.2", "atom03": "Atom 0.3",
                 "atom10": "Atom 1.0", "atom": "Atom", "json": "JSON Feed"}

_FEED_ROOT = re.compile(r"^\s*(?:(?:<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)\s*)*<(?:[\w-]+:)?(rss|feed|rdf|channel)\b",
                        re.I | re.S)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_HTML_START = re.compile(r"<(!doctype\s+html|html|head|body)\b", re.I)
_ROOT_TAG = re.compile(r"<([A-Za-z][\w:.-]*)")
_BREAKS = re.compile(r"<br\s*/?>|</?(?:p|div|li|h\d|section|tr|td)\b[^>]*>", re.I)
_TAGS = re.compile(r"<[^>]*>")
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json",
                         "application/json", "application/rdf+xml"})
_PAGE_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
# What bridges say when they cannot read the platform (login expired, rate-limited, captcha).
_NOTICE = re.compile(
    r"请?重新登录|请先?登录|需要登录|扫码登录|登录(?:状态)?(?:已)?(?:失效|过期|超时)|cookie\s*(?:已|已经)?(?:过期|失效|无效)"
    r"|访问(?:过于|太)?频繁|请求(?:过于|太)?频繁|操作(?:过于|太)?频繁|环境异常|安全验证|人机验证"
    r"|token\s*(?:已)?(?:过期|失效)|授权(?:已)?(?:过期|失效)|too many requests|rate limit", re.I)
_NAV_TITLES = frozenset({"首页", "更多", "查看更多", "更多文章", "更多内容", "历史文章", "历史消息", "查看历史消息",
                         "往期回顾", "往期文章", "全部文章", "关注我们", "关于我们", "点击查看更多", "home", "more"})
_DEAD_PAGE_REASONS = (
    (re.compile(r"(?:访问|请求|操作)(?:过于|太)?频繁|too many requests|rate limit", re.I), "访问过于频繁，被平台限制"),
    (re.compile(r"环境异常|安全验证|人机验证|验证码|滑块|captcha", re.I), "平台要求验证（环境异常）"),
    (re.compile(r"登录|login|sign in|passport|visitor system", re.I), "需要登录"),
    (re.compile(r"looks like something went wrong|error message|出错|错误", re.I), "RSS 服务报错"),
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry as the feed states it, before any judging."""

    title: str
    url: str
    when: datetime | None          # aware; None when no usable date
    field: str                     # "published" or "updated": where ``when`` came from
    raw: str                       # the date as written


@dataclass(slots=True)
class _Doc:
    """A parsed feed, whatever its format."""

    format: str
    title: str
    entries: list[Entry]
    homes: set[str]                # the account's or bridge's own pages: not posts
    built: list[datetime]          # build stamps of the channel/feed
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Feed:
    """What the monitor sees in one feed: the view (kind "feed") and what was set aside.

    ``view.items`` are the account's own entries (undated ones with ``date=None``);
    ``ignored`` are the titles of entries the bridge injected.
    """

    view: PageView
    title: str
    format: str
    entries: int
    undated: int
    future: int
    ignored: list[str]

    @property
    def blocker(self) -> str | None:
        """Why this feed cannot show whether the account is updated, or None when it can."""
        if self.entries == 0:
            return "订阅源中没有任何条目（RSS 服务可能已失效，或账号从未发布）"
        if not self.view.items:
            shown = "".join(f"《{t}》" for t in self.ignored[:2])
            return f"订阅源中只有 RSS 服务插入的条目{shown}，没有账号发布的内容（RSS 服务可能需要重新登录）"
        if not any(i.date for i in self.view.items):
            return f"订阅源有 {len(self.view.items)} 条，但都没有可用的发布日期"
        return None

    def facts(self) -> dict[str, Any]:
        return {"entries": self.entries, "undated": self.undated, "future": self.future,
                "ignored": len(self.ignored), "feed_title": self.title, "format": self.format}


def is_feed(text: str) -> bool:
    """Whether a body is RSS, Atom or JSON Feed (by its root, not by a server's content type)."""
    body = text.lstrip("\ufeff \t\r\n")
    return _json_feed(body) is not None or bool(_FEED_ROOT.match(body[:4096]))


def read_feed(url: str, status: int, encoding: str | None, text: str, now: datetime) -> Feed:
    """Read a feed body; ``ExtractError`` when it is not a feed (an HTML login page …)."""
    body = text.lstrip("\ufeff \t\r\n")
    data = _json_feed(body)
    if data is not None:
        doc = _read_json(data, url)
    elif _FEED_ROOT.match(body[:4096]):
        doc = _read_xml(body, url)
    else:
        raise _not_a_feed(body)
    return _judge(doc, url, status, encoding, now)


def feed_links(html_text: str, base: str) -> list[str]:
    """Feeds a web page announces (``<link rel="alternate" type="application/rss+xml">``): where to subscribe."""
    found: list[str] = []
    for tag in _LINK_TAG.findall(html_text[:65536]):
        attrs = {m.group(1).lower(): html.unescape(next(g for g in m.groups()[1:] if g is not None))
                 for m in _ATTR.finditer(tag)}
        if "alternate" in attrs.get("rel", "").lower().split() and attrs.get("type", "").lower() in _FEED_TYPES \
                and attrs.get("href"):
            found.append(urljoin(base, attrs["href"]))
    return list(dict.fromkeys(found))


# --------------------------------------------------------------------------- formats


def _read_xml(body: str, url: str) -> _Doc:
    """RSS and Atom through feedparser, given UTF-8 so that a GBK feed's declaration cannot mislead it."""
    data = _XML_DECL.sub('<?xml version="1.0" encoding="utf-8"?>', body, count=1).encode("utf-8")
    parsed = feedparser.parse(data, response_headers={"content-type": "application/xml; charset=utf-8",
                                                      "content-location": url})
    if not parsed.version and not parsed.entries:
        raise ExtractError(f"无法解析订阅源: {_bozo(parsed) or '不是 RSS 或 Atom'}")
    channel = parsed.feed
    homes = {url, channel.get("link") or ""} | {link.get("href") or "" for link in channel.get("links", [])}
    built = [t for t in (parse_instant(dict.get(channel, k)) for k in ("updated", "published")) if t]
    doc = _Doc(parsed.version or "rss", _plain(channel.get("title", ""), html_text=True),
               [_xml_entry(e, url) for e in parsed.entries], _normal_set(homes, url), built)
    if parsed.bozo:
        doc.notes.append(f"XML 格式有误（{_bozo(parsed)}），已尽量读取")
    return doc


def _bozo(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    return str(exc).splitlines()[0][:120] if exc else ""


def _xml_entry(entry: Any, base: str) -> Entry:
    # dict.get: FeedParserDict maps "updated" to "published" behind our back.
    published, updated = dict.get(entry, "published"), dict.get(entry, "updated")
    raw, field_name = (published, "published") if published else (updated, "updated")
    when = parse_instant(raw) or _struct_instant(entry.get(f"{field_name}_parsed"))
    detail = entry.get("title_detail") or {}
    title = _plain(entry.get("title", ""), html_text="html" in (detail.get("type") or ""))
    if not title:
        title = _clip(_plain(entry.get("summary", ""), html_text=True), 60)
    link = entry.get("link") or _url_id(entry.get("id"))
    return Entry(_clip(title, TITLE_LIMIT), urljoin(base, link) if link else "", when, field_name, raw or "")


def _struct_instant(value: Any) -> datetime | None:
    """feedparser's own reading (UTC) of a format we do not know, as a last resort."""
    try:
        instant = datetime(*value[:6], tzinfo=UTC) if value else None
    except (TypeError, ValueError):
        return None
    return instant if instant and instant.year >= MIN_YEAR else None


def _json_feed(body: str) -> dict[str, Any] | None:
    """The JSON Feed object, or None when the body is not one (only objects are tried)."""
    if not body.startswith("{"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("items", []), list):
        return None
    version = str(data.get("version", ""))
    return data if "jsonfeed.org" in version or ("items" in data and "title" in data) else None


def _read_json(data: dict[str, Any], url: str) -> _Doc:
    homes = {url, str(data.get("home_page_url") or ""), str(data.get("feed_url") or "")}
    entries = [_json_entry(item, url) for item in data.get("items", []) if isinstance(item, dict)]
    return _Doc("json", _plain(str(data.get("title", "")), html_text=False), entries, _normal_set(homes, url), [])


def _json_entry(item: dict[str, Any], base: str) -> Entry:
    published, updated = item.get("date_published"), item.get("date_modified")
    raw, field_name = (published, "published") if published else (updated, "updated")
    title = _plain(str(item.get("title") or ""), html_text=False)
    if not title:
        text = item.get("content_text") or item.get("summary") or _plain(str(item.get("content_html") or ""),
                                                                          html_text=True)
        title = _clip(_plain(str(text), html_text=False), 60)
    link = item.get("url") or item.get("external_url") or _url_id(item.get("id"))
    return Entry(_clip(title, TITLE_LIMIT), urljoin(base, str(link)) if link else "", _json_instant(raw),
                 field_name, str(raw or ""))


def _json_instant(value: Any) -> datetime | None:
    """RFC 3339 text as the spec says; epoch seconds or milliseconds as some bridges write."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return parse_instant(datetime.fromtimestamp(seconds, UTC).isoformat())
        except (OverflowError, OSError, ValueError):
            return None
    return parse_instant(str(value)) if value else None


# --------------------------------------------------------------------------- judging


@dataclass(slots=True)
class _Tally:
    """The account's entries, and what was set aside or adjusted on the way."""

    items: list[Item] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    stamped: int = 0                                      # dated only by the bridge's build stamp
    unreadable: list[str] = field(default_factory=list)   # date text that is no date (1970-01-01 …)
    future: list[Entry] = field(default_factory=list)
    dated: list[tuple[datetime, int, Entry]] = field(default_factory=list)   # (instant, position, entry)


def _judge(doc: _Doc, url: str, status: int, encoding: str | None, now: datetime) -> Feed:
    tally = _Tally()
    for entry in doc.entries:
        if _injected(entry, doc, now):
            tally.ignored.append(entry.title or entry.url)
            continue
        position = len(tally.items) + 1
        tally.items.append(Item(entry.title, entry.url, _count_date(entry, position, doc, now, tally)))
    view = PageView(url=url, status=status, encoding=encoding, kind="feed", items=tally.items,
                    links=len({i.url for i in tally.items if i.url}), notes=_notes(doc, tally))
    undated = sum(1 for i in tally.items if i.date is None)
    return Feed(view, doc.title, doc.format, len(doc.entries), undated, len(tally.future), tally.ignored)


def _count_date(entry: Entry, position: int, doc: _Doc, now: datetime, tally: _Tally) -> date | None:
    """The Beijing date an account entry counts with: none for stamps and placeholders, now for the future."""
    when = entry.when
    if when is None:
        if entry.raw:
            tally.unreadable.append(entry.raw)
        return None
    if entry.field == "updated" and doc.format.startswith("atom") and _stamped_at_build(when, doc.built, now):
        tally.stamped += 1
        return None
    if when > now + FUTURE_SLACK:
        tally.future.append(entry)
        when = now
    tally.dated.append((when, position, entry))
    return when.astimezone(SHANGHAI).date()


def _injected(entry: Entry, doc: _Doc, now: datetime) -> bool:
    """Bridge-made entries: a login/rate-limit notice or a navigation link, not a post.

    Text alone is not enough (an anti-fraud post may quote "请重新登录"): the entry must
    also lack a post link of its own or be dated when the bridge built the feed (at its
    build time, or within a cache age of now). A link without a post of its own (the
    account's home, a site root, nothing) dated then is navigation whatever its title.
    """
    worded = bool(_NOTICE.search(entry.title)) or _squeeze(entry.title) in _NAV_TITLES
    loose = not _post_link(entry.url, doc.homes)
    fresh = entry.when is None or _near_build(entry.when, doc.built, now)
    return (worded and (loose or fresh)) or (loose and fresh and entry.when is not None)


def _near_build(when: datetime, built: list[datetime], now: datetime) -> bool:
    """Stamped when the bridge built this feed: at its build time, or within a cache age of now."""
    return any(abs(when - b) <= BUILD_SLACK for b in built) or when >= now - CACHE_AGE


def _stamped_at_build(when: datetime, built: list[datetime], now: datetime) -> bool:
    """An Atom ``updated``-only stamp equal to a fresh build time: the bridge's fill-in for "no date".

    (RSSHub writes ``<updated>`` = build time for an entry without a date.) A build time from
    long ago is a generator copying its newest entry, which is a real date.
    """
    return any(abs(when - b) <= BUILD_SLACK and b >= now - CACHE_AGE for b in built)


def _notes(doc: _Doc, tally: _Tally) -> list[str]:
    label = FORMAT_LABELS.get(doc.format, doc.format)
    notes = [f"{label} 订阅源“{doc.title or '无标题'}”，共 {len(doc.entries)} 条", *doc.notes]
    if doc.built:
        notes.append(f"订阅源生成于 {_local(max(doc.built))}（RSS 服务生成订阅源的时间，不作为发文时间）")
    if tally.dated:
        when, position, entry = max(tally.dated, key=lambda d: (d[0], -d[1]))
        order = f"（排在第 {position} 条：按日期取最新，不按排列顺序）" if position > 1 else ""
        notes.append(f"最新一条《{entry.title}》发布于 {_local(when)}（北京时间；原文 {entry.raw}）{order}")
    if tally.ignored:
        shown = "".join(f"《{t}》" for t in tally.ignored[:3])
        notes.append(f"忽略 {len(tally.ignored)} 条 RSS 服务插入的条目（不是账号发布的内容）：{shown}")
    if tally.stamped:
        notes.append(f"{tally.stamped} 条只有 RSS 服务生成订阅源时填入的时间，按无日期处理")
    if tally.unreadable:
        shown = "、".join(tally.unreadable[:2])
        notes.append(f"{len(tally.unreadable)} 条的日期无法识别或无效（{shown}），按无日期处理")
    undated = sum(1 for i in tally.items if i.date is None)
    if undated:
        notes.append(f"{undated} 条没有可用的发布日期，未计入")
    if tally.future:
        shown = "、".join(f"《{e.title}》{e.raw}" for e in tally.future[:2])
        notes.append(f"{len(tally.future)} 条的日期晚于当前时间（{shown}），按当前时间计")
    if any(says_cst(e.raw) for e in doc.entries):
        notes.append("日期中的 CST 按中国标准时间（UTC+8）理解")
    return notes


# --------------------------------------------------------------------------- not a feed


def _not_a_feed(body: str) -> ExtractError:
    """Say what came instead of a feed; a bridge's login or rate-limit page by name."""
    head = body[:2048]
    if not body.strip():
        return ExtractError("订阅地址返回了空内容（RSS 服务可能已失效）")
    if _HTML_START.search(head):
        match = _PAGE_TITLE.search(body)
        title = _clip(_plain(match.group(1), html_text=True), 40) if match else ""
        text = _plain(body[:20000], html_text=True)
        reason = next((label for rx, label in _DEAD_PAGE_REASONS if rx.search(text)), "")
        what = f"：{reason}" if reason else ""
        named = f"（网页标题“{title}”）" if title else ""
        return ExtractError(f"订阅地址返回的是网页而不是订阅源{what}{named}，RSS 服务可能已失效或被平台限制")
    if body.startswith(("{", "[")):
        return ExtractError("订阅地址返回的是 JSON，但不是 JSON Feed")
    root = _ROOT_TAG.search(head)
    if body.startswith("<") and root:
        return ExtractError(f"订阅地址返回的是 XML，但不是 RSS 或 Atom（根元素 <{root.group(1)}>）")
    return ExtractError(f"订阅地址返回的不是订阅源（开头为“{_clip(body.strip(), 30)}”）")


# --------------------------------------------------------------------------- helpers

def _plain(text: str, *, html_text: bool) -> str:
    """Text of a title or summary: tags dropped and entities decoded for HTML, spaces folded."""
    if html_text:
        text = html.unescape(_TAGS.sub("", _BREAKS.sub(" ", text)))
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _squeeze(title: str) -> str:
    return re.sub(r"[\s>»›→.。…:：\-—|]+", "", title).lower()


def _url_id(value: Any) -> str:
    """An entry id that is an address (RSS guid, JSON Feed id) can stand in for a missing link."""
    text = str(value or "")
    return text if text.startswith(("http://", "https://")) else ""


def _normal(url: str) -> str:
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}{query}"


def _normal_set(urls: Iterable[str], base: str) -> set[str]:
    return {_normal(urljoin(base, u)) for u in urls if u}


def _post_link(url: str, homes: set[str]) -> bool:
    """A link to a post of its own: not empty, not a site root, not the account's home or the feed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.path.strip("/") == "" and not parts.query):
        return False
    return _normal(url) not in homes


def _local(when: datetime | None) -> str:
    return when.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if when else ""
