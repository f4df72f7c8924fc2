"""The links of one parsed page: anchors, images, frames, and Hanweb datastore records.

A link is yielded as its raw reference plus the element it came from; the crawler
resolves the reference and asks for the element's text only when it needs it as
evidence (a link it has not yet seen answer well), which spares the text of the
thousand-times-repeated navigation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

from lxml.html import HtmlElement

from monitor.extract.links import iter_references, page_base
from monitor.extract.lists import trs_pager

TEXT_LIMIT = 40
_TAGS = ("a", "area", "img", "iframe", "frame")
# Pager words: a page reached through them is one list continued, not a click deeper.
_PAGER = re.compile(r"^\s*(下一页|下页|后页|上一页|上页|前页|尾页|末页|最后一页|next|prev(ious)?|[»«›‹<>]{1,2})\s*$",
                    re.I)


def iter_links(tree: HtmlElement, limit: int) -> Iterator[tuple[str, HtmlElement]]:
    """Up to ``limit`` raw references of the page with their elements, datastore records included."""
    return islice(iter_references(tree, _TAGS), limit)


def link_text(el: HtmlElement) -> str:
    """What a person sees of the link (its text, title or alt), short."""
    text = el.text if len(el) == 0 else el.text_content()
    if text:
        text = " ".join(text.split()) if ("  " in text or "\n" in text or "\t" in text) else text.strip()
    if not text:
        text = (el.get("title") or el.get("alt") or "").strip()
    return text[:TEXT_LIMIT]


def is_pager(text: str) -> bool:
    """A 下一页 / 尾页 … link text: the list goes on at the same depth."""
    return 0 < len(text) < 12 and _PAGER.match(text) is not None


def base_of(tree: HtmlElement, url: str) -> str:
    """The address relative references resolve against (``<base href>`` when set)."""
    return page_base(tree, url)


def trs_pages(tree: HtmlElement, limit: int) -> list[str]:
    """References to the other pages of a TRS list announced only by ``createPageHTML(…)``.

    The page count is the page's own word, so at most ``limit`` are believed.
    """
    pager = trs_pager(tree)
    if pager is None:
        return []
    total, _, stem, ext = pager
    return [f"{stem}.{ext}" if k == 0 else f"{stem}_{k}.{ext}" for k in range(min(total, limit))]
