"""Crawl one site from its homepage: every page within its hosts, every link checked once.

Breadth-first, in passes: the site's own pages and files (pages GET, files HEAD), then
the external links (HEAD, GET when HEAD is refused; never followed), then everything
that failed is tried once more — only a second failure makes a dead link. Unchanged
pages (304, or the same content hash) are not parsed again: their links and content
hits come from ``CrawlMemory``. What the round reports:

- one ``link`` observation per dead URL, with up to 10 linking pages and their text;
- one ``page`` observation per page with content hits (ID numbers, word-list entries);
- an ``InspectionError`` per URL it could not judge (over the size cap, binary served
  as HTML, an external host refusing robots, a link into private address space);
- a ``Coverage`` that answers for every URL that answered well.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from lxml.html import HtmlElement

from monitor.charset import decode_html
from monitor.config import CrawlSettings, Site
from monitor.crawl.frontier import EXTERNAL, LINK_OK, PAGE, RESOURCE, Caps, Coverage, Entry, Frontier
from monitor.crawl.links import base_of, is_pager, iter_links, link_text, trs_pages
from monitor.crawl.memory import CrawlMemory, PageRecord, content_hash, decode_links, encode_links, link_targets
from monitor.crawl.scan import Scanner
from monitor.crawl.urls import forget as forget_urls
from monitor.crawl.urls import host_of, is_private_address, is_resource, netloc_of, normalize, resolve, site_netlocs
from monitor.domain import InspectionError, Observation, TargetRef
from monitor.errors import FetchError
from monitor.extract.links import as_tree
from monitor.fetch import HTML_TYPES, Fetcher, Response, charset_of, looks_binary, looks_like_html

log = logging.getLogger(__name__)

LOOKUP_BATCH = 256         # frontier URLs per memory lookup
WRITE_BATCH = 100          # changed records per memory write, fewer once their links reach WRITE_BYTES:
WRITE_BYTES = 128 * 1024   # a batch is built, bound and sent at once, so its size is memory held for a moment
DEAD_BATCH = 100           # dead links made into observations at once (their link texts read back together)
TRS_PAGES_LIMIT = 1000
_SNIFFABLE = frozenset({"", "text/plain", "application/octet-stream"})
_HEAD_REFUSED = frozenset({400, 403, 404, 405, 406, 409, 410, 500, 501, 502, 503})
Links = list[tuple[str, str, bool]]


@dataclass
class CrawlOutcome:
    observations: Iterator[Observation]
    errors: list[InspectionError]
    coverage: Coverage
    links_checked: int


class SiteCrawler:
    """One site, one round. Use ``await SiteCrawler(…).run()`` once."""

    def __init__(self, site: Site, settings: CrawlSettings, fetcher: Fetcher, memory: CrawlMemory,
                 scanner: Scanner, today: date, now: datetime) -> None:
        start = normalize(site.url)
        if start is None:
            raise FetchError(site.url, f"网址无效: {site.url}", transient=False)
        self.site, self.settings, self.fetcher, self.memory = site, settings, fetcher, memory
        self.scanner, self.today, self.now = scanner, today, now
        self.start = start
        self.netlocs = site_netlocs(site.url, site.hosts)
        self.private_ok = settings.allow_private or any(is_private_address(host_of(n)) for n in self.netlocs)
        self.frontier = Frontier(Caps(settings.max_pages, settings.max_depth,
                                      settings.max_external if settings.check_external else 0))
        self._ready: deque[Entry] = deque()
        self._busy = 0
        self._wake = asyncio.Event()
        self._writes: list[PageRecord] = []
        self._write_bytes = 0
        self._hits: list[tuple[str, dict]] = []
        self._errors: list[InspectionError] = []
        self._private_hosts: dict[str, bool] = {}
        self._home_dead: Entry | None = None
        self.links_checked = 0

    # -- the round ------------------------------------------------------------------------

    async def run(self) -> CrawlOutcome:
        """The round's outcome; its observations are read from the frontier's files, which close when
        they have all been read (or at once, when the crawl fails)."""
        try:
            return await self._crawl()
        except BaseException:
            self.frontier.close()
            raise
        finally:
            forget_urls()

    async def _crawl(self) -> CrawlOutcome:
        self.frontier.offer(self.start, 0, PAGE, "", False)
        while True:
            await self._pool(self._internal_worker, self.settings.concurrency)
            log.info("site %s: own pages done, %d URLs seen", self.site.id, len(self.frontier.seen))
            await self._pool(self._external_worker, self.settings.external_concurrency)
            log.info("site %s: external links done", self.site.id)
            if not self.frontier.retry_failed():
                break
        self._flush(force=True)
        home = self._home_dead
        if home is not None:
            raise FetchError(self.start, f"首页无法访问: {home.error}", transient=True, status=home.status or None)
        return self._outcome()

    async def _pool(self, worker: Callable[[], Awaitable[None]], size: int) -> None:
        await asyncio.gather(*(worker() for _ in range(max(1, size))))

    async def _internal_worker(self) -> None:
        while (entry := await self._next()) is not None:
            try:
                await (self._visit_page(entry) if entry.kind == PAGE else self._check(entry))
            finally:
                self._busy -= 1
                self._wake.set()

    async def _next(self) -> Entry | None:
        """The next URL of the site; waits while others may still find more; None when all is done."""
        while True:
            if self._ready:
                self._busy += 1
                return self._ready.popleft()
            batch = self.frontier.take(LOOKUP_BATCH)
            if batch:
                records = self.memory.lookup([e.url for e in batch if e.attempts == 0])
                for entry in batch:
                    entry.record = records.get(entry.url, entry.record)
                self._ready.extend(batch)
                continue
            if self._busy == 0:
                return None
            self._wake.clear()
            await self._wake.wait()

    async def _external_worker(self) -> None:
        while self.frontier.external:
            entry = self.frontier.external.popleft()
            host = host_of(netloc_of(entry.url))
            if not self.private_ok and await self._is_private(host):
                self._not_judged(entry, "link", "链接指向内网或本机地址，按配置不检查（crawl.allow_private）")
                continue
            await self._check(entry)

    # -- one URL --------------------------------------------------------------------------

    async def _visit_page(self, entry: Entry) -> None:
        entry.attempts += 1
        self.links_checked += entry.attempts == 1
        record = entry.record if entry.attempts == 1 else None
        try:
            resp = await self.fetcher.request("GET", entry.url, _validators(record), retries=0)
        except FetchError as exc:
            self._failed(entry, exc.status, exc.reason)
            return
        if resp.status == 304 and record is not None:
            self._unchanged(entry, record, resp, entry.url)
            return
        if resp.status >= 400:
            self._failed(entry, resp.status, status_text(resp))
            return
        final = normalize(resp.url) or entry.url
        if final != entry.url:
            self.frontier.also(final, LINK_OK)
        self._read_page(entry, record, resp, final)

    def _read_page(self, entry: Entry, record: PageRecord | None, resp: Response, final: str) -> None:
        if netloc_of(final) not in self.netlocs:
            self._answered(entry, resp.status, record)          # redirected off the site: the link works
            return
        mime = resp.content_type
        html = mime in HTML_TYPES or (mime in _SNIFFABLE and looks_like_html(resp.content))
        if resp.truncated and html:
            self._not_judged(entry, "page", f"页面超过 {self.settings.max_bytes} 字节上限，未检查其内容和链接")
            self._answered(entry, resp.status, record)
            return
        if not html:
            self._answered(entry, resp.status, record)
            return
        if looks_binary(resp.content):
            self._not_judged(entry, "page", f"不是网页（二进制内容，却标为 {mime}），未检查其内容和链接")
            self._answered(entry, resp.status, record)
            return
        digest = content_hash(resp.content)
        if record is not None and record.content_hash == digest and record.links is not None:
            self._unchanged(entry, record, resp, final)
            return
        self._parse(entry, resp, final, digest)

    def _parse(self, entry: Entry, resp: Response, final: str, digest: str) -> None:
        text, _ = decode_html(resp.content, charset_of(resp.headers))
        tree = as_tree(text)
        links = self._links(tree, normalize(base_of(tree, final)) or final)
        hits = self.scanner.scan(tree, self.today)
        title = hits.pop("title", "") if hits else ""
        self._write(PageRecord(entry.url, resp.status, resp.headers.get("etag"), resp.headers.get("last-modified"),
                               digest, title, encode_links(links), {"title": title, **hits} if hits else None))
        # under the URL its record is kept under: link texts come back from it
        self._follow(entry, entry.url, [url for url, _, _ in links], {url for url, _, pager in links if pager})
        if hits:
            self._hits.append((entry.url, {"title": title, **hits}))
        self.frontier.answered(entry, page_ok=True)

    def _unchanged(self, entry: Entry, record: PageRecord, resp: Response, page: str) -> None:
        """Same content as last round: its links and hits from memory, no parsing, no content checks."""
        etag, modified = resp.headers.get("etag"), resp.headers.get("last-modified")
        if resp.status != 304 and (etag != record.etag or modified != record.last_modified):
            record.etag, record.last_modified = etag, modified
            self._write(record)
        self._follow(entry, page, *link_targets(record.links))
        if record.hits:
            self._hits.append((entry.url, record.hits))
        self.frontier.answered(entry, page_ok=True)

    async def _check(self, entry: Entry) -> None:
        """A file or an external link: HEAD, and GET (without the body) when HEAD is refused."""
        entry.attempts += 1
        self.links_checked += entry.attempts == 1
        try:
            resp = await self.fetcher.request("HEAD", entry.url, retries=0)
            if resp.status in _HEAD_REFUSED:
                resp = await self.fetcher.request("GET", entry.url, retries=0, read_body=False)
        except FetchError as exc:
            self._failed(entry, exc.status, exc.reason)
            return
        blocked = blocked_reason(resp) if entry.kind == EXTERNAL else None
        if blocked:
            self._not_judged(entry, "link", blocked)
        elif resp.status >= 400:
            self._failed(entry, resp.status, status_text(resp))
        else:
            self._answered(entry, resp.status, entry.record)

    # -- links ----------------------------------------------------------------------------

    def _links(self, tree: HtmlElement, base: str) -> Links:
        """The page's distinct link targets with text, and whether each pages through a list."""
        found: dict[str, tuple[str, bool]] = {}
        for href, element in iter_links(tree, self.settings.max_links_per_page):
            url = resolve(base, href)
            if url is not None and url not in found:
                text = link_text(element)
                found[url] = (text, is_pager(text))
        for ref in trs_pages(tree, TRS_PAGES_LIMIT):
            url = resolve(base, ref)
            if url is not None:
                found[url] = (found[url][0] if url in found else "", True)
        return [(url, text, pager) for url, (text, pager) in found.items()]

    def _follow(self, entry: Entry, page: str, urls: Iterable[str], pagers: Collection[str]) -> None:
        """Offer the links of ``page`` not met yet (``pagers``: those paging through a list)."""
        home = entry.depth == 0
        for url in self.frontier.unmet(urls, page, home):
            if netloc_of(url) in self.netlocs:
                kind = RESOURCE if is_resource(url) else PAGE
            elif self.settings.check_external:
                kind = EXTERNAL
            else:
                continue
            self.frontier.offer(url, entry.depth if url in pagers else entry.depth + 1, kind, page, home)

    # -- outcomes -------------------------------------------------------------------------

    def _answered(self, entry: Entry, status: int, record: PageRecord | None) -> None:
        if entry.kind != PAGE and (record is None or record.status != status):
            self._write(PageRecord(entry.url, status))
        self.frontier.answered(entry)

    def _failed(self, entry: Entry, status: int | None, reason: str) -> None:
        entry.status, entry.error = status or 0, reason
        if self.frontier.fail(entry):
            log.info("dead link url=%s error=%s", entry.url, reason)
            if entry.url == self.start:
                self._home_dead = entry

    def _not_judged(self, entry: Entry, kind: str, reason: str) -> None:
        """A URL the crawl could not judge: an error on it (never a finding, never a pass)."""
        self.frontier.drop(entry)
        ref = TargetRef(kind, entry.url, entry.url, entry.url)
        self._errors.append(InspectionError(ref, self.site.unit, reason))

    def _write(self, record: PageRecord) -> None:
        self._writes.append(record)
        self._write_bytes += len(record.links or b"")
        self._flush()

    def _flush(self, force: bool = False) -> None:
        if self._writes and (force or len(self._writes) >= WRITE_BATCH or self._write_bytes >= WRITE_BYTES):
            self.memory.save(self.site.id, self._writes, self.now)
            self._writes, self._write_bytes = [], 0

    async def _is_private(self, host: str) -> bool:
        """Whether ``host`` is, or resolves to, a loopback/private address (looked up once per host)."""
        if host not in self._private_hosts:
            private = is_private_address(host) or any(is_private_address(a) for a in await host_addresses(host))
            self._private_hosts[host] = private
        return self._private_hosts[host]

    def _outcome(self) -> CrawlOutcome:
        if self.frontier.skipped_pages:
            log.warning("site %s: page or depth cap reached, %d links not crawled (crawl.max_pages, max_depth)",
                        self.site.id, self.frontier.skipped_pages)
        if self.frontier.skipped_external:
            log.warning("site %s: external cap reached, %d external links not checked (crawl.max_external)",
                        self.site.id, self.frontier.skipped_external)
        return CrawlOutcome(self._observations(), self._errors, Coverage(self.frontier), self.links_checked)

    def _observations(self) -> Iterator[Observation]:
        """The dead links' observations, made a batch at a time as they are read from disk (each carries
        up to ten linking pages with their link texts: a thousand at once held half a megabyte), then
        the pages with hits. The frontier's files close when they have been read."""
        try:
            for batch in self.frontier.dead_links(DEAD_BATCH):
                texts = self._link_texts(batch)
                for entry in batch:
                    yield self._dead_link(entry, texts)
        finally:
            self.frontier.close()
        for url, hits in self._hits:
            yield self._page(url, hits)

    def _link_texts(self, dead: list[Entry]) -> dict[tuple[str, str], str]:
        """(page, url) → link text for the dead links, read back from the linking pages' records."""
        wanted = {e.url for e in dead}
        pages = list(dict.fromkeys(page for e in dead for page in e.sources))
        texts: dict[tuple[str, str], str] = {}
        for start in range(0, len(pages), LOOKUP_BATCH):
            for page, record in self.memory.lookup(pages[start:start + LOOKUP_BATCH]).items():
                for url, text, _ in decode_links(record.links):
                    if url in wanted:
                        texts[(page, url)] = text
        return texts

    def _dead_link(self, entry: Entry, texts: dict[tuple[str, str], str]) -> Observation:
        sources = [{"url": page, "text": texts.get((page, entry.url), "")} for page in entry.sources]
        text = next((s["text"] for s in sources if s["text"]), "")
        facts = {"broken": True, "status": entry.status or None, "error": entry.error, "on_homepage": entry.home,
                 "external": entry.kind == EXTERNAL, "site": self.site.id, "sources_total": entry.total,
                 "sources": sources}
        return Observation(TargetRef("link", entry.url, text or entry.url, entry.url), self.site.unit, facts=facts)

    def _page(self, url: str, hits: dict) -> Observation:
        name = hits.get("title") or url
        return Observation(TargetRef("page", url, name, url), self.site.unit, facts={**hits, "site": self.site.id})


async def host_addresses(host: str) -> list[str]:
    """The addresses ``host`` resolves to; none when it does not resolve (the check itself will say so)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos]


def _validators(record: PageRecord | None) -> dict[str, str]:
    if record is None or record.status != 200 or record.links is None:
        return {}
    headers = {}
    if record.etag:
        headers["If-None-Match"] = record.etag
    if record.last_modified:
        headers["If-Modified-Since"] = record.last_modified
    return headers


def status_text(resp: Response) -> str:
    hops = f"（经 {len(resp.redirects)} 次重定向）" if resp.redirects else ""
    return f"HTTP {resp.status}{hops}"


def blocked_reason(resp: Response) -> str | None:
    """An external host's refusal of robots — not a dead link, only a note."""
    if resp.status == 429:
        return "外站限制访问频率（HTTP 429），不算失效链接；请人工核实"
    if resp.status in (403, 999) or (resp.status == 503 and "cloudflare" in resp.headers.get("server", "").lower()):
        return f"外站拦截了巡检程序（HTTP {resp.status}），不算失效链接；请人工核实"
    return None
