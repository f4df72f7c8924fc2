"""Fetcher against real loopback sockets (SiteServer) with named failure routes."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from monitor.cache import MemoryCache
from monitor.config import CrawlSettings
from monitor.errors import FetchError
from monitor.fetch import Fetcher, retry_delay
from monitor.siteserver import SiteServer

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
PAGE = "<!DOCTYPE html><html><head><title>政务要闻</title></head><body><p>示例县</p></body></html>"


def settings(**overrides: object) -> CrawlSettings:
    base: dict[str, object] = {"concurrency": 4, "per_host": 2, "timeout_s": 5.0, "retries": 2,
                               "max_redirects": 5, "max_bytes": 100_000}
    base.update(overrides)
    return CrawlSettings(**base)  # type: ignore[arg-type]


def fetcher(**overrides: object) -> Fetcher:
    return Fetcher(settings(**overrides), backoff_s=0.01, clock=lambda: NOW)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[SiteServer]:
    """One server for the module: stopping one costs half a second (its poll interval)."""
    with SiteServer() as srv:
        yield srv


@pytest.fixture
def server(shared_server: SiteServer) -> SiteServer:
    shared_server.resources.clear()
    shared_server.handlers.clear()
    shared_server.clear_log()
    return shared_server


def reply(h: BaseHTTPRequestHandler, status: int, body: bytes = b"",
          headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def sequence(*statuses: int, headers: dict[str, str] | None = None
             ) -> Callable[[BaseHTTPRequestHandler], None]:
    """A route answering the given statuses in turn, then 200 with PAGE."""
    remaining = list(statuses)

    def handle(h: BaseHTTPRequestHandler) -> None:
        if remaining:
            reply(h, remaining.pop(0), b"error", headers)
        else:
            reply(h, 200, PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})
    return handle


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- success paths ----------------------------------------------------------------------


async def test_get_html_page(server: SiteServer) -> None:
    server.set("/zwyw/", PAGE)
    async with fetcher() as f:
        resp = await f.get(server.url("/zwyw/"))
    assert (resp.status, resp.content_type, resp.encoding) == (200, "text/html", "utf-8")
    assert "示例县" in resp.text
    assert resp.url == resp.requested_url == server.url("/zwyw/")
    assert resp.redirects == [] and not resp.not_modified
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    sent = server.requests[0].headers
    assert sent["User-Agent"] == "zwgk-monitor/1.0 (+contact)"
    assert sent["Accept-Encoding"] == "gzip"


async def test_gbk_page_declared_in_header(server: SiteServer) -> None:
    server.set("/gb.html", PAGE.encode("gbk"), "text/html; charset=gb2312")
    async with fetcher() as f:
        resp = await f.get(server.url("/gb.html"))
    assert resp.encoding == "gb18030"
    assert "政务要闻" in resp.text


async def test_gzip_body_is_decompressed(server: SiteServer) -> None:
    server.set("/z.html", gzip.compress(PAGE.encode()), headers={"Content-Encoding": "gzip"})
    async with fetcher() as f:
        resp = await f.get(server.url("/z.html"))
    assert resp.text == PAGE


async def test_untyped_html_is_sniffed(server: SiteServer) -> None:
    server.set("/plain", PAGE, "text/plain")
    async with fetcher() as f:
        resp = await f.get(server.url("/plain"))
    assert "示例县" in resp.text


async def test_head(server: SiteServer) -> None:
    server.set("/a.pdf", b"%PDF-1.4\x00\x01", "application/pdf")
    async with fetcher() as f:
        resp = await f.head(server.url("/a.pdf"))
    assert (resp.status, resp.content, resp.content_type) == (200, b"", "application/pdf")
    assert server.paths_requested("HEAD") == ["/a.pdf"]


async def test_any_accepts_binary(server: SiteServer) -> None:
    server.set("/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png")
    async with fetcher() as f:
        resp = await f.get(server.url("/logo.png"), accept=("any",))
    assert resp.content.startswith(b"\x89PNG") and resp.text == "" and resp.encoding is None


async def test_feed_kind_takes_xml_and_lying_html(server: SiteServer) -> None:
    rss = '<?xml version="1.0" encoding="gb2312"?><rss><channel><title>示例发布</title></channel></rss>'
    server.set("/feed.xml", rss.encode("gbk"), "application/rss+xml")
    server.set("/bridge", PAGE)
    async with fetcher() as f:
        feed = await f.get(server.url("/feed.xml"), accept=("feed",))
        parked = await f.get(server.url("/bridge"), accept=("feed",))
        with pytest.raises(FetchError) as err:
            await f.get(server.url("/feed.xml"), accept=("html",))
    assert (feed.encoding, "示例发布" in feed.text) == ("gb18030", True)
    assert parked.content_type == "text/html"
    assert err.value.reason == "不是网页（application/rss+xml）"


# -- retries ---------------------------------------------------------------------------


async def test_500_then_200_is_retried(server: SiteServer) -> None:
    server.route("/flaky", sequence(500))
    async with fetcher() as f:
        resp = await f.get(server.url("/flaky"))
    assert resp.status == 200 and "示例县" in resp.text
    assert server.paths_requested() == ["/flaky", "/flaky"]


async def test_always_503_fails_after_retries(server: SiteServer) -> None:
    server.route("/down", sequence(*[503] * 10))
    async with fetcher(retries=2) as f:
        with pytest.raises(FetchError) as err:
            await f.get(server.url("/down"))
    assert (err.value.status, err.value.transient) == (503, True)
    assert err.value.reason == "HTTP 503 Service Unavailable（已重试 2 次）"
    assert len(server.paths_requested()) == 3


async def test_404_is_not_retried(server: SiteServer) -> None:
    async with fetcher() as f:
        with pytest.raises(FetchError) as err:
            await f.get(server.url("/missing"))
    assert (err.value.status, err.value.transient) == (404, False)
    assert err.value.reason == "HTTP 404 Not Found"
    assert server.paths_requested() == ["/missing"]


async def test_429_honours_retry_after(server: SiteServer) -> None:
    seen: list[float] = []
    answers = sequence(429, headers={"Retry-After": "20"})

    def handle(h: BaseHTTPRequestHandler) -> None:
        seen.append(time.monotonic())
        answers(h)
    server.route("/busy", handle)
    async with fetcher() as f:  # backoff 0.01: Retry-After 20 → 0.2 s instead of 0.01 s
        resp = await f.get(server.url("/busy"))
    assert resp.status == 200
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.19


def test_retry_delay() -> None:
    assert retry_delay(0, 1.0) == 1.0
    assert retry_delay(2, 1.0) == 4.0
    assert retry_delay(0, 1.0, "7") == 7.0
    assert retry_delay(0, 1.0, "3600") == 30.0          # capped
    assert retry_delay(0, 0.01, "3600") == pytest.approx(0.3)
    assert retry_delay(3, 1.0, "2") == 8.0              # never shorter than our own backoff
    assert retry_delay(0, 1.0, "Wed, 21 Oct 2026 07:28:00 GMT") == 1.0


# -- redirects -------------------------------------------------------------------------


async def test_redirect_chain(server: SiteServer) -> None:
    server.route("/old", lambda h: reply(h, 301, headers={"Location": "/mid"}))
    server.route("/mid", lambda h: reply(h, 302, headers={"Location": server.url("/new/")}))
    server.set("/new/", PAGE)
    async with fetcher() as f:
        resp = await f.get(server.url("/old"))
    assert resp.url == server.url("/new/")
    assert resp.requested_url == server.url("/old")
    assert resp.redirects == [server.url("/old"), server.url("/mid")]
    assert "示例县" in resp.text


async def test_redirect_loop_is_an_error(server: SiteServer) -> None:
    server.route("/a", lambda h: reply(h, 302, headers={"Location": "/b"}))
    server.route("/b", lambda h: reply(h, 302, headers={"Location": "/a"}))
    async with fetcher(max_redirects=5) as f:
        with pytest.raises(FetchError) as err:
            await f.get(server.url("/a"))
    assert err.value.transient is False
    assert err.value.reason.startswith("重定向次数过多（>5），出现循环")
    assert len(server.paths_requested()) == 6


# -- limits and failures ---------------------------------------------------------------


async def test_oversize_body_with_length(server: SiteServer) -> None:
    server.set("/big", "<html>" + "x" * 5000, "text/html")
    async with fetcher(max_bytes=1000) as f:
        with pytest.raises(FetchError) as err:
            await f.get(server.url("/big"))
    assert (err.value.reason, err.value.transient) == ("页面超过 1000 字节上限", False)
    assert server.paths_requested() == ["/big"]


async def test_oversize_streamed_body_without_length(server: SiteServer) -> None:
    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Connection", "close")
        h.end_headers()
        try:
            for _ in range(1000):
                h.wfile.write(b"<p>" + b"x" * 1000 + b"</p>")
        except OSError:
            pass  # the client hung up: what we want
        h.close_connection = True
    server.route("/stream", endless)
    async with fetcher(max_bytes=10_000) as f:
        with pytest.raises(FetchError) as err:
            await f.get(server.url("/stream"))
    assert err.value.reason == "页面超过 10000 字节上限"


async def test_slow_page_times_out(server: SiteServer) -> None:
    server.set("/slow", PAGE, delay_s=1.5)
    async with fetcher(timeout_s=0.3, retries=1) as f:
        with pytest.raises(FetchError) as err:
            await f.get(server.url("/slow"))
    assert err.value.transient is True
    assert err.value.reason == "请求超时（0.3 秒）（已重试 1 次）"
    assert len(server.paths_requested()) == 2


async def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    async with fetcher(retries=1) as f:
        with pytest.raises(FetchError) as err:
            await f.get(url)
    assert (err.value.reason, err.value.transient) == ("连接被拒绝（已重试 1 次）", True)
    assert err.value.url == url


async def test_binary_served_as_html_is_an_error(server: SiteServer) -> None:
    server.set("/fake.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "text/html")
    async with fetcher() as f:
        with pytest.raises(FetchError) as err:
            await f.get(server.url("/fake.html"))
    assert err.value.transient is False
    assert err.value.reason.startswith("不是网页（二进制内容")
    assert server.paths_requested() == ["/fake.html"]


async def test_bad_url_is_an_error_not_a_crash() -> None:
    async with fetcher() as f:
        with pytest.raises(FetchError) as err:
            await f.get("javascript:void(0)")
    assert err.value.transient is False and err.value.reason.startswith("网址无效")


# -- conditional GET -------------------------------------------------------------------


async def test_conditional_get_uses_the_cache(server: SiteServer) -> None:
    server.set("/zwyw/", PAGE)
    cache = MemoryCache()
    async with Fetcher(settings(), cache=cache, backoff_s=0.01, clock=lambda: NOW) as f:
        first = await f.get(server.url("/zwyw/"))
        second = await f.get(server.url("/zwyw/"))
        fresh = await f.get(server.url("/zwyw/"), conditional=False)
    stored = cache.get(server.url("/zwyw/"))
    assert stored is not None and stored.etag and stored.fetched_at == NOW
    assert stored.content == PAGE.encode() and len(stored.content_hash) == 64
    assert "If-None-Match" not in server.requests[0].headers
    assert server.requests[1].headers["If-None-Match"] == stored.etag
    assert "If-None-Match" not in server.requests[2].headers
    assert not first.not_modified and not fresh.not_modified
    assert second.not_modified and second.status == 304
    assert (second.text, second.content_type, second.encoding) == (first.text, "text/html", "utf-8")


async def test_changed_page_replaces_the_cache_entry(server: SiteServer) -> None:
    server.set("/p", PAGE)
    cache = MemoryCache()
    async with Fetcher(settings(), cache=cache, backoff_s=0.01, clock=lambda: NOW) as f:
        await f.get(server.url("/p"))
        server.set("/p", PAGE.replace("示例县", "新内容"))
        resp = await f.get(server.url("/p"))
    assert not resp.not_modified and "新内容" in resp.text
    stored = cache.get(server.url("/p"))
    assert stored is not None and stored.content is not None and "新内容".encode() in stored.content


async def test_a_reading_comes_back_with_the_same_body_only(server: SiteServer) -> None:
    server.set("/r", PAGE)
    server.set("/plain", PAGE, headers={"ETag": "", "Last-Modified": ""})
    cache = MemoryCache()
    async with Fetcher(settings(), cache=cache, backoff_s=0.01, clock=lambda: NOW) as f:
        for path in ("/r", "/plain"):
            first = await f.get(server.url(path))
            assert first.reading is None and first.content_hash
            f.keep_reading(first, {"reader": "t/1", "path": path})
        unchanged = await f.get(server.url("/r"))                  # 304
        same = await f.get(server.url("/plain"))                   # 200 without validators, same body
        server.set("/r", PAGE.replace("示例县", "新内容"))
        changed = await f.get(server.url("/r"))
    assert unchanged.not_modified and unchanged.reading == {"reader": "t/1", "path": "/r"}
    assert not same.not_modified and same.reading == {"reader": "t/1", "path": "/plain"}
    assert changed.reading is None and cache.get(server.url("/r")).reading is None    # type: ignore[union-attr]


# -- politeness ------------------------------------------------------------------------


async def test_slow_host_does_not_stall_a_fast_one(server: SiteServer) -> None:
    with SiteServer() as slow:
        slow.set("/s", PAGE, delay_s=0.3)
        server.set("/f", PAGE)
        done: list[str] = []

        async def fetch(f: Fetcher, url: str, name: str) -> None:
            await f.get(url)
            done.append(name)

        async with fetcher(concurrency=3, per_host=8) as f:
            slow_jobs = [asyncio.create_task(fetch(f, slow.url("/s"), "slow")) for _ in range(4)]
            await asyncio.sleep(0.05)  # the slow host's requests are queued first
            await fetch(f, server.url("/f"), "fast")
            await asyncio.gather(*slow_jobs)
    assert done[0] == "fast"
    assert done.count("slow") == 4


async def test_per_host_limit_is_enforced(server: SiteServer) -> None:
    lock = threading.Lock()
    active = [0]
    peak = [0]

    def handle(h: BaseHTTPRequestHandler) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.1)
        with lock:
            active[0] -= 1
        reply(h, 200, PAGE.encode(), {"Content-Type": "text/html"})
    server.route("/busy", handle)
    async with fetcher(concurrency=8, per_host=2) as f:
        await asyncio.gather(*(f.get(server.url("/busy")) for _ in range(6)))
    assert peak[0] == 2


# -- narrow behaviour with an injected transport ----------------------------------------


async def test_dns_failure_is_named_and_not_retried() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        try:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    f = Fetcher(settings(), transport=httpx.MockTransport(handler), backoff_s=0.01)
    async with f:
        with pytest.raises(FetchError) as err:
            await f.get("http://www.nosuch.gov.cn/")
    assert (err.value.reason, err.value.transient) == ("域名解析失败: www.nosuch.gov.cn", False)
    assert len(calls) == 1


async def test_not_modified_without_a_cached_body_is_an_error() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(304))
    async with Fetcher(settings(), transport=transport, backoff_s=0.01) as f:
        with pytest.raises(FetchError) as err:
            await f.get("http://www.example.gov.cn/")
    assert err.value.status == 304 and err.value.transient is False


async def test_unknown_accept_kind_is_a_bug() -> None:
    async with fetcher() as f:
        with pytest.raises(ValueError, match="accept kinds"):
            await f.get("http://www.example.gov.cn/", accept=("pdf",))
