"""Pairing policy documents with interpretations: names, link labels and boxes, verdicts."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
import respx

from monitor.cache import MemoryCache
from monitor.config import Column, CrawlSettings, PolicySettings
from monitor.extract.relations import PageLink, page_title, relation_links
from monitor.fetch import Fetcher
from monitor.policy.pairing import (
    Entry,
    Page,
    Scope,
    Unreadable,
    Verdict,
    candidates_for,
    document_names,
    interpretation_form,
    interpretation_links,
    is_exempt,
    judge,
    title_matches,
    url_key,
    with_linked,
)
from monitor.policy.reading import read_page, read_pages
from monitor.policy.targets import Document, affordable

SETTINGS = PolicySettings()
SCOPE = Scope(SETTINGS, lists=frozenset({url_key("http://x.gov.cn/zcjd/")}), hosts=frozenset({"x.gov.cn"}))
DOC_URL = "http://x.gov.cn/zfwj/t1.html"
INTERP_URL = "http://x.gov.cn/zcjd/t9.html"


@pytest.mark.parametrize(("title", "names"), [
    ("示例县人民政府关于印发《示例县耕地保护激励办法》的通知", ("示例县耕地保护激励办法",)),
    ("示例县人民政府关于促进就业创业的若干措施",
     ("示例县人民政府关于促进就业创业的若干措施", "关于促进就业创业的若干措施")),
    ("关于印发《方案》的通知", ("关于印发方案的通知",)),                 # 《方案》 is too short to quote
    ("关于《示例县殡葬管理办法（试行）》的补充通知", ("示例县殡葬管理办法试行",)),
])
def test_document_names(title: str, names: tuple[str, ...]) -> None:
    assert document_names(title) == names


@pytest.mark.parametrize(("doc", "interp", "paired"), [
    ("关于印发《示例县数字乡村建设实施方案》的通知", "一图读懂《示例县数字乡村建设实施方案》", True),
    ("关于印发《示例县数字乡村建设实施方案》的通知", "图解：示例县数字乡村建设实施方案（全文）", True),
    ("关于印发《示例县城镇老旧小区改造管理办法(试行)》的通知", "《示例县城镇老旧小区改造管理办法（试行）》解读", True),
    ("示例县人民政府关于促进就业创业的若干措施", "《关于促进就业创业的若干措施》政策解读", True),
    ("关于印发《示例县数字乡村建设实施方案》的通知", "一图读懂《示例县数字政府建设实施方案》", False),
    ("示例县人民政府关于促进就业创业的若干措施", "视频解读：稳就业十条措施", False),
])
def test_title_pairing(doc: str, interp: str, paired: bool) -> None:
    assert title_matches(document_names(doc), interp) is paired


@pytest.mark.parametrize(("title", "form"), [
    ("一图读懂《示例县数字乡村建设实施方案》", "graphic"), ("图解：2026年医保参保缴费指南", "graphic"),
    ("h5：一起来看政府工作报告", "h5"), ("【视频解读】稳就业十条措施", "video"),
    ("《示例县环境治理办法》政策解读", "text"),
])
def test_interpretation_form(title: str, form: str) -> None:
    assert interpretation_form(title, SETTINGS) == form


def test_exemptions_by_keyword_and_address() -> None:
    settings = PolicySettings(exempt_url_patterns=("*/rsrm/*",))
    assert is_exempt("关于张三等同志职务任免的通知", DOC_URL, settings) == "标题含“任免”"
    assert is_exempt("关于印发《办法》的通知", "http://x.gov.cn/rsrm/t1.html", settings) == "网址符合 */rsrm/*"
    assert is_exempt("关于印发《办法》的通知", DOC_URL, settings) is None


def test_url_key_ignores_scheme_host_case_port_and_fragment() -> None:
    assert url_key("HTTPS://X.gov.cn:443/a/b.html#top") == url_key("http://x.gov.cn/a/b.html")
    assert url_key("http://x.gov.cn:8080/a?id=1") != url_key("http://x.gov.cn/a?id=2")


ARTICLE = """<html><head><meta name="ArticleTitle" content="关于印发《示例县环境治理办法》的通知"></head><body>
<div class="nav"><a href="/zcjd/">政策解读</a> <a href="/">首页</a></div>
<div class="article"><h1>关于印发《示例县环境治理办法》的通知</h1>
<p>正文……详见<a href="/fj/1.pdf">附件：政策解读材料.pdf</a></p>
<div class="xgjd">相关解读：<a href="/zcjd/t9.html">《示例县环境治理办法》解读</a></div>
<table><tr><td>原文链接</td><td><a href="/zfwj/t0.html">旧文件</a></td></tr></table></div>
<div class="side hot"><h3>热点解读</h3><ul><li><a href="/zcjd/a.html">解读一</a></li>
<li><a href="/zcjd/b.html">解读二</a></li><li><a href="/zcjd/c.html">解读三</a></li>
<li><a href="/zcjd/d.html">解读四</a></li><li><a href="/zcjd/e.html">五</a></li></ul></div>
</body></html>"""


def test_relation_links_carry_labels_and_boxes() -> None:
    links = {link.url.rsplit("/", 1)[-1]: link for link in relation_links(ARTICLE, DOC_URL)}
    assert links["t9.html"].boxed and links["t9.html"].box_links == 1
    assert links["t9.html"].label.startswith("相关解读")
    assert links["t0.html"].label == "原文链接" and not links["t0.html"].boxed
    assert links["a.html"].boxed and links["a.html"].box_links == 5
    assert page_title(ARTICLE) == "关于印发《示例县环境治理办法》的通知"


def test_interpretation_links_skip_navigation_side_lists_and_column_pages() -> None:
    doc = Page(DOC_URL, DOC_URL, "关于印发《示例县环境治理办法》的通知", date(2026, 11, 20),
               tuple(relation_links(ARTICLE, DOC_URL)))
    side = [Entry("解读一", "http://x.gov.cn/zcjd/a.html", date(2026, 11, 21))]
    found = sorted(link.url for link in interpretation_links(doc, side, SCOPE))
    assert found == ["http://x.gov.cn/fj/1.pdf", "http://x.gov.cn/zcjd/t9.html"]


def page(url: str, title: str, day: date, *links: PageLink, content_type: str = "text/html") -> Page:
    return Page(url, url, title, day, links, content_type)


DOC = page(DOC_URL, "关于印发《示例县环境治理办法》的通知", date(2026, 11, 20))
NAMES = document_names(DOC.title)


def verdict(entries: list[Entry], pages: dict[str, Page | Unreadable],
            linked: tuple[PageLink, ...] = ()) -> Verdict | str:
    return judge(DOC, NAMES, with_linked(entries, linked), list(linked), pages, SCOPE)


def test_back_link_only_and_title_only() -> None:
    back = PageLink(DOC_URL, "原文", "原文链接：")
    entries = [Entry("我县新规解读", INTERP_URL, date(2026, 11, 21))]
    result = verdict(entries, {INTERP_URL: page(INTERP_URL, "我县新规解读", date(2026, 11, 21), back)})
    assert [(p.missing, p.by_title) for p in result.pairs] == [("document_link", False)]
    entries = [Entry("一图读懂《示例县环境治理办法》", INTERP_URL, None)]
    result = verdict(entries, {INTERP_URL: page(INTERP_URL, "一图读懂《示例县环境治理办法》", date(2026, 11, 24))})
    assert [(p.missing, p.form, p.date) for p in result.pairs] == [("both", "graphic", date(2026, 11, 24))]
    assert result.status == "one_way" and result.first.date == date(2026, 11, 24)


def test_title_match_that_names_another_document_as_its_original_is_not_paired() -> None:
    other = PageLink("http://x.gov.cn/zfwj/t2.html", "关于修订《示例县环境治理办法》的决定", "原文链接：")
    entries = [Entry("《示例县环境治理办法》修订解读", INTERP_URL, date(2026, 11, 21))]
    interp = page(INTERP_URL, "《示例县环境治理办法》修订解读", date(2026, 11, 21), other)
    result = verdict(entries, {INTERP_URL: interp})
    assert result.status == "none"


def test_side_list_back_link_is_not_a_back_link() -> None:
    side = PageLink(DOC_URL, "关于印发《示例县环境治理办法》的通知", "最新文件", boxed=True, box_links=8)
    entries = [Entry("我县新规解读", INTERP_URL, date(2026, 11, 21))]
    assert verdict(entries, {INTERP_URL: page(INTERP_URL, "我县新规解读", date(2026, 11, 21), side)}).status == "none"


def test_file_and_off_site_interpretations_cannot_link_back() -> None:
    pdf = "http://x.gov.cn/fj/1.pdf"
    result = verdict([], {pdf: page(pdf, "", None, content_type="application/pdf")},
                     (PageLink(pdf, "政策解读材料.pdf", ""),))
    assert result.pairs[0].missing_text == "解读是文件或图片（application/pdf），无法链接回文件"
    away = "http://city.gov.cn/jd/1.html"
    result = verdict([], {}, (PageLink(away, "相关解读", ""),))
    assert "city.gov.cn，不在已配置的网站上" in result.pairs[0].missing_text


def test_unreadable_candidates() -> None:
    related = [Entry("《示例县环境治理办法》解读", INTERP_URL, date(2026, 11, 21))]
    assert "无法读取" in verdict(related, {INTERP_URL: Unreadable(INTERP_URL, "HTTP 500")})
    # an unrelated candidate that cannot be read matters only when nothing else was found
    other = "http://x.gov.cn/zcjd/t7.html"
    entries = [*related, Entry("其他解读", other, date(2026, 11, 22))]
    pages = {INTERP_URL: page(INTERP_URL, "《示例县环境治理办法》解读", date(2026, 11, 21)),
             other: Unreadable(other, "超时")}
    assert verdict(entries, pages).status == "one_way"
    assert "超时" in verdict([entries[1]], {other: Unreadable(other, "超时")})


def test_candidates_start_a_week_before_the_document() -> None:
    entries = [Entry("a", "u1", date(2026, 11, 13)), Entry("b", "u2", date(2026, 11, 12)), Entry("c", "u3", None)]
    assert [e.title for e in candidates_for(date(2026, 11, 20), entries)] == ["a", "c"]


def test_affordable_counts_each_document_and_its_candidates() -> None:
    column = Column("zfwj", "portal", "县政府文件", "http://x.gov.cn/zfwj/", "policy", "xzfb")
    docs = [Document(column, f"u{n}", "t", date(2026, 11, 20 - 5 * n)) for n in range(3)]
    entries = [Entry("a", "i1", date(2026, 11, 19)), Entry("b", "i2", date(2026, 11, 9))]
    assert affordable(docs, entries, 2) == 1            # 1 document + 1 candidate
    assert affordable(docs, entries, 4) == 2            # 2 documents + 2 candidates
    assert affordable(docs, entries, 100) == 3


def test_navigation_and_breadcrumbs_never_relate() -> None:
    html = """<html><body><div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/zcwj/">政策文件</a>
    &gt; <a href="/zcjd/">政策解读</a></div><div id="topic-list"><p>相关文件：<a href="/zfwj/t1.html">文件</a></p></div>
    </body></html>"""
    links = {link.url.rsplit("/", 2)[-2]: link for link in relation_links(html, INTERP_URL)}
    assert links["zcwj"].navigation and not SCOPE.relation(links["zcwj"])
    assert not links["zfwj"].navigation and SCOPE.relation(links["zfwj"])


@respx.mock
async def test_a_read_page_keeps_only_the_links_that_may_relate_two_pages() -> None:
    """Navigation and side lists are most of a page's links; a policy check holds up to 2,000 pages."""
    side = "".join(f'<li><a href="/zcjd/t{n}.html">热点解读{n}</a></li>' for n in range(8))
    html = f"""<html><head><title>关于印发《示例县耕地保护激励办法》的通知</title></head><body>
        <div class="nav"><a href="/">首页</a> <a href="/zcjd/">政策解读</a></div>
        <div class="side"><h3>热点解读</h3><ul>{side}</ul></div>
        <div class="content"><p>正文。</p><p>相关解读：<a href="/zcjd/t9.html">一图读懂</a></p></div>
        </body></html>"""
    respx.get(DOC_URL).respond(200, html=html)
    async with Fetcher(CrawlSettings(), transport=httpx.AsyncHTTPTransport()) as fetcher:
        page = await read_page(fetcher, DOC_URL, date(2026, 11, 26), SCOPE)
    assert isinstance(page, Page)
    assert [link.url for link in page.links] == [INTERP_URL]
    assert page.title == "关于印发《示例县耕地保护激励办法》的通知"


@respx.mock
async def test_an_unchanged_page_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second round reads the same ~2,000 documents: what was made of each body is kept with it."""
    html = """<html><head><title>示例县耕地保护激励办法</title></head><body><p>发布日期：2026-11-05</p>
        <div class="content"><p>正文。</p><p>相关解读：<a href="/zcjd/t9.html">一图读懂</a></p></div></body></html>"""
    route = respx.get(DOC_URL).respond(200, html=html)
    async with Fetcher(CrawlSettings(), cache=MemoryCache(), transport=httpx.AsyncHTTPTransport()) as fetcher:
        first = await read_page(fetcher, DOC_URL, date(2026, 11, 26), SCOPE)
        with monkeypatch.context() as patched:
            patched.setattr("monitor.policy.reading.relation_links", _not_called)
            again = await read_page(fetcher, DOC_URL, date(2026, 12, 3), SCOPE)
        route.respond(200, html=html.replace("正文。", "改过的正文。"))
        changed = await read_page(fetcher, DOC_URL, date(2026, 12, 3), SCOPE)
    assert isinstance(first, Page) and first.date == date(2026, 11, 5)
    assert [link.url for link in first.links] == [INTERP_URL]
    assert again == first and changed == first          # the same reading, made again for the new body
    assert route.call_count == 3


def _not_called(*args: object, **kwargs: object) -> None:
    raise AssertionError("parsed again")


async def test_no_more_pages_are_read_at_once_than_the_fetcher_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check may read 2,000 pages: no task waits for its turn (each costs a few kilobytes)."""
    under_way, most, tasks = 0, 0, 0

    async def reading(fetcher: Fetcher, url: str, today: date, scope: Scope) -> Unreadable:
        nonlocal under_way, most, tasks
        under_way += 1
        most, tasks = max(most, under_way), max(tasks, len(asyncio.all_tasks()))
        for _ in range(int(url.rsplit("/t", 1)[1].split(".")[0]) % 3):     # finishing out of order
            await asyncio.sleep(0)
        under_way -= 1
        return Unreadable(url, "test")

    monkeypatch.setattr("monitor.policy.reading.read_page", reading)
    urls = [f"http://x.gov.cn/zfwj/t{n}.html" for n in range(20)]
    async with Fetcher(CrawlSettings(concurrency=3), transport=httpx.AsyncHTTPTransport()) as fetcher:
        pages = await read_pages(fetcher, urls, date(2026, 11, 26), SCOPE)
    assert [p.url for p in pages] == urls
    assert most == 3 and tasks <= 3 + 1          # three readers and the test's own task
