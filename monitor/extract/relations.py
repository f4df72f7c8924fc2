"""The links a page offers as its relations: "相关解读：…", "原文链接", links in the text.

A policy document and its interpretation point at each other with a link in the body or
in a small labelled block ("相关解读：<a>…</a>", "相关文件" under the text). Navigation,
breadcrumbs, footers and side lists ("热点解读", "最新文件") also link such pages, but
they link everything and relate nothing, so each link carries where it sits: in a box or
not, how many links that box holds, and the words right before it (its label).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from monitor.extract.links import absolute, as_tree, box_of, clean_text, is_element, page_base

_LABEL_CHARS = 24      # a label is short: "相关解读：", "原文链接："
_HEADING_CHARS = 12    # the first words of a box: "相关解读", "相关文件"
_CELLS = frozenset({"td", "th"})
# Navigation, menus, breadcrumbs, headers and footers: their links never relate two pages, whatever
# words they start with ("首页 > 政策解读", a menu of two columns).
_NAV_TAGS = frozenset({"nav", "header", "footer"})
_NAV_CLASS = re.compile(r"(^|[\s_-])(nav\w*|menu\w*|submenu|foot\w*|bottom|header|head|top|topbar|topnav|toolbar|"
                        r"crumbs?|breadcrumbs?|location|position|dqwz|weizhi|wzdh|daohang)($|[\s_-])", re.I)


@dataclass(frozen=True, slots=True)
class PageLink:
    """One link: absolute address, its own words, and the words that label it."""

    url: str
    text: str             # anchor text and title=
    label: str            # text before it in its parent or previous cell, and its box's heading
    boxed: bool = False   # inside a side or related-links box
    box_links: int = 0    # links in that box (a related block holds one or two; a side list many)
    navigation: bool = False   # inside navigation, a breadcrumb, a header or a footer


def page_title(html_or_tree: str | bytes | HtmlElement) -> str:
    """The page's own title: ``ArticleTitle`` meta, else the first ``h1``, else ``<title>`` before "_站名"."""
    tree = as_tree(html_or_tree)
    for meta in tree.iter("meta"):
        if (meta.get("name") or "").lower() == "articletitle" and clean_text(meta.get("content")):
            return clean_text(meta.get("content"))
    heading = next(tree.iter("h1"), None)
    if heading is not None and clean_text(heading.text_content()):
        return clean_text(heading.text_content())
    title = next(tree.iter("title"), None)
    text = clean_text(title.text_content()) if title is not None else ""
    return text.split("_", 1)[0].strip()


def relation_links(html_or_tree: str | bytes | HtmlElement, url: str, *,
                   max_box_links: int | None = None) -> list[PageLink]:
    """Every http(s) link on the page except to itself, with its label and box.

    With ``max_box_links``, links in navigation or in a box of more links than that are left
    out before their words are read: they relate nothing, and they are most of a page's links.
    """
    tree = as_tree(html_or_tree)
    base = page_base(tree, url)
    boxes: dict[HtmlElement, HtmlElement | None] = {}
    described: dict[HtmlElement, tuple[str, int]] = {}
    found: list[PageLink] = []
    for a in tree.iter("a", "area"):
        target = absolute(base, a.get("href"))
        if not target or target == url:
            continue
        parent = a.getparent()
        box = box_of(parent, boxes) if parent is not None else None
        if box is not None and box not in described:
            described[box] = (clean_text(box.text_content())[:_HEADING_CHARS],
                              sum(1 for _ in box.iter("a", "area")))
        heading, count = described[box] if box is not None else ("", 0)
        navigation = _in_navigation(a)
        if max_box_links is not None and (navigation or count > max_box_links):
            continue
        text = " ".join(t for t in (clean_text(a.text_content()), clean_text(a.get("title"))) if t)
        label = _text_before(a)
        if box is None:
            found.append(PageLink(target, text, label, navigation=navigation))
        else:
            found.append(PageLink(target, text, f"{heading} {label}".strip(), True, count, navigation))
    return found


def _in_navigation(a: HtmlElement) -> bool:
    for node in a.iterancestors():
        if node.tag in ("body", "html"):
            return False
        if node.tag in _NAV_TAGS or _NAV_CLASS.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
    return False


def _text_before(a: HtmlElement) -> str:
    """Words right before the link in its parent ("相关解读：<a>"), or in the previous table cell."""
    parent = a.getparent()
    if parent is None:
        return ""
    parts: list[str] = []
    for sibling in a.itersiblings(preceding=True):
        parts.append(sibling.tail or "")
        if is_element(sibling):
            parts.append(sibling.text_content())
    parts.append(parent.text or "")
    before = clean_text("".join(reversed(parts)))
    if not before and parent.tag in _CELLS:
        cell = parent.getprevious()
        before = clean_text(cell.text_content()) if cell is not None and cell.tag in _CELLS else ""
    return before[-_LABEL_CHARS:]
