"""An article's own publication date, and whether a page is an article at all.

Trust order (DESIGN §7): the date labelled next to the title (发布时间/发布日期 first,
then 时间/日期), then ``PubDate``-like metas (usually right, sometimes the page's
generation time), then the address as a last hint. Side boxes, "相关阅读" lists, header
clocks, ``Maketime`` and 页面生成时间 carry other pages' or the server's dates and are
never read. 成文日期 is when a document was signed, not when it was published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lxml.html import HtmlElement

from monitor.extract.dates import (
    DateSpan,
    date_from_url,
    find_date_spans,
    is_clock,
    normalize,
    parse_datetime_local,
)
from monitor.extract.links import as_tree, clean_text, is_element, looks_like_box

_SKIP_TAGS = frozenset({"script", "style", "noscript", "select", "option", "textarea", "head",
                        "title", "iframe", "button"})
_LABEL = re.compile(
    r"(发布时间|发布日期|发布于|发表时间|发表日期|发文日期|公开日期|上传时间|信息时间|更新时间|"
    r"更新日期|时间|日期)[\s:：】\]]{0,8}"
)
_PRIMARY = ("发布", "发表", "发文", "公开", "上传", "信息")
# Words before a label that make its date something else than the publication.
_OTHER_PREFIX = re.compile(
    r"(成文|印发|签发|生成|截止|开始|结束|起止|当前|访问|打印|施行|实施|有效|网站|页面|会议|活动|"
    r"办理|答复|受理|来信|回复|报名|考试|开标|投标|征集|出生|入党|工作|任职)\s*$"
)
_PAGE_PREFIX = re.compile(r"(生成|页面|网站|打印)\s*$")
#: A generic 时间/日期 label counts only this close after the title (body text has others).
_GENERIC_REACH = 400
_FAR_FUTURE = date(2999, 1, 1)

_PUB_METAS = ("pubdate", "publishdate", "publish_date", "publishtime", "article:published_time",
              "firstpublishedtime", "og:release_date", "og:published_time", "releasedate",
              "dc.date.issued", "dcterms.issued", "datepublished")
_GEN_METAS = ("maketime", "generatetime", "generatedtime", "createtime")
_TITLE_METAS = ("articletitle", "og:title")


@dataclass(frozen=True, slots=True)
class _Labelled:
    pos: int
    primary: bool
    value: date


def _meta(tree: HtmlElement) -> dict[str, str]:
    """Meta contents by lower-cased name/property/itemprop (first one wins)."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        content = (meta.get("content") or "").strip()
        if key and content and key not in found:
            found[key] = content
    return found


def _walk(el: HtmlElement, out: list[str], marks: dict[str, int]) -> None:
    """Visible text in document order, skipping side boxes; notes where the first h1 starts."""
    tag = el.tag
    if is_element(el) and tag not in _SKIP_TAGS and not looks_like_box(el, chrome=False):
        if tag == "h1" and "h1" not in marks:
            marks["h1"] = len(out)
        if el.text:
            out.append(el.text)
        for child in el:
            _walk(child, out, marks)
    if el.tail:
        out.append(el.tail)


def _head_title(tree: HtmlElement) -> str:
    """The ``<title>`` without its site suffix ("标题_青岚县人民政府", "标题 - 某县")."""
    head = tree.find(".//title")
    text = clean_text(head.text_content()) if head is not None else ""
    return re.split(r"\s*[_|｜—–-]\s*", text, maxsplit=1)[0] if text else ""


@dataclass(slots=True)
class _Page:
    """One walk over a page, shared by the kind decision and the date reading."""

    tree: HtmlElement
    metas: dict[str, str]
    text: str            # readable text outside side boxes, chunks joined by newlines
    title_pos: int       # where the title starts in ``text`` (0 when unknown)


def _page(tree: HtmlElement) -> _Page:
    body = tree.find("body")
    root = body if body is not None else tree
    out: list[str] = []
    marks: dict[str, int] = {}
    if root.text:
        out.append(root.text)
    for child in root:
        _walk(child, out, marks)
    metas = _meta(tree)
    index = marks.get("h1")
    for title in (clean_text(metas.get("articletitle")), _head_title(tree)):
        if index is None and len(title) >= 6:
            index = next((i for i, chunk in enumerate(out) if title[:12] in clean_text(chunk)),
                         None)
    pos = sum(len(chunk) + 1 for chunk in out[:index]) if index is not None else 0
    return _Page(tree, metas, normalize("\n".join(out)), pos)


def _labelled_dates(text: str, today: date) -> list[_Labelled]:
    """Every "发布时间：2026-11-05"-like pair (label and date may sit in adjacent cells)."""
    found = []
    for m in _LABEL.finditer(text):
        primary = m.group(1).startswith(_PRIMARY)
        before = text[max(0, m.start() - 4):m.start()].rsplit("\n", 1)[-1]  # same text run only
        if (_PAGE_PREFIX if primary else _OTHER_PREFIX).search(before):
            continue
        window = text[m.end():m.end() + 30]
        spans = [s for s in find_date_spans(window, today) if s.start == 0 and s.full]
        if not spans:
            continue
        shifted = DateSpan(m.end(), m.end() + spans[0].end, spans[0].value, True)
        if is_clock(text, shifted):
            continue
        found.append(_Labelled(m.start(), primary, spans[0].value))
    return found


def _choose_labelled(found: list[_Labelled], title_pos: int) -> date | None:
    """发布-labelled first (nearest after the title), then a generic label close to the title."""
    primary = [f for f in found if f.primary]
    after = [f for f in primary if f.pos >= title_pos]
    if after or primary:
        return (after or primary)[0].value
    generic = [f for f in found if not f.primary and 0 <= f.pos - title_pos <= _GENERIC_REACH]
    return generic[0].value if generic else None


def _meta_date(metas: dict[str, str], today: date) -> tuple[date | None, bool]:
    """The first publication meta's date, and whether it merely repeats the generation time."""
    generated = {metas[k] for k in _GEN_METAS if k in metas}
    for key in _PUB_METAS:
        content = metas.get(key)
        if content:
            value = parse_datetime_local(content, today)
            if value:
                return value, content in generated
    return None, False


def _published(page: _Page, url: str, today: date) -> date | None:
    found = _choose_labelled(_labelled_dates(page.text, today), page.title_pos)
    if found:
        return found
    value, suspicious = _meta_date(page.metas, today)
    hint = date_from_url(url, today)
    if value and not (suspicious and hint):
        return value
    return hint


def read_published(html_or_tree: str | bytes | HtmlElement, url: str, today: date) -> date | None:
    """The article's own publication date (label, then meta, then the address), or None.

    When the ``PubDate`` meta is literally the page's ``Maketime`` (a template stamping its
    generation time), the address date, if any, is preferred to it.
    """
    return _published(_page(as_tree(html_or_tree)), url, today)


def _body_length(tree: HtmlElement) -> int:
    """Length of the largest block of running text: paragraphs under one parent, or a cell's
    own text split by ``<br>`` (GBK-era pages), link text excluded."""
    sizes: dict[HtmlElement, int] = {}
    body = tree.find("body")
    for el in (body if body is not None else tree).iter("p", "td", "div", "span", "font"):
        own = len(clean_text(el.text)) + sum(len(clean_text(c.tail)) for c in el)
        if el.tag == "p":
            parent = el.getparent()
            if parent is not None:
                links = sum(len(clean_text(a.text_content())) for a in el.iter("a"))
                sizes[parent] = sizes.get(parent, 0) + len(clean_text(el.text_content())) - links
        elif own:
            sizes[el] = sizes.get(el, 0) + own
    return max(sizes.values(), default=0)


def _strength(page: _Page) -> int:
    """0: not an article; 1: a labelled date and a title only; 2: also article metas or a body.

    A small list whose one or two rows say "发布时间：…" under an h1 also scores 1, so the
    caller weighs a weak article against the list it may really be.
    """
    labels = len(_labelled_dates(page.text, _FAR_FUTURE))
    has_title = (any(k in page.metas for k in _TITLE_METAS)
                 or page.tree.find(".//h1") is not None)
    has_meta = any(k in page.metas for k in (*_PUB_METAS, "articletitle"))
    if 1 <= labels <= 2:
        if has_meta or _body_length(page.tree) >= 150:
            return 2
        return 1 if has_title or _body_length(page.tree) >= 40 else 0
    return 2 if labels == 0 and has_meta and _body_length(page.tree) >= 150 else 0


def looks_like_article(tree: HtmlElement) -> bool:
    """One main text with a title and one or two labelled dates, rather than rows of entries.

    A list whose rows each say "发布时间：…" has many labels, so it stays a list; an article
    with a "相关阅读" box or a dated sidebar is still an article (boxes are not read).
    """
    return _strength(_page(tree)) > 0


def read_article(tree: HtmlElement, url: str, today: date) -> tuple[int, date | None]:
    """(article strength 0/1/2 as in ``_strength``, publication date) from one walk."""
    page = _page(tree)
    strength = _strength(page)
    return strength, (_published(page, url, today) if strength else None)
