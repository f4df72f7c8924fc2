"""Reading fetched pages: what a page is (list, article, other), its entries and dates.

Pure functions of decoded text and ``today``; no network, no clock. One lxml parse per
page is shared by every reader (lxml is several times faster than BeautifulSoup here).
"""

from __future__ import annotations

from datetime import date

from lxml.html import HtmlElement

from monitor.domain import PageView
from monitor.extract.article import looks_like_article, read_article, read_published
from monitor.extract.dates import date_from_url, find_dates, parse_date
from monitor.extract.links import as_tree, count_links
from monitor.extract.lists import MIN_ROWS, ListResult, has_pager, list_page_urls, read_list

__all__ = [
    "ListResult",
    "date_from_url",
    "find_dates",
    "list_page_urls",
    "looks_like_article",
    "parse_date",
    "read_list",
    "read_published",
    "view_page",
]

STRONG = 2   # article strength (see article._strength) that no list on the page outweighs


def view_page(url: str, status: int, encoding: str | None, text: str | bytes | HtmlElement,
              today: date, *, item_selector: str | None = None,
              date_selector: str | None = None) -> PageView:
    """What the monitor sees on one page (``monitor probe``).

    Kind: "article" when the page is clearly one text with its own date (articles carry
    dated side lists, so this is checked first, unless ≥ 3 dated rows sit right above a
    pager: a column page with an intro text and an "更新时间"); "list" for configured selectors or a
    column page (rows or 暂无信息 with a pager); a weaker article (a labelled date under a
    title, nothing more) next; then "list" for ≥ 3 rows, any dated row or a blank list; else "other".
    """
    tree = as_tree(text)
    view = PageView(url=url, status=status, encoding=encoding, kind="other",
                    links=count_links(tree, url))
    strength, published = (0, None) if item_selector else read_article(tree, url, today)
    if strength == STRONG and not has_pager(tree):
        return _as_article(view, published)
    listed = read_list(tree, url, today, item_selector=item_selector, date_selector=date_selector)
    rows = len(listed.items)
    dated = sum(1 for i in listed.items if i.date)
    if strength == STRONG and not (listed.by_pager and dated >= MIN_ROWS):
        return _as_article(view, published)
    column_page = listed.paged and (rows > 0 or listed.blank)
    if item_selector or column_page or (not strength and (listed.blank or rows >= MIN_ROWS or dated > 0)):
        view.kind, view.items, view.blank = "list", listed.items, listed.blank
        view.notes = listed.notes
        return view
    if strength:
        return _as_article(view, published)
    view.notes = listed.notes
    return view


def _as_article(view: PageView, published: date | None) -> PageView:
    view.kind, view.published = "article", published
    if published is None:
        view.notes.append("未找到发布日期")
    return view
