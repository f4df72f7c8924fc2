"""Which interpretations belong to a policy document, and how the two pages are linked.

Pure functions of what was read (no network, no clock), so a weekly round and a recheck
of one document reach the same verdict from the same pages. For a document D:

- D links to an interpretation when a link on D's page points at a candidate
  interpretation, or its words say so (相关解读, 图解, 一图读懂 …);
- an interpretation links back when its page has a link to D's address;
- where links are missing, a candidate whose title contains D's 《…》 name (or D's
  normalized full title) is paired by title, unless its page links to another document.

Candidates are the entries of interpretation columns published no earlier than
``EARLY_DAYS`` before D (an interpretation never comes long before its document), plus
the pages D itself links to as interpretations. Links in navigation, footers and side
lists relate nothing; a small block labelled 相关解读 / 相关文件 does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

from monitor.config import PolicySettings
from monitor.extract.relations import PageLink

EARLY_DAYS = 7              # an interpretation dated this much before its document is still a candidate
RELATION_BOX_LINKS = 4      # a labelled block with more links than this is a list, not a relation
_MIN_NAME = 6               # 《方案》-like names shorter than this pair with anything
_MIN_TITLE = 8

Status = Literal["both", "one_way", "none"]
Missing = Literal["document_link", "back_link", "both"]
Form = Literal["text", "graphic", "h5", "video"]

_NAME = re.compile(r"《([^《》]+)》")
_NOISE = re.compile(r"[\s《》〈〉<>“”\"'‘’()\[\]【】〔〕{}·・,，、:：;；.。!！?？—\-_/|｜]+")
MISSING_TEXT: dict[str, str] = {
    "document_link": "文件页面没有链接到该解读",
    "back_link": "解读页面没有链接回文件",
    "both": "两个页面互不链接，只能按标题配对",
}


@lru_cache(maxsize=65536)
def url_key(url: str) -> str:
    """An address as compared between pages: scheme, host case, default port and fragment ignored.

    Cached: pairing compares every link of every candidate page with every document (hot on big sites).
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"//{host}{port}{parts.path or '/'}{query}"


def normalize_title(text: str) -> str:
    """Full-width folded, spaces, quotes, brackets and punctuation dropped, lower case."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


def document_names(*titles: str) -> tuple[str, ...]:
    """What an interpretation's title quotes of a document: its 《…》 names, else its full title
    and the part from "关于" on (the issuer is often left out)."""
    names: list[str] = []
    for title in titles:
        quoted = [normalize_title(n) for n in _NAME.findall(unicodedata.normalize("NFKC", title))]
        quoted = [n for n in quoted if len(n) >= _MIN_NAME]
        if quoted:
            names += quoted
            continue
        full = normalize_title(title)
        start = full.find("关于")
        names += [n for n in (full, full[start:] if start > 0 else "") if len(n) >= _MIN_TITLE]
    return tuple(dict.fromkeys(names))


def title_matches(names: Iterable[str], title: str) -> bool:
    target = normalize_title(title)
    return any(name in target for name in names)


def has_word(text: str, words: Iterable[str]) -> bool:
    lowered = text.lower()
    return any(word.lower() in lowered for word in words)


def interpretation_form(title: str, settings: PolicySettings) -> Form:
    """How an interpretation is presented, by its title: video, H5, graphic, else text."""
    if has_word(title, settings.video_keywords):
        return "video"
    if has_word(title, settings.h5_keywords):
        return "h5"
    if has_word(title, settings.graphic_keywords):
        return "graphic"
    return "text"


def is_exempt(title: str, url: str, settings: PolicySettings) -> str | None:
    """Why a document needs no interpretation (a configured keyword or address pattern), or None."""
    word = next((w for w in settings.exempt_title_keywords if w in title), None)
    if word:
        return f"标题含“{word}”"
    pattern = next((p for p in settings.exempt_url_patterns if fnmatchcase(url, p)), None)
    return f"网址符合 {pattern}" if pattern else None


# ---- what was read ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """An interpretation known before its page is read: a column's list entry, or a link to it."""

    title: str
    url: str
    date: date | None
    column: str | None = None     # None: only linked from a document page
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """What one fetched page says: its addresses, title, date and links (none when not HTML)."""

    url: str
    final_url: str
    title: str = ""
    date: date | None = None
    links: tuple[PageLink, ...] = ()
    content_type: str = "text/html"

    @property
    def html(self) -> bool:
        return self.content_type in ("text/html", "application/xhtml+xml")

    @property
    def keys(self) -> frozenset[str]:
        return frozenset({url_key(self.url), url_key(self.final_url)})


@dataclass(frozen=True, slots=True)
class Unreadable:
    url: str
    error: str


@dataclass(frozen=True)
class Scope:
    """What the pairing needs from the configuration."""

    settings: PolicySettings
    lists: frozenset[str] = frozenset()   # url keys of column pages and homepages: never a relation
    hosts: frozenset[str] = frozenset()   # host[:port] the monitor may fetch

    def may_fetch(self, url: str) -> bool:
        return urlsplit(url).netloc.lower() in self.hosts

    def relation(self, link: PageLink) -> bool:
        """Not in navigation; outside any box, or in a small block whose label says 解读 / 原文 / 相关文件 …"""
        words = (*self.settings.interpretation_link_words, *self.settings.document_link_words)
        if link.navigation:
            return False
        return not link.boxed or (link.box_links <= RELATION_BOX_LINKS and has_word(link.label, words))


# ---- the verdict --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pair:
    """One interpretation of the document and which of the two links exist."""

    title: str
    url: str
    date: date | None
    form: Form
    from_document: bool
    back_link: bool
    by_title: bool
    note: str = ""          # why the back link could not exist or be verified

    @property
    def missing(self) -> Missing | None:
        if self.from_document and self.back_link:
            return None
        if self.from_document:
            return "back_link"
        return "document_link" if self.back_link else "both"

    @property
    def missing_text(self) -> str:
        missing = self.missing
        return (self.note or MISSING_TEXT[missing]) if missing else ""

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url, "date": self.date.isoformat() if self.date else None,
                "form": self.form, "document_link": self.from_document, "back_link": self.back_link,
                "by_title": self.by_title, "missing": self.missing, "missing_text": self.missing_text}


@dataclass
class Verdict:
    pairs: list[Pair] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if not self.pairs:
            return "none"
        return "one_way" if any(p.missing for p in self.pairs) else "both"

    @property
    def first(self) -> Pair | None:
        """The earliest dated interpretation: lateness is judged by the first one published."""
        dated = [p for p in self.pairs if p.date]
        return min(dated, key=lambda p: p.date) if dated else None  # type: ignore[arg-type,return-value]


def candidates_for(published: date, entries: Iterable[Entry]) -> list[Entry]:
    """Interpretation-column entries that may belong to a document published on ``published``."""
    since = published - timedelta(days=EARLY_DAYS)
    return [e for e in entries if e.date is None or e.date >= since]


def interpretation_links(doc: Page, candidates: Iterable[Entry], scope: Scope) -> list[PageLink]:
    """Links on the document's page that lead to an interpretation (by address or by their words)."""
    known = {url_key(e.url) for e in candidates}
    found: dict[str, PageLink] = {}
    for link in doc.links:
        key = url_key(link.url)
        if key in scope.lists or key in doc.keys or key in found or not scope.relation(link):
            continue
        if key in known or has_word(f"{link.text} {link.label}", scope.settings.interpretation_link_words):
            found[key] = link
    return list(found.values())


def with_linked(candidates: list[Entry], linked: Iterable[PageLink]) -> list[Entry]:
    """The candidates plus an entry for each linked interpretation no column lists."""
    known = {url_key(e.url) for e in candidates}
    extra = {url_key(link.url): Entry(link.text, link.url, None) for link in linked}
    return candidates + [entry for key, entry in extra.items() if key not in known]


def links_to(page: Page, keys: frozenset[str], scope: Scope) -> bool:
    return any(url_key(link.url) in keys and scope.relation(link) for link in page.links)


def links_elsewhere(page: Page, keys: frozenset[str], scope: Scope) -> bool:
    """The page names another document as its original (原文链接 / 相关文件 to another address)."""
    for link in page.links:
        key = url_key(link.url)
        if (key not in keys and key not in scope.lists and scope.relation(link)
                and has_word(f"{link.text} {link.label}", scope.settings.document_link_words)):
            return True
    return False


def judge(doc: Page, names: tuple[str, ...], entries: list[Entry], linked: list[PageLink],
          pages: Mapping[str, Page | Unreadable], scope: Scope) -> Verdict | str:
    """Pair the document with its interpretations, or say (as an error) what could not be read.

    ``entries`` are the candidates (see ``candidates_for``) plus entries for ``linked``;
    ``pages`` holds every candidate page read (a page on another host is not read).
    """
    from_doc = {url_key(link.url) for link in linked}
    verdict = Verdict()
    related_unread: list[Unreadable] = []
    other_unread: list[Unreadable] = []
    for entry in entries:
        key = url_key(entry.url)
        page = pages.get(entry.url)
        by_title = title_matches(names, entry.title)
        if isinstance(page, Unreadable):
            (related_unread if key in from_doc or by_title else other_unread).append(page)
            continue
        pair = _pair(doc, names, entry, page, key in from_doc, by_title, scope)
        if pair is not None:
            verdict.pairs.append(pair)
    unread = related_unread + (other_unread if not verdict.pairs else [])
    if unread:
        listed = "；".join(f"{u.url}（{u.error}）" for u in unread[:3])
        return f"有 {len(unread)} 个可能的解读页面无法读取，不能确定解读情况: {listed}"
    return verdict


def _pair(doc: Page, names: tuple[str, ...], entry: Entry, page: Page | None, from_doc: bool,
          by_title: bool, scope: Scope) -> Pair | None:
    """The pair this candidate makes with the document, or None when it is not its interpretation."""
    if page is None:                     # linked from the document, on a host the monitor does not enter
        if not from_doc:
            return None
        host = urlsplit(entry.url).netloc
        return Pair(entry.title, entry.url, entry.date, interpretation_form(entry.title, scope.settings),
                    True, False, by_title, f"解读页面在 {host}，不在已配置的网站上，无法核实是否链接回文件")
    title = page.title or entry.title
    by_title = by_title or title_matches(names, title)
    back = page.html and links_to(page, doc.keys, scope)
    if not (from_doc or back or (by_title and not links_elsewhere(page, doc.keys, scope))):
        return None
    note = "" if page.html else f"解读是文件或图片（{page.content_type or '未知类型'}），无法链接回文件"
    return Pair(title, entry.url, page.date or entry.date, interpretation_form(title, scope.settings),
                from_doc, back, by_title, note)
