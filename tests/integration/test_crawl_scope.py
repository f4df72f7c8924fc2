"""Where the crawler may go (issue 6, points 1–2): its hosts, never an external host's pages, never the LAN;
and that what it keeps and hands over goes in bounded batches (records written, dead links observed).

The site here is a public name served by an injected transport, so the crawler must
refuse links into loopback and private ranges — which it may follow only when the
site itself lives there (the fixture sites of ``test_crawl.py`` do).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import httpx
import pytest

from monitor.config import CrawlSettings, Site
from monitor.crawl import site as site_module
from monitor.crawl import urls
from monitor.crawl.memory import MemoryCrawlMemory, PageRecord
from monitor.crawl.targets import SiteCrawlTarget
from monitor.domain import Observed
from monitor.fetch import Fetcher
from monitor.inspect import InspectContext

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
SITE = Site("portal", "示例县人民政府", "http://www.example.gov.cn/", "xzfb",
            hosts=("www.example.gov.cn", "zwgk.example.gov.cn"))
PAGES = {
    "http://www.example.gov.cn/": """<a href="/a.html">要闻</a> <a href="http://zwgk.example.gov.cn/gk.html">公开</a>
        <a href="http://www.other.gov.cn/x.html">外站</a> <a href="http://127.0.0.1:9/admin">本机</a>
        <a href="http://10.1.2.3/oa/">内网</a> <a href="http://localhost/z">本机名</a>
        <a href="http://intranet.example.gov.cn/oa">内网域名</a>""",
    "http://www.example.gov.cn/a.html": '<a href="/b.html">下一层</a>',
    "http://www.example.gov.cn/b.html": '<a href="/c.html">再下一层</a>',
    "http://www.example.gov.cn/c.html": "<p>最深处</p>",
    "http://zwgk.example.gov.cn/gk.html": '<a href="/gk2.html">公开目录</a>',
    "http://zwgk.example.gov.cn/gk2.html": "<p>目录</p>",
    "http://www.other.gov.cn/x.html": '<a href="http://www.other.gov.cn/deeper.html">外站内页</a>',
}


@pytest.fixture(autouse=True)
def resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real DNS in tests: www.other.gov.cn is public, intranet.example.gov.cn is on the LAN."""
    async def addresses(host: str) -> list[str]:
        return {"www.other.gov.cn": ["61.139.2.69"], "intranet.example.gov.cn": ["192.168.1.20"]}.get(host, [])
    monkeypatch.setattr(site_module, "host_addresses", addresses)


def transport(log: list[tuple[str, str]], pages: dict[str, str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        log.append((request.method, url))
        if url not in pages:
            return httpx.Response(404)
        body = f"<html><head><title>页</title></head><body>{pages[url]}</body></html>"
        return httpx.Response(200, headers={"Content-Type": "text/html; charset=utf-8"}, text=body)
    return httpx.MockTransport(handle)


async def crawl(settings: CrawlSettings, site: Site = SITE, pages: dict[str, str] = PAGES,
                memory: MemoryCrawlMemory | None = None) -> tuple[Observed, list[tuple[str, str]]]:
    log: list[tuple[str, str]] = []
    async with Fetcher(settings, transport=transport(log, pages), backoff_s=0.01) as fetcher:
        ctx = InspectContext(fetcher, date(2026, 11, 26), None, memory or MemoryCrawlMemory(), NOW)
        seen = await SiteCrawlTarget(site).observe(ctx)
    assert isinstance(seen, Observed)
    return seen, log


async def test_hosts_are_crawled_external_pages_only_checked_private_ranges_left_alone() -> None:
    seen, log = await crawl(CrawlSettings(retries=0))
    gets = {url for method, url in log if method == "GET"}
    assert {"http://zwgk.example.gov.cn/gk.html", "http://zwgk.example.gov.cn/gk2.html",
            "http://www.example.gov.cn/c.html"} <= gets
    assert ("HEAD", "http://www.other.gov.cn/x.html") in log
    assert not any("deeper" in url for _, url in log)                    # an external page is never read
    assert not any(h in url for _, url in log for h in ("127.0.0.1", "10.1.2.3", "localhost", "intranet"))
    errors = {e.target.id: e.error for e in seen.errors}
    assert set(errors) == {"http://127.0.0.1:9/admin", "http://10.1.2.3/oa/", "http://localhost/z",
                           "http://intranet.example.gov.cn/oa"}
    assert all("内网或本机地址" in e for e in errors.values())
    assert seen.claims_target is False and list(seen) == []
    assert seen.covers is not None and ("link", "http://www.other.gov.cn/x.html") in seen.covers
    assert ("page", "http://zwgk.example.gov.cn/gk2.html") in seen.covers


async def test_private_links_are_checked_when_allowed() -> None:
    seen, log = await crawl(CrawlSettings(retries=0, allow_private=True))
    assert ("HEAD", "http://10.1.2.3/oa/") in log and not seen.errors


async def test_depth_and_page_caps_leave_the_rest_uncovered() -> None:
    deep, log = await crawl(CrawlSettings(retries=0, max_depth=2, check_external=False))
    assert "http://www.example.gov.cn/c.html" not in {u for _, u in log}
    assert not any("other.gov.cn" in u for _, u in log)
    assert deep.covers is not None and ("page", "http://www.example.gov.cn/c.html") not in deep.covers
    capped, log = await crawl(replace(CrawlSettings(retries=0, check_external=False), max_pages=2))
    assert len([u for m, u in log if m == "GET"]) == 2
    assert capped.covers is not None and ("page", "http://www.example.gov.cn/") in capped.covers


async def test_a_crawl_lets_go_of_its_address_caches() -> None:
    """They serve the crawl; at its end the rules and the round's findings can use that memory."""
    await crawl(CrawlSettings(retries=0))
    assert [f.cache_info().currsize for f in (urls._resolve, urls.normalize, urls.key)] == [0, 0, 0]


class CountingMemory(MemoryCrawlMemory):
    """The crawl's memory, noting each batch written and each lookup."""

    def __init__(self) -> None:
        super().__init__()
        self.saved: list[list[int]] = []         # each batch: its records' links sizes
        self.lookups = 0

    def lookup(self, urls: list[str]) -> dict[str, PageRecord]:
        self.lookups += 1
        return super().lookup(urls)

    def save(self, site_id: str, records: list[PageRecord], now: datetime) -> None:
        self.saved.append([len(r.links or b"") for r in records])
        super().save(site_id, records, now)


SMALL = Site("small", "小站", "http://small.example.gov.cn/", "xzfb")


async def observe(pages: dict[str, str], memory: CountingMemory) -> Observed:
    seen, _ = await crawl(CrawlSettings(retries=0), SMALL, pages, memory)
    return seen


async def test_dead_links_become_observations_a_batch_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Made as they are stored, not all at once: each batch reads its link texts back when it is reached."""
    monkeypatch.setattr(site_module, "DEAD_BATCH", 2)
    home = "http://small.example.gov.cn/"
    memory = CountingMemory()
    seen = await observe({home: "".join(f'<a href="/gone{i}.html">旧栏目{i}</a>' for i in range(5))}, memory)
    crawled = memory.lookups
    made = iter(seen)
    first = next(made)
    assert memory.lookups == crawled + 1
    rest = list(made)
    assert memory.lookups == crawled + 3
    assert [o.target.id for o in (first, *rest)] == [f"{home}gone{i}.html" for i in range(5)]
    assert [o.facts["sources"] for o in (first, *rest)] == [[{"url": home, "text": f"旧栏目{i}"}] for i in range(5)]


async def test_page_records_are_written_in_batches_bounded_by_their_links_size(monkeypatch: pytest.MonkeyPatch) -> None:
    home = "http://small.example.gov.cn/"
    pages = {home: "".join(f'<a href="/p{i}.html">页{i}</a>' for i in range(3))}
    pages |= {f"{home}p{i}.html": "".join(f'<a href="/p{i}/{n}.pdf">附件{n}</a>' for n in range(50)) for i in range(3)}
    few = CountingMemory()
    await observe(pages, few)
    assert len(few.saved) == 1 and len(few.saved[0]) == 4          # the four pages, written at the end
    monkeypatch.setattr(site_module, "WRITE_BYTES", 200)
    small = CountingMemory()
    await observe(pages, small)
    assert len(small.saved) > 1 and small.records == few.records
    for batch in small.saved[:-1]:              # each written as soon as its links reached the bound
        assert sum(batch) >= 200 > sum(batch[:-1])
