"""Page plumbing shared by the list and article readers: trees, addresses, boxes, records.

Kept apart so that ``lists`` and ``article`` agree on what a link is, what a side box
(navigation, "热点", "相关阅读", footer) is, and where Hanweb hides its records.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:")

# Class/id words of containers that are not the page's main content. "left"/"right" are
# deliberately absent: on county sites the main list very often sits in div.right.
# Side boxes carry other pages' titles and dates; chrome (top bar, breadcrumbs) only
# matters to the list reader, since an article's info line may sit in a "top-info" div.
_SIDE_WORDS = frozenset({
    "nav", "navbar", "menu", "submenu", "foot", "footer", "bottom", "sidebar", "side", "aside",
    "related", "relate", "xgwz", "xgyd", "xgxx", "xglj", "xgwj", "xgzc", "yqlj", "friend",
    "friendlink", "links", "link", "hot", "hotnews", "rdxw", "rdtj", "rdgz", "rank", "ranking",
    "phb", "djph", "tuijian", "recommend", "share", "bdshare",
})
_CHROME_WORDS = frozenset({
    "header", "top", "topbar", "toolbar", "crumb", "breadcrumb", "location", "position", "dqwz",
    "weizhi", "clock",
})
_BOX_PREFIXES = ("nav", "menu", "foot", "sidebar", "related", "xgwz", "xgyd", "hotnew", "rank")
_BOX_TAGS = frozenset({"nav", "footer", "header", "aside"})
# A box announces itself by its first words: "相关阅读：", "热点信息", "友情链接" …
_BOX_HEADING = re.compile(
    r"^\s*(相关(文章|阅读|链接|信息|新闻|文件|稿件|报道|解读|政策|推荐|附件)|热点|热门|推荐阅读|"
    r"(点击|阅读|浏览)?排行|延伸阅读|猜你喜欢|友情链接|网站导航|站点导航|今日关注)"
)


def as_tree(html_or_tree: str | bytes | HtmlElement) -> HtmlElement:
    """The document root of a page, parsing text when needed (never raises on junk).

    A decoded ``str`` with an ``<?xml … encoding=…?>`` prolog is refused by lxml, so the
    prolog is dropped; empty input gives an empty document. The datastore scripts of a ``str``
    are cut out before parsing (see ``Datastore``); the tree's parser holds on to their bodies.
    """
    if isinstance(html_or_tree, HtmlElement):
        return html_or_tree.getroottree().getroot()
    text = html_or_tree
    stores: list[Datastore] = []
    if isinstance(text, str):
        text, stores = _cut_datastores(_XML_DECL.sub("", text, count=1))
    if not text or text.isspace():          # not strip(): that copies a page of megabytes
        return lxml.html.document_fromstring("<html><body></body></html>")
    try:
        return lxml.html.document_fromstring(text, parser=_CutParser(stores) if stores else None)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>")


def page_base(tree: HtmlElement, url: str) -> str:
    """The address relative links resolve against: ``<base href>`` when the page sets one."""
    for base in tree.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            return urljoin(url, href)
    return url


def absolute(base: str, href: str | None) -> str | None:
    """An absolute http(s) address without fragment, or None for javascript:, mailto:, '#' …"""
    return _absolute(base, href) if href else None


@lru_cache(maxsize=2048)  # a page resolves its links twice (entries, link count); navs repeat. Full: ~0.7 MB
def _absolute(base: str, href: str) -> str | None:
    href = href.strip().replace("\\", "/")
    if not href or href.startswith("#") or href.lower().startswith(_SKIP_SCHEMES):
        return None
    if "/." not in href and not href.startswith("//"):   # fast paths: urljoin is the hot spot
        if href.startswith(("http://", "https://")):
            return href.split("#", 1)[0]
        if href.startswith("/"):
            origin = _origin(base)
            if origin:
                return origin + href.split("#", 1)[0]
    try:
        url = urldefrag(urljoin(base, href)).url
    except ValueError:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


@lru_cache(maxsize=1024)
def _origin(base: str) -> str | None:
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


def clean_text(text: str | None) -> str:
    """Text with whitespace runs (including &nbsp; and ideographic spaces) collapsed."""
    return " ".join((text or "").replace("\u3000", " ").split())


def is_element(node: object) -> bool:
    """True for real elements (comments and processing instructions have callable tags)."""
    return isinstance(node, HtmlElement) and isinstance(node.tag, str)


def _class_words(el: HtmlElement) -> list[str]:
    raw = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return [w for w in re.split(r"[\s_\-]+", raw) if w]


def _first_words(el: HtmlElement) -> str:
    for text in el.itertext():
        if text.strip():
            return text.strip()[:12]
    return ""


def looks_like_box(el: HtmlElement, *, chrome: bool = True) -> bool:
    """This element itself is navigation, a footer, a side box or a related-links box.

    With ``chrome`` top bars, headers and breadcrumbs count as boxes too.
    """
    if el.tag in _BOX_TAGS and (chrome or el.tag != "header"):
        return True
    for word in _class_words(el):
        if (word in _SIDE_WORDS or word.startswith(_BOX_PREFIXES)
                or (chrome and word in _CHROME_WORDS)):
            return True
    return bool(el.tag in ("div", "ul", "ol", "dl", "table", "td", "section") and
                _BOX_HEADING.match(_first_words(el)))


def box_of(el: HtmlElement, memo: dict[HtmlElement, HtmlElement | None] | None = None) -> HtmlElement | None:
    """The nearest ancestor of ``el`` (itself included) that is a box (see ``looks_like_box``), if any.

    ``memo`` spares re-walks when many links share ancestors.
    """
    memo = {} if memo is None else memo
    walked: list[HtmlElement] = []
    node: HtmlElement | None = el
    box: HtmlElement | None = None
    while node is not None and node.tag not in ("body", "html"):
        if node in memo:
            box = memo[node]
            break
        walked.append(node)
        if looks_like_box(node):
            box = node
            break
        node = node.getparent()
    for seen in walked:
        memo[seen] = box
    return box


def in_box(el: HtmlElement, memo: dict[HtmlElement, HtmlElement | None] | None = None) -> bool:
    """Whether ``el`` sits inside a box (navigation, footer, side or related block)."""
    return box_of(el, memo) is not None


# A Hanweb datastore script holds a whole column's records: a megabyte on a big portal. Kept in
# the tree, it cost that much again in libxml2, and each reading of it (a text copy, an XPath
# test) a transient copy more: from 20,000 to 100,000 pages the one big column page raised the
# round's peak by several megabytes. So ``as_tree`` cuts each datastore's body out of the markup
# before parsing: the tree keeps an empty script marked with its number, and its records are found
# in the markup itself, which the caller holds anyway, one record at a time.
_OPENING = re.compile(r"<!--|<script\b[^>]{0,2000}>", re.I)     # a longer opening tag is left uncut
_SCRIPT_END = re.compile(r"</script(?=[\s/>])", re.I)
_RECORD = re.compile(r"<record(?:\s[^>]*)?>\s*(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?\s*</record>", re.S | re.I)
_IS_DATASTORE = etree.XPath('contains(., "<record") and (contains(., "datastore") or contains(., "recordset"))')
_CONTAINS = etree.XPath("contains(., $word)")
_MARK = f"data-datastore-{secrets.token_hex(8)}"     # unguessable: a page cannot pose as a cut datastore


@dataclass(frozen=True, slots=True)
class Datastore:
    """The text of a script as a span of a string: a datastore's body in its page's markup."""

    markup: str
    start: int
    end: int

    def find(self, word: str) -> bool:
        return self.markup.find(word, self.start, self.end) >= 0

    def holds_records(self) -> bool:
        """The test ``_IS_DATASTORE`` makes of a script in a tree, made on this span of the markup."""
        return self.find("<record") and (self.find("datastore") or self.find("recordset"))

    def search(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        return pattern.search(self.markup, self.start, self.end)

    def record_bodies(self) -> Iterator[str]:
        for match in _RECORD.finditer(self.markup, self.start, self.end):
            yield match.group(1).strip()


class _CutParser(lxml.html.HTMLParser):
    """The parser of one page whose datastores were cut: lxml keeps a document's parser as long
    as any of its elements lives, so the bodies live exactly as long as the tree."""

    def __init__(self, stores: list[Datastore]) -> None:
        super().__init__()
        self.datastores = stores


def _cut_datastores(markup: str) -> tuple[str, list[Datastore]]:
    """The markup with each datastore script emptied and marked with its number, and the bodies."""
    if "<record" not in markup:
        return markup, []
    pieces: list[str] = []
    stores: list[Datastore] = []
    at = 0
    for start, end in _script_bodies(markup):
        store = Datastore(markup, start, end)
        if not store.holds_records():
            continue
        pieces += (markup[at:start - 1], f' {_MARK}="{len(stores)}">')      # start - 1: the tag's ">"
        stores.append(store)
        at = end
    if not stores:
        return markup, []
    pieces.append(markup[at:])
    return "".join(pieces), stores


def _script_bodies(markup: str) -> Iterator[tuple[int, int]]:
    """Where each script's text lies, skipping comments, in one pass over the markup (a page
    without its closing tags cannot make it search the rest again for each one)."""
    at = 0
    while (opening := _OPENING.search(markup, at)) is not None:
        if opening.group() == "<!--":
            end = markup.find("-->", opening.end())
            if end < 0:
                return
            at = end + 3
            continue
        closing = _SCRIPT_END.search(markup, opening.end())
        if closing is None:
            return
        yield opening.end(), closing.start()
        at = closing.end()


def _cut_store(script: HtmlElement) -> Datastore | None:
    """The body cut from ``script`` by ``as_tree``, or None for a script that holds its own text
    (told by an attribute: its text may be megabytes, never made a Python string to ask)."""
    mark = script.get(_MARK)
    if mark is None:
        return None
    stores: list[Datastore] = getattr(script.getroottree().parser, "datastores", [])
    index = int(mark)
    if index >= len(stores):            # a tree copied out of its page: its records stayed behind
        raise LookupError("datastore records read from a tree that was not parsed with them")
    return stores[index]


def _text_of(script: HtmlElement) -> Datastore:
    """Where a script's text lies: a cut datastore's body in its page's markup, else the script's
    own text (a tree not made by ``as_tree`` keeps its datastores), made a Python string."""
    store = _cut_store(script)
    if store is not None:
        return store
    text = script.text or ""
    return Datastore(text, 0, len(text))


def script_has(script: HtmlElement, word: str) -> bool:
    """Whether a script's text contains ``word``, asked without making its text a Python string."""
    store = _cut_store(script)
    return store.find(word) if store is not None else bool(_CONTAINS(script, word=word))


def script_search(script: HtmlElement, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """``pattern`` searched in a script's text (a cut datastore's body where it lies)."""
    return _text_of(script).search(pattern)


def datastore_scripts(tree: HtmlElement) -> Iterator[HtmlElement]:
    """Hanweb jcms ``<script type="text/xml"><datastore>…`` blocks (list records live there)."""
    for script in tree.iter("script"):
        if _cut_store(script) is not None or _IS_DATASTORE(script):
            yield script


def iter_datastore_records(script: HtmlElement) -> Iterator[HtmlElement]:
    """Each ``<record><![CDATA[…]]></record>`` parsed as an HTML fragment (one row each), one at a
    time: a jcms page may hold thousands, each its own small libxml2 document."""
    for body in _text_of(script).record_bodies():
        if not body:
            continue
        try:       # one record at a time: lxml's default parser is per thread, a shared one is not
            holder = lxml.html.fragment_fromstring(body, create_parent="div")
        except (etree.ParserError, ValueError):
            continue
        children = [c for c in holder if is_element(c)]
        yield children[0] if len(children) == 1 and not (holder.text or "").strip() else holder


_REFERENCE = {"a": "href", "area": "href", "img": "src", "iframe": "src", "frame": "src"}


def iter_references(tree: HtmlElement, tags: tuple[str, ...] = ("a", "area")) -> Iterator[tuple[str, HtmlElement]]:
    """Raw references (``href``/``src``) of ``tags`` on the page, then inside datastore records,
    each with its element."""
    for el in tree.iter(*tags):
        ref = el.get(_REFERENCE[el.tag])
        if ref:
            yield ref, el
    for script in datastore_scripts(tree):
        for row in iter_datastore_records(script):
            for el in row.iter(*tags):
                ref = el.get(_REFERENCE[el.tag])
                if ref:
                    yield ref, el


def count_links(tree: HtmlElement, url: str) -> int:
    """Distinct absolute http(s) link targets on the page (datastore records included)."""
    base = page_base(tree, url)
    return len({u for u in (absolute(base, ref) for ref, _ in iter_references(tree)) if u})
