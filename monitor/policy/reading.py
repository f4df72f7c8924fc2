"""Reading for the policy checks: columns back through their pages, documents and interpretations.

A column's first page shows only its newest entries; a document from last spring, or its
interpretation, sits on page 3. TRS sites announce their pages with ``createPageHTML``
(``index_1.html`` …); Hanweb (大汉 jcms) pages hold the first group of records in a
``<datastore>`` and serve the rest from ``dataproxy.jsp`` by record range (asked here with
GET; a server that insists on POST answers with an error, which is reported); other sites
have a "下一页" link. The walk stops at the first page
whose last dated entry is older than wanted (lists run newest first; pinned old entries
sit at the top, so the last one decides), and at the configured page limits.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field
from datetime import date
from html import unescape

from lxml.html import HtmlElement

from monitor.config import Column
from monitor.domain import Item
from monitor.errors import FetchError
from monitor.extract import read_published, view_page
from monitor.extract.links import (
    absolute,
    as_tree,
    clean_text,
    datastore_scripts,
    iter_datastore_records,
    page_base,
    script_search,
)
from monitor.extract.lists import trs_pager
from monitor.extract.relations import PageLink, page_title, relation_links
from monitor.fetch import HTML_TYPES, Fetcher, Response, looks_like_html
from monitor.policy.pairing import RELATION_BOX_LINKS, Page, Scope, Unreadable

_HANWEB_TOTAL = re.compile(r"totalRecord\s*[:=]\s*(\d+)")
_HANWEB_PER_PAGE = re.compile(r"perPage\s*[:=]\s*(\d+)", re.I)
_HANWEB_PROXY = re.compile(r"<nextgroup>\s*<!\[CDATA\[\s*<a\s+href=[\"']([^\"']+)", re.I)
_NEXT = re.compile(r"^[\[【(（<\s]*(下一页|下页|后一页|后页|next)[\]】)）>»›\s]*$", re.I)
READER = "policy-page/1"      # names the readings ``read_page`` keeps; a new one when what it reads changes


class Budget:
    """How many more pages one policy check may fetch (``policy.max_pages``): a slow or huge
    site costs a bounded amount, and what was left out is said, never skipped silently."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self) -> bool:
        """Spend one page if one is left."""
        if self.left < 1:
            return False
        self.left -= 1
        return True

    def spend(self, count: int) -> None:
        """Spend pages already planned for (may run a few pages over for linked extras)."""
        self.left -= count


@dataclass
class Walk:
    """The entries of a column read back through its pages; ``stopped`` says why it ended early."""

    items: list[Item] = field(default_factory=list)
    pages: int = 0
    stopped: str | None = None

    @property
    def read_back_to(self) -> date | None:
        """When it stopped early: the oldest date it did read (entries before it are unknown)."""
        dates = [i.date for i in self.items if i.date]
        return min(dates) if self.stopped and dates else None


@dataclass(frozen=True)
class _Next:
    """A later page of a list; ``datastore``: a Hanweb ``dataproxy.jsp`` answer (bare records)."""

    url: str
    datastore: bool = False


async def walk_column(fetcher: Fetcher, column: Column, today: date, since: date, *, max_pages: int,
                      budget: Budget) -> Walk:
    """Entries from the first page back to ``since``. The first page failing is the caller's error.

    Later pages are those the first page announces (TRS ``index_N.html``, Hanweb record groups),
    else each page's "下一页" link.
    """
    walk = Walk()
    seen: set[str] = set()
    announced: list[_Next] | None = None
    page: _Next | None = _Next(column.url)
    while page is not None and page.url not in seen:
        if walk.pages >= max_pages or not budget.take():
            walk.stopped = f"只读到第{walk.pages}页（翻页或抓取上限），更早的信息未读取"
            break
        try:
            tree, items = await _read_list_page(fetcher, column, page, today)
        except FetchError as exc:
            if not walk.pages:
                raise
            walk.stopped = f"第{walk.pages + 1}页无法读取（{exc.reason}），更早的信息未读取"
            break
        seen.add(page.url)
        walk.pages += 1
        walk.items += items
        if announced is None:
            announced = _announced(tree, page.url)
        if _reached(items, since):
            break
        if announced:
            page = announced.pop(0)
        else:
            link = None if announced is not None else _next_link(tree, page.url)
            page = _Next(link) if link else None
    walk.items = _dedupe(walk.items)
    return walk


async def _read_list_page(fetcher: Fetcher, column: Column, page: _Next, today: date) -> tuple[HtmlElement, list[Item]]:
    """One list page's tree and entries (a Hanweb record group is read as the datastore it is)."""
    if page.datastore:
        response = await fetcher.get(page.url, accept=("feed",))
        text = f'<html><body><script type="text/xml">{response.text}</script></body></html>'
    else:
        response = await fetcher.get(page.url, accept=("html",))
        text = response.text
    tree = as_tree(text)
    view = view_page(response.url, response.status, response.encoding, tree, today,
                     item_selector=column.item_selector, date_selector=column.date_selector)
    return tree, view.items


def _announced(tree: HtmlElement, url: str) -> list[_Next] | None:
    """The later pages a first page announces, or None when it announces none (follow "下一页")."""
    trs = _trs_pages(tree, url)
    if trs:
        return [_Next(u) for u in trs]
    groups = _hanweb_groups(tree, url)
    return [_Next(u, datastore=True) for u in groups] or None


def _reached(items: list[Item], since: date) -> bool:
    """Nothing newer than ``since`` can follow: the page is empty or its last dated entry is older."""
    last = next((i.date for i in reversed(items) if i.date), None)
    return not items or (last is not None and last < since)


def _trs_pages(tree: HtmlElement, url: str) -> list[str]:
    """The pages after this one announced by TRS ``createPageHTML(total, current, "index", "html")``."""
    pager = trs_pager(tree)
    if pager is None:
        return []
    total, current, stem, ext = pager
    base = page_base(tree, url)
    pages = (absolute(base, f"{stem}_{k}.{ext}") for k in range(current + 1, total))
    return [p for p in pages if p]


def _hanweb_groups(tree: HtmlElement, url: str) -> list[str]:
    """Hanweb jcms: the page holds the first group of records; ``totalRecord`` says how many exist,
    and ``dataproxy.jsp`` (its address in ``<nextgroup>``) answers the rest by record range."""
    scripts = list(datastore_scripts(tree))
    if not scripts:
        return []
    held = sum(1 for s in scripts for _ in iter_datastore_records(s))
    total, per_page = _first(_HANWEB_TOTAL, tree), _first(_HANWEB_PER_PAGE, tree)
    proxy = script_search(scripts[0], _HANWEB_PROXY)
    if not (held and total is not None and proxy) or total <= held:
        return []
    base = absolute(page_base(tree, url), unescape(proxy.group(1)))
    if base is None:
        return []
    join = "&" if "?" in base else "?"
    return [f"{base}{join}startrecord={start + 1}&endrecord={min(start + held, total)}"
            f"&perpage={held if per_page is None else per_page}" for start in range(held, total, held)]


def _first(pattern: re.Pattern[str], tree: HtmlElement) -> int | None:
    """The number ``pattern`` captures in the first script of the page that has it."""
    for script in tree.iter("script"):
        found = script_search(script, pattern)
        if found:
            return int(found.group(1))
    return None


def _next_link(tree: HtmlElement, url: str) -> str | None:
    """A "下一页" link to another page (not ``javascript:``), if the page has one."""
    base = page_base(tree, url)
    for a in tree.iter("a"):
        if _NEXT.match(clean_text(a.text_content()) or clean_text(a.get("title"))):
            target = absolute(base, a.get("href"))
            if target and target != url:
                return target
    return None


def _dedupe(items: list[Item]) -> list[Item]:
    """Pinned entries repeat on every page: keep each address once, in page order."""
    return list({i.url: i for i in reversed(items)}.values())[::-1]


async def read_page(fetcher: Fetcher, url: str, today: date, scope: Scope) -> Page | Unreadable:
    """A document or interpretation page as a ``Page``; a PDF or image is a ``Page`` without links.

    Only the links that may relate two pages (``Scope.relation``) are kept: a check holds up to
    ``policy.max_pages`` pages at once, and navigation is most of every page's links. A page
    whose body has not changed since it was last read is not parsed again (``Fetcher.keep_reading``).
    """
    try:
        response = await fetcher.get(url, accept=("any",))
    except FetchError as exc:
        return Unreadable(url, str(exc))
    html = response.content_type in HTML_TYPES or (bool(response.text) and looks_like_html(response.content))
    if not html:
        return Page(url, response.url, content_type=response.content_type or "")
    title, published, candidates = _kept_reading(response) or _read(fetcher, response, today)
    links = tuple(link for link in candidates if scope.relation(link))
    return Page(url, response.url, title, published, links)


async def read_pages(fetcher: Fetcher, urls: Sequence[str], today: date, scope: Scope) -> list[Page | Unreadable]:
    """``read_page`` for each address, in order, by as many readers as the fetcher sends requests at
    once. A check may read ``policy.max_pages`` (2,000) pages: one waiting task per page cost a few
    kilobytes each (its coroutine, frame and future), and a read waiting its turn held its cached body."""
    read: list[tuple[int, Page | Unreadable]] = []
    todo = iter(enumerate(urls))

    async def reader() -> None:
        for n, url in todo:
            read.append((n, await read_page(fetcher, url, today, scope)))

    await asyncio.gather(*(reader() for _ in range(min(len(urls), max(1, fetcher.settings.concurrency)))))
    return [page for _, page in sorted(read, key=lambda done: done[0])]


Reading = tuple[str, date | None, list[PageLink]]


def _read(fetcher: Fetcher, response: Response, today: date) -> Reading:
    """Title, date and the links that may relate it to another page, from the page itself."""
    tree = as_tree(response.text)
    candidates = relation_links(tree, response.url, max_box_links=RELATION_BOX_LINKS)
    title, published = page_title(tree), read_published(tree, response.url, today)
    if published is not None:
        fetcher.keep_reading(response, {"reader": READER, "url": response.url, "title": title,
                                        "date": published.isoformat(), "links": [astuple(c) for c in candidates]})
    return title, published, candidates


def _kept_reading(response: Response) -> Reading | None:
    """What ``_read`` made of this same body before. Only a reading that found a date is kept:
    a date is judged against the day it is read, and one still ahead then may count now."""
    kept = response.reading
    if not kept or kept.get("reader") != READER or kept.get("url") != response.url:
        return None
    return kept["title"], date.fromisoformat(kept["date"]), [PageLink(*c) for c in kept["links"]]
