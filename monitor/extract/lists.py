"""The generic list reader: which entries a column page lists, with their dates.

No per-site configuration: the main list is the largest family of repeated "rows" that
each hold one title link and (usually) one date. A row is the highest element around a
link that holds no other title link (so ``li``, ``tr``, ``div`` and ``dl`` lists all work
alike); rows are grouped by their tag/class path so hidden pages of the same list join
one family while navigation and side boxes form their own, smaller or penalised ones.
Hanweb records hidden in ``<script type="text/xml">`` and JSON arrays in scripts are
read as extra families. An operator's CSS selectors replace the guessing when given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from itertools import chain
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from monitor.domain import Item
from monitor.extract.dates import (
    SHANGHAI,
    find_date_spans,
    make_date,
    normalize,
    parse_datetime_local,
    pick_date,
)
from monitor.extract.links import (
    absolute,
    as_tree,
    clean_text,
    datastore_scripts,
    in_box,
    is_element,
    iter_datastore_records,
    page_base,
    script_has,
)


@dataclass(slots=True)
class ListResult:
    """The entries of a list page; ``blank`` when the list area says it has none."""

    items: list[Item] = field(default_factory=list)
    blank: bool = False
    notes: list[str] = field(default_factory=list)
    paged: bool = False      # the page has a pager or Hanweb datastore: a column page
    by_pager: bool = False   # the entries found sit right above that pager (or are records)

    @property
    def latest(self) -> date | None:
        dates = [i.date for i in self.items if i.date]
        return max(dates) if dates else None


@dataclass(slots=True)
class _Group:
    key: str
    label: str
    items: list[Item] = field(default_factory=list)
    boxed: bool = False
    order: int = 0
    container: HtmlElement | None = None   # the first row's parent (HTML lists only)
    near_pager: bool = False

    @property
    def dated(self) -> int:
        return sum(1 for i in self.items if i.date)

    def score(self) -> float:
        """Dated rows count most; undated rows count only when they carry real titles.

        A side box is discounted; the list the pager sits under is favoured, so a column
        page's short main list beats a longer "最新信息" column beside it.
        """
        if not self.items:
            return 0.0
        avg = sum(len(i.title) for i in self.items) / len(self.items)
        undated = len(self.items) - self.dated
        value = self.dated * 3 + undated * (1.0 if avg >= 8 else 0.1)
        return value * (0.25 if self.boxed else 1.0) * (3.0 if self.near_pager else 1.0)


_MIN_TITLE = 4
MIN_ROWS = 3
_NOT_TITLE = re.compile(
    r"^[\[【(（<«»>·\s]*(更多|more|详细|详情|查看|全文|阅读全文|下一页|上一页|下页|上页|首页|尾页|"
    r"末页|返回|打印|关闭|收藏|分享|\d+|[<>»«]+)[\]】)）>»\s]*$",
    re.I,
)
_ELLIPSIS = re.compile(r"(…+|\.{2,}|。{2,})\s*$")
_CATEGORY_TAG = re.compile(r"^[\[【][^\]】]{1,10}[\]】]$")     # "[部门动态]" before a title
_PIN_MARK = re.compile(r"^[\[【(（]?(置顶|顶|推荐|new|NEW)[\]】)）]\s*")
_BLANK = re.compile(
    r"(暂无|没有|无)(相关|任何|符合条件的)?(信息|数据|内容|记录|文章|公告|文件|资料|条目|结果)|"
    r"信息正在(更新|完善|整理)|没有找到|暂无"
)
_ROW_CELLS = frozenset({"td", "th"})
_ITEM_TAGS = frozenset({"li", "tr", "dt", "dd", "a"})
_CLASS_NOISE = re.compile(r"^(hide|hidden|show|active|on|cur|current|first|last|odd|even|"
                          r"clearfix|clear|cf|sel|selected|bg|line)$")
_TRS_PAGER = re.compile(r"createPageHTML\(\s*(\w+)\s*,\s*(\w+)\s*,\s*['\"]([\w.-]+)['\"]\s*,"
                        r"\s*['\"](\w+)['\"]")


def anchor_title(a: HtmlElement) -> str:
    """The link's text, or its ``title=`` when the text is cut ("…", "...") or a prefix of it.

    A "[置顶]" marker inside the link is not part of the title.
    """
    text = _PIN_MARK.sub("", _card_title(a) or clean_text(a.text_content()))
    full = clean_text(a.get("title"))
    stem = _ELLIPSIS.sub("", text).strip()
    if full and (not stem or (len(full) > len(stem) and full.startswith(stem[:_MIN_TITLE]))):
        return full
    return text


_TITLE_CLASS = re.compile(r"tit|(^|[\s_-])(bt|name|subject)($|[\s_-])", re.I)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _card_title(a: HtmlElement) -> str | None:
    """A link wrapping a whole card (title, summary, date): the title is its heading part."""
    if len(a) == 0:
        return None
    for el in a.iter():
        if el is a or not is_element(el):
            continue
        if el.tag in _HEADINGS or _TITLE_CLASS.search(el.get("class") or ""):
            text = clean_text(el.text_content())
            if is_title(text):
                return text
    return None


def is_title(text: str) -> bool:
    """Long enough to be an entry's title and not a pager or "更多" link."""
    return len(text) >= _MIN_TITLE and not _NOT_TITLE.match(text) and not _CATEGORY_TAG.match(text)


# ---- rows ---------------------------------------------------------------------------------

_MULTI = "\0multi"


def _title_links(root: HtmlElement, base: str) -> list[tuple[HtmlElement, str, str]]:
    """(anchor, absolute url, title) for every link that looks like an entry."""
    found = []
    for a in root.iter("a"):
        url = absolute(base, a.get("href"))
        if not url:
            continue
        title = anchor_title(a)
        if is_title(title):
            found.append((a, url, title))
    return found


def _owners(links: Iterable[tuple[HtmlElement, str, str]]) -> dict[HtmlElement, str]:
    """For each ancestor of a title link: the single url it holds, or ``_MULTI``."""
    owners: dict[HtmlElement, str] = {}
    for a, url, _ in links:
        node = a.getparent()
        while node is not None:
            current = owners.get(node)
            if current is None:
                owners[node] = url
            elif current in (url, _MULTI):
                break
            else:
                owners[node] = _MULTI
            node = node.getparent()
    return owners


def _row_of(a: HtmlElement, url: str, owners: dict[HtmlElement, str]) -> HtmlElement:
    """The highest element around ``a`` holding no other title link; a cell widens to its row."""
    node = a
    while True:
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html") or owners.get(parent) != url:
            break
        node = parent
    if node.tag in _ROW_CELLS:
        parent = node.getparent()
        if parent is not None and parent.tag == "tr":
            node = parent
    return node


def _edge_date(title: str, today: date) -> tuple[date | None, str]:
    """A date cell inside the link itself: at the very start or end of its text, not mid-title.

    "关于2026年11月1日起施行…的通知" keeps its date as title text; "[11-05] 标题" or
    "标题 2026-11-05" carry the row's date. Returns (date, title without it).
    """
    norm = normalize(title)
    spans = find_date_spans(norm, today)
    if not spans:
        return None, title
    head, tail = spans[0], spans[-1]
    if not norm[:head.start].strip(" [【(（"):
        return head.value, norm[head.end:].strip(" ]】)）").strip()
    if not norm[tail.end:].strip(" ]】)）"):
        return tail.value, norm[:tail.start].strip(" [【(（").strip()
    return None, title


def _sibling_text(row: HtmlElement, limit: int = 4) -> str:
    """Text right after a row up to the next link: flat lists put "<a>…</a><span>date</span>",
    ``dl`` lists put the date in the ``dd`` after the ``dt``."""
    parts = [row.tail or ""]
    for sib in row.itersiblings():
        if is_element(sib):
            if next(sib.iter("a"), None) is not None:
                break
            parts.append(sib.text_content())
        parts.append(sib.tail or "")
        limit -= 1
        if limit == 0:
            break
    return " ".join(parts)[:80]


def _preceding_text(row: HtmlElement, limit: int = 4) -> str:
    """Text right before a row back to the previous link (or the start of its container)."""
    parts: list[str] = []
    for sib in row.itersiblings(preceding=True):
        parts.append(sib.tail or "")
        if is_element(sib) and next(sib.iter("a"), None) is not None:
            break
        if is_element(sib):
            parts.append(sib.text_content())
        limit -= 1
        if limit == 0:
            break
    else:
        parent = row.getparent()
        parts.append(parent.text or "" if parent is not None else "")
    return " ".join(reversed(parts))[-80:]


def _dates_lead(flat_rows: list[HtmlElement], today: date) -> bool:
    """A flat list written "[11-05] <a>…</a><br>": a date before the first link, none after
    the last. Reading such a list forwards would give every entry its successor's date."""
    return (pick_date(_preceding_text(flat_rows[0]), today) is not None
            and pick_date(_sibling_text(flat_rows[-1]), today) is None)


def _row_item(a: HtmlElement, url: str, title: str, row: HtmlElement, today: date,
              lead: bool = False) -> Item:
    """One entry: the title link and the row's own date (never a date written in the title).

    Every link's text is taken out of the row before looking for its date: an image link
    with ``title=`` may come first while the text link (with a date in its title) follows.
    """
    link_text = a.text_content()
    when = None
    if row is not a:
        rest = row.text_content()
        for other in row.iter("a"):
            text = other.text_content()
            if text.strip():
                rest = rest.replace(text, " ", 1)
                link_text = link_text if link_text.strip() else text
        when = pick_date(rest, today)
    if when is None:
        when, trimmed = _edge_date(clean_text(link_text), today)
        if when and title == clean_text(link_text):
            title = trimmed or title
    if when is None:
        when = pick_date(_preceding_text(row) if lead else _sibling_text(row), today)
    return Item(title=title, url=url, date=when)


def _norm_class(el: HtmlElement) -> str:
    words = []
    for word in (el.get("class") or "").lower().split():
        word = re.sub(r"\d+", "", word)
        if word and not _CLASS_NOISE.match(word):
            words.append(word)
    return ".".join(sorted(set(words)))


def _path_key(row: HtmlElement, memo: dict[HtmlElement, str]) -> str:
    """Tag/class path from the root: rows of one list (hidden pages too) share it.

    The row's own class is left out: a pinned ``li.top`` belongs to the list below it.
    """
    parent = row.getparent()
    return f"{_container_key(parent, memo) if parent is not None else ''}/{row.tag}"


def _container_key(el: HtmlElement, memo: dict[HtmlElement, str]) -> str:
    key = memo.get(el)
    if key is None:
        parent = el.getparent()
        prefix = _container_key(parent, memo) if parent is not None else ""
        key = memo[el] = f"{prefix}/{el.tag}.{_norm_class(el)}"
    return key


def _html_groups(root: HtmlElement, base: str, today: date,
                 box_cache: dict[HtmlElement, HtmlElement | None]) -> list[_Group]:
    """Families of rows in one (sub)tree, keyed by path and by being inside a box or not."""
    links = _title_links(root, base)
    owners = _owners(links)
    rows = {a: _row_of(a, url, owners) for a, url, _ in links}
    flat: dict[HtmlElement, list[HtmlElement]] = {}
    for a, row in rows.items():
        if row is a and a.getparent() is not None:
            flat.setdefault(a.getparent(), []).append(a)
    leading = {parent for parent, members in flat.items() if _dates_lead(members, today)}
    groups: dict[str, _Group] = {}
    memo: dict[HtmlElement, str] = {}
    for a, url, title in links:
        row = rows[a]
        parent = row.getparent()
        # a list item's own class says nothing (li.top is a pinned entry, not a top bar)
        host = parent if row.tag in _ITEM_TAGS else row
        boxed = host is not None and in_box(host, box_cache)
        key = f"{_path_key(row, memo)}|{'box' if boxed else 'main'}"
        group = groups.get(key)
        if group is None:
            label = f"{(parent.tag + '>') if parent is not None else ''}{row.tag}"
            group = groups[key] = _Group(key, label, boxed=boxed, order=len(groups),
                                         container=parent)
        group.items.append(_row_item(a, url, title, row, today, lead=parent in leading))
    return list(groups.values())


def _datastore_groups(tree: HtmlElement, base: str, today: date,
                      box_cache: dict[HtmlElement, HtmlElement | None]) -> list[_Group]:
    """Hanweb jcms: each ``<record>`` is one row, parsed as its own small HTML fragment (one at a
    time: a column page may hold thousands, and libxml2 keeps a document for each)."""
    groups = []
    for n, script in enumerate(datastore_scripts(tree)):
        boxed = in_box(script, box_cache)
        group = _Group(f"datastore{n}", "大汉 datastore 记录", boxed=boxed, order=-1)
        for record in iter_datastore_records(script):
            links = _title_links(record, base)
            if not links:
                continue
            a, url, title = links[0]
            group.items.append(_row_item(a, url, title, record, today))
        if group.items:
            groups.append(group)
    return groups


# ---- JSON in scripts ------------------------------------------------------------------------

_TITLE_KEYS = ("title", "doctitle", "infotitle", "articletitle", "maintitle", "bt", "subject",
               "name")
_URL_KEYS = ("url", "docpuburl", "puburl", "linkurl", "infourl", "detailurl", "href", "link",
             "path")
_DATE_KEYS = ("pubdate", "publishdate", "publishtime", "pubtime", "releasedate", "releasetime",
              "docreltime", "reltime", "fbrq", "fbsj", "date", "time", "displaytime", "cdate",
              "createtime", "createdate", "inputtime", "writetime")
_ARRAY_START = re.compile(r"\[\s*\{")
_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_MAX_SCRIPT, _MAX_TRIES = 2_000_000, 40   # inline libraries are not lists: bound the scanning
# Scripts worth scanning, chosen in libxml2 (a datastore script is megabytes of text: see links.py).
_JSON_CANDIDATE = etree.XPath(f'not(contains(., "<record")) and string-length(.) <= {_MAX_SCRIPT}')
_MAX_ARRAY = 300_000


def _bracket_end(text: str, start: int) -> int:
    """Index after the bracket closing the one at ``start`` (strings respected), or -1.

    Gives up after ``_MAX_ARRAY`` characters: a list of entries is never that long, and
    a character loop over an inlined library would stall the round.
    """
    depth, quote, escaped = 0, "", False
    for i in range(start, min(len(text), start + _MAX_ARRAY)):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def _loads_lenient(chunk: str) -> Any:
    """JSON, or a JS literal close to it (bare keys, single quotes, trailing commas)."""
    try:
        return json.loads(chunk)
    except ValueError:
        pass
    fixed = _BARE_KEY.sub(r'\1"\2":', chunk)
    fixed = re.sub(r"'((?:[^'\\\"]|\\.)*)'", r'"\1"', fixed)
    fixed = _TRAILING_COMMA.sub(r"\1", fixed)
    try:
        return json.loads(fixed)
    except ValueError:
        return None


def _pick_key(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in record.items()}
    for key in keys:
        value = lowered.get(key)
        if value not in (None, ""):
            return value
    return None


def _json_date(value: Any, today: date) -> date | None:
    """Dates in JSON: text in any form, or epoch seconds/milliseconds (read in Shanghai)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            local = datetime.fromtimestamp(seconds, SHANGHAI).date()
        except (OverflowError, OSError, ValueError):
            return None
        return make_date(local.year, local.month, local.day, today)
    return parse_datetime_local(str(value), today) if isinstance(value, str) else None


def _json_items(data: Any, base: str, today: date) -> list[Item]:
    items = []
    for record in data if isinstance(data, list) else []:
        if not isinstance(record, dict):
            continue
        title, href = _pick_key(record, _TITLE_KEYS), _pick_key(record, _URL_KEYS)
        url = absolute(base, href) if isinstance(href, str) else None
        if not isinstance(title, str) or not url:
            continue
        title = clean_text(re.sub(r"<[^>]+>", "", title))
        if is_title(title):
            items.append(Item(title, url, _json_date(_pick_key(record, _DATE_KEYS), today)))
    return items


def _json_groups(tree: HtmlElement, base: str, today: date) -> list[_Group]:
    """Arrays of {title, url, date}-like objects in scripts (lists a page fills by JavaScript)."""
    groups = []
    for script in tree.iter("script"):
        if not _JSON_CANDIDATE(script):
            continue
        text = script.text or ""
        pos, tries = 0, 0
        while (m := _ARRAY_START.search(text, pos)) is not None and tries < _MAX_TRIES:
            tries += 1
            end = _bracket_end(text, m.start())
            if end < 0:
                break
            items = _json_items(_loads_lenient(text[m.start():end]), base, today)
            if items:
                groups.append(_Group(f"json{len(groups)}", "脚本内 JSON 列表", items, order=-1))
                pos = end
            else:
                pos = m.start() + 1
    return groups


# ---- selection ------------------------------------------------------------------------------


def _dedupe(items: Iterable[Item]) -> list[Item]:
    """One entry per url, in page order; a later copy may supply a missing date."""
    seen: dict[str, Item] = {}
    for item in items:
        known = seen.get(item.url)
        if known is None:
            seen[item.url] = item
        elif known.date is None and item.date is not None:
            seen[item.url] = Item(known.title, known.url, item.date)
    return list(seen.values())


def _blank_phrase(tree: HtmlElement, box_cache: dict[HtmlElement, HtmlElement | None]) -> str | None:
    """A short "暂无信息"-like text outside navigation and side boxes, if the page has one."""
    body = tree.find("body")
    for el in (body if body is not None else tree).iter():
        if not is_element(el) or el.tag in ("script", "style", "title", "option"):
            continue
        for text, host in ((el.text, el), (el.tail, el.getparent())):
            words = clean_text(text)
            if (words and len(words) <= 30 and _BLANK.search(words) and host is not None
                    and not in_box(host, box_cache)):
                return words
    return None


def _js_int(token: str, script: str) -> int | None:
    """A literal, or a variable set earlier in the script (``var countPage = 5//共多少页``)."""
    if token.isdigit():
        return int(token)
    m = re.search(rf"\b{re.escape(token)}\s*=\s*(\d+)", script)
    return int(m.group(1)) if m else None


def trs_pager(tree: HtmlElement) -> tuple[int, int, str, str] | None:
    """TRS ``createPageHTML(total, current, "index", "html")``: the list has more pages."""
    for script in tree.iter("script"):
        if not script_has(script, "createPageHTML"):
            continue
        text = script.text or ""
        m = _TRS_PAGER.search(text)
        if m:
            total, current = _js_int(m.group(1), text), _js_int(m.group(2), text)
            if total is not None and current is not None:
                return total, current, m.group(3), m.group(4)
    return None


_PAGER_TEXT = re.compile(r"下一页|上一页|尾页|末页|下页|共\s*\d+\s*[页条]|第\s*\d+\s*页")


def _iter_pager_nodes(tree: HtmlElement) -> Iterator[HtmlElement]:
    """Elements that page through a list: a ``createPageHTML`` script, "下一页 / 共N条" text."""
    body = tree.find("body")
    for el in (body if body is not None else tree).iter():
        if not is_element(el) or el.tag in ("style", "title", "option"):
            continue
        if el.tag == "script":
            if script_has(el, "createPageHTML"):
                yield el
            continue
        for text, host in ((el.text, el), (el.tail, el.getparent())):
            if text and len(text) < 40 and host is not None and _PAGER_TEXT.search(text):
                yield host


def _pager_nodes(tree: HtmlElement) -> list[HtmlElement]:
    return list(_iter_pager_nodes(tree))


def has_pager(tree: HtmlElement) -> bool:
    """Whether the page pages through a list at all (cheap pre-check for ``view_page``)."""
    return next(_iter_pager_nodes(tree), None) is not None


def _mark_near_pager(groups: list[_Group], pagers: list[HtmlElement]) -> None:
    """Flag lists whose container, its parent or grandparent (below body) holds the pager."""
    if not pagers:
        return
    for group in groups:
        node = group.container
        for _ in range(3):
            if node is None or node.tag in ("body", "html"):
                break
            if any(node in p.iterancestors() or node is p for p in pagers):
                group.near_pager = True
                break
            node = node.getparent()


def _companions(best: _Group, groups: list[_Group], paged: bool) -> list[_Group]:
    """Other dated blocks of a homepage-like page (several lists, no pager) read with ``best``.

    A column page has one list and a pager; merging there would let a side box's fresh
    dates hide a stale column, so it only happens without any pager on the page.
    """
    if best.boxed or best.dated < 2:
        return []
    others = [g for g in groups if g is not best and not g.boxed and g.dated >= 2]
    return others if others and not paged else []


def _weak(best: _Group | None) -> bool:
    """No list, or only a side box or a couple of undated links: a "暂无信息" text decides."""
    return best is None or best.boxed or (best.dated == 0 and len(best.items) < MIN_ROWS)


def _choose(groups: list[_Group]) -> _Group | None:
    ranked = sorted((g for g in groups if g.items),
                    key=lambda g: (g.score(), len(g.items), -g.order), reverse=True)
    return ranked[0] if ranked and ranked[0].score() > 0 else None


def _with_selectors(tree: HtmlElement, base: str, today: date, item_selector: str,
                    date_selector: str | None) -> ListResult:
    """The operator's rows (searched in the page and in Hanweb records) and date cells."""
    roots = chain([tree], (r for s in datastore_scripts(tree) for r in iter_datastore_records(s)))
    items, linkless, rows = [], 0, 0
    for row in (row for root in roots for row in _select(root, item_selector)):
        rows += 1
        links = _title_links(row, base)  # iter("a") includes the row itself when it is a link
        if not links:
            linkless += 1
            continue
        a, url, title = links[0]
        if date_selector:
            cells = _select(row, date_selector)
            when = pick_date(" ".join(c.text_content() for c in cells), today) if cells else None
            items.append(Item(title, url, when))
        else:
            items.append(_row_item(a, url, title, row, today))
    result = ListResult(_dedupe(items), paged=bool(_pager_nodes(tree)))
    result.notes.append(f"选择器 {item_selector!r} 匹配 {rows} 行")
    if not result.items:
        if (rows and linkless == rows) or _blank_phrase(tree, {}):
            result.blank = True
        else:
            result.notes.append("选择器未匹配到任何条目：页面结构可能已改变")
    return result


@lru_cache(maxsize=256)
def compile_selector(selector: str) -> Callable[[HtmlElement], list[HtmlElement]]:
    """A CSS selector compiled once; ``ValueError`` (naming it) when it is not valid CSS.

    ``monitor config check`` can call this to reject a bad ``item_selector`` up front.
    """
    from cssselect import SelectorError
    from lxml.cssselect import CSSSelector  # imported lazily: only configured columns need it

    try:
        return CSSSelector(selector)
    except SelectorError as exc:
        raise ValueError(f"不是有效的 CSS 选择器 {selector!r}: {exc}") from exc


def _select(root: HtmlElement, selector: str) -> list[HtmlElement]:
    return list(compile_selector(selector)(root))


def read_list(html_or_tree: str | bytes | HtmlElement, base_url: str, today: date, *,
              item_selector: str | None = None, date_selector: str | None = None) -> ListResult:
    """The entries of a list page (title, absolute url, date or None) and whether it is blank.

    ``today`` bounds year-less dates and rejects future ones. With ``item_selector`` (CSS
    for the rows) and optional ``date_selector`` (CSS inside a row) the guessing is skipped.
    """
    tree = as_tree(html_or_tree)
    base = page_base(tree, base_url)
    if item_selector:
        return _with_selectors(tree, base, today, item_selector, date_selector)
    box_cache: dict[HtmlElement, HtmlElement | None] = {}
    groups = _html_groups(tree, base, today, box_cache)
    groups += _datastore_groups(tree, base, today, box_cache)
    groups += _json_groups(tree, base, today)
    pagers = _pager_nodes(tree)
    _mark_near_pager(groups, pagers)
    best = _choose(groups)
    result = ListResult(paged=bool(pagers) or next(datastore_scripts(tree), None) is not None)
    blank = _blank_phrase(tree, box_cache) if _weak(best) else None
    if blank:
        result.blank = True
        result.notes.append(f"列表为空：“{blank}”")
    elif best is not None:
        extra = _companions(best, groups, result.paged)
        result.by_pager = best.near_pager or best.key.startswith("datastore")
        result.items = _dedupe([*best.items, *(i for g in extra for i in g.items)])
        result.notes.append(f"列表来源：{best.label}，{len(best.items)} 行，{best.dated} 行有日期")
        if extra:
            result.notes.append(f"无分页的多区块页面：另合并 {len(extra)} 个有日期的列表")
        if best.boxed:
            result.notes.append("只在侧栏/导航类区块中找到列表")
    pager = trs_pager(tree)
    if pager and pager[0] > 1:
        result.notes.append(f"TRS 分页：共 {pager[0]} 页，当前第 {pager[1] + 1} 页")
    return result


def list_page_urls(html_or_tree: str | bytes | HtmlElement, url: str) -> list[str]:
    """Other pages of a TRS list (``index_1.html`` …) announced by ``createPageHTML``."""
    tree = as_tree(html_or_tree)
    pager = trs_pager(tree)
    if not pager:
        return []
    total, _, stem, ext = pager
    base = page_base(tree, url)
    pages = [absolute(base, f"{stem}.{ext}" if k == 0 else f"{stem}_{k}.{ext}")
             for k in range(total)]
    return [p for p in pages if p and p != url]

