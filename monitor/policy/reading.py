"""Reading for the policy checks: columns back through their pages, documents and interpretations.

A column's first page shows only its newest entries; a document from last spring, or its
interpretation, sits on page 3. TRS sites announce their pages with ``createPageHTML``
(``index_1.html`` …); other sites have a "下一页" link. The walk stops at the first page
whose last dated entry is older than wanted (lists run newest first; pinned old entries
sit at the top, so the last one decides), and at the configured page limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from lxml.html import HtmlElement

from monitor.config import Column
from monitor.domain import Item
from monitor.errors import FetchError
from monitor.extract import read_published, view_page
from monitor.extract.links import absolute, as_tree, clean_text, page_base
from monitor.extract.lists import trs_pager
from monitor.extract.relations import page_title, relation_links
from monitor.fetch import HTML_TYPES, Fetcher, looks_like_html
from monitor.policy.pairing import Page, Unreadable

_NEXT = re.compile(r"^[\[【(（<\s]*(下一页|下页|后一页|后页|next)[\]】)）>»›\s]*$", re.I)


class Budget:
    """How many more pages one policy check may fetch (``policy.max_pages``): a slow or huge
    site costs a bounded amount, and what was left out is said, never skipped silently."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, count: int = 1) -> bool:
        """Spend ``count`` pages if that many are left."""
        if self.left < count:
            return False
        self.left -= count
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


async def walk_column(fetcher: Fetcher, column: Column, today: date, since: date, *, max_pages: int,
                      budget: Budget) -> Walk:
    """Entries from the first page back to ``since``. The first page failing is the caller's error."""
    walk = Walk()
    seen: set[str] = set()
    queue: list[str] = []
    trs = False
    url: str | None = column.url
    while url and url not in seen:
        if walk.pages >= max_pages or not budget.take():
            walk.stopped = f"已翻到第{walk.pages}页（翻页或抓取上限），更早的信息未读取"
            break
        try:
            response = await fetcher.get(url, accept=("html",))
        except FetchError as exc:
            if not walk.pages:
                raise
            walk.stopped = f"第{walk.pages + 1}页无法读取（{exc.reason}），更早的信息未读取"
            break
        seen.add(url)
        walk.pages += 1
        tree = as_tree(response.text)
        view = view_page(response.url, response.status, response.encoding, tree, today,
                         item_selector=column.item_selector, date_selector=column.date_selector)
        walk.items += view.items
        if walk.pages == 1:
            queue = _trs_pages(tree, response.url)
            trs = bool(queue)
        if _reached(view.items, since):
            break
        url = (queue.pop(0) if queue else None) if trs else _next_link(tree, response.url)
    walk.items = _dedupe(walk.items)
    return walk


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


async def read_page(fetcher: Fetcher, url: str, today: date) -> Page | Unreadable:
    """A document or interpretation page as a ``Page``; a PDF or image is a ``Page`` without links."""
    try:
        response = await fetcher.get(url, accept=("any",))
    except FetchError as exc:
        return Unreadable(url, str(exc))
    html = response.content_type in HTML_TYPES or (bool(response.text) and looks_like_html(response.content))
    if not html:
        return Page(url, response.url, content_type=response.content_type or "")
    tree = as_tree(response.text)
    return Page(url, response.url, page_title(tree), read_published(tree, response.url, today),
                tuple(relation_links(tree, response.url)))
